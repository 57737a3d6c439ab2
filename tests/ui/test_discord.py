"""The Discord adapter, driven through discord.py's own event handlers (dpytest for messages)."""
from __future__ import annotations

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
    discord_assistant,
    discord_index_dir,
    dm,
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
from ui.discord_bot import CHANNEL, KneeBot, Throttle, dm_key
from ui.discord_format import MESSAGE_LIMIT, blocks, escalation_embed, format_reply, pack

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
        out = await again.turns.converse(dm_key(alice.id), "thanks")
        assert again.assistant.store.bound(CHANNEL, dm_key(alice.id)) == before
        assert out[0].embed is not None and out[0].embed.title.startswith("⚠️"), "the red flag was forgotten"
    finally:
        await again.close_core()


# --- the core ------------------------------------------------------------------------------------------

async def test_the_core_runs_off_the_event_loop(knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    turn = knee_bot.turns._turn

    def spy(key: str, text: str) -> Reply:
        threads.append(threading.current_thread().name)
        return turn(key, text)
    monkeypatch.setattr(knee_bot.turns, "_turn", spy)
    await dm(SYMPTOM, member("alice"))
    assert threads and threads[0].startswith("kneebot-core")
    assert threading.current_thread().name != threads[0]


def _broken(key: str, text: str) -> Reply:
    raise RuntimeError("the index could not be read")


async def test_a_failed_turn_that_mentions_a_red_flag_still_gets_the_escalation(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(knee_bot.turns, "_turn", _broken)
    out = await dm(RED_FLAG, member("alice"))

    (warning,) = escalations(out)
    assert "get evaluated" in warning.title, "the rules' own advice for a can't-bear-weight report"
    assert "weight" in warning.description.lower()
    assert "Something went wrong" in shown_text(out)
    assert "a turn failed" in caplog.text and RED_FLAG not in caplog.text, "health text never logged"


async def test_a_failed_ordinary_turn_says_so_without_a_false_alarm(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(knee_bot.turns, "_turn", _broken)
    out = await dm(SYMPTOM, member("alice"))
    assert not escalations(out)
    assert "Something went wrong" in shown_text(out)


async def test_a_failed_turn_in_a_thread_still_escalates_there(
        knee_bot: KneeBot, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = member("alice")
    monkeypatch.setattr(knee_bot.turns, "_turn", _broken)
    await dpytest.message(f"<@{knee_bot.user.id}> {RED_FLAG}", channel=text_channel(), member=alice)
    thread = text_channel().guild.threads[0]
    assert escalations([m for m in sent() if m.channel.id == thread.id])


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
    monkeypatch.setattr(knee_bot.turns, "_turn", lambda key, text: reply)
    out = await dm("tell me everything", member("alice"))

    assert out[0].embeds and out[0].embeds[0].title.startswith("⚠️")
    assert [m.content for m in out[1:]] == [o.content for o in format_reply(reply)[1:]]


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
    render = knee_bot.turns.render

    def spy(reply: Reply) -> Any:
        seen.append(reply)
        return render(reply)
    knee_bot.turns.render = spy  # type: ignore[method-assign]

    alice, channel = member("alice"), text_channel()
    for n, (text, core) in enumerate(zip(turns, expected, strict=True)):
        if route == "dm":
            out = await dm(text, alice)
        elif n == 0:
            await dpytest.message(f"<@{knee_bot.user.id}> {text}", channel=channel, member=alice)
            out = [m for m in sent() if m.channel.id != channel.id]  # not the link to the thread
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
