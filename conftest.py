"""Fixtures shared by the whole suite: state under tmp_path, assistants built once per session."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path, monkeypatch):
    """No test writes to the real index/ or state/: the KNEEBOT_* settings point at tmp_path."""
    monkeypatch.setenv("KNEEBOT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("KNEEBOT_DB", str(tmp_path / "state" / "kneebot.sqlite3"))


@pytest.fixture(scope="session")
def fast_settings(tmp_path_factory) -> Settings:
    """Settings for an assistant on the hash embedder, in a session temp folder."""
    root = tmp_path_factory.mktemp("fast")
    return Settings(corpus_dir=CORPUS, index_dir=root / "index", db_path=root / "kneebot.sqlite3")


@pytest.fixture(scope="session")
def fast_assistant(fast_settings):
    """The real assistant with the deterministic hash embedder instead of the model (fast)."""
    from bot.assistant import Assistant
    from bot.guidance.embedding import HashEmbedder

    assistant = Assistant.load(settings=fast_settings, embedder=HashEmbedder())
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def model_embedder():
    """The real all-MiniLM-L6-v2 embedder, loaded once per session."""
    from bot.guidance.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory, model_embedder):
    """The assistant exactly as users get it: the real model, a real FAISS index, a real SQLite file."""
    from bot.assistant import Assistant

    root = tmp_path_factory.mktemp("real")
    settings = replace(Settings(), corpus_dir=CORPUS, index_dir=root / "index", db_path=root / "kneebot.sqlite3")
    assistant = Assistant.load(settings=settings, embedder=model_embedder)
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def grounding(fast_assistant):
    """A checker that knows every reviewed string the assistant may show."""
    from bot.eval.grounding import GroundingChecker

    a = fast_assistant
    chunks = a.retriever.index.chunks
    questions = a.evidence.questions.values()
    extra = [r.question for r in a.rules.rules] + [q.text for q in questions] + [q.why for q in questions]
    extra += sorted({c.section for c in chunks} | {c.source for c in chunks} | set(a.source_titles.values()))
    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(a.settings.corpus_dir).iterdir())
             if p.suffix in {".txt", ".md"}]
    return GroundingChecker(a.templates, texts, extra)
