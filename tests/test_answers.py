"""Short answers to the bot's own yes/no questions."""
from __future__ import annotations

import pytest

from bot.answers import Answer, read_answer

CASES = {
    Answer.YES: ["yes", "Yes.", "yeah", "yep", "y", "a bit", "a little", "well, yes it has", "it has", "it did",
                 "sure", "definitely", "slightly", "sometimes", "yes, twice"],
    Answer.UNSURE: ["not sure", "I'm not sure", "I think so", "maybe", "kind of", "kinda", "sort of",
                    "possibly", "probably", "perhaps", "not really sure", "might have"],
    Answer.DONT_KNOW: ["I don't know", "dunno", "idk", "no idea", "hard to say", "can't tell"],
    Answer.NO: ["no", "No.", "nope", "nah", "not at all", "not really", "never", "no it hasn't",
                "I don't think so", "it hasn't", "n", "none"],
    Answer.SKIP: ["skip", "pass", "next question", "rather not say"],
    Answer.OTHER: ["", "   ", "right knee", "the pain is behind my knee", "what do you mean?", "ok",
                   "nothingness", "yesterday it hurt"],
}
ROWS = [(answer, text) for answer, texts in CASES.items() for text in texts]


@pytest.mark.parametrize(("expected", "text"), ROWS, ids=[f"{a}-{t or 'empty'}" for a, t in ROWS])
def test_read_answer(expected, text):
    assert read_answer(text) is expected


def test_doubt_counts_as_yes_for_red_flags():
    assert {a for a in Answer if a.counts_as_yes} == {Answer.YES, Answer.UNSURE, Answer.DONT_KNOW}


def test_non_text_is_other():
    assert read_answer(None) is Answer.OTHER  # type: ignore[arg-type]
