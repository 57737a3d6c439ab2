"""The core behind the Discord bot: one worker thread, one turn per session key at a time, and a
shutdown that waits for the turns in flight.

The core blocks, so every call into it runs on one worker thread: the event loop never waits on it,
turns reach the core one at a time, and the store's per-thread connection is closed on that same
thread. A turn is "in flight" from the message's arrival until its reply is sent; `drain` lets those
finish before the connection closes, and refuses new ones meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

from bot.ids import Triage
from bot.reply import Reply
from bot.session import Sessions
from bot.state import DialogueState
from ui import discord_format as fmt
from ui.discord_format import Outgoing, notice

log = logging.getLogger("ui.discord_bot")
T = TypeVar("T")

CHANNEL = "discord"


class Closing(Exception):
    """The bot is shutting down and takes no new turns."""


def dm_key(user_id: int) -> str:
    """The store key of a person's private conversation (DMs and /knee in servers)."""
    return f"dm:{user_id}"


def thread_key(thread_id: int, user_id: int) -> str:
    """The store key of the conversation a person holds in a thread."""
    return f"thread:{thread_id}:{user_id}"


def person_pattern(user_id: int) -> str:
    """The store-key pattern of everything a person holds on Discord: their DM and every thread."""
    return f"*:{user_id}"


class Turns:
    """Turns of conversations for the bot, off the event loop and one per key at a time."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant
        self.sessions = Sessions(assistant)
        self.closing = False
        self._core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kneebot-core")
        self._core_closed = False
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._in_flight = 0

    async def core(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call into the core on the worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._core, fn, *args)

    @asynccontextmanager
    async def holding(self, key: str) -> AsyncIterator[None]:
        """Hold the key's turn, counted as in flight until the block (which sends the reply) ends."""
        if self.closing:
            raise Closing
        self._in_flight += 1
        try:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = asyncio.Lock()
            async with lock:
                yield
        finally:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        """How many turns are being answered now."""
        return self._in_flight

    async def drain(self, timeout: float) -> None:
        """Refuse new turns and wait (at most `timeout` seconds) until those in flight are sent."""
        self.closing = True
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._in_flight:
            log.warning("shutting down with %d turn(s) still unanswered", self._in_flight)

    # --- turns -------------------------------------------------------------------------------------
    def _turn(self, key: str, text: str) -> Reply:
        turn = self.sessions.send(CHANNEL, key, text)
        if turn.forgotten and key.startswith("thread:"):
            # The thread stays the person's, now mapped to an empty conversation so they can carry on there.
            self.sessions.restart(CHANNEL, key)
        return turn.reply

    def label(self, flag: str) -> str:
        """The reviewed label of a red flag (plain words if the label cannot be read)."""
        templates = getattr(self.assistant, "templates", None)
        try:
            return str(templates(f"flag_labels.{flag}")) if templates else fmt.flag_label(flag)
        except Exception:  # a missing label must never stop an escalation from showing
            return fmt.flag_label(flag)

    def render(self, reply: Reply) -> list[Outgoing]:
        """The Discord messages for one reply."""
        return fmt.format_reply(reply, labels=self.label)

    async def converse(self, key: str, text: str) -> list[Outgoing]:
        """One turn of the conversation behind `key`, as messages to send; a failed turn that mentions a
        red flag still gets the escalation the rules alone give it."""
        try:
            reply = await self.core(self._turn, key, text)
        except Exception:
            log.exception("a turn failed for %s", key)
            fallback = self.sessions.escalation(text)
            return [*(self.render(fallback) if fallback else []), *notice(fmt.FAILED)]
        return self.render(reply)

    def begin(self, key: str, user_id: int) -> bool:
        """Bind the key to a new conversation; True when an earlier one of the person's had advised care."""
        earlier = self.highest_triage(user_id)
        self.sessions.restart(CHANNEL, key)
        return earlier.rank >= Triage.SEEK_CARE.rank

    def highest_triage(self, user_id: int) -> Triage:
        """The highest triage among the conversations the person holds on Discord."""
        level = Triage.SELF_CARE
        for cid in set(self.assistant.store.bindings(CHANNEL, person_pattern(user_id)).values()):
            stored = self.assistant.store.load(cid)
            if stored:
                level = level.raised_to(DialogueState.from_dict(stored).level)
        return level

    def forget_person(self, user_id: int) -> int:
        """Delete every conversation the person holds on Discord and its binding; how many."""
        return self.sessions.forget_all(CHANNEL, person_pattern(user_id))

    async def close(self) -> None:
        """Close the store on the worker thread that used it, then stop the worker."""
        if self._core_closed:
            return
        self._core_closed = True
        store = self.assistant.store
        with suppress(Exception):
            await asyncio.get_running_loop().run_in_executor(self._core, store.close)
        self._core.shutdown(wait=False)
        store.close()
