"""Fuzzing the whole conversation: whatever arrives, a sensible reply and red flags still caught.

The strategies here are also used by benchmarks/fuzz_conversations.py for the 10,000-conversation run.
"""
from __future__ import annotations

import string
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import RedFlag, Triage
from bot.reply import Reply

RED = "my knee gave way and I can't put weight on it"
RED_FLAGS = {RedFlag.KNEE_INSTABILITY, RedFlag.CANNOT_BEAR_WEIGHT}
EMOJI = ["😀", "🦵", "🦵🏽", "👨‍👩‍👧‍👦", "❤️", "🏳️‍🌈", "🔥", "🤕", "🇬🇧", "\U0001faa6"]
FOREIGN = ["膝が痛い", "Мне больно под коленом", "ألم خلف الركبة", "मेरे घुटने में दर्द है", "무릎이 아파요",
           "Me duele detrás de la rodilla", "Mein Knie tut weh", "Πονάει το γόνατό μου", "כואבת לי הברך", "膝盖后面疼"]
MARKUP = ["<script>alert(1)</script>", "**bold** _it_", "# Heading\n\n- item", "```\nprint('x')\n```",
          "[link](javascript:alert(1))", "<img src=x onerror=alert(1)>", "| a | b |\n|---|---|", "> quoted",
          "&amp; &lt;b&gt;", "{reply} {0} %s %(name)s", "'); DROP TABLE conversations; --", "<b>", "</div>"]
PHRASES = ["yes", "no", "not sure", "skip", "I don't know", "why?", "start over", "forget me", "hi", "thanks",
           "what do you know about me", "what is a Baker's cyst?", "I feel a pull behind my knee when I stretch",
           "burning behind my knee when I touch my toes", "no swelling", "what if it swells?", "ok", RED,
           "sharp pain inside my knee when I twist", "it's been hurting for two weeks"]
CONTROL = st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Zs"))
# No ASCII letters: noise that cannot spell a negation, a hedge or "my friend" around the red flag.
NO_LATIN = st.characters(exclude_characters=string.ascii_letters, exclude_categories=("Cs",))
# Lone surrogates: a JSON body from a browser or Discord can carry "\ud800" into a Python str.
SURROGATES = st.characters(categories=("Cs",))
RESETS = ("start", "begin", "restart", "reset", "new", "forget", "delete")


