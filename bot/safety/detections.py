"""What the red-flag rules decide on a message: each rule's detection, and the persistent-pain timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.ids import RedFlag
from bot.safety.timeline import Timeline


class Decision(StrEnum):
    """What a detection asks the dialogue to do."""

    RECORD = "record"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Detection:
    """One rule's decision on one message."""

    rule: RedFlag
    decision: Decision
    span: tuple[int, int]
    matched: str
    modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScanResult:
    """Detections in a message, and the persistent-pain timeline updated by it."""

    detections: list[Detection] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)
    others: frozenset[RedFlag] = frozenset()  # flags whose cue the rules found told of someone else or taken back
    theirs: frozenset[RedFlag] = frozenset()  # of those, told as someone else's now (not denied, past or supposed)

    @property
    def recorded(self) -> list[RedFlag]:
        """Flags this message records."""
        return [d.rule for d in self.detections if d.decision is Decision.RECORD]

    @property
    def to_confirm(self) -> list[RedFlag]:
        """Flags whose confirmation question this message calls for."""
        return [d.rule for d in self.detections if d.decision is Decision.CONFIRM]
