"""Running the bot: logging in against a fake Discord API, sharding, signals, and a shutdown that
finishes the reply in progress."""
from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import threading
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

# tests/ui is a plain folder (no __init__.py): pytest puts it on sys.path.
from discord_fixtures import (
    REPO,
    SYMPTOM,
    FakeDiscordAPI,
    discord_api,
    discord_assistant,
    discord_index_dir,
    knee_bot,
    member,
    sent,
)

from bot.errors import ConfigError
from bot.reply import Reply
from ui import discord_bot, discord_run
from ui.discord_bot import PERMISSIONS, KneeBot, invite_url
from ui.discord_run import main, options

__all__ = ["discord_api", "discord_assistant", "discord_index_dir", "knee_bot"]  # fixtures, used by name


def test_a_missing_token_exits_non_zero_with_a_clear_message(discord_assistant: Any,
                                                             capsys: pytest.CaptureFixture) -> None:
    for token in (None, "", "   "):
        assert main(discord_assistant, token) != 0
        assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_a_rejected_token_is_in_no_log_at_any_level(
        discord_assistant: Any, discord_api: FakeDiscordAPI, capsys: pytest.CaptureFixture,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "MTIzNDU2.not-the-good-token.SECRET"
    caplog.set_level(logging.DEBUG)  # every logger, every level
    closes = _spy_close(discord_assistant, monkeypatch)

    assert main(discord_assistant, secret) == 1
    captured = capsys.readouterr()
    assert "rejected" in captured.err
    assert [r for _, path, r, _ in discord_api.requests if path.endswith("/users/@me")] == [f"Bot {secret}"], \
        "the real login must have sent the token to (fake) Discord"
    assert any(r.name.startswith("discord.http") and r.levelno == logging.DEBUG for r in caplog.records), \
        "discord.py's debug logging must be captured too"
    logged = captured.out + captured.err + caplog.text + "".join(str(r.args) for r in caplog.records)
    assert secret not in logged and "SECRET" not in logged
    assert closes, "the store must be closed"


def test_an_unreachable_discord_exits_non_zero_with_a_clear_message(
        discord_assistant: Any, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    assert main(discord_assistant, "MTIz.fake.SECRET") == 1
    err = capsys.readouterr().err
    assert "could not reach Discord" in err and "SECRET" not in err


def _spy_close(assistant: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    threads: list[str] = []
    real = assistant.store.close

    def close() -> None:
        threads.append(threading.current_thread().name)
        real()
    monkeypatch.setattr(assistant.store, "close", close)
    return threads


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_shuts_down_cleanly_and_closes_the_store(
        discord_assistant: Any, discord_api: FakeDiscordAPI, monkeypatch: pytest.MonkeyPatch,
        sig: signal.Signals) -> None:
    connected = threading.Event()
    jobs: list[Any] = []

    async def connect(self: KneeBot, *, reconnect: bool = True) -> None:  # the gateway, which is not faked
        while not jobs or jobs[0].runs < 1:  # serving long enough for one periodic purge
            await asyncio.sleep(0.01)
        connected.set()
        while not self.is_closed():
            await asyncio.sleep(0.02)
    monkeypatch.setattr(KneeBot, "connect", connect)
    closes = _spy_close(discord_assistant, monkeypatch)

    def start_retention(store: Any, days: float) -> Any:
        jobs.append(real_start(store, days, interval=0.05))
        return jobs[-1]
    real_start = discord_run.start_retention
    monkeypatch.setattr(discord_run, "start_retention", start_retention)

    def send_signal() -> None:
        if connected.wait(10):
            os.kill(os.getpid(), sig)
    killer = threading.Thread(target=send_signal)
    killer.start()
    try:
        assert main(discord_assistant, discord_api.token) == 0
    finally:
        killer.join()
    assert connected.is_set()
    (job,) = jobs
    assert job.runs >= 1 and not job._thread.is_alive(), "the periodic purge ran while serving, and stopped"
    assert any(name.startswith("kneebot-core") for name in closes), "the worker's connection stayed open"


async def test_shutdown_sends_the_reply_in_progress_before_disconnecting(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    turn = knee_bot.turns._turn

    def slow(key: str, text: str) -> Reply:
        entered.set()
        release.wait(10)
        return turn(key, text)
    monkeypatch.setattr(knee_bot.turns, "_turn", slow)
    order: list[str] = []
    disconnect = discord.AutoShardedClient.close

    async def spy_disconnect(self: KneeBot) -> None:
        order.append("disconnect")
        await disconnect(self)
    monkeypatch.setattr(discord.AutoShardedClient, "close", spy_disconnect)

    alice = member("alice")
    message = asyncio.create_task(dpytest.message(SYMPTOM, channel=await alice.create_dm(), member=alice))
    while not entered.is_set():
        await asyncio.sleep(0.01)
    closing = asyncio.create_task(knee_bot.close())
    await asyncio.sleep(0.2)
    assert order == [] and knee_bot.turns.in_flight == 1, "closing must wait for the turn in flight"

    late = asyncio.create_task(dpytest.message("another one", channel=await alice.create_dm(), member=alice))
    release.set()
    await asyncio.gather(message, closing, late)
    out = sent()
    assert order == ["disconnect"]
    assert len([m for m in out if m.content]) >= 1, "the reply in progress was sent"
    cid = knee_bot.assistant.store.bound("discord", f"dm:{alice.id}")
    assert knee_bot.assistant.store.load(cid)["turn"] == 1, "a message after closing began is not taken"


# --- sharding and settings ------------------------------------------------------------------------------

def test_the_bot_is_an_auto_sharded_client_with_a_settable_shard_count(discord_assistant: Any) -> None:
    auto = discord_bot.build_bot(discord_assistant)
    assert isinstance(auto, discord.AutoShardedClient) and auto.shard_count is None
    assert discord_bot.build_bot(discord_assistant, **options("4")).shard_count == 4


@pytest.mark.parametrize("setting, expected", [(None, 3), ("2", 2)], ids=["automatic", "set"])
async def test_the_shards_launched_are_discords_count_or_the_setting(
        discord_assistant: Any, discord_api: FakeDiscordAPI, monkeypatch: pytest.MonkeyPatch,
        setting: str | None, expected: int) -> None:
    launched: list[int] = []

    async def launch_shard(self: KneeBot, gateway: Any, shard_id: int, *, initial: bool = False) -> None:
        launched.append(shard_id)  # the websocket itself is not faked
    monkeypatch.setattr(discord.AutoShardedClient, "launch_shard", launch_shard)
    bot = discord_bot.build_bot(discord_assistant, sync_commands=False, **options(setting))
    try:
        await bot.login(discord_api.token)
        await bot.launch_shards()
    finally:
        await bot.close()
    assert launched == list(range(expected))


def test_settings_are_checked_with_errors_that_name_them(discord_assistant: Any,
                                                         capsys: pytest.CaptureFixture) -> None:
    assert options() == {"public_threads": False}
    assert options("3", "public") == {"shard_count": 3, "public_threads": True}
    for bad in ("0", "-1", "two"):
        with pytest.raises(ConfigError, match="KNEEBOT_DISCORD_SHARDS"):
            options(bad)
    with pytest.raises(ConfigError, match="KNEEBOT_DISCORD_THREADS"):
        options(None, "secret")
    assert main(discord_assistant, "token", shards="many") == 2
    assert "KNEEBOT_DISCORD_SHARDS" in capsys.readouterr().err


def test_the_bot_asks_for_message_content_and_registers_its_commands(discord_assistant: Any) -> None:
    bot = discord_bot.build_bot(discord_assistant)
    assert bot.intents.message_content and bot.intents.dm_messages and bot.intents.guild_messages
    assert not bot.intents.members and not bot.intents.presences, "no privileged intent it does not need"
    assert {c.name for c in bot.tree.get_commands()} == {"knee", "reset", "forget", "about"}


def test_the_docs_give_the_invite_url_with_the_exact_scopes_and_permissions() -> None:
    docs = (REPO / "docs" / "discord.md").read_text(encoding="utf-8")
    assert invite_url(1234567).replace("1234567", "YOUR_APPLICATION_ID") in docs
    assert f"`{PERMISSIONS.value}`" in docs
    names = {"view_channel": "View Channels", "send_messages": "Send Messages", "embed_links": "Embed Links",
             "read_message_history": "Read Message History", "create_public_threads": "Create Public Threads",
             "create_private_threads": "Create Private Threads",
             "send_messages_in_threads": "Send Messages in Threads"}
    granted = {n for n, on in PERMISSIONS if on} - {"read_messages"} | {"view_channel"}
    assert granted == set(names)
    for label in names.values():
        assert f"**{label}**" in docs, label
    assert re.search(r"100 or more servers", docs), "the Message Content intent's approval"
    for setting in ("KNEEBOT_DISCORD_SHARDS", "KNEEBOT_DISCORD_THREADS"):
        assert setting in docs and setting in (REPO / "README.md").read_text(encoding="utf-8")
