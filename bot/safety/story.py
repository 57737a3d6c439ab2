"""Stories a paragraph opens with a date ("2014. Skiing in Val Thorens. Hooked an edge ..."): a sign told in
such a story, in the past all the way to it and over by its end, is history (bot.safety.context)."""
from __future__ import annotations

import re

from bot.safety.sentences import sentence_at

_REACH = 1200  # characters before a sentence searched for the start of its paragraph
# "a crunch I can still hear": a memory aside, not now
_MEMORY = re.compile(r"\b(?:i\s+)?(?:can|could)\s+still\s+(?:hear|see|remember|picture|recall|feel\s+the\s+\w+)\b",
                     re.I)
# a sentence told of a later time than the story's date ("Since then I've done everything right. On Sunday ...")
_LATER = re.compile(r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|last\s+(?:night|week|weekend|month)|"
                    r"this\s+(?:morning|afternoon|evening|week|weekend|month|year)|today|tonight|since\s+then|"
                    r"these\s+days|lately|recently|nowadays|now|currently|at\s+the\s+moment)\b", re.I)
# a story opened by its year ("2014. Skiing ...", "Summer of 2006, I was 24", "Back in 2017 I ruptured ...")
_STORY_OPEN = re.compile(r"\W*(?:(?:(?:ok(?:ay)?\s+)?so\s+)?(?:back\s+)?in\s+|(?:the\s+)?(?:summer|winter|spring|"
                         r"autumn|fall|christmas|easter|january|february|march|april|may|june|july|august|september|october|"
                         r"november|december)\s+(?:of\s+)?)?'?(?:19|20)\d\d\b", re.I)


# a sign told as over that has come back ("... went away after surgery. Now I have it again since this morning.", "it
# gave way when I was 20 ... it did it again yesterday")
_SINCE = r"(?:today|this\s+(?:morning|afternoon|evening|week)|yesterday|last\s+night)"
RECURRED = re.compile(rf"\b(?:(?:it'?s|it\s+is|it\s+has|they'?re|they\s+are)\s+(?:come\s+|came\s+)?back\s+(?:again\s+)?"
                      rf"(?:{_SINCE}|now|since)|(?:it|they)\s+(?:has\s+|have\s+)?(?:came|come)\s+back\s+(?:again\s+)?{_SINCE}|"
                      r"(?:now|today|and)\s+(?:i\s+(?:have|got)|i'?ve\s+got)\s+it\s+again|"
                      r"(?:it'?s|it\s+has|it\s+is|they'?ve|they\s+have)\s+(?:started|starting|begun|kicked\s+off)"
                      r"\s+(?:up\s+)?again|(?:it'?s|it\s+is|they'?re|they\s+are)\s+doing\s+(?:it|that|the\s+same)"
                      r"\s+again|(?:it|they|the\s+knee|my\s+knee|and)\s+(?:did|has\s+done)\s+(?:it|that|the\s+same(?:\s+thing)?)"
                      r"\s+again\s+(?:today|yesterday|this\s+\w+|last\s+night|(?:an?|one|two|\d+)\s+(?:hours?|days?|min\w*)\s+ago"
                      r"|just\s+now))\b", re.I)


def now_in(now: re.Pattern[str] | None, text: str, lo: int, hi: int) -> bool:
    """Whether text[lo:hi] says now (`now`: "again", "this week", "still"), a memory aside ("a crunch I can
    still hear") not counting."""
    if now is None:
        return False
    aside = [m.span() for m in _MEMORY.finditer(text, lo, hi)]
    return any(not any(a <= m.start() < b for a, b in aside) for m in now.finditer(text, lo, hi))


def in_dated_story(dated_re: re.Pattern[str], now: re.Pattern[str] | None, present: re.Pattern[str], text: str,
                   own: tuple[int, int]) -> bool:
    """Whether the sentence `own` belongs to a story its paragraph opens with a date (`dated_re`; "2014. Skiing in
    Val Thorens. Hooked an edge ...", "Summer of 2006, I was 24 ..."), told in the past (not `present`, not `now`)
    all the way to it."""
    para = text.rfind("\n\n", max(0, own[0] - _REACH), own[0])
    pos = para + 2 if para >= 0 else max(0, own[0] - _REACH) if own[0] > _REACH else 0
    dated = False
    for k in range(12):  # the opener is one of the paragraph's first two sentences
        while pos < own[0] and text[pos].isspace():
            pos += 1
        if pos >= own[0]:
            break
        s = sentence_at(text, pos)
        if s[1] <= pos:
            break
        told_now = present.search(text, *s) or _LATER.search(text, *s) or now_in(now, text, *s)
        if k < 2 and not dated and (_STORY_OPEN.match(text, s[0]) or dated_re.search(text, *s)) and not told_now:
            dated = True
        elif told_now or (k >= 2 and not dated):
            return False
        pos = s[1] + 1
    return (dated and pos >= own[0] and not present.search(text, *own) and not _LATER.search(text, *own)
            and not now_in(now, text, *own))
