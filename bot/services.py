"""The narrow collaborators a conversation works with; `Assistant` builds them once and shares them.

    safety     red-flag detection (rules + learned layer) and each rule's question and citation
    symptoms   finding extraction and the evidence model over the likely causes
    guidance   the corpus passages: search, and the passage holding a reviewed phrase
    wording    the reviewed templates, and the advice per cause (data/advice.yaml)
    store      conversation state and the safety audit log
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from bot.advice import Advice
from bot.errors import StoreError
from bot.guidance.retrieval import Retriever
from bot.reply import Citation
from bot.safety.detector import RedFlagDetector
from bot.store.base import AuditEntry, ConversationStore
from bot.symptoms.evidence import EvidenceModel
from bot.symptoms.findings import FindingExtractor
from bot.templates import Templates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Symptoms:
    """What the person's words say about the likely causes."""

    findings: FindingExtractor
    evidence: EvidenceModel


@dataclass(frozen=True)
class Guidance:
    """The guidance corpus as replies use it: passages to search and to quote, with their titles."""

    retriever: Retriever
    titles: dict[str, str]

    def search(self, query: str, k: int = 5) -> list[Citation]:
        """The passages that answer a query, best first; empty when nothing does."""
        return self.retriever.search(query, k=k)

    def prefetch(self, query: str) -> None:
        """Begin embedding a query that is about to be searched (see Retriever.prefetch)."""
        self.retriever.prefetch(query)

    def passage(self, phrase: str) -> Citation | None:
        """The passage holding a reviewed phrase verbatim; None (and a warning) if the corpus lacks it."""
        try:
            return self.retriever.passage(phrase)
        except KeyError:
            log.warning("no corpus passage contains %r", phrase)
            return None

    def title(self, source: str) -> str:
        """The display title of a corpus file."""
        return self.titles.get(source, source)


@dataclass(frozen=True)
class Services:
    """Everything a conversation needs, and nothing of the assistant that built it."""

    safety: RedFlagDetector
    symptoms: Symptoms
    guidance: Guidance
    wording: Templates
    advice: Advice
    store: ConversationStore
    max_message_chars: int
    forget: Callable[[str], None]

    @contextmanager
    def turn(self, conversation_id: str) -> Iterator[None]:
        """Hold the conversation's turn lock from load to save; if the store fails, the turn still runs."""
        with ExitStack() as held:
            try:
                held.enter_context(self.store.turn(conversation_id))
            except StoreError:
                log.exception("could not lock the conversation for this turn")
            yield

    def audit(self, entries: list[AuditEntry]) -> None:
        """Write red-flag decisions to the audit log; a storage failure never blocks a reply."""
        try:
            self.store.audit(entries)
        except StoreError:
            log.exception("could not write the safety audit log")
