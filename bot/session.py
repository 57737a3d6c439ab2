"""Channel sessions: a channel's session key bound to a conversation, for every channel alike.

A channel (web page, web API, Discord, terminal) names its sessions with keys of its own (a browser
id, a Discord thread and its opener, a terminal run); the store maps (channel, key) to a conversation
id, so a session survives a restart. This lives in `bot/`, beside the conversation and the store it
wires together, so that each `ui/` module stays a thin adapter: it picks a key, calls `send` and
formats the reply, and none of them re-implements binding, resuming or noticing "forget me".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import KneebotError, StoreError
from bot.ids import Triage
from bot.reading import SCAN_LIMIT
from bot.reply import Reply, ReplyKind

if TYPE_CHECKING:
    from bot.assistant import Assistant, Conversation

log = logging.getLogger(__name__)

# How much of a message `mentions_red_flag` reads: enough for any real message, while a flood of
# huge ones costs the throttled channel no more than this each.
RED_FLAG_SCAN_LIMIT = SCAN_LIMIT  # one limit: the core reads red flags in this much of any message


@dataclass(frozen=True)
class Turn:
    """One message sent on a session: the reply, and what happened to the session's conversation."""

    reply: Reply
    started: bool = False  # this message began a new conversation for the key
    forgotten: bool = False  # it asked to be forgotten: the conversation and the key's binding are gone


class Sessions:
    """The conversations behind channels' session keys, kept in the assistant's store."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def bound(self, channel: str, key: str) -> str | None:
        """The id of the conversation a session key holds, or None."""
        return self.assistant.store.bound(channel, key)

    def conversation(self, channel: str, key: str) -> tuple[Conversation, bool]:
        """The key's conversation, resumed, or a new one bound to it; True when new."""
        try:
            cid = self.bound(channel, key)
        except StoreError:  # the message is still read for red flags, on a conversation of its own
            log.exception("could not look up the session's conversation")
            return self.assistant.conversation(), False
        if cid is not None:
            try:
                return self.assistant.conversation(cid), False
            except (KneebotError, LookupError):
                log.info("conversation %s could not be resumed; starting a new one", cid)
        # Bound before the first message, so that "forget me" as that message unbinds it too.
        return self.restart(channel, key), True

    def send(self, channel: str, key: str, text: str) -> Turn:
        """Send one message on the key's conversation."""
        chat, started = self.conversation(channel, key)
        reply = chat.send(text)
        # "forget me": the core deleted the conversation and every binding to it.
        try:
            forgotten = self.bound(channel, key) != chat.id
        except StoreError:
            forgotten = False
        return Turn(reply, started, forgotten)

    def restart(self, channel: str, key: str) -> Conversation:
        """Bind the key to a new, empty conversation (the old one is left to the retention purge)."""
        chat = self.assistant.conversation()
        self.assistant.store.bind(channel, key, chat.id)
        return chat

    def forget(self, channel: str, key: str) -> None:
        """Delete everything stored for the key: its conversation, audit entries and bindings."""
        cid = self.bound(channel, key)
        if cid is not None:
            self.assistant.forget(cid)

    def forget_all(self, channel: str, pattern: str) -> int:
        """Delete every conversation bound to the channel's keys matching `pattern` (`*`: any run of
        characters), with all their bindings; returns how many keys were bound."""
        found = self.assistant.store.bindings(channel, pattern)
        for cid in set(found.values()):
            self.assistant.forget(cid)
        return len(found)

    def escalation(self, text: str) -> Reply | None:
        """The escalation the hand-written rules alone give a message, for when its turn failed: every
        flag they find (a doubt included: a miss is worse than a false alarm), or None."""
        try:
            rules, words = self.assistant.rules, self.assistant.templates
            flags = list(dict.fromkeys(d.rule for d in rules.scan(text[:RED_FLAG_SCAN_LIMIT]).detections))
            if not flags:
                return None
            level = Triage.SELF_CARE
            for flag in flags:
                level = level.raised_to(rules.rule(flag).triage)
            banner = words(f"escalate_banner.{level}")
            reason = ", ".join(words(f"flag_labels.{flag}") for flag in flags)
            return Reply(f"{banner}\n{words('escalate_because', reason=reason)}", level,
                         tuple(str(f) for f in flags), kind=ReplyKind.ESCALATION, escalation=banner)
        except Exception:
            log.exception("the red-flag rules could not read a failed turn's message")
            return None

    def mentions_red_flag(self, text: str) -> bool:
        """Whether a message may mention a red flag, so it must be read even when throttled."""
        try:
            return bool(self.assistant.detector.scan(text[:RED_FLAG_SCAN_LIMIT]).detections)
        except Exception:  # when in doubt, read it
            return True
