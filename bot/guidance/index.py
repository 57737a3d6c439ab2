"""Build, check and load index/: FAISS vectors, chunk metadata and a manifest of their origin.

Vectors: one row per chunk (its section title and text), then one row per sentence of each chunk in
order, then one row per question each chunk answers (corpus/questions/), so a passage can be found by
its best sentence or question as well as by its whole. These rows are derived from the chunks, so
`vector_texts` recomputes which chunk each row belongs to.

Layout: `index/manifest.json` names a build folder `index/build-<id>/` holding `vectors.faiss` and
`chunks.json` (with their SHA-256 in the manifest). A build writes a new folder, fsyncs it, then
replaces the manifest with one atomic rename; a crash at any point leaves the previous manifest
pointing at the previous, complete build. Other files in index/ (a README) are left alone.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import IndexBuildError, IndexCorruptError, KneebotError
from bot.guidance.corpus import DEFAULT_CHUNKING, Chunk, ChunkSettings, load_chunks, load_documents, sentence_spans
from bot.guidance.embedding import Embedder
from bot.guidance.questions import file_hashes
from bot.version import VERSION

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.json"
EMBED_BATCH = 32

Progress = Callable[[int, int], None]
"""Called as progress(done, total) as passages and sentences are embedded (the slow part of a build)."""


@dataclass(frozen=True)
class LoadedIndex:
    """A built index in memory: chunks in corpus order, their FAISS vectors and the manifest."""

    path: Path
    chunks: tuple[Chunk, ...]
    vectors: Any  # faiss.IndexFlatIP; row i belongs to chunks[owners[i]] (rows < len(chunks): whole chunks)
    manifest: dict
    owners: np.ndarray


@dataclass(frozen=True)
class IndexStatus:
    """Whether index/ matches the corpus, model and settings: state is ok, missing, stale or corrupt."""

    state: str
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the index can be used as it is."""
        return self.state == "ok"

    def __str__(self) -> str:
        return self.state if not self.reasons else f"{self.state}: {'; '.join(self.reasons)}"


def embed_text(chunk: Chunk) -> str:
    """What gets embedded for a chunk: its section title gives the passage its context."""
    return f"{chunk.section}. {chunk.text}"


