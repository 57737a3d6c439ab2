"""Fixtures for the tests under tests/ (the root conftest.py holds the suite-wide ones)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

# --- corpus, embedding, index and retrieval -------------------------------------------------------
# The real model is loaded once per session through the root conftest's `model_embedder`.

CORPUS_DIR = PROJECT_ROOT / "corpus"
ARTICLE = CORPUS_DIR / "000_292bc26db980c244.txt"
QUERIES = Path(__file__).parent / "retrieval" / "queries.yaml"


@pytest.fixture
def hash_embedder():
    """The deterministic fake embedder."""
    from bot.guidance.embedding import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the owner's article alone, as a corpus folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    return folder


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, model_embedder):
    """The shipped corpus indexed with the real model, built once per session."""
    from bot.guidance.index import build_index

    return build_index(CORPUS_DIR, tmp_path_factory.mktemp("real-index") / "index", model_embedder)


@pytest.fixture(scope="session")
def real_retriever(real_index, model_embedder):
    """A retriever over the real index with the real model."""
    from bot.guidance.retrieval import Retriever

    return Retriever(real_index, model_embedder)


# --- PostgreSQL -----------------------------------------------------------------------------------
# A real server (tests/pgserver.py) started once per session; in CI a server that cannot start fails.


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1, run as an unprivileged user."""
    import os

    from pgserver import PgUnavailable, start

    try:
        server = start()
    except PgUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run in CI: {exc}")
        pytest.skip(f"PostgreSQL cannot start here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres.create_database()
