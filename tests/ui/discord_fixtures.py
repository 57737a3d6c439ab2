"""Fixtures for the Discord channel: a real assistant on temporary state, a dpytest-driven bot,
public threads (which dpytest lacks) and minimal slash-command interactions."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext.test import backend

from bot.config import Settings
from ui.discord_bot import KneeBot, Throttle, build_bot

REPO = Path(__file__).resolve().parents[2]
RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"
# What docs/discord.md asks the operator to grant, plus Embed Links (on by default in servers).
BOT_PERMISSIONS = {"send_messages": True, "create_public_threads": True, "send_messages_in_threads": True,
                   "use_application_commands": True, "embed_links": True}


@pytest.fixture(scope="session")
def discord_index_dir(fast_settings: Settings) -> Path:
    """The session's hash-embedder index (root conftest), built once and shared."""
    return fast_settings.index_dir


def load_assistant(index_dir: Path, db_path: Path) -> Any:
    """The real assistant over the real corpus, with the fast hash embedder and its own store."""
    from bot import Assistant
    from bot.guidance.embedding import HashEmbedder

    settings = Settings(corpus_dir=REPO / "corpus", index_dir=index_dir, db_path=db_path)
    return Assistant.load(settings=settings, embedder=HashEmbedder())


@pytest.fixture
def discord_assistant(discord_index_dir: Path, tmp_path: Path) -> Any:
    """A fresh real assistant per test; its store is closed afterwards."""
    assistant = load_assistant(discord_index_dir, tmp_path / "kneebot.sqlite3")
    yield assistant
    assistant.store.close()


async def _start_thread_with_message(self: backend.FakeHttp, channel_id: int, message_id: int, *, name: str,
                                     auto_archive_duration: int, rate_limit_per_user: int | None = None,
                                     reason: str | None = None) -> dict[str, Any]:
    """What Discord does for Message.create_thread: a public thread whose id is the message's."""
    channel = self.state.get_channel(channel_id)
    if not channel.permissions_for(channel.guild.me).create_public_threads:
        raise discord.Forbidden(backend.FakeRequest(403, "Missing Permissions"), "Missing Permissions")
    data: dict[str, Any] = {
        "id": message_id, "type": discord.ChannelType.public_thread.value, "guild_id": channel.guild.id,
        "parent_id": channel_id, "owner_id": self.state.user.id, "name": name, "last_message_id": None,
        "message_count": 0, "member_count": 1, "rate_limit_per_user": rate_limit_per_user or 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                            "archive_timestamp": datetime.now(UTC).isoformat(), "locked": False},
    }
    channel.guild._add_thread(discord.Thread(guild=channel.guild, state=self.state, data=data))
    return data


async def _wired(assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    monkeypatch.setattr(backend.FakeHttp, "start_thread_with_message", _start_thread_with_message,
                        raising=False)
    bot = build_bot(assistant, intents=discord.Intents.all(), sync_commands=False,
                    throttle=Throttle(burst=1000))
    await bot._async_setup_hook()
    dpytest.configure(bot, members=["alice", "bob"])
    bot._connection.loop = asyncio.get_running_loop()  # dpytest's state predates discord.py 2.7's loop field
    grant(**BOT_PERMISSIONS)
    await dpytest.empty_queue()
    yield bot
    await dpytest.empty_queue()
    bot.ws = None  # dpytest's fake socket cannot report whether it is open
    await bot.close()


@pytest_asyncio.fixture
async def knee_bot(discord_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    """The bot over a fresh real assistant, wired to dpytest's fake Discord with two members."""
    async for bot in _wired(discord_assistant, monkeypatch):
        yield bot


@pytest_asyncio.fixture
async def shared_knee_bot(fast_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    """The same over the session's shared assistant, for the many parity dialogues (each conversation
    is new, so sharing the store is safe, and the per-test load is saved)."""
    async for bot in _wired(fast_assistant, monkeypatch):
        yield bot


def grant(**permissions: bool) -> None:
    """Set what everyone, the bot included, may do in the server (dpytest's member overrides are
    ignored by discord.py 2.7, and its default role predates threads)."""
    guild = dpytest.get_config().guilds[0]
    value = guild.default_role.permissions
    value.update(**permissions)
    backend.update_role(guild.default_role, permissions=value.value)


def sent() -> list[discord.Message]:
    """Every message the bot sent since the last call, oldest first."""
    out = []
    while not dpytest.sent_queue.empty():
        out.append(dpytest.sent_queue.get_nowait())
    return out


def member(name: str) -> discord.Member:
    """A configured member by name."""
    return next(m for m in dpytest.get_config().members if m.name == name)


def text_channel() -> discord.TextChannel:
    """The configured server text channel."""
    return dpytest.get_config().channels[0]


async def dm(content: str, who: discord.Member) -> list[discord.Message]:
    """Send the bot a direct message; the bot's answers."""
    channel = await who.create_dm()
    await dpytest.message(content, channel=channel, member=who)
    return sent()


@dataclass
class FakeInteraction:
    """The parts of a discord.Interaction the slash-command handlers use, recording every call."""

    user: discord.abc.User
    channel: Any
    guild: discord.Guild | None = None
    calls: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.response = _Response(self)
        self.followup = _Followup(self)

    def record(self, what: str, **kwargs: Any) -> None:
        self.calls.append((what, kwargs, time.monotonic()))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def sent(self) -> list[dict[str, Any]]:
        """Everything shown to the person: the direct response and followups, in order."""
        return [kw for what, kw, _ in self.calls if what in ("send_message", "followup")]


class _Response:
    def __init__(self, owner: FakeInteraction) -> None:
        self.owner, self.done = owner, False

    def is_done(self) -> bool:
        return self.done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self.done, "an interaction can be answered once"
        self.done = True
        self.owner.record("defer", ephemeral=ephemeral, thinking=thinking)

    async def send_message(self, content: str | None = None, *, embed: discord.Embed | None = None,
                           ephemeral: bool = False) -> None:
        assert not self.done, "an interaction can be answered once"
        assert content is None or len(content) <= 2000
        self.done = True
        self.owner.record("send_message", content=content, embed=embed, ephemeral=ephemeral)


class _Followup:
    def __init__(self, owner: FakeInteraction) -> None:
        self.owner = owner

    async def send(self, content: str | None = None, *, embed: discord.Embed | None = None,
                   ephemeral: bool = False) -> None:
        assert self.owner.response.done, "a followup needs a deferred or answered interaction"
        assert content is None or len(content) <= 2000
        self.owner.record("followup", content=content, embed=embed, ephemeral=ephemeral)
