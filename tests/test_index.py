"""Index build, manifest staleness, corruption and crash safety (on the hash embedder)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot.errors import IndexBuildError, IndexCorruptError
from bot.guidance import index as index_mod
from bot.guidance.corpus import ChunkSettings, load_chunks
from bot.guidance.embedding import HashEmbedder
from bot.guidance.index import MANIFEST, build_index, ensure_index, index_status, load_index
from tests.conftest import ARTICLE, CORPUS_DIR


@pytest.fixture
def built(corpus_copy, tmp_path, hash_embedder):
    """A corpus copy with a freshly built index; returns (corpus_dir, index_dir, index)."""
    index_dir = tmp_path / "index"
    return corpus_copy, index_dir, build_index(corpus_copy, index_dir, hash_embedder)


def build_folder(index_dir):
    return index_dir / json.loads((index_dir / MANIFEST).read_text())["build"]


def test_build_writes_vectors_chunks_and_manifest(built, hash_embedder):
    corpus_dir, index_dir, index = built
    manifest = json.loads((index_dir / MANIFEST).read_text())
    assert manifest["format_version"] == index_mod.FORMAT_VERSION
    assert manifest["model"] == {"id": hash_embedder.model_id, "weights_sha256": hash_embedder.weights_sha256,
                                 "dim": hash_embedder.dim}
    assert manifest["corpus"] == {ARTICLE.name: index_mod._sha256(ARTICLE)}
    assert manifest["chunking"] == ChunkSettings().to_dict()
    assert manifest["built_at"] and manifest["code_version"]
    loaded = load_index(index_dir)
    assert loaded.chunks == tuple(load_chunks(corpus_dir)) == index.chunks
    texts, owners = index_mod.vector_texts(loaded.chunks)
    assert loaded.vectors.ntotal == len(texts) == len(owners) > len(loaded.chunks)
    assert list(owners[:len(loaded.chunks)]) == list(range(len(loaded.chunks)))
    assert np.array_equal(loaded.owners, owners)
    # Every row is normalised and is the embedding of its text: a whole passage, then its sentences.
    for row in (0, len(loaded.chunks), len(texts) - 1):
        vector = loaded.vectors.reconstruct(row)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert np.allclose(vector, hash_embedder.encode([texts[row]])[0], atol=1e-6)
        assert texts[row] in index_mod.embed_text(loaded.chunks[owners[row]])
    assert index_status(corpus_dir, index_dir, hash_embedder).ok


def test_progress_reports_embedded_texts(corpus_copy, tmp_path, hash_embedder):
    calls = []
    index = build_index(corpus_copy, tmp_path / "index", hash_embedder, progress=lambda d, t: calls.append((d, t)))
    n = index.vectors.ntotal
    assert calls[0] == (0, n) and calls[-1] == (n, n)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_missing_index_is_built(corpus_copy, tmp_path, hash_embedder):
    index_dir = tmp_path / "nested" / "index"
    assert index_status(corpus_copy, index_dir, hash_embedder).state == "missing"
    assert ensure_index(corpus_copy, index_dir, hash_embedder).chunks
    assert index_status(corpus_copy, index_dir, hash_embedder).ok


def test_current_index_is_loaded_not_rebuilt(built, hash_embedder, monkeypatch):
    corpus_dir, index_dir, _ = built
    monkeypatch.setattr(index_mod, "build_index", lambda *a, **k: pytest.fail("rebuilt a current index"))
    assert ensure_index(corpus_dir, index_dir, hash_embedder).chunks


def test_corpus_edit_makes_it_stale_and_ensure_rebuilds(built, hash_embedder):
    corpus_dir, index_dir, _ = built
    path = corpus_dir / ARTICLE.name
    path.write_text(path.read_text(encoding="utf-8").replace("sit bone", "sitting bone"), encoding="utf-8")
    status = index_status(corpus_dir, index_dir, hash_embedder)
    assert status.state == "stale" and status.reasons == (f"corpus file changed: {ARTICLE.name}",)
    rebuilt = ensure_index(corpus_dir, index_dir, hash_embedder)
    assert any("sitting bone" in c.text for c in rebuilt.chunks)
    assert index_status(corpus_dir, index_dir, hash_embedder).ok


def test_added_and_removed_documents_make_it_stale(built, hash_embedder):
    corpus_dir, index_dir, _ = built
    (corpus_dir / "010_extra.md").write_text("# Extra\n\nMore guidance text.\n", encoding="utf-8")
    assert "corpus file added: 010_extra.md" in index_status(corpus_dir, index_dir, hash_embedder).reasons
    build_index(corpus_dir, index_dir, hash_embedder)
    (corpus_dir / "010_extra.md").unlink()
    assert "corpus file removed: 010_extra.md" in index_status(corpus_dir, index_dir, hash_embedder).reasons


def test_model_change_makes_it_stale(built):
    corpus_dir, index_dir, _ = built
    status = index_status(corpus_dir, index_dir, HashEmbedder(dim=128))
    assert status.state == "stale"
    assert any("embedding model changed" in r for r in status.reasons)
    assert ensure_index(corpus_dir, index_dir, HashEmbedder(dim=128)).vectors.d == 128


def test_same_model_id_with_other_weights_is_stale(built, hash_embedder):
    corpus_dir, index_dir, _ = built
    other = HashEmbedder()
    other.weights_sha256 = "0" * 64
    assert any("embedding model changed" in r for r in index_status(corpus_dir, index_dir, other).reasons)


def test_chunking_settings_change_makes_it_stale(built, hash_embedder):
    corpus_dir, index_dir, _ = built
    status = index_status(corpus_dir, index_dir, hash_embedder, ChunkSettings(max_chars=300))
    assert status.state == "stale" and "chunking settings changed" in str(status)


@pytest.mark.parametrize("damage", ["truncate_vectors", "garble_chunks", "garble_manifest", "delete_build"])
def test_corrupt_index_is_detected_and_rebuilt(built, hash_embedder, damage):
    corpus_dir, index_dir, _ = built
    folder = build_folder(index_dir)
    if damage == "truncate_vectors":
        data = (folder / "vectors.faiss").read_bytes()
        (folder / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "garble_chunks":
        (folder / "chunks.json").write_text("[{not json", encoding="utf-8")
    elif damage == "garble_manifest":
        (index_dir / MANIFEST).write_text("{", encoding="utf-8")
    else:
        shutil.rmtree(folder)
    with pytest.raises(IndexCorruptError):
        load_index(index_dir)
    assert index_status(corpus_dir, index_dir, hash_embedder).state == "corrupt"
    assert ensure_index(corpus_dir, index_dir, hash_embedder).chunks
    assert index_status(corpus_dir, index_dir, hash_embedder).ok


def edit_corpus(corpus_dir):
    path = corpus_dir / ARTICLE.name
    path.write_text(path.read_text(encoding="utf-8").replace("micro-bend", "small bend"), encoding="utf-8")


@pytest.mark.parametrize("crash_at", ["writing_chunks", "switching_manifest"])
def test_crash_mid_build_leaves_previous_index_usable(built, hash_embedder, monkeypatch, crash_at):
    corpus_dir, index_dir, old = built
    edit_corpus(corpus_dir)
    if crash_at == "writing_chunks":
        def crash(path, data):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(index_mod, "_write", crash)
    else:
        def crash(src, dst):
            raise KeyboardInterrupt  # e.g. killed between the build folder and the manifest switch
        monkeypatch.setattr(index_mod.os, "replace", crash)
    with pytest.raises((IndexBuildError, KeyboardInterrupt)):
        build_index(corpus_dir, index_dir, hash_embedder)
    monkeypatch.undo()
    survivor = load_index(index_dir)
    assert survivor.chunks == old.chunks
    assert any("micro-bend" in c.text for c in survivor.chunks)
    assert index_status(corpus_dir, index_dir, hash_embedder).state == "stale"
    rebuilt = ensure_index(corpus_dir, index_dir, hash_embedder)
    assert any("small bend" in c.text for c in rebuilt.chunks)
    leftovers = sorted(p.name for p in index_dir.iterdir() if p.is_dir())
    assert leftovers == [build_folder(index_dir).name]


def test_other_files_in_the_index_folder_survive_rebuilds(built, hash_embedder):
    corpus_dir, index_dir, _ = built
    (index_dir / "README.md").write_text("built by kneebot index\n", encoding="utf-8")
    first = build_folder(index_dir)
    build_index(corpus_dir, index_dir, hash_embedder)
    assert (index_dir / "README.md").exists()
    assert not first.exists() and build_folder(index_dir).exists()


def test_unwritable_index_says_why_it_cannot_rebuild(built, hash_embedder, monkeypatch):
    corpus_dir, index_dir, _ = built
    edit_corpus(corpus_dir)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_mod, "_write_build", read_only)
    with pytest.raises(IndexBuildError, match=r"stale: corpus file changed.*cannot be rebuilt.*Permission denied"):
        ensure_index(corpus_dir, index_dir, hash_embedder)


def test_unwritable_place_for_a_missing_index(corpus_copy, tmp_path, hash_embedder):
    # A path under a regular file cannot be created by anyone, root included (tests and CI run as root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(IndexBuildError, match="missing"):
        ensure_index(corpus_copy, blocker / "index", hash_embedder)


@pytest.mark.slow
def test_shipped_corpus_indexes_with_the_real_model(real_index, model_embedder):
    assert real_index.vectors.d == 384
    assert real_index.manifest["model"]["weights_sha256"] == model_embedder.weights_sha256
    assert set(real_index.manifest["corpus"]) >= {ARTICLE.name}
    assert index_status(CORPUS_DIR, real_index.path, model_embedder).ok
