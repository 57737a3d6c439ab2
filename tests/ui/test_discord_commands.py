"""Slash commands, dispatched as real interaction payloads through the bot's CommandTree (routing,
options, app_permissions and the tree's error handler all run), and synced at start-up."""
from __future__ import annotations

from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

# tests/ui is a plain folder (no __init__.py): pytest puts it on sys.path.
from discord_fixtures import (
    APPLICATION_ID,
    RED_FLAG,
    SYMPTOM,
    FakeDiscordAPI,
    RecordingAdapter,
    discord_api,
    discord_assistant,
    discord_index_dir,
    dm,
    invoke,
    knee_bot,
    member,
    open_thread,
    sent,
    someone_elses_thread,
    text_channel,
)

from bot.errors import StoreError
from ui import discord_bot
from ui.discord_bot import CHANNEL, KneeBot, Throttle, dm_key, thread_key

__all__ = ["discord_api", "discord_assistant", "discord_index_dir", "knee_bot"]  # fixtures, used by name

EPHEMERAL = 64  # Discord's message flag


def bound(bot: KneeBot, key: str) -> str | None:
    return bot.assistant.store.bound(CHANNEL, key)


def warned(adapter: RecordingAdapter) -> bool:
    return any(e.get("title", "").startswith("⚠️") for m in adapter.shown() for e in m.get("embeds", []))


def squash(text: str) -> str:
    return " ".join(text.split())


async def test_knee_defers_then_answers_privately_with_the_escalation(knee_bot: KneeBot) -> None:
    alice = member("alice")
    calls = await invoke(knee_bot, "knee", alice, text_channel(), {"message": RED_FLAG})

    method, path, body = calls.requests[0]
    assert path.endswith("/callback") and body["type"] == 5, "Discord needs an answer within 3 s: defer first"
    assert body["data"]["flags"] & EPHEMERAL
    shown = calls.shown()
    assert shown and all(m["flags"] & EPHEMERAL for m in shown)
    assert warned(calls)
    assert sent() == [], "an ephemeral answer must not be posted in the channel"
    assert bound(knee_bot, dm_key(alice.id)) is not None


async def test_knee_in_a_dm_continues_the_dm_conversation_publicly_there(knee_bot: KneeBot) -> None:
    alice = member("alice")
    await dm(RED_FLAG, alice)
    calls = await invoke(knee_bot, "knee", alice, await alice.create_dm(), {"message": "what should I do?"})
    assert not calls.requests[0][2].get("data", {}).get("flags")
    assert warned(calls), "the DM conversation's red flag must carry over to /knee"


async def test_without_embed_links_knee_shows_the_warning_as_text(knee_bot: KneeBot) -> None:
    no_embeds = discord.Permissions(send_messages=True, use_application_commands=True).value
    calls = await invoke(knee_bot, "knee", member("alice"), text_channel(), {"message": RED_FLAG},
                         app_permissions=no_embeds)
    assert not any(m.get("embeds") for m in calls.shown())
    assert calls.shown()[0]["content"].startswith("**⚠️")


async def test_a_throttled_knee_gets_a_private_notice_but_a_red_flag_still_gets_through(knee_bot: KneeBot) -> None:
    now = [0.0]
    knee_bot.throttle = Throttle(burst=1, refill_seconds=30, clock=lambda: now[0])
    alice = member("alice")
    await invoke(knee_bot, "knee", alice, text_channel(), {"message": SYMPTOM})
    cid = bound(knee_bot, dm_key(alice.id))
    turns = knee_bot.assistant.store.load(cid)["turn"]

    calls = await invoke(knee_bot, "knee", alice, text_channel(), {"message": "behind the knee"})
    ((_, _, body),) = calls.requests
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert "30 seconds" in body["data"]["content"]
    assert knee_bot.assistant.store.load(cid)["turn"] == turns

    assert warned(await invoke(knee_bot, "knee", alice, text_channel(), {"message": RED_FLAG}))
    assert knee_bot.assistant.store.load(cid)["turn"] == turns + 1


async def test_reset_starts_over_as_the_core_does(knee_bot: KneeBot) -> None:
    chat = knee_bot.assistant.conversation()
    chat.send(RED_FLAG)
    expected = chat.send("start over")
    alice = member("alice")
    await dm(RED_FLAG, alice)
    cid = bound(knee_bot, dm_key(alice.id))
    calls = await invoke(knee_bot, "reset", alice, text_channel())

    assert calls.requests[0][2]["type"] == 5
    assert squash(calls.text()) == squash(expected.text)
    assert "still stands" in calls.text()
    assert bound(knee_bot, dm_key(alice.id)) == cid


async def test_reset_in_my_thread_resets_that_threads_conversation(knee_bot: KneeBot) -> None:
    alice = member("alice")
    thread = await open_thread(knee_bot, alice, RED_FLAG)
    key = thread_key(thread.id, alice.id)
    assert bound(knee_bot, key) is not None
    await dm(SYMPTOM, alice)
    private = knee_bot.assistant.store.load(bound(knee_bot, dm_key(alice.id)))
    calls = await invoke(knee_bot, "reset", alice, thread)
    assert "still stands" in calls.text(), "the thread held the red flag"
    assert knee_bot.assistant.store.load(bound(knee_bot, dm_key(alice.id))) == private