def _repeat(piece: str, size: int) -> str:
    return (piece * (size // max(1, len(piece)) + 1))[:size] if piece else "x" * size


def messages(max_chars: int = 200_000) -> st.SearchStrategy[str]:
    """Random messages: unicode (lone surrogates too), control characters, emoji, other languages,
    markup, the bot's own commands, and huge messages built by repetition."""
    atoms = st.one_of(
        st.text(max_size=80),
        st.builds("".join, st.lists(st.one_of(st.text(max_size=8), SURROGATES), max_size=6)),
        st.text(alphabet=CONTROL, max_size=20),
        st.sampled_from(EMOJI), st.sampled_from(FOREIGN), st.sampled_from(MARKUP), st.sampled_from(PHRASES),
    )
    mixed = st.lists(atoms, min_size=1, max_size=6).map(" ".join)
    sizes = st.sampled_from(sorted({n for n in (4_001, 20_000, 100_000, max_chars) if n <= max_chars}))
    huge = st.builds(_repeat, st.one_of(st.sampled_from(["a b ", "膝 ", "x", "😀", "<b>", "\x00", RED + " "]),
                                        st.text(min_size=1, max_size=8)), sizes)
    return st.one_of(atoms, mixed, mixed, huge) if max_chars else st.one_of(atoms, mixed)


def conversations(max_chars: int = 200_000) -> st.SearchStrategy[list[str]]:
    """A conversation of one to six random messages."""
    return st.lists(messages(max_chars), min_size=1, max_size=6)


def noise(max_size: int = 200) -> st.SearchStrategy[str]:
    """Noise to wrap a red-flag sentence in: no English words, anything else goes."""
    return st.one_of(st.text(alphabet=NO_LATIN, max_size=max_size), st.sampled_from(EMOJI),
                     st.sampled_from(FOREIGN), st.text(alphabet=CONTROL, max_size=10))


def reply_problems(assistant, reply: Reply, previous: Reply | None, message: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with a reply, as readable strings (empty when it is sensible)."""
    problems = []
    if not isinstance(reply.text, str) or not reply.text.strip():
        problems.append(f"empty reply text {reply.text!r}")
    if reply.triage not in set(Triage):
        problems.append(f"invalid triage {reply.triage!r}")
    unknown = set(reply.red_flags) - set(RedFlag)
    if unknown:
        problems.append(f"unknown red flags {unknown}")
    needed = max((assistant.rules.rule(RedFlag(f)).triage.rank for f in reply.red_flags if f in set(RedFlag)),
                 default=0)
    if Triage(reply.triage).rank < needed:
        problems.append(f"triage {reply.triage} below what red flags {reply.red_flags} require")
    if Triage(reply.triage).rank >= Triage.SEEK_CARE.rank and not reply.escalation:
        problems.append("raised triage without an escalation")
    if reply.question is not None and reply.question not in reply.text:
        problems.append("question not shown in the text")
    chunks = {(c.id, c.source, c.text) for c in assistant.retriever.chunks}
    problems += [f"citation {c.chunk_id} is not a corpus chunk" for c in reply.citations
                 if (c.chunk_id, c.source, c.text) not in chunks]
    reset = any(word in message.lower() for word in RESETS)
    if previous is not None and not reset:
        if Triage(reply.triage).rank < Triage(previous.triage).rank:
            problems.append(f"triage went down {previous.triage} -> {reply.triage}")
        if not set(previous.red_flags) <= set(reply.red_flags):
            problems.append(f"red flags withdrawn {previous.red_flags} -> {reply.red_flags}")
    return problems


def run_conversation(assistant, turns: list[str], grounding=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Send every turn; the problems found (exceptions propagate)."""
    chat = assistant.conversation()
    previous = None
    problems = []
    for i, message in enumerate(turns):
        reply = chat.send(message)
        problems += [f"turn {i}: {p}" for p in reply_problems(assistant, reply, previous, message)]
        if grounding is not None:
            problems += [f"turn {i}: ungrounded line {line!r}" for line in grounding.ungrounded(reply.text)]
        previous = reply
    return problems


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


@FUZZ
@given(turns=conversations(max_chars=20_000))
def test_random_conversations_get_sensible_grounded_replies(fast_assistant, grounding, turns):
    assert run_conversation(fast_assistant, turns, grounding) == []


@pytest.mark.parametrize("piece, size", [("x", 4_001), ("😀", 200_000), ("<p>**", 200_000), ("a b ", 20_000)])
def test_an_over_long_message_gets_a_polite_reply(fast_assistant, piece, size):
    reply = fast_assistant.conversation().send(_repeat(piece, size))
    assert "longer than I can read" in reply.text and not reply.red_flags
    assert reply.triage == Triage.SELF_CARE


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(piece=st.sampled_from(["a b ", "膝 ", "😀", "<p>", "\x07", "xyz "]),
       size=st.integers(100_000, 200_000), at=st.integers(0, 90_000))
def test_a_red_flag_inside_a_huge_message_is_still_caught(fast_assistant, piece, size, at):
    body = _repeat(piece, size)
    reply = fast_assistant.conversation().send(f"{body[:at]} {RED} {body[at:]}")
    assert RED_FLAGS <= set(reply.red_flags) and reply.triage == Triage.SEEK_CARE and reply.escalation


def test_a_red_flag_beside_one_very_long_word_stays_within_bounded_memory(fast_assistant):
    import random
    import tracemalloc

    rng = random.Random(7)
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(8_000))
    tracemalloc.start()
    try:
        reply = fast_assistant.conversation().send(f"{RED} {word}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert RED_FLAGS <= set(reply.red_flags)
    # 8,000 characters of message: a linear pass needs well under 8 MB; all deletions need 64 MB.
    assert peak < 8_000_000, f"peak {peak / 1e6:.0f} MB for an 8,000-character word"


@FUZZ
@given(before=noise(), after=noise(), left=st.sampled_from([" ", "\n", "\n\n", " . ", " - ", "\t"]),
       right=st.sampled_from([" ", "\n", ".", "!", " ... ", "\r\n"]))
def test_red_flag_sentence_in_noise_is_always_caught(fast_assistant, before, after, left, right):
    reply = fast_assistant.conversation().send(before + left + RED + right + after)
    assert RED_FLAGS <= set(reply.red_flags), reply.text
    assert reply.triage == Triage.SEEK_CARE and reply.escalation


@FUZZ
@given(turns=conversations(max_chars=0))
def test_red_flag_after_random_turns_is_caught_and_kept(fast_assistant, turns):
    chat = fast_assistant.conversation()
    for message in turns:
        chat.send(message)
    reply = chat.send(RED)
    assert RED_FLAGS <= set(reply.red_flags), reply.text
    assert Triage(reply.triage).rank >= Triage.SEEK_CARE.rank and reply.escalation
    later = chat.send("thanks")
    assert RED_FLAGS <= set(later.red_flags) and later.escalation


@pytest.fixture(scope="module")
def transcript_assistant(fast_settings, tmp_path_factory):
    """The fast assistant's index, with transcript logging on in a store of its own."""
    from bot.assistant import Assistant
    from bot.guidance.embedding import HashEmbedder

    db = tmp_path_factory.mktemp("transcripts") / "kneebot.sqlite3"
    assistant = Assistant.load(settings=replace(fast_settings, db_path=db, transcripts=True), embedder=HashEmbedder())
    yield assistant
    assistant.close()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=conversations(max_chars=0))
def test_random_conversations_with_transcripts_on(transcript_assistant, turns):
    assert run_conversation(transcript_assistant, turns) == []
