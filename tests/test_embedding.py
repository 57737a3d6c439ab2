"""Embedders: the hash fake's contract, weight verification, and the real bundled model."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from bot.errors import ModelError
from bot.guidance import embedding
from bot.guidance.embedding import (
    BUNDLED_SHA256,
    Embedder,
    HashEmbedder,
    SentenceTransformerEmbedder,
    bundled_model_dir,
    verify_weights,
    weights_sha256,
)


@pytest.fixture
def corrupted_model_dir(tmp_path):
    """A copy of the bundled weights with one byte flipped (the hash check fails before any load)."""
    folder = tmp_path / "model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    shutil.copyfile(bundled_model_dir() / "model.safetensors", weights)
    with weights.open("r+b") as fh:
        fh.seek(1_000_000)
        byte = fh.read(1)
        fh.seek(1_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    return folder


def test_hash_embedder_is_a_normalised_deterministic_embedder():
    a, b = HashEmbedder(dim=64), HashEmbedder(dim=64)
    assert isinstance(a, Embedder)
    texts = ["pain behind the knee", "Pain behind the KNEE", "pizza in town", ""]
    va, vb = a.encode(texts), b.encode(texts)
    assert va.dtype == np.float32 and va.shape == (4, 64)
    assert np.array_equal(va, vb)
    assert np.allclose(np.linalg.norm(va[:3], axis=1), 1.0)
    assert not va[3].any()
    assert va[0] @ va[1] == pytest.approx(1.0)
    assert va[0] @ va[2] < 0.5


def test_hash_embedder_rewards_lexical_overlap():
    e = HashEmbedder()
    q, near, far = e.encode(["burning behind the knee", "a burning sensation behind the knee",
                             "keep a micro-bend in the joint"])
    assert q @ near > q @ far + 0.3


def test_hash_embedders_of_different_size_are_different_models():
    assert HashEmbedder(64).model_id != HashEmbedder(128).model_id
    assert HashEmbedder(64).weights_sha256 != HashEmbedder(128).weights_sha256


def test_bundled_weights_match_the_published_checksum():
    assert verify_weights(bundled_model_dir(), BUNDLED_SHA256) == BUNDLED_SHA256


def test_corrupted_weights_are_refused(corrupted_model_dir):
    with pytest.raises(ModelError, match="fail the checksum"):
        verify_weights(corrupted_model_dir, BUNDLED_SHA256)
    with pytest.raises(ModelError, match="fail the checksum"):
        SentenceTransformerEmbedder(corrupted_model_dir, expected_sha256=BUNDLED_SHA256)


def test_corrupted_bundled_model_is_refused(corrupted_model_dir, monkeypatch):
    monkeypatch.setattr(embedding, "bundled_model_dir", lambda: corrupted_model_dir)
    with pytest.raises(ModelError, match=BUNDLED_SHA256):
        SentenceTransformerEmbedder()


def test_operator_model_hash_is_recorded_and_cache_follows_the_file(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"first weights")
    first = verify_weights(folder, None)
    assert first == weights_sha256(folder)
    weights.write_bytes(b"other weights, longer")
    os.utime(weights, ns=(1, 1))
    assert weights_sha256(folder) != first
    with pytest.raises(ModelError, match="expected " + first):
        verify_weights(folder, first)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        SentenceTransformerEmbedder(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="no model weights"):
        SentenceTransformerEmbedder(tmp_path)


@pytest.mark.slow
def test_real_embedder_is_verified_normalised_and_semantic(model_embedder):
    from bot.guidance.embedding import load_embedder

    assert load_embedder() is model_embedder
    assert model_embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert model_embedder.weights_sha256 == BUNDLED_SHA256
    assert model_embedder.dim == 384
    v = model_embedder.encode(["a lump behind my knee", "Baker's cyst, a fluid-filled sac",
                               "the best pizza in town"])
    assert v.dtype == np.float32 and v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert model_embedder.encode([]).shape == (0, 384)
