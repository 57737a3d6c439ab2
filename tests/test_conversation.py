"""The conversation as a person meets it, through the real assistant (hash embedder for speed)."""
import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from bot import Triage
from bot.reply import ReplyKind

PULL = "I feel a pull behind my knee when I stretch"
RED = "my knee gave way and I can't put weight on it"


def test_first_symptom_gets_the_safety_screen_before_any_advice(fast_assistant):
    reply = fast_assistant.conversation().send(PULL)
    assert reply.question is not None and "safety check" in reply.question
    assert reply.triage is Triage.SELF_CARE and reply.red_flags == ()
    assert "not a diagnosis" in reply.text


def test_disclaimer_is_said_once(fast_assistant):
    chat = fast_assistant.conversation()
    texts = [chat.send(m).text for m in (PULL, "no", "behind the knee")]
    assert sum("not a diagnosis" in t for t in texts) == 1


def test_red_flag_overrides_and_stays(fast_assistant):
    chat = fast_assistant.conversation()
    first = chat.send(RED)
    assert first.triage is Triage.SEEK_CARE
    assert {"knee_instability", "cannot_bear_weight"} <= set(first.red_flags)
    assert first.text.startswith("Please stop stretching")
    assert any("giving way" in c.text for c in first.citations)
    later = chat.send("ok thanks, what about pointing my toes?")
    assert later.triage is Triage.SEEK_CARE and set(first.red_flags) <= set(later.red_flags)
    assert later.escalation and "Stop stretching" in later.escalation
    assert "micro-bend" not in later.text