def vector_texts(chunks: list[Chunk] | tuple[Chunk, ...]) -> tuple[list[str], np.ndarray]:
    """The texts embedded, one per FAISS row, and the chunk position that owns each row."""
    texts = [embed_text(c) for c in chunks]
    owners = list(range(len(chunks)))
    for i, chunk in enumerate(chunks):
        for a, b in sentence_spans(chunk.text):
            texts.append(chunk.text[a:b])
            owners.append(i)
    for i, chunk in enumerate(chunks):  # last: the questions each passage answers
        texts.extend(chunk.questions)
        owners.extend([i] * len(chunk.questions))
    return texts, np.asarray(owners, dtype=np.int64)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder, across processes."""
    with (index_dir / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def expected_manifest(corpus_dir: Path, embedder: Embedder, settings: ChunkSettings) -> dict:
    """The parts of a manifest that must match for an index to be current."""
    return {
        "format_version": FORMAT_VERSION,
        "chunking": settings.to_dict(),
        "model": {"id": embedder.model_id, "weights_sha256": embedder.weights_sha256, "dim": embedder.dim},
        "corpus": {d.name: d.sha256 for d in load_documents(corpus_dir)},
        "questions": file_hashes(corpus_dir),
    }


def _read_manifest(index_dir: Path) -> dict:
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("build"), str):
            raise ValueError("no build folder named")
        return manifest
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"index manifest {index_dir / MANIFEST} is unreadable: {exc}") from exc


def _stale_reasons(manifest: dict, expected: dict) -> list[str]:
    reasons = []
    if manifest.get("format_version") != expected["format_version"]:
        reasons.append(f"index format {manifest.get('format_version')} != {expected['format_version']}")
    if manifest.get("chunking") != expected["chunking"]:
        reasons.append(f"chunking settings changed ({manifest.get('chunking')} -> {expected['chunking']})")
    old_model, new_model = manifest.get("model") or {}, expected["model"]
    if any(old_model.get(key) != new_model[key] for key in ("id", "weights_sha256")):
        reasons.append(f"embedding model changed ({old_model.get('id')} -> {new_model['id']})")
    old, new = manifest.get("corpus") or {}, expected["corpus"]
    reasons += [f"corpus file added: {n}" for n in sorted(new.keys() - old.keys())]
    reasons += [f"corpus file removed: {n}" for n in sorted(old.keys() - new.keys())]
    reasons += [f"corpus file changed: {n}" for n in sorted(new.keys() & old.keys()) if old[n] != new[n]]
    if manifest.get("questions") != expected["questions"]:
        reasons.append("passage questions changed")
    return reasons


def load_index(index_dir: Path) -> LoadedIndex:
    """Load a built index, checking its files against the manifest; IndexCorruptError if they disagree."""
    import faiss

    index_dir = Path(index_dir)
    if not (index_dir / MANIFEST).exists():
        raise IndexCorruptError(f"no index at {index_dir} (no {MANIFEST}); run `kneebot index`")
    manifest = _read_manifest(index_dir)
    build = index_dir / manifest["build"]
    try:
        for name in (VECTORS, CHUNKS):
            if _sha256(build / name) != manifest.get("files", {}).get(name):
                raise IndexCorruptError(f"index file {build / name} does not match its manifest checksum")
        rows = json.loads((build / CHUNKS).read_text(encoding="utf-8"))
        chunks = tuple(Chunk(**row) for row in rows)
        vectors = faiss.read_index(str(build / VECTORS))
    except IndexCorruptError:
        raise
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"index at {build} cannot be read: {exc}") from exc
    owners = vector_texts(chunks)[1]
    if vectors.ntotal != len(owners) or vectors.d != manifest.get("model", {}).get("dim"):
        raise IndexCorruptError(f"index at {build} has {vectors.ntotal} vectors of size {vectors.d} "
                                f"for {len(owners)} passages and sentences")
    return LoadedIndex(index_dir, chunks, vectors, manifest, owners)


def _check(corpus_dir: Path, index_dir: Path, embedder: Embedder,
           settings: ChunkSettings) -> tuple[IndexStatus, LoadedIndex | None]:
    index_dir = Path(index_dir)
    if not (index_dir / MANIFEST).exists():
        return IndexStatus("missing", (f"no index at {index_dir}",)), None
    try:
        loaded = load_index(index_dir)
    except IndexCorruptError as exc:
        return IndexStatus("corrupt", (str(exc),)), None
    reasons = _stale_reasons(loaded.manifest, expected_manifest(corpus_dir, embedder, settings))
    return (IndexStatus("stale", tuple(reasons)), None) if reasons else (IndexStatus("ok"), loaded)


def index_status(corpus_dir: Path, index_dir: Path, embedder: Embedder,
                 settings: ChunkSettings = DEFAULT_CHUNKING) -> IndexStatus:
    """Whether index/ is usable for this corpus, model and settings, and if not, why."""
    return _check(corpus_dir, index_dir, embedder, settings)[0]


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, progress: Progress | None = None,
                settings: ChunkSettings = DEFAULT_CHUNKING) -> LoadedIndex:
    """Chunk and embed the corpus and write index/ atomically; the previous index survives a crash."""
    import faiss

    index_dir = Path(index_dir)
    report = progress or (lambda done, total: None)
    expected = expected_manifest(corpus_dir, embedder, settings)
    chunks = load_chunks(corpus_dir, settings)
    texts, owners = vector_texts(chunks)
    report(0, len(texts))
    parts = [np.zeros((0, embedder.dim), dtype=np.float32)]
    for i in range(0, len(texts), EMBED_BATCH):
        parts.append(embedder.encode(texts[i:i + EMBED_BATCH]))
        report(min(i + EMBED_BATCH, len(texts)), len(texts))
    matrix = np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
    if matrix.shape != (len(texts), embedder.dim):
        raise KneebotError(f"embedder returned shape {matrix.shape}, expected {(len(texts), embedder.dim)}")
    vectors = faiss.IndexFlatIP(embedder.dim)
    vectors.add(matrix)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        with _build_lock(index_dir):
            manifest = _write_build(index_dir, chunks, vectors, expected)
    except OSError as exc:
        raise IndexBuildError(f"cannot write the index at {index_dir}: {exc.strerror or exc}") from exc
    return LoadedIndex(index_dir, tuple(chunks), vectors, manifest, owners)


def _write_build(index_dir: Path, chunks: list[Chunk], vectors: Any, expected: dict) -> dict:
    """Write a new build folder, then switch the manifest to it with one atomic rename."""
    import faiss

    build_id = f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        faiss.write_index(vectors, str(tmp / VECTORS))
        _fsync(tmp / VECTORS)
        rows = json.dumps([c.to_dict() for c in chunks], ensure_ascii=False, indent=1)
        _write(tmp / CHUNKS, rows.encode("utf-8"))
        _fsync(tmp)
        os.rename(tmp, index_dir / build_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {
        **expected,
        "build": build_id,
        "files": {n: _sha256(index_dir / build_id / n) for n in (VECTORS, CHUNKS)},
        "chunks": len(chunks),
        "code_version": VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    switch_manifest(index_dir, MANIFEST, manifest, build_id, "build-")
    return manifest


def switch_manifest(index_dir: Path, name: str, manifest: dict, folder: str, prefix: str) -> None:
    """Point index_dir/name at `folder` with one atomic rename, then remove the folders it no longer
    references (and leftovers of crashed builds) whose names start with `prefix`."""
    _write(index_dir / f".{name}.tmp", json.dumps(manifest, indent=1).encode("utf-8"))
    os.replace(index_dir / f".{name}.tmp", index_dir / name)
    _fsync(index_dir)
    for old in index_dir.iterdir():
        if old.is_dir() and old.name != folder and old.name.startswith((prefix, f".tmp-{prefix}")):
            shutil.rmtree(old, ignore_errors=True)


def ensure_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, progress: Progress | None = None,
                 settings: ChunkSettings = DEFAULT_CHUNKING) -> LoadedIndex:
    """Load index/ when it is current; rebuild it when missing, stale or corrupt (or say why not)."""
    status, loaded = _check(corpus_dir, index_dir, embedder, settings)
    if loaded is not None:
        return loaded
    try:
        return build_index(corpus_dir, index_dir, embedder, progress, settings)
    except IndexBuildError as exc:
        raise IndexBuildError(f"the index is {status} and cannot be rebuilt: {exc}") from exc
