"""What the core and the channels ask of a conversation store, whatever the database behind it.

A backend keeps conversation state, channel session keys and the safety audit log, writes raw message
text only when transcripts are on, applies its schema as an append-only, versioned list of migrations,
and raises `StoreError` (with the reason) when it cannot be read or written.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AuditEntry:
    """One red-flag detection decision that escalated or asked."""

    conversation_id: str
    rule_id: str
    span: tuple[int, int] | None
    modifiers: tuple[str, ...]
    decision: str
    ruleset_version: str
    matched: str | None = None
    at: float = 0.0


class ConversationStore(Protocol):
    """Conversation state, channel bindings and the safety audit log."""

    def turn(self, conversation_id: str) -> AbstractContextManager[None]:
        """Hold the conversation's lock from load to save: no other worker runs a turn of it meanwhile."""

    def load(self, conversation_id: str) -> dict | None:
        """The stored state of a conversation, or None when there is none."""

    def save(self, conversation_id: str, state: dict, *, user_text: str | None = None,
             reply_text: str | None = None, turn: int = 0) -> None:
        """Write a conversation's state (and its turn's text, with transcripts on) in one transaction."""

    def audit(self, entries: list[AuditEntry]) -> None:
        """Append detection decisions to the safety audit log (`matched` only with transcripts on)."""

    def audit_log(self, conversation_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first, for one conversation or all."""

    def transcript(self, conversation_id: str) -> list[tuple[str, str]]:
        """(role, text) pairs stored for a conversation (empty unless transcripts are on)."""

    def forget(self, conversation_id: str) -> None:
        """Delete everything stored about a conversation: state, transcript, audit entries, bindings."""

    def bind(self, channel: str, key: str, conversation_id: str) -> None:
        """Map a channel's session key (browser id, Discord thread) to a conversation."""

    def bound(self, channel: str, key: str) -> str | None:
        """The conversation a channel's session key maps to, if any."""

    def bindings(self, channel: str, pattern: str) -> dict[str, str]:
        """The channel's session keys matching `pattern` (`*` stands for any run of characters; case
        matters), each with the conversation it maps to."""

    def purge(self, older_than_days: float) -> int:
        """Delete conversations idle for longer than the retention period; returns how many."""

    def close(self) -> None:
        """Release this thread's (or process's) connection."""
