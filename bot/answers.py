"""Reading short answers ("yes", "a bit", "not sure", "skip") to the bot's own questions."""
from __future__ import annotations

import re
from enum import StrEnum


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


_FILLER = (r"(?:(?:well|um+|uh+|erm+|hmm+|oh|ah|honestly|actually|so|ok|okay|i\s+mean|like|yeah\s+well)"
           r"[\s,.!]+)*")
# Order matters: the first pattern that matches the start of the reply wins.
_PATTERNS: tuple[tuple[Answer, str], ...] = (
    (Answer.SKIP, r"(?:skip(?:\s+(?:it|this|that))?|pass|next(?:\s+question)?|rather\s+not(?:\s+say)?|"
                  r"prefer\s+not\s+to(?:\s+say)?|no\s+comment|move\s+on)"),
    (Answer.DONT_KNOW, r"(?:i\s+)?(?:don'?t|do\s+not|dont)\s+know|dunno|idk|no\s+idea|not\s+a\s+clue|"
                       r"no\s+clue|can'?t\s+(?:tell|say|remember|be\s+sure)|hard\s+to\s+(?:say|tell)|"
                       r"(?:i\s+)?(?:don'?t|dont)\s+remember|who\s+knows"),
    (Answer.UNSURE, r"(?:i'?m\s+|im\s+)?not\s+(?:really\s+|totally\s+|completely\s+|100%?\s+)?"
                    r"(?:sure|certain)|"
                    r"unsure|uncertain|(?:i\s+)?(?:think|guess|suppose|reckon)\s+so|maybe|perhaps|possibly|"
                    r"probably|kind\s+of|kinda|sort\s+of|sorta|might\s+(?:have|be)|could\s+be|"
                    r"(?:i'?m\s+|im\s+)?not\s+sure|(?:i\s+)?(?:think|guess)\s+(?:it\s+)?(?:has|did|is|does)"),
    (Answer.NO, r"(?:i\s+)?(?:don'?t|dont|do\s+not)\s+think\s+so|no+(?:pe)?|nah+|nay|n|"
                r"not\s+(?:at\s+all|really|that\s+i\s+(?:know|noticed|can\s+tell))|"
                r"never|none|negative|nothing|definitely\s+not|absolutely\s+not|of\s+course\s+not|"
                r"(?:it\s+)?(?:hasn'?t|has\s+not|didn'?t|did\s+not|isn'?t|is\s+not|doesn'?t|does\s+not|"
                r"haven'?t|have\s+not|don'?t|do\s+not|wasn'?t|can'?t\s+say\s+it\s+has)\b"),
    (Answer.YES, r"y+e+[sp]+|y+a+y*|yeah?|yup|yah|ye|y|sure|definitely|absolutely|certainly|correct|"
                 r"true|indeed|affirmative|of\s+course|it\s+(?:has|did|is|does|was)|i\s+(?:have|do|did|am)|"
                 r"a\s+(?:bit|little|lot|tad|fair\s+bit)|slightly|somewhat|a\s+few\s+times|sometimes|"
                 r"quite\s+a\s+bit|uh\s*huh|mm+\s*hm+|yes+|yass+"),
)
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
SAFETY_TOPIC = re.compile(
    r"\b(?:swell\w*|swoll\w*|puff\w*|gave|give\w*|giving|weight|stand|walk|lock\w*|click\w*|catch\w*|"
    r"numb\w*|tingl\w*|pins|weak\w*|calf|calves|red|warm|hot|sudden\w*|severe|pop\w*|snap\w*|stable|"
    r"unstable|buckl\w*)\b", re.I)
_ABOUT = re.compile(r"^[\s,.;:!-]*(?:if|whether|about|what|how|why|which|when|where|wether|weather)\b(?P<rest>.*)",
                    re.I | re.S)
_DOUBTS = (Answer.UNSURE, Answer.DONT_KNOW)
_I_AM = re.compile(r"^\s*(?:i\s+am|i'?m|im)\s+(?=not\b|unsure\b|uncertain\b)", re.I)


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
