"""Reading short answers ("yes", "a bit", "not sure", "skip") to the bot's own questions."""
from __future__ import annotations

import re
from enum import StrEnum

from bot.words import DEFAULT_PATH, known, load_words


class Answer(StrEnum):
    """What a short reply to a yes/no question amounts to."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"
    DONT_KNOW = "dont_know"
    SKIP = "skip"
    OTHER = "other"

    @property
    def counts_as_yes(self) -> bool:
        """Whether a red-flag confirmation should record the flag (a doubt counts as yes)."""
        return self in (Answer.YES, Answer.UNSURE, Answer.DONT_KNOW)


_WORDS = load_words()
known(DEFAULT_PATH, "answers", [w.answer for w in _WORDS.answers], {str(a) for a in Answer} - {"other"})
_FILLER = _WORDS.answer_filler
# Order matters: the first pattern that matches the start of the reply wins.
_PATTERNS: tuple[tuple[Answer, str], ...] = tuple((Answer(w.answer), w.re) for w in _WORDS.answers)
_COMPILED = tuple((a, re.compile(rf"^\s*{_FILLER}(?:{p})(?=$|[\s,.!?;:)\-]|'s)", re.I)) for a, p in _PATTERNS)


def read_answer(text: str) -> Answer:
    """What a short reply amounts to; OTHER when it does not start like an answer."""
    if not isinstance(text, str):
        return Answer.OTHER
    head = text.strip()[:200]
    for answer, pattern in _COMPILED:
        if pattern.search(head):
            return answer
    return Answer.OTHER


# What the safety questions are about: a doubt whose object is none of these is about something else.
SAFETY_TOPIC = re.compile(_WORDS.safety_topic, re.I)
_ABOUT = re.compile(_WORDS.doubt_about, re.I | re.S)
_DOUBTS = (Answer.UNSURE, Answer.DONT_KNOW)
_I_AM = re.compile(_WORDS.i_am_not, re.I)


def answer_to(text: str, topic: re.Pattern[str] = SAFETY_TOPIC) -> Answer:
    """What a reply amounts to as an answer to a question about `topic`.

    Like `read_answer`, except that a doubt about something else ("not sure if bending it helps?",
    "no idea how far to push") is not an answer to this question at all: OTHER, so the message is read
    as new information and the question is asked again later.
    """
    text = _I_AM.sub("", text, count=1) if isinstance(text, str) else text
    answer = read_answer(text)
    if answer not in _DOUBTS:
        return answer
    head = text.strip()[:200]
    for a, pattern in _COMPILED:
        if a is answer and (m := pattern.search(head)):
            about = _ABOUT.match(text.strip()[m.end():])
            rest = about.group("rest") if about else ""
            if about and len(rest.split()) > 2 and not topic.search(rest):
                return Answer.OTHER
            break
    return answer
