"""Fixtures for the Discord channel: a real assistant on temporary state, a dpytest-driven bot with
threads (which dpytest lacks), slash commands dispatched as real interaction payloads through the
bot's CommandTree, and a fake Discord HTTP API on loopback for logging in."""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
import pytest_asyncio
from discord.ext.test import backend
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.config import Settings
from ui.discord_bot import KneeBot, Throttle, build_bot

REPO = Path(__file__).resolve().parents[2]
RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"
APPLICATION_ID = 4242
# What docs/discord.md asks the operator to grant (ui.discord_bot.PERMISSIONS).
BOT_PERMISSIONS = {"view_channel": True, "send_messages": True, "create_public_threads": True,
                   "create_private_threads": True, "send_messages_in_threads": True, "embed_links": True,
                   "read_message_history": True}
_ids = itertools.count(9_000_000_000)
THREADS: dict[int, dict[str, Any]] = {}  # every thread the fake Discord made, by id, cached or not


@pytest.fixture(scope="session")
def discord_index_dir(fast_settings: Settings) -> Path:
    """The session's hash-embedder index (root conftest), built once and shared."""
    return fast_settings.index_dir


def load_assistant(index_dir: Path, db_path: Path | str) -> Any:
    """The real assistant over the real corpus, with the fast hash embedder and its own store (a file
    or a postgresql:// URL)."""
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


# --- threads, as Discord makes them ----------------------------------------------------------------

def _thread(self: backend.FakeHttp, channel_id: int, thread_id: int, name: str, kind: discord.ChannelType,
            auto_archive_duration: int) -> dict[str, Any]:
    channel = self.state.get_channel(channel_id)
    allowed = channel.permissions_for(channel.guild.me)
    if not (allowed.create_private_threads if kind is discord.ChannelType.private_thread
            else allowed.create_public_threads):
        raise discord.Forbidden(backend.FakeRequest(403, "Missing Permissions"), "Missing Permissions")
    data: dict[str, Any] = {
        "id": thread_id, "type": kind.value, "guild_id": channel.guild.id, "parent_id": channel_id,
        "owner_id": self.state.user.id, "name": name, "last_message_id": None, "message_count": 0,
        "member_count": 1, "rate_limit_per_user": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                            "archive_timestamp": datetime.now(UTC).isoformat(), "locked": False},
    }
    THREADS[thread_id] = data
    channel.guild._add_thread(discord.Thread(guild=channel.guild, state=self.state, data=data))
    return data


async def _start_thread_with_message(self: backend.FakeHttp, channel_id: int, message_id: int, *, name: str,
                                     auto_archive_duration: int, **_: Any) -> dict[str, Any]:
    """Message.create_thread: a public thread whose id is the message's."""
    return _thread(self, channel_id, message_id, name, discord.ChannelType.public_thread, auto_archive_duration)


async def _start_thread_without_message(self: backend.FakeHttp, channel_id: int, *, name: str,
                                        auto_archive_duration: int, type: int, **_: Any) -> dict[str, Any]:
    """TextChannel.create_thread: a new thread of the type asked."""
    return _thread(self, channel_id, next(_ids), name, discord.ChannelType(type), auto_archive_duration)


async def _add_user_to_thread(self: backend.FakeHttp, channel_id: int, user_id: int) -> None:
    ADDED.append((channel_id, user_id))


async def _get_channel(self: backend.FakeHttp, channel_id: int) -> dict[str, Any]:
    """GET /channels/{id}, which also finds threads no longer in the cache."""
    if channel_id in THREADS:
        return THREADS[channel_id]
    return await _real_get_channel(self, channel_id)


ADDED: list[tuple[int, int]] = []  # (thread id, user id) for every member the bot added to a thread
_real_get_channel = backend.FakeHttp.get_channel