def test_screen_then_questions_then_summary(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send("burning behind my knee when I touch my toes")
    reply = chat.send("no")
    asked = 0
    answers = iter(["yes, pointing my toes down eases it", "yes I have a bad lower back", "burning",
                    "behind the knee and into the calf", "don't know", "skip"])
    while reply.question is not None and asked < 6:
        reply = chat.send(next(answers))
        asked += 1
    assert reply.question is None, "the bot should stop asking and summarise"
    assert reply.causes and reply.causes[0][0] == "sciatic_nerve_tension"
    assert "nerve" in reply.text.lower()


def test_why_explains_the_pending_question(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(PULL)
    chat.send("no")
    reply = chat.send("why?")
    assert "I ask because" in reply.text and reply.citations
    assert reply.question is not None


def test_guidance_question_then_carries_on(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(PULL)
    asked = chat.send("no").question
    reply = chat.send("what is a Baker's cyst?")
    assert any("Baker" in c.text for c in reply.citations)
    assert reply.question == asked


@pytest.mark.slow
def test_off_topic_gets_the_scope_statement(real_assistant):
    reply = real_assistant.conversation().send("what's the weather like tomorrow?")
    assert "I can only help with" in reply.text and not reply.citations


@pytest.mark.parametrize("message", [
    "hola, quisiera saber cuánto tiempo debo mantener el estiramiento cada día",
    "kitni der tak stretch karna chahiye roz subah",
    "ile razy dziennie powinienem się rozciągać przed bieganiem",
])
def test_a_message_in_another_language_is_told_kneebot_reads_english(fast_assistant, message):
    """Not the off-topic reply: the person may be telling something kneebot cannot read."""
    reply = fast_assistant.conversation().send(message)
    assert "I can only read text in English" in reply.text and "I can only help with" not in reply.text


@pytest.mark.parametrize(("message", "why"), [
    ("seene mein dard ho raha hai aur saans phool rahi hai, bas baithe baithe", "chest pain or breathlessness"),
    ("la pantorrilla está hinchada y roja y caliente, me duele cuando camino", "a swollen, warm or red calf"),
    ("knee theek hai, soojan nahi, but seene mein pressure hai aur saans phool rahi hai",
     "chest pain or breathlessness"),
])
def test_a_red_flag_told_in_another_language_still_escalates(fast_assistant, message, why):
    """The glossary (bot/data/glossary.yaml) reads the sign words of other languages: safety first."""
    reply = fast_assistant.conversation().send(message)
    assert reply.kind is ReplyKind.ESCALATION and f"you mentioned {why}" in reply.text


@pytest.mark.parametrize("message", ["whats the weather like tomorrow", "tbh idk lol",
                                     "knee hurts bad af when i stretch"])
def test_english_in_any_register_is_read(fast_assistant, message):
    assert "I can only read text in English" not in fast_assistant.conversation().send(message).text


def test_start_over_and_forget(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(PULL)
    reply = chat.send("start over")
    assert "Starting a new conversation" in reply.text and reply.causes == ()
    chat.send(PULL)
    gone = chat.send("forget me")
    assert "deleted" in gone.text
    assert fast_assistant.store.load(chat.id) is None


def test_memory_lists_what_was_said(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send("sharp pain behind my knee when I stretch")
    reply = chat.send("what do you know about me?")
    assert "Here is what I have noted" in reply.text
    assert "- it is a sharp pain" in reply.text and "- you feel it behind the knee" in reply.text


def test_every_reply_line_is_grounded(fast_assistant, grounding):
    chat = fast_assistant.conversation()
    for message in [PULL, "why?", "no", "what is a baker's cyst?", "the back of the knee", "pulling",
                    "I lock my knee straight", "don't know", "skip", "what do you know about me",
                    RED, "thanks", "hi", "", "x" * 5000, "<b>bold</b> **md**", "膝が痛い", "start over"]:
        reply = chat.send(message)
        assert grounding.ungrounded(reply.text) == [], message


def test_two_conversations_do_not_leak(fast_assistant):
    a, b = fast_assistant.conversation(), fast_assistant.conversation()
    a.send(RED)
    reply_b = b.send(PULL)
    assert reply_b.red_flags == () and reply_b.triage is Triage.SELF_CARE
    assert fast_assistant.conversation(a.id).send("hello").triage is Triage.SEEK_CARE


def test_conversation_resumes_in_a_new_process(fast_settings, fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(PULL)
    chat.send("no")
    before = fast_assistant.store.load(chat.id)
    script = textwrap.dedent(f"""
        import json
        from bot import Assistant
        from bot.config import Settings
        from bot.guidance.embedding import HashEmbedder
        from pathlib import Path
        s = Settings(corpus_dir=Path({str(fast_settings.corpus_dir)!r}),
                     index_dir=Path({str(fast_settings.index_dir)!r}), db_path=Path({str(fast_settings.db_path)!r}))
        a = Assistant.load(settings=s, embedder=HashEmbedder())
        r = a.conversation({chat.id!r}).send("my knee gave way")
        print(json.dumps(r.to_dict()))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    reply = json.loads(out.strip().splitlines()[-1])
    after = fast_assistant.store.load(chat.id)
    assert after["known"] == before["known"] and after["turn"] == before["turn"] + 1
    assert "knee_instability" in reply["red_flags"]


def test_no_raw_text_reaches_the_database(fast_assistant):
    chat = fast_assistant.conversation()
    secret = "my zanzibar knee gave way during yoga"
    chat.send(secret)
    dump = "\n".join(sqlite3.connect(fast_assistant.store.path).iterdump())
    assert "zanzibar" not in dump and "yoga" not in dump


def test_symptoms_said_alongside_an_uncertain_red_flag_still_count(fast_assistant):
    chat = fast_assistant.conversation()
    first = chat.send("it kind of catches on the inside of my knee during the stretch")
    assert first.question and first.question.startswith("Just to check")
    after = chat.send("no")
    assert after.red_flags == () and after.causes, "the catching finding should be kept"
    assert after.question is not None, "the conversation should carry on"


@pytest.mark.slow
def test_off_topic_mid_question_repeats_the_question(real_assistant):
    chat = real_assistant.conversation()
    chat.send(PULL)
    asked = chat.send("no").question
    reply = chat.send("whats the weather like tomorrow")
    assert "I can only help with" in reply.text and reply.question == asked


def test_what_to_do_after_an_escalation_repeats_it(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(RED)
    reply = chat.send("what should i do")
    assert "I can only help with" not in reply.text
    assert reply.escalation and "Stop stretching" in reply.text


@pytest.mark.parametrize("doubt", ["not sure if bending it the other way helps?",
                                   "no idea how far I should push the stretch",
                                   "I'm not sure about the towel thing"])
def test_a_doubt_about_something_else_is_not_an_answer_to_the_screen(fast_assistant, doubt):
    chat = fast_assistant.conversation()
    first = chat.send(PULL)
    assert first.question is not None and "safety check" in first.question
    reply = chat.send(doubt)
    assert reply.triage is Triage.SELF_CARE and reply.red_flags == ()
    assert reply.kind != "escalation"
    later = chat.send("I don't think so")  # the screen is still waiting for its answer
    assert later.triage is Triage.SELF_CARE


def test_not_sure_to_the_screen_itself_still_counts_as_yes(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send(PULL)
    reply = chat.send("not sure")
    assert reply.triage is Triage.SEEK_CARE


def test_a_doubt_about_something_else_does_not_answer_a_flag_question(fast_assistant):
    chat = fast_assistant.conversation()
    chat.state.pending = "confirm:rapid_swelling"  # as if the bot had just asked that flag's question
    reply = chat.send("not sure whether stretching the other leg first helps?")
    assert not reply.red_flags and reply.triage is Triage.SELF_CARE
    assert reply.kind == "confirm" and "swell" in (reply.question or "")
    assert "rapid_swelling" in chat.send("not sure").red_flags


@pytest.mark.parametrize("ask", ["ok so what should I actually change?", "aight how do i fix it",
                                 "What is the correct method kindly tell"])
def test_asking_what_to_do_after_the_screen_gets_the_advice_now(fast_assistant, ask):
    chat = fast_assistant.conversation()
    chat.send("I lock my knee straight and bounce when I stretch, and I feel it behind the knee")
    assert chat.send("no").question is not None  # a clarifying question is pending
    reply = chat.send(ask)
    assert reply.kind == "summary" and reply.question is None
    assert any("micro-bend" in c.text for c in reply.citations)


def test_a_question_right_after_a_red_flag_is_answered_from_its_passage(fast_assistant):
    chat = fast_assistant.conversation()
    chat.send("my knee is hot, red and swollen and I've had the chills all night")
    reply = chat.send("what could that be?")
    assert reply.triage is Triage.SEEK_CARE
    assert any("infection inside the joint" in c.text for c in reply.citations)


@pytest.mark.parametrize("first", ["Is it normal for the tendon behind my knee to hurt when I stretch?",
                                   "can you tell me what's wrong with my knee? it hurts behind when I stretch"])
def test_a_first_question_that_tells_a_symptom_gets_the_safety_screen(fast_assistant, first):
    reply = fast_assistant.conversation().send(first)
    assert reply.question is not None and "safety check" in reply.question


@pytest.mark.parametrize(("message", "sign", "level"), [
    ("typing for my dad, he's sat next to me grey and sweaty, says his chest hurts and he's short of breath",
     "chest pain or breathlessness", "it is an emergency"),
    ("My friend's calf is swollen and red since her flight on Sunday", "a swollen, warm or red calf",
     "get it checked promptly"),
])
def test_someone_elses_warning_sign_gets_what_they_should_do(fast_assistant, grounding, message, sign, level):
    reply = fast_assistant.conversation().send(message)
    line = next(x for x in reply.text.splitlines() if x.startswith("You describe"))
    assert sign in line and level in line
    assert reply.triage is Triage.SELF_CARE and reply.red_flags == ()  # their sign, not the person's own
    assert grounding.ungrounded(reply.text) == []


@pytest.mark.parametrize("message", [
    "my mum's knee gave way in 2015 but it's been fine ever since",
    "my husband's calf isn't swollen or red at all, it just aches",
    "what if my partner's knee locked during the stretch?",
    "my knee gave way twice today",
])
def test_no_warning_for_someone_else_denied_past_supposed_or_own(fast_assistant, message):
    assert "in someone else" not in fast_assistant.conversation().send(message).text
