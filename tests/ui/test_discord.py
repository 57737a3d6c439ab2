"""The Discord adapter, driven through discord.py's own event handlers (dpytest for messages)."""
from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

# tests/ui is a plain folder (no __init__.py): pytest puts it on sys.path.
from discord_fixtures import (
    RED_FLAG,
    REPO,
    SYMPTOM,
    FakeInteraction,
    discord_assistant,
    discord_index_dir,
    dm,
    grant,
    knee_bot,
    load_assistant,
    member,
    sent,
    shared_knee_bot,
    text_channel,
)

from bot.ids import Triage
from bot.reply import Citation, Reply
from ui import discord_bot
from ui.discord_bot import CHANNEL, KneeBot, Throttle, dm_key, thread_key
from ui.discord_format import MESSAGE_LIMIT, blocks, escalation_embed, format_reply, pack
from ui.discord_run import main

__all__ = ["discord_assistant", "discord_index_dir", "knee_bot", "shared_knee_bot"]  # fixtures, used by name


def bound(bot: KneeBot, key: str) -> str | None:
    return bot.assistant.store.bound(CHANNEL, key)


def escalations(messages: list[discord.Message]) -> list[discord.Embed]:
    return [e for m in messages for e in m.embeds if e.title and "⚠" in e.title]


def shown_text(messages: list[discord.Message]) -> str:
    return "\n".join(m.content for m in messages if m.content)


def squash(text: str) -> str:
    return " ".join(text.split())


# --- direct messages ---------------------------------------------------------------------------------

async def test_red_flag_dm_leads_with_an_escalation_embed_that_says_what_to_do(knee_bot: KneeBot) -> None:
    core = knee_bot.assistant.conversation().send(RED_FLAG)
    out = await dm(RED_FLAG, member("alice"))

    assert out, "the bot answered nothing"
    first = out[0].embeds[0]
    assert first.title == escalation_embed(core).title
    assert core.escalation and squash(core.escalation) in first.title  # words, not colour alone
    assert "cannot_bear_weight" in core.red_flags or "knee_instability" in core.red_flags
    assert squash(shown_text(out)) == squash(core.text)

    later = await dm("thanks", member("alice"))
    assert escalations(later), "the escalation must repeat while triage stays up"


async def test_ordinary_dm_gets_the_clarifying_question_and_no_escalation(knee_bot: KneeBot) -> None:
    out = await dm(SYMPTOM, member("alice"))
    core = knee_bot.assistant.conversation().send(SYMPTOM)

    assert core.question is not None
    assert core.question in shown_text(out)
    assert not escalations(out)
    assert all(len(m.content) <= MESSAGE_LIMIT for m in out)


async def test_two_users_never_share_a_conversation(knee_bot: KneeBot) -> None:
    alice, bob = member("alice"), member("bob")
    await dm(RED_FLAG, alice)
    bob_out = await dm(SYMPTOM, bob)

    a, b = bound(knee_bot, dm_key(alice.id)), bound(knee_bot, dm_key(bob.id))
    assert a and b and a != b
    assert not escalations(bob_out), "alice's red flag leaked into bob's conversation"
    assert escalations(await dm("ok", alice))


async def test_a_restart_resumes_the_conversation(knee_bot: KneeBot, discord_index_dir: Path,
                                                  tmp_path: Path) -> None:
    alice = member("alice")
    await dm(RED_FLAG, alice)
    before = bound(knee_bot, dm_key(alice.id))

    # A new process: a fresh assistant and bot over the same store file.
    again = discord_bot.build_bot(load_assistant(discord_index_dir, tmp_path / "kneebot.sqlite3"),
                                  sync_commands=False)
    try:
        out = await again.converse(dm_key(alice.id), "thanks")
        assert again.assistant.store.bound(CHANNEL, dm_key(alice.id)) == before
        assert out[0].embed is not None and out[0].embed.title.startswith("⚠️"), "the red flag was forgotten"
    finally:
        await again.close_core()


# --- mentions and threads ----------------------------------------------------------------------------

async def test_a_mention_opens_a_thread_and_follow_ups_there_continue_the_conversation(
        knee_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=channel, member=alice)
    first = sent()

    threads = channel.guild.threads
    assert len(threads) == 1, "a mention must open exactly one thread"
    thread = threads[0]
    assert first and all(m.channel.id == thread.id for m in first), "answers belong in the thread"
    cid = bound(knee_bot, thread_key(thread.id, alice.id))
    assert cid is not None

    await dpytest.message("behind the knee, in the middle", channel=thread, member=alice)  # no mention
    follow = sent()
    assert follow and all(m.channel.id == thread.id for m in follow)
    assert bound(knee_bot, thread_key(thread.id, alice.id)) == cid
    assert knee_bot.assistant.store.load(cid)["turn"] == 2

    await dpytest.message(RED_FLAG, channel=thread, member=alice)
    assert escalations(sent())


