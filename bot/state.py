"""What a conversation remembers between turns, in a JSON-ready form for the store."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from bot.ids import Triage


class PendingKind(StrEnum):
    """The kind of question a conversation is waiting on an answer to."""

    CONFIRM = "confirm"  # one red flag's own yes/no question; its argument is the flag
    SCREEN = "screen"  # the safety screen before any advice
    SCREEN_WHICH = "screen_which"  # which sign it was, after a positive screen
    SLOT = "slot"  # a clarifying question; its argument is the symptom slot


@dataclass
class DialogueState:
    """Everything a conversation needs to carry on after a restart; no raw message text."""

    turn: int = 0
    triage: str = str(Triage.SELF_CARE)
    red_flags: list[str] = field(default_factory=list)
    flag_turn: int = -1  # the turn the latest red flag was recorded in
    denied_flags: list[str] = field(default_factory=list)
    screen_positive: bool = False
    screened: bool = False
    pending: str | None = None  # "confirm:<flag>", "screen", "screen_which", "slot:<slot>"
    pending_repeats: int = 0
    known: dict[str, str] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)  # the slots the latest telling message set
    asked: list[str] = field(default_factory=list)
    timeline: dict[str, Any] = field(default_factory=dict)
    disclaimer_shown: bool = False
    summarised: bool = False
    summary_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DialogueState:
        """Rebuild from a stored dict, ignoring keys this version does not know."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def level(self) -> Triage:
        """The triage as an enum."""
        return Triage(self.triage)

    def raise_triage(self, level: Triage) -> None:
        """Move triage up to `level`; it never moves down."""
        self.triage = str(self.level.raised_to(level))

    def record_flag(self, flag: str, level: Triage) -> bool:
        """Record a red flag (never withdrawn); True when it is new."""
        self.raise_triage(level)
        if flag in self.red_flags:
            return False
        self.red_flags.append(flag)
        self.flag_turn = self.turn
        return True

    @property
    def pending_kind(self) -> PendingKind | None:
        """The kind of question pending."""
        return None if self.pending is None else PendingKind(self.pending.split(":", 1)[0])

    def wait_for(self, kind: PendingKind, arg: str | None = None) -> None:
        """Ask a question of this kind (about a flag or slot) next."""
        self.pending = str(kind) if arg is None else f"{kind}:{arg}"

    @property
    def pending_arg(self) -> str | None:
        """The flag or slot a pending question is about."""
        if self.pending is None or ":" not in self.pending:
            return None
        return self.pending.split(":", 1)[1]
