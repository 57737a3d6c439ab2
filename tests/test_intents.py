import pytest

from bot.intents import Intent, classify

CASES = [
    ("start over", Intent.START_OVER), ("Let's start again!", Intent.START_OVER), ("restart", Intent.START_OVER),
    ("forget me", Intent.FORGET), ("please forget everything", Intent.FORGET),
    ("what do you know about me?", Intent.MEMORY), ("What have I told you", Intent.MEMORY),
    ("why?", Intent.WHY), ("why do you ask", Intent.WHY),
    ("hi", Intent.GREETING), ("Hello there!", Intent.GREETING),
    ("thanks", Intent.THANKS), ("thank you so much", Intent.THANKS),
    ("what is a baker's cyst?", Intent.QUESTION), ("does pointing my toes help", Intent.QUESTION),
    ("I feel a pull behind my knee", Intent.STATEMENT), ("why does it hurt behind my knee", Intent.QUESTION),
    ("hi, my knee hurts when I stretch", Intent.STATEMENT), ("I don't want to start over", Intent.STATEMENT),
]


@pytest.mark.parametrize("text,intent", CASES, ids=[c[0] for c in CASES])
def test_classify(text, intent):
    assert classify(text) is intent


@pytest.mark.parametrize("text", ["when i do the standing toe touch i lock my knees and it pulls",
                                  "where it hurts is right behind the knee"])
def test_statements_starting_with_when_or_where_are_not_questions(text):
    assert classify(text) is Intent.STATEMENT


@pytest.mark.parametrize("text", ["when should I see a physio", "where does nerve pain show up"])
def test_questions_starting_with_when_or_where(text):
    assert classify(text) is Intent.QUESTION


@pytest.mark.parametrize("text", ["why do you ask that?", "why do you need to know", "how come?", "what for?",
                                  "why's that", "why is that relevant"])
def test_ways_of_asking_why(text):
    assert classify(text) is Intent.WHY


@pytest.mark.parametrize("text,intent", [("ok, thanks", Intent.THANKS), ("okay thank you!", Intent.THANKS),
                                         ("oh hi there", Intent.GREETING), ("ok start over", Intent.START_OVER)])
def test_lead_ins_do_not_hide_the_intent(text, intent):
    assert classify(text) is intent
