"""The assembled assistant: everything a channel needs, built once. Only wiring: the conversation
works with the narrow collaborators in `bot.services`, never with the assistant itself."""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from bot.advice import Advice
from bot.config import Settings
from bot.datafile import read_yaml
from bot.dialogue import Conversation
from bot.errors import CorpusError, StoreError
from bot.guidance.embedding import Embedder, load_embedder
from bot.guidance.index import ensure_index
from bot.guidance.retrieval import Retriever
from bot.guidance.runtime import Runtime, ensure_runtime
from bot.reply import Citation
from bot.safety.detector import RedFlagDetector
from bot.safety.layer import LearnedLayer
from bot.safety.rules import RuleSet
from bot.services import Guidance, Services, Symptoms
from bot.store import ConversationStore, open_store
from bot.symptoms.evidence import EvidenceModel
from bot.symptoms.findings import FindingExtractor
from bot.templates import Templates

__all__ = ["Assistant", "Conversation"]
log = logging.getLogger(__name__)


def load_source_titles(corpus_dir: Path) -> dict[str, str]:
    """Display titles of corpus files from corpus/sources.yaml (optional; file names otherwise)."""
    path = Path(corpus_dir) / "sources.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path, "source titles", CorpusError) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) and isinstance(v.get("title"), str)
                                             for v in data.values()):
        raise CorpusError(f"{path}: each entry must be a file name mapping to {{title: ..., origin: ...}}")
    return {str(name): entry["title"] for name, entry in data.items()}


class Assistant:
    """Rules, retrieval, symptom reasoning, templates and the store, loaded once and shared."""

    def __init__(self, settings: Settings, embedder: Embedder, retriever: Retriever, store: ConversationStore,
                 runtime: Runtime | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.retriever = retriever
        self.store = store
        self.rules = RuleSet.load()
        # The learned layer is part of the safety core: a missing or broken one stops start-up.
        self.detector = RedFlagDetector(self.rules, LearnedLayer.load(rules_version=self.rules.spec_version,
                                                                      runtime=runtime))
        self.findings = FindingExtractor.load()
        self.evidence = EvidenceModel.load(declared=self.findings.slots)
        self.templates = Templates.load()
        self.templates.check_findings({name: slot.values for name, slot in self.findings.slots.items()})
        self.source_titles = load_source_titles(settings.corpus_dir)
        self.services = Services(
            safety=self.detector, symptoms=Symptoms(self.findings, self.evidence),
            guidance=Guidance(retriever, self.source_titles), wording=self.templates,
            advice=Advice.load(template_keys=set(self.templates.data)), store=store,
            max_message_chars=settings.max_message_chars, forget=self.forget,
        )

    @classmethod
    def load(cls, corpus_dir: Path | str | None = None, index_dir: Path | str | None = None, *,
             settings: Settings | None = None, embedder: Embedder | None = None,
             store: ConversationStore | None = None, progress=None) -> Assistant:  # type: ignore[no-untyped-def]
        """Build the assistant from corpus/ and index/, rebuilding a missing or stale index.

        Settings default to the KNEEBOT_* environment, as the CLI reads it. With the bundled model and no
        embedder given, retrieval and the red-flag layer run on the index's ONNX export (no torch).
        """
        settings = settings or Settings.from_env()
        if corpus_dir is not None:
            settings = replace(settings, corpus_dir=Path(corpus_dir))
        if index_dir is not None:
            settings = replace(settings, index_dir=Path(index_dir))
        runtime = None
        if embedder is None and settings.model_dir is None:
            runtime = ensure_runtime(settings.index_dir)
            embedder = runtime.embedder
        embedder = embedder or load_embedder(settings.model_dir)
        index = ensure_index(settings.corpus_dir, settings.index_dir, embedder, progress=progress)
        retriever = Retriever(index, embedder)
        store = store or open_store(settings.db_path, transcripts=settings.transcripts)
        assistant = cls(settings, embedder, retriever, store, runtime)
        if runtime is not None:
            runtime.ready()  # its sessions were created while the rest loaded; a failure stops start-up here
        try:
            store.purge(settings.retention_days)
        except StoreError:
            log.exception("could not apply the retention period")
        return assistant

    def conversation(self, conversation_id: str | None = None) -> Conversation:
        """A new conversation, or the stored one with this id."""
        return Conversation(self.services, conversation_id)

    def search(self, query: str, k: int = 5) -> list[Citation]:
        """The corpus passages that answer a query, best first; empty when nothing does."""
        return self.retriever.search(query, k=k)

    def forget(self, conversation_id: str) -> None:
        """Delete everything stored about a conversation."""
        self.store.forget(conversation_id)

    def close(self) -> None:
        """Release the store."""
        self.store.close()