async def test_reset_in_a_forum_post_resets_the_conversation_held_there(knee_bot: KneeBot) -> None:
    alice = member("alice")
    post = someone_elses_thread(alice)
    await dpytest.message(f"<@{knee_bot.user.id}> {RED_FLAG}", channel=post, member=alice)
    sent()
    calls = await invoke(knee_bot, "reset", alice, post)
    assert "still stands" in calls.text()
    assert bound(knee_bot, dm_key(alice.id)) is None, "not the private conversation"


async def test_forget_deletes_everything_about_the_person_and_says_so(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    await dm(SYMPTOM, alice)
    thread = await open_thread(knee_bot, alice, RED_FLAG)
    await open_thread(knee_bot, alice, "")  # a greeting-only binding
    await dm(SYMPTOM, bob)
    mine = [bound(knee_bot, dm_key(alice.id)), bound(knee_bot, thread_key(thread.id, alice.id))]
    audit_before = knee_bot.assistant.store.audit_log(mine[1])
    assert all(mine) and audit_before

    calls = await invoke(knee_bot, "forget", alice, text_channel())
    assert "deleted everything" in calls.text() and "3 conversation" in calls.text()
    assert knee_bot.assistant.store.bindings(CHANNEL, f"*:{alice.id}") == {}
    assert all(knee_bot.assistant.store.load(cid) is None for cid in mine)
    assert knee_bot.assistant.store.audit_log(mine[1]) == []
    assert bound(knee_bot, dm_key(bob.id)) is not None, "only the caller's conversations go"

    again = await invoke(knee_bot, "forget", alice, text_channel())
    assert "nothing stored" in again.text()


async def test_forget_in_someone_elses_thread_says_what_it_deleted(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    await dm(SYMPTOM, bob)
    calls = await invoke(knee_bot, "forget", bob, thread)
    assert "direct messages and threads" in calls.text(), "deleting the DM conversation must be said"
    assert bound(knee_bot, dm_key(bob.id)) is None
    assert bound(knee_bot, thread_key(thread.id, alice.id)) is not None, "alice's conversation stays"


async def test_a_store_error_while_resolving_a_command_is_answered(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    alice = member("alice")
    thread = await open_thread(knee_bot, alice, SYMPTOM)

    def broken(channel: str, key: str) -> str | None:
        raise StoreError("the conversation store x failed: disk I/O error")
    monkeypatch.setattr(knee_bot.assistant.store, "bound", broken)
    calls = await invoke(knee_bot, "reset", alice, thread)

    assert calls.requests[0][2]["type"] == 5
    assert "Something went wrong" in calls.text(), "the command must not stay 'thinking…'"
    assert "/reset failed" in caplog.text


async def test_a_failed_followup_is_logged_not_raised(knee_bot: KneeBot, caplog: pytest.LogCaptureFixture) -> None:
    from discord.ext.test.backend import FakeRequest

    failing = RecordingAdapter(knee_bot, fail={"followup": discord.DiscordServerError(FakeRequest(503, "x"), "x")})
    await invoke(knee_bot, "knee", member("alice"), text_channel(), {"message": SYMPTOM}, adapter=failing)
    assert "could not answer /knee" in caplog.text


async def test_about_answers_at_once_and_privately(knee_bot: KneeBot) -> None:
    calls = await invoke(knee_bot, "about", member("alice"), text_channel())
    ((_, _, body),) = calls.requests
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert "not a diagnosis" in body["data"]["embeds"][0]["description"]


async def test_start_up_logs_in_and_syncs_the_commands(discord_assistant: Any, discord_api: FakeDiscordAPI) -> None:
    bot = discord_bot.build_bot(discord_assistant)
    try:
        await bot.login(discord_api.token)
    finally:
        await bot.close()
    puts = [body for method, path, _, body in discord_api.requests
            if method == "PUT" and path.endswith(f"/applications/{APPLICATION_ID}/commands")]
    assert len(puts) == 1, "the commands must be registered once at start-up"
    names = {c["name"]: c for c in puts[0]}
    assert set(names) == {"knee", "reset", "forget", "about"}
    assert [o["name"] for o in names["knee"]["options"]] == ["message"]
    assert names["knee"]["options"][0]["required"] is True


async def test_a_failed_sync_still_starts_the_bot(discord_assistant: Any, discord_api: FakeDiscordAPI,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(discord_api, "route", lambda *a: (500, {"message": "x"}) if a[0] == "PUT"
                        else FakeDiscordAPI.route(discord_api, *a))
    monkeypatch.setattr("asyncio.sleep", _no_sleep)  # discord.py retries a 5xx with back-off
    bot = discord_bot.build_bot(discord_assistant)
    try:
        await bot.login(discord_api.token)
    finally:
        await bot.close()
    assert "could not register the slash commands" in caplog.text


_real_sleep = __import__("asyncio").sleep


async def _no_sleep(delay: float, *args: Any) -> Any:
    return await _real_sleep(0, *args)


def test_dpytest_is_the_version_these_fakes_follow() -> None:
    assert dpytest.__version__.startswith("0.7"), "the thread and interaction fakes follow dpytest 0.7"