async def test_someone_else_in_the_thread_does_not_reach_its_conversation(knee_bot: KneeBot) -> None:
    alice, bob, channel = member("alice"), member("bob"), text_channel()
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=channel, member=alice)
    sent()
    thread = channel.guild.threads[0]
    cid = bound(knee_bot, thread_key(thread.id, alice.id))

    await dpytest.message(RED_FLAG, channel=thread, member=bob)
    assert sent() == []
    await dpytest.message(f"<@{knee_bot.user.id}> {RED_FLAG}", channel=thread, member=bob)
    (note,) = sent()
    assert "not following a conversation of yours" in note.content
    assert knee_bot.assistant.store.load(cid)["turn"] == 1
    assert bound(knee_bot, thread_key(thread.id, bob.id)) is None


async def test_a_server_message_without_a_mention_is_ignored(knee_bot: KneeBot) -> None:
    await dpytest.message(RED_FLAG, channel=text_channel(), member=member("alice"))
    assert sent() == []
    assert not text_channel().guild.threads


async def test_the_thread_handler_called_directly_continues_the_conversation(knee_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    await dpytest.message(f"<@{knee_bot.user.id}> {RED_FLAG}", channel=channel, member=alice)
    sent()
    thread = channel.guild.threads[0]
    message = dpytest.backend.make_message("is it serious?", alice, thread)
    await dpytest.run_all_events()
    sent()  # the dispatched copy already answered; now the handler itself, directly
    await knee_bot.on_thread_message(message)
    assert escalations(sent())


async def test_without_embed_links_the_escalation_still_shows_in_words(knee_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    grant(embed_links=False)
    await dpytest.message(f"<@{knee_bot.user.id}> {RED_FLAG}", channel=channel, member=alice)
    out = sent()

    core = knee_bot.assistant.conversation().send(RED_FLAG)
    assert not any(m.embeds for m in out)
    assert out[0].content.startswith(f"**{escalation_embed(core).title}**")


async def test_without_thread_permission_the_mention_gets_a_clear_answer(knee_bot: KneeBot) -> None:
    grant(create_public_threads=False)
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=text_channel(), member=member("alice"))
    (note,) = sent()
    assert "Create Public Threads" in note.content and "direct message" in note.content
    assert not text_channel().guild.threads


async def test_the_core_runs_off_the_event_loop(knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    turn = knee_bot._turn

    def spy(key: str, text: str) -> Reply:
        threads.append(threading.current_thread().name)
        return turn(key, text)
    monkeypatch.setattr(knee_bot, "_turn", spy)
    await dm(SYMPTOM, member("alice"))
    assert threads and threads[0].startswith("kneebot-core")
    assert threading.current_thread().name != threads[0]


# --- formatting ------------------------------------------------------------------------------------

def long_reply() -> Reply:
    """About 5,000 characters, shaped so that cutting by length alone would cut citations: a long
    paragraph that leaves too little room for the passage after it, and two passages in a row that
    do not fit one message together."""
    def cite(i: int, lines: int) -> Citation:
        return Citation(f"c{i}", "000_guidance.txt", f"Section {i}", "\n".join(
            f"Passage {i} line {n}: the hamstring crosses the knee, so a locked knee pulls on the tendon."
            for n in range(lines)))

    def quoted(c: Citation) -> list[str]:
        return ["> " + c.text.replace("\n", "\n> "), f"> — {c.section} ({c.source})"]

    cites = (cite(0, 6), cite(1, 11), cite(2, 11))
    lines = ["Opening paragraph. " + "This explains in plain words what the passage below says. " * 28]
    lines += quoted(cites[0])
    lines += ["Two passages follow."] + quoted(cites[1]) + quoted(cites[2])
    text = "\n".join(lines)
    while len(text) < 5000:
        text += "\nAnother paragraph of guidance, kept whole when the reply is split across messages."
    return Reply(text, Triage.SEEK_CARE, ("knee_instability",), None, cites,
                 escalation="Stop stretching this leg and get it checked")


def test_a_5000_character_reply_splits_at_paragraphs_and_never_inside_a_citation() -> None:
    reply = long_reply()
    assert len(reply.text) >= 5000
    out = format_reply(reply)

    assert out[0].embed is not None and out[0].content is None
    assert out[0].embed.title == "⚠️ Stop stretching this leg and get it checked"
    messages = [o.content for o in out[1:]]
    assert len(messages) >= 3
    assert all(m and len(m) <= MESSAGE_LIMIT for m in messages)
    assert squash(" ".join(messages)) == squash(reply.text), "text was lost or changed"
    paragraphs = set(reply.text.split("\n"))
    for m in messages:
        assert m.split("\n")[0] in paragraphs and m.split("\n")[-1] in paragraphs, "split inside a paragraph"
    for c in reply.citations:
        quoted = "> " + c.text.replace("\n", "\n> ") + f"\n> — {c.section} ({c.source})"
        assert sum(quoted in m for m in messages) == 1, f"citation {c.chunk_id} was cut"


def test_a_paragraph_longer_than_a_message_is_cut_at_sentences() -> None:
    text = "Short opener.\n" + "A sentence that goes on. " * 150
    messages = pack(blocks(text))
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert all(m.rstrip().endswith(".") for m in messages)
    assert squash(" ".join(messages)) == squash(text)


def test_an_escalation_without_a_core_title_still_says_what_to_do() -> None:
    reply = Reply("x", Triage.EMERGENCY, ("chest_pain_or_breathless",))
    embed = escalation_embed(reply)
    assert embed is not None and "emergency" in embed.title.lower()
    assert escalation_embed(Reply("x", Triage.SELF_CARE)) is None


async def test_a_long_reply_reaches_discord_as_several_messages_in_order(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    reply = long_reply()
    monkeypatch.setattr(knee_bot, "_turn", lambda key, text: reply)
    out = await dm("tell me everything", member("alice"))

    assert out[0].embeds and out[0].embeds[0].title.startswith("⚠️")
    assert [m.content for m in out[1:]] == [o.content for o in format_reply(reply)[1:]]


# --- slash commands (dpytest has none: the registered callbacks are called directly) -------------

def command(bot: KneeBot, name: str) -> Any:
    cmd = bot.tree.get_command(name)
    assert cmd is not None, f"/{name} is not registered"
    return cmd.callback


async def test_knee_defers_before_the_core_runs_and_is_ephemeral_in_a_server(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_core = knee_bot.core

    async def core(fn: Any, *args: Any) -> Any:
        order.append("core")
        return await real_core(fn, *args)
    monkeypatch.setattr(knee_bot, "core", core)
    alice = member("alice")
    interaction = FakeInteraction(user=alice, channel=text_channel(), guild=alice.guild)
    interaction.response.defer = _wrap(interaction.response.defer, lambda: order.append("defer"))

    await command(knee_bot, "knee")(interaction, message=RED_FLAG)

    assert order[0] == "defer", "Discord needs an answer within 3 s: defer before the core"
    assert interaction.calls[0][1] == {"ephemeral": True, "thinking": True}
    shown = interaction.sent()
    assert shown and all(kw["ephemeral"] for kw in shown)
    assert shown[0]["embed"] is not None and shown[0]["embed"].title.startswith("⚠️")
    assert sent() == [], "an ephemeral answer must not be posted in the channel"


def _wrap(fn: Any, before: Any) -> Any:
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        before()
        return await fn(*args, **kwargs)
    return wrapped


async def test_knee_continues_the_same_conversation_as_direct_messages(knee_bot: KneeBot) -> None:
    alice = member("alice")
    await dm(RED_FLAG, alice)
    channel = await alice.create_dm()
    interaction = FakeInteraction(user=alice, channel=channel, guild=None)
    await command(knee_bot, "knee")(interaction, message="what should I do?")

    assert interaction.calls[0][1]["ephemeral"] is False
    assert interaction.sent()[0]["embed"].title.startswith("⚠️")


def interaction_text(interaction: FakeInteraction) -> str:
    return "\n".join(kw["content"] for kw in interaction.sent() if kw.get("content"))


async def test_reset_starts_over_as_the_core_does(knee_bot: KneeBot) -> None:
    chat = knee_bot.assistant.conversation()
    chat.send(RED_FLAG)
    expected = chat.send("start over")
    alice = member("alice")
    await dm(RED_FLAG, alice)
    cid = bound(knee_bot, dm_key(alice.id))
    interaction = FakeInteraction(user=alice, channel=text_channel(), guild=alice.guild)
    await command(knee_bot, "reset")(interaction)

    assert interaction.names()[0] == "defer"
    assert all(kw["ephemeral"] for kw in interaction.sent())
    assert squash(interaction_text(interaction)) == squash(expected.text)
    assert bound(knee_bot, dm_key(alice.id)) == cid
    assert not escalations(await dm(SYMPTOM, alice))


async def test_forget_deletes_the_conversation_and_its_binding(knee_bot: KneeBot) -> None:
    alice = member("alice")
    await dm(SYMPTOM, alice)
    cid = bound(knee_bot, dm_key(alice.id))
    interaction = FakeInteraction(user=alice, channel=await alice.create_dm(), guild=None)
    await command(knee_bot, "forget")(interaction)

    assert interaction.names()[0] == "defer"
    assert "deleted" in interaction_text(interaction)
    assert bound(knee_bot, dm_key(alice.id)) is None
    assert knee_bot.assistant.store.load(cid) is None
    await dm(SYMPTOM, alice)
    assert bound(knee_bot, dm_key(alice.id)) not in (None, cid)


async def test_forget_in_a_thread_forgets_that_threads_conversation(knee_bot: KneeBot) -> None:
    alice, channel = member("alice"), text_channel()
    await dpytest.message(f"<@{knee_bot.user.id}> {SYMPTOM}", channel=channel, member=alice)
    sent()
    thread = channel.guild.threads[0]
    cid = bound(knee_bot, thread_key(thread.id, alice.id))
    await dm(SYMPTOM, alice)
    private = bound(knee_bot, dm_key(alice.id))
    interaction = FakeInteraction(user=alice, channel=thread, guild=alice.guild)
    await command(knee_bot, "forget")(interaction)

    assert knee_bot.assistant.store.load(cid) is None
    fresh = bound(knee_bot, thread_key(thread.id, alice.id))
    assert fresh != cid and knee_bot.assistant.store.load(fresh) is None, "the thread maps to an empty conversation"
    assert bound(knee_bot, dm_key(alice.id)) == private, "only the thread's conversation is forgotten"
    assert "stay on Discord" in interaction_text(interaction)


async def test_about_answers_at_once(knee_bot: KneeBot) -> None:
    alice = member("alice")
    interaction = FakeInteraction(user=alice, channel=text_channel(), guild=alice.guild)
    await command(knee_bot, "about")(interaction)
    ((what, kw, _),) = interaction.calls
    assert what == "send_message" and kw["ephemeral"] is True
    assert "not a diagnosis" in kw["embed"].description


# --- throttling --------------------------------------------------------------------------------------

def test_token_bucket_allows_a_burst_then_refills() -> None:
    now = [0.0]
    bucket = Throttle(burst=2, refill_seconds=10, clock=lambda: now[0])
    assert bucket.take(1) == 0 and bucket.take(1) == 0
    assert bucket.take(1) == pytest.approx(10)
    assert bucket.take(2) == 0, "another user has their own bucket"
    now[0] = 5
    assert bucket.take(1) == pytest.approx(5)
    now[0] = 10.5
    assert bucket.take(1) == 0


async def test_a_flood_gets_one_polite_notice_and_does_not_reach_the_core(knee_bot: KneeBot) -> None:
    now = [0.0]
    knee_bot.throttle = Throttle(burst=2, refill_seconds=30, clock=lambda: now[0])
    alice = member("alice")
    await dm(SYMPTOM, alice)
    await dm("behind the knee", alice)
    cid = bound(knee_bot, dm_key(alice.id))
    turns = knee_bot.assistant.store.load(cid)["turn"]

    (notice,) = await dm("it pulls when I stretch", alice)
    assert "wait about 30 seconds" in notice.content and "didn't read" in notice.content
    assert await dm("hello?", alice) == [], "the notice itself must not flood"
    assert knee_bot.assistant.store.load(cid)["turn"] == turns

    # A flood never hides a red flag: it is read and answered even while throttled.
    assert escalations(await dm(RED_FLAG, alice))
    assert knee_bot.assistant.store.load(cid)["turn"] == turns + 1

    now[0] = 31
    assert await dm("thanks", alice)


# --- running it --------------------------------------------------------------------------------------

def test_a_missing_token_exits_non_zero_with_a_clear_message(discord_assistant: Any,
                                                             capsys: pytest.CaptureFixture) -> None:
    for token in (None, "", "   "):
        assert main(discord_assistant, token) != 0
        assert "DISCORD_TOKEN" in capsys.readouterr().err


def test_a_rejected_token_exits_non_zero_without_logging_the_token(
        discord_assistant: Any, capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "MTIzNDU2.not-a-real-token.SECRET"

    async def static_login(self: Any, token: str) -> Any:
        raise discord.LoginFailure("Improper token has been passed.")
    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)
    closes = _spy_close(discord_assistant, monkeypatch)

    assert main(discord_assistant, secret) == 1
    captured = capsys.readouterr()
    assert "rejected" in captured.err
    assert secret not in captured.out + captured.err + caplog.text
    assert closes, "the store must be closed"


def test_an_unreachable_discord_exits_non_zero_with_a_clear_message(
        discord_assistant: Any, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    async def static_login(self: Any, token: str) -> Any:
        raise OSError("Name or service not known")
    monkeypatch.setattr(discord.http.HTTPClient, "static_login", static_login)

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
        discord_assistant: Any, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals) -> None:
    connected = threading.Event()

    async def login(self: KneeBot, token: str) -> None:
        await self._async_setup_hook()

    async def connect(self: KneeBot, *, reconnect: bool = True) -> None:
        connected.set()
        while not self.is_closed():
            await asyncio.sleep(0.02)
    monkeypatch.setattr(KneeBot, "login", login)
    monkeypatch.setattr(KneeBot, "connect", connect)
    closes = _spy_close(discord_assistant, monkeypatch)

    def send_signal() -> None:
        if connected.wait(10):
            os.kill(os.getpid(), sig)
    killer = threading.Thread(target=send_signal)
    killer.start()
    try:
        assert main(discord_assistant, "token") == 0
    finally:
        killer.join()
    assert any(name.startswith("kneebot-core") for name in closes), "the worker's connection stayed open"


def test_the_bot_asks_for_message_content_and_registers_its_commands(discord_assistant: Any) -> None:
    bot = discord_bot.build_bot(discord_assistant)
    assert bot.intents.message_content and bot.intents.dm_messages and bot.intents.guild_messages
    assert {c.name for c in bot.tree.get_commands()} == {"knee", "reset", "forget", "about"}
    knee = bot.tree.get_command("knee")
    assert [p.name for p in knee.parameters] == ["message"]


# --- channel parity ------------------------------------------------------------------------------------

BUILT_IN = ("built-in", (SYMPTOM, "behind the knee", RED_FLAG, "thanks", "start over", SYMPTOM))


def parity_dialogues() -> list[Any]:
    """The SPEC-format dialogues in tests/dialogues, plus one that always runs."""
    from bot.eval.dialogues import collect

    folder = REPO / "tests" / "dialogues"
    found = collect([folder]) if folder.is_dir() else []
    cases = [pytest.param(BUILT_IN[1], id=BUILT_IN[0])]
    cases += [pytest.param(tuple(t.user for t in d.turns), id=f"{Path(d.source).stem}:{d.id}") for d in found]
    return cases


@pytest.mark.parametrize("route", ["dm", "thread"])
@pytest.mark.parametrize("turns", parity_dialogues())
async def test_dialogues_reach_the_same_triage_and_red_flags_through_discord(
        shared_knee_bot: KneeBot, turns: tuple[str, ...], route: str) -> None:
    knee_bot = shared_knee_bot
    chat = knee_bot.assistant.conversation()
    expected = [chat.send(text) for text in turns]

    seen: list[Reply] = []
    render = knee_bot.render

    def spy(reply: Reply) -> Any:
        seen.append(reply)
        return render(reply)
    knee_bot.render = spy  # type: ignore[method-assign]

    alice, channel = member("alice"), text_channel()
    for n, (text, core) in enumerate(zip(turns, expected, strict=True)):
        if route == "dm":
            out = await dm(text, alice)
        elif n == 0:
            await dpytest.message(f"<@{knee_bot.user.id}> {text}", channel=channel, member=alice)
            out = sent()
        else:
            await dpytest.message(text, channel=channel.guild.threads[0], member=alice)
            out = sent()
        assert len(seen) == n + 1, f"turn {n}: the message did not reach the core"
        got = seen[n]
        where = f"turn {n} ({text!r})"
        assert Triage(got.triage) is Triage(core.triage), where
        assert tuple(got.red_flags) == tuple(core.red_flags), where
        assert got.question == core.question, where
        shown = escalations(out)
        want = escalation_embed(core)
        assert [e.title for e in shown] == ([want.title] if want else []), where
        assert squash(shown_text(out)) == squash(got.text), where