async def wired(assistant: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> AsyncIterator[KneeBot]:
    """The bot over `assistant` (with build_bot's `options`) wired to dpytest's fake Discord; closed after."""
    for name, fn in (("start_thread_with_message", _start_thread_with_message),
                     ("start_thread_without_message", _start_thread_without_message),
                     ("add_user_to_thread", _add_user_to_thread), ("get_channel", _get_channel)):
        monkeypatch.setattr(backend.FakeHttp, name, fn, raising=False)
    THREADS.clear()
    ADDED.clear()
    options = {"sync_commands": False, "throttle": Throttle(burst=1000), **options}
    bot = build_bot(assistant, intents=discord.Intents.all(), **options)
    await bot._async_setup_hook()
    with monkeypatch.context() as m:
        # dpytest refuses sharded clients by type only; its fake state drives one like any client.
        m.setattr(discord, "AutoShardedClient", type("NotSharded", (), {}))
        dpytest.configure(bot, members=["alice", "bob"])
    bot._connection.loop = asyncio.get_running_loop()  # dpytest's state predates discord.py 2.7's loop field
    bot._connection._command_tree = bot.tree  # dpytest replaced the state the tree registered on
    bot._connection.application_id = APPLICATION_ID
    grant(**BOT_PERMISSIONS)
    await dpytest.empty_queue()
    yield bot
    await dpytest.empty_queue()
    bot.ws = None  # dpytest's fake socket cannot report whether it is open
    await bot.close()


@pytest_asyncio.fixture
async def knee_bot(discord_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    """The bot (private threads) over a fresh real assistant, wired to dpytest's fake Discord with two members."""
    async for bot in wired(discord_assistant, monkeypatch):
        yield bot


@pytest_asyncio.fixture
async def public_bot(discord_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    """The same, set to open public threads."""
    async for bot in wired(discord_assistant, monkeypatch, public_threads=True):
        yield bot


@pytest_asyncio.fixture
async def shared_knee_bot(fast_assistant: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[KneeBot]:
    """The bot over the session's shared assistant, for the many parity dialogues (each conversation
    is new, so sharing the store is safe, and the per-test load is saved)."""
    async for bot in wired(fast_assistant, monkeypatch):
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


async def open_thread(bot: KneeBot, who: discord.Member, text: str) -> discord.Thread:
    """Mention the bot in the text channel; the thread it opened (its messages are drained)."""
    await dpytest.message(f"<@{bot.user.id}> {text}", channel=text_channel(), member=who)
    sent()
    return text_channel().guild.threads[-1]


def someone_elses_thread(owner: discord.Member, kind: discord.ChannelType = discord.ChannelType.public_thread
                         ) -> discord.Thread:
    """A thread a member opened (or a forum post), not the bot."""
    channel = text_channel()
    data = {"id": 5_000_000 + len(THREADS), "type": kind.value, "guild_id": channel.guild.id,
            "parent_id": channel.id, "owner_id": owner.id, "name": "my stretching log", "message_count": 0,
            "member_count": 2, "rate_limit_per_user": 0, "last_message_id": None,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False,
                                "archive_timestamp": datetime.now(UTC).isoformat()}}
    THREADS[data["id"]] = data
    thread = discord.Thread(guild=channel.guild, state=channel._state, data=data)
    channel.guild._add_thread(thread)
    return thread


# --- slash commands: real interaction payloads through the bot's CommandTree --------------------------

class RecordingAdapter(AsyncWebhookAdapter):
    """discord.py's webhook HTTP layer (interaction callbacks and followups) answering like Discord,
    recording each request's method, path and JSON body."""

    def __init__(self, bot: KneeBot, fail: dict[str, Exception] | None = None) -> None:
        super().__init__()
        self.bot, self.fail = bot, fail or {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    async def request(self, route: Any, session: Any, *, payload: dict[str, Any] | None = None,
                      **_: Any) -> Any:
        path = route.url.split("/api/v10", 1)[-1]
        self.requests.append((route.method, path, payload or {}))
        kind = "callback" if path.endswith("/callback") else "followup"
        if kind in self.fail:
            raise self.fail.pop(kind)
        if kind == "callback":
            return {"interaction": {"id": path.split("/")[2], "type": 2}}
        return {"id": str(next(_ids)), "channel_id": "1", "type": 0, "content": (payload or {}).get("content") or "",
                "author": {"id": str(self.bot.user.id), "username": "kneebot", "discriminator": "0000",
                           "avatar": None, "bot": True},
                "embeds": (payload or {}).get("embeds", []), "attachments": [], "mentions": [],
                "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False,
                "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None,
                "flags": (payload or {}).get("flags", 0)}

    def shown(self) -> list[dict[str, Any]]:
        """What the person saw: message responses and followups (JSON bodies), in order."""
        out = []
        for method, path, body in self.requests:
            if path.endswith("/callback") and body.get("type") == 4:
                out.append(body.get("data", {}))
            elif not path.endswith("/callback") and method == "POST":
                out.append(body)
        return out

    def text(self) -> str:
        """Every shown message's text, joined."""
        return "\n".join(m.get("content") or "" for m in self.shown())


def interaction_payload(bot: KneeBot, name: str, who: discord.Member, channel: Any,
                        options: dict[str, str] | None = None, app_permissions: int | None = None) -> dict[str, Any]:
    """What Discord's gateway sends (INTERACTION_CREATE) when `who` runs /name in `channel`."""
    user = {"id": str(who.id), "username": who.name, "discriminator": "0000", "avatar": None, "global_name": None}
    command = bot.tree.get_command(name)
    assert command is not None, f"/{name} is not registered"
    data: dict[str, Any] = {
        "id": str(next(_ids)), "application_id": str(APPLICATION_ID), "type": 2, "token": "interaction-token",
        "version": 1, "attachment_size_limit": 8_000_000, "locale": "en-US",
        "data": {"id": str(next(_ids)), "name": name, "type": 1,
                 "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]},
    }
    guild = getattr(channel, "guild", None)
    if guild is None:
        data.update(user=user, channel={"id": str(channel.id), "type": 1}, context=1)
    else:
        permissions = app_permissions if app_permissions is not None else channel.permissions_for(guild.me).value
        data.update(guild_id=str(guild.id), guild_locale="en-US", context=0, app_permissions=str(permissions),
                    channel={"id": str(channel.id), "type": channel.type.value},
                    member={"user": user, "roles": [], "joined_at": datetime.now(UTC).isoformat(), "deaf": False,
                            "mute": False, "flags": 0, "permissions": str(channel.permissions_for(who).value)})
    return data


async def invoke(bot: KneeBot, name: str, who: discord.Member, channel: Any, options: dict[str, str] | None = None,
                 *, adapter: RecordingAdapter | None = None, app_permissions: int | None = None) -> RecordingAdapter:
    """Dispatch /name as the gateway does (ConnectionState.parse_interaction_create) and wait for the
    CommandTree to finish with it; returns the HTTP requests it made."""
    adapter = adapter or RecordingAdapter(bot)
    token = async_context.set(adapter)
    try:
        before = asyncio.all_tasks()
        bot._connection.parse_interaction_create(
            interaction_payload(bot, name, who, channel, options, app_permissions))  # type: ignore[arg-type]
        tasks = [t for t in asyncio.all_tasks() - before if t.get_name() == "CommandTree-invoker"]
    finally:
        async_context.reset(token)
    assert tasks, "the CommandTree did not take the interaction"
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    await dpytest.run_all_events()
    return adapter


# --- a fake Discord HTTP API on loopback, for logging in and syncing commands ----------------------------

class FakeDiscordAPI:
    """Answers discord.py's REST calls like Discord; `token` is the only one it accepts. Records requests."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[tuple[str, str, str, Any]] = []  # method, path, Authorization header, JSON body
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                auth = self.headers.get("Authorization", "")
                api.requests.append((self.command, self.path, auth, body))
                status, reply = api.route(self.command, self.path, auth, body)
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v10"

    def route(self, method: str, path: str, auth: str, body: Any) -> tuple[int, Any]:
        """Discord's answer to one request."""
        if auth != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}
        bot_user = {"id": "777", "username": "kneebot", "discriminator": "0000", "avatar": None, "bot": True,
                    "flags": 0, "verified": True, "mfa_enabled": False}
        if path.endswith("/users/@me"):
            return 200, bot_user
        if path.endswith("/oauth2/applications/@me"):
            return 200, {"id": str(APPLICATION_ID), "name": "kneebot", "icon": None, "description": "",
                         "bot_public": True, "bot_require_code_grant": False, "verify_key": "k",
                         "owner": bot_user, "flags": 0}
        if path.endswith("/gateway/bot"):
            return 200, {"url": "wss://gateway.invalid", "shards": 3, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}
        if method == "PUT" and path.endswith(f"/applications/{APPLICATION_ID}/commands"):
            return 200, [{**c, "id": str(next(_ids)), "application_id": str(APPLICATION_ID), "version": "1",
                          "default_member_permissions": None, "dm_permission": True, "nsfw": False}
                         for c in body]
        return 404, {"message": "404: Not Found", "code": 0}


@pytest.fixture
def discord_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscordAPI]:
    """discord.py's REST calls go to a fake Discord API on loopback instead of discord.com."""
    api = FakeDiscordAPI("MTIz.the-good-token.SECRET-GOOD")
    monkeypatch.setattr(discord.http.Route, "BASE", api.url)
    serving = threading.Thread(target=api.server.serve_forever, daemon=True)
    serving.start()
    yield api
    api.server.shutdown()
    api.server.server_close()
