"""Mentions and threads: who is answered where, privately when it matters, and nothing lost to a
thread that refuses messages (dpytest for the gateway, with Discord's thread endpoints faked)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test.backend import FakeHttp, FakeRequest

# tests/ui is a plain folder (no __init__.py): pytest puts it on sys.path.
from discord_fixtures import (
    ADDED,
    RED_FLAG,
    SYMPTOM,
    discord_assistant,
    discord_index_dir,
    dm,
    grant,
    knee_bot,
    member,
    open_thread,
    public_bot,
    sent,
    someone_elses_thread,
    text_channel,
)

from ui.discord_bot import CHANNEL, KneeBot, dm_key, thread_key
from ui.discord_format import escalation_embed

__all__ = ["discord_assistant", "discord_index_dir", "knee_bot", "public_bot"]  # fixtures, used by name


def bound(bot: KneeBot, key: str) -> str | None:
    return bot.assistant.store.bound(CHANNEL, key)


def escalations(messages: list[discord.Message]) -> list[discord.Embed]:
    return [e for m in messages for e in m.embeds if e.title and "⚠" in e.title]


def text_of(messages: list[discord.Message]) -> str:
    return "\n".join(m.content for m in messages if m.content)


def in_channel(messages: list[discord.Message], channel: Any) -> list[discord.Message]:
    return [m for m in messages if m.channel.id == channel.id]


def count_lookups(bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    keys: list[str] = []
    real = bot.assistant.store.bound

    def spy(channel: str, key: str) -> str | None:
        keys.append(key)
        return real(channel, key)
    monkeypatch.setattr(bot.assistant.store, "bound", spy)
    return keys


def fail_sends(monkeypatch: pytest.MonkeyPatch, fail: Callable[[int], Exception | None]) -> None:
    """Make Discord refuse a message with the error `fail` gives for its channel id (None: send it)."""
    real = FakeHttp.send_message

    async def send_message(self: FakeHttp, channel_id: int, **kwargs: Any) -> Any:
        channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841 - dpytest reads its caller's `channel`
        error = fail(channel_id)
        if error is not None:
            raise error
        return await real(self, channel_id, **kwargs)
    monkeypatch.setattr(FakeHttp, "send_message", send_message)


# --- opening a thread ------------------------------------------------------------------------------------

async def test_a_mention_opens_a_private_neutrally_named_thread_and_follow_ups_continue_there(
        knee_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=channel, member=alice)
    out = sent()

    (thread,) = channel.guild.threads
    assert thread.type is discord.ChannelType.private_thread
    assert thread.name == "kneebot conversation" and "alice" not in thread.name.lower()
    assert (thread.id, alice.id) in ADDED, "the person must be added to their private thread"
    (link,) = in_channel(out, channel)
    assert thread.mention in link.content and SYMPTOM not in link.content
    assert in_channel(out, thread), "the answer belongs in the thread"
    cid = bound(knee_bot, thread_key(thread.id, alice.id))

    await dpytest.message("behind the knee, in the middle", channel=thread, member=alice)  # no mention
    assert in_channel(sent(), thread)
    assert knee_bot.assistant.store.load(cid)["turn"] == 2
    await dpytest.message(RED_FLAG, channel=thread, member=alice)
    assert escalations(sent())


async def test_the_public_setting_opens_a_public_thread_on_the_message(public_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    await dpytest.message(f"<@{public_bot.user.id}> {SYMPTOM}", channel=channel, member=alice)
    out = sent()
    (thread,) = channel.guild.threads
    assert thread.type is discord.ChannelType.public_thread and thread.name == "kneebot conversation"
    assert out and all(m.channel.id == thread.id for m in out)


async def test_a_bare_mention_gets_a_greeting_in_the_new_thread(knee_bot: KneeBot) -> None:
    thread = await open_thread(knee_bot, member("alice"), "")
    await dpytest.message(f"<@{knee_bot.user.id}>", channel=text_channel(), member=member("bob"))
    out = sent()
    assert "Tell me what you feel" in text_of(in_channel(out, text_channel().guild.threads[-1]))
    assert bound(knee_bot, thread_key(thread.id, member("alice").id)) is not None


async def test_a_mention_of_the_bots_managed_role_counts_as_a_mention(knee_bot: KneeBot) -> None:
    guild = text_channel().guild
    role = discord.Role(guild=guild, state=guild._state, data={
        "id": 888_888_888_888_888_888, "name": "kneebot", "permissions": "0", "position": 1, "color": 0, "hoist": False,
        "managed": True, "mentionable": False, "tags": {"bot_id": str(knee_bot.user.id)}})
    guild._add_role(role)
    assert guild.self_role == role
    await dpytest.message(f"<@&{role.id}> {SYMPTOM}", channel=text_channel(), member=member("alice"))
    (thread,) = guild.threads
    answer = text_of(in_channel(sent(), thread))
    assert answer and "<@&" not in answer


async def test_a_new_mention_says_that_earlier_advice_to_get_checked_still_stands(knee_bot: KneeBot) -> None:
    alice = member("alice")
    await dm(RED_FLAG, alice)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=text_channel(), member=alice)
    thread = text_channel().guild.threads[-1]
    out = in_channel(sent(), thread)
    assert "that advice still stands" in out[0].content
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=text_channel(), member=member("bob"))
    assert "still stands" not in text_of(sent()), "only the person's own earlier advice"


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
async def test_without_thread_permission_the_mention_is_told_which_one(knee_bot: KneeBot, public: bool) -> None:
    knee_bot.public_threads = public
    grant(create_private_threads=False, create_public_threads=False)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=text_channel(), member=member("alice"))
    (note,) = sent()
    assert ("Create Public Threads" if public else "Create Private Threads") in note.content
    assert "direct message" in note.content
    assert not text_channel().guild.threads


async def test_a_thread_creation_error_is_not_blamed_on_permissions(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def unavailable(self: FakeHttp, channel_id: int, **_: Any) -> Any:
        raise discord.DiscordServerError(FakeRequest(503, "Service Unavailable"), "upstream")
    monkeypatch.setattr(FakeHttp, "start_thread_without_message", unavailable)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=text_channel(), member=member("alice"))
    (note,) = sent()
    assert "HTTP 503" in note.content and "permission" not in note.content.lower()


async def test_a_server_message_without_a_mention_is_ignored(knee_bot: KneeBot) -> None:
    await dpytest.message(RED_FLAG, channel=text_channel(), member=member("alice"))
    assert sent() == []
    assert not text_channel().guild.threads


# --- others in the bot's thread ---------------------------------------------------------------------------

async def test_a_bystanders_chatter_in_the_bots_thread_is_left_alone(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    cid = bound(knee_bot, thread_key(thread.id, alice.id))
    await dpytest.message("same here, hamstrings are tight", channel=thread, member=bob)
    assert sent() == []
    assert knee_bot.assistant.store.load(cid)["turn"] == 1
    assert bound(knee_bot, thread_key(thread.id, bob.id)) is None


async def test_a_bystanders_red_flag_gets_the_escalation_privately(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    cid = bound(knee_bot, thread_key(thread.id, alice.id))
    await dpytest.message(RED_FLAG, channel=thread, member=bob)
    out = sent()

    assert not in_channel(out, thread), "nothing in the thread: it is answered privately"
    private = in_channel(out, await bob.create_dm())
    assert "someone else started" in private[0].content
    assert escalations(private)
    assert knee_bot.assistant.store.load(cid)["turn"] == 1, "alice's conversation is untouched"
    assert bound(knee_bot, dm_key(bob.id)) is not None
    assert escalations(await dm("what now?", bob)), "bob's own conversation holds the red flag"


async def test_a_bystander_who_cannot_be_messaged_gets_the_warning_in_the_thread(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = member("alice"), member("bob")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    closed = (await bob.create_dm()).id
    refused = discord.Forbidden(FakeRequest(403, "Forbidden"), {"code": 50007, "message": "Cannot send"})
    fail_sends(monkeypatch, lambda channel_id: refused if channel_id == closed else None)
    await dpytest.message(RED_FLAG, channel=thread, member=bob)
    out = in_channel(sent(), thread)
    assert escalations(out) and "couldn't send you a direct message" in text_of(out)


async def test_a_bystanders_mention_starts_their_own_conversation_in_that_thread(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    thread = await open_thread(knee_bot, alice, RED_FLAG)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=thread, member=bob)
    out = in_channel(sent(), thread)
    assert out and not escalations(out), "alice's red flag must not reach bob's conversation"
    mine = bound(knee_bot, thread_key(thread.id, bob.id))
    assert mine not in (None, bound(knee_bot, thread_key(thread.id, alice.id)))


# --- threads the bot did not open ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [discord.ChannelType.public_thread, discord.ChannelType.private_thread],
                         ids=["thread-or-forum-post", "private-thread"])
async def test_a_mention_inside_someone_elses_thread_is_answered_there(
        knee_bot: KneeBot, kind: discord.ChannelType) -> None:
    alice = member("alice")
    thread = someone_elses_thread(alice, kind)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=thread, member=alice)
    out = sent()
    assert out and all(m.channel.id == thread.id for m in out)
    assert not [t for t in text_channel().guild.threads if t.owner_id == knee_bot.user.id], "no new thread"
    cid = bound(knee_bot, thread_key(thread.id, alice.id))
    await dpytest.message(f"<@{knee_bot.user.id}> behind the knee", channel=thread, member=alice)
    assert in_channel(sent(), thread)
    assert knee_bot.assistant.store.load(cid)["turn"] == 2


async def test_messages_in_other_threads_cost_no_store_lookup(knee_bot: KneeBot,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    thread = someone_elses_thread(member("alice"))
    lookups = count_lookups(knee_bot, monkeypatch)
    for _ in range(3):
        await dpytest.message(SYMPTOM, channel=thread, member=member("bob"))
    assert sent() == [] and lookups == []


async def test_a_message_in_an_uncached_thread_is_answered_after_one_fetch(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = member("alice")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    guild = thread.guild
    guild._remove_thread(thread)  # as after a restart, for a thread Discord did not resend
    fetches: list[int] = []
    real = FakeHttp.get_channel

    async def get_channel(self: FakeHttp, channel_id: int) -> Any:
        fetches.append(channel_id)
        return await real(self, channel_id)
    monkeypatch.setattr(FakeHttp, "get_channel", get_channel)
    partial = knee_bot.get_partial_messageable(thread.id, guild_id=guild.id)
    for text in ("behind the knee", RED_FLAG):
        await dpytest.message(text, channel=partial, member=alice)
    out = sent()
    assert escalations(out) and all(m.channel.id == thread.id for m in out)
    assert fetches == [thread.id], "the owner of an uncached thread is fetched once"


# --- sending fails -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    discord.HTTPException(FakeRequest(400, "Bad Request"), {"code": 160005, "message": "Thread is locked"}),
    discord.DiscordServerError(FakeRequest(503, "Service Unavailable"), "upstream"),
], ids=["locked-thread", "5xx"])
async def test_a_reply_the_thread_refuses_reaches_the_person_privately(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch, error: Exception,
        caplog: pytest.LogCaptureFixture) -> None:
    alice = member("alice")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    fail_sends(monkeypatch, lambda channel_id: error if channel_id == thread.id else None)
    await dpytest.message(RED_FLAG, channel=thread, member=alice)
    out = sent()

    core = knee_bot.assistant.conversation().send(RED_FLAG)
    private = in_channel(out, await alice.create_dm())
    assert "couldn't post my answer" in private[0].content
    assert [e.title for e in escalations(private)] == [escalation_embed(core).title]
    assert "could not send in channel" in caplog.text


async def test_a_reply_failing_half_way_sends_the_rest_privately(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = member("alice")
    thread = await open_thread(knee_bot, alice, SYMPTOM)
    calls = [0]

    def second_fails(channel_id: int) -> Exception | None:
        calls[0] += channel_id == thread.id
        if channel_id == thread.id and calls[0] > 1:
            return discord.DiscordServerError(FakeRequest(502, "Bad Gateway"), "upstream")
        return None
    fail_sends(monkeypatch, second_fails)
    await dpytest.message(RED_FLAG, channel=thread, member=alice)
    out = sent()
    in_thread, private = in_channel(out, thread), in_channel(out, await alice.create_dm())
    assert len(in_thread) == 1 and escalations(in_thread), "the escalation came first"
    assert private and private[1:], "the rest of the reply follows in DMs"


async def test_greeting_only_bindings_and_restarted_keys_do_not_outlive_retention(knee_bot: KneeBot) -> None:
    alice = member("alice")
    await dm(RED_FLAG, alice)
    earlier = bound(knee_bot, dm_key(alice.id))
    greeted = await open_thread(knee_bot, alice, "")  # bound to a conversation nobody wrote in
    assert bound(knee_bot, thread_key(greeted.id, alice.id)) is not None

    knee_bot.assistant.store.purge(0)  # everything is past a retention of 0 days
    assert knee_bot.assistant.store.bindings(CHANNEL, f"*:{alice.id}") == {}
    assert knee_bot.assistant.store.load(earlier) is None
