"""What a conversation turn returns to a channel."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.ids import Triage


@dataclass(frozen=True)
class Citation:
    """A verbatim corpus passage: the chunk it comes from and where it sits."""

    chunk_id: str
    source: str
    section: str
    text: str
    score: float | None = None
    found_by: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return {
            "chunk_id": self.chunk_id,
            "source": self.source,
            "section": self.section,
            "text": self.text,
            "score": self.score,
        }


class ReplyKind(StrEnum):
    """What a reply is (SPEC: `Reply.kind`)."""

    ESCALATION = "escalation"  # a red flag is recorded in this turn
    CONFIRM = "confirm"  # it asks one red flag's own yes/no question
    QUESTION = "question"  # a clarifying or screening question
    SUMMARY = "summary"
    PASSAGES = "passages"  # answers a question about the guidance
    ANSWER = "answer"  # anything else


@dataclass(frozen=True)
class Reply:
    """One reply as shown to the person, with the state behind it."""

    text: str
    triage: Triage
    red_flags: tuple[str, ...] = ()
    question: str | None = None
    citations: tuple[Citation, ...] = ()
    causes: tuple[tuple[str, float], ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER
    escalation: str | None = field(default=None)

    def to_dict(self) -> dict:
        """A JSON-ready form (the shape `kneebot eval --json` writes)."""
        return {
            "text": self.text,
            "triage": str(self.triage),
            "red_flags": list(self.red_flags),
            "question": self.question,
            "causes": [[c, round(s, 4)] for c, s in self.causes],
            "citations": [c.to_dict() for c in self.citations],
        }
