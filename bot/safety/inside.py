"""A denial told inside a finding ("both legs are not numb", "my calf isn't swollen or red") or just after it.

A cue may span the words between a body part and its finding ("both legs ... numb"), so a "not" between
them is inside the match, where the context rules (which read what comes before it) do not look. A
copula with "not" just before a state word that ends the finding denies it. A verb's own negation is
the finding itself and stays a hit: "are not working", "am not able to", "can't walk", "won't hold me".
"""
from __future__ import annotations

import re

from bot.safety.context import Assessment, Modifier

_STATE = (r"(?:numb\w*|swollen|swelled|swelling|puffy|tight|hot|warm|red|tender|sore|painful|weak|tingl\w*|"
          r"cold|pale|blue|purple|bruised|stiff|feverish|achy|dead)")
_DENIAL = re.compile(
    r"(?:\b(?:is|are|was|were|am|feels?|felt|seems?|looks?)|'m|'re|'s)\s+(?:not|never|no\s+longer)\s+"
    r"(?:(?:at\s+all|even|really|that|too|very|remotely)\s+)?" + _STATE + r"\W*$"
    r"|\b(?:isn'?t|aren'?t|wasn'?t|weren'?t|ain'?t|(?:do|does|did)(?:n'?t|\s+not)\s+(?:feel|look|seem))\s+"
    r"(?:(?:at\s+all|even|really|that|too|very|remotely)\s+)?" + _STATE + r"\W*$", re.I)


def denied_inside(text: str, core: tuple[int, int]) -> bool:
    """Whether the finding `text[core[0]:core[1]]` ends in a state word its own copula denies."""
    return _DENIAL.search(text, core[0], core[1]) is not None


# "knee swelled after stretch... actually not swelled", "my leg feels weak... ok not weak, more like tired": the
# finding's own word taken back at once (reading 70)
# ("My knee gave way - sorry, no, that's wrong, it didn't actually give way", reading 80)
_TAKEN_BACK = re.compile(r"(?:\s+[\w']+){0,4}?\W{0,6}(?:\s*\b(?:actually|ok|okay|well|no|nah|wait|sorry|hmm+|i\s+mean|"
                         r"correction|scratch\s+that|that'?s\s+wrong)\b[\s,.:;!\-]*)+"
                         r"(?:(?:it'?s\s+|it\s+is\s+|is\s+|are\s+|i'?m\s+)?not|(?:it\s+)?(?:didn'?t|did\s+not|wasn'?t|hasn'?t))\s+"
                         r"(?:really\s+|exactly\s+|actually\s+)?(\w+)", re.I)
# the finding taken back without its word: "the knee is swollen - no wait, that's the bandage", "Chest pain -
# actually no, it was indigestion", "I said I was breathless, scratch that", "'Can't bear weight' was me being
# dramatic" (reading 73)
_WAIT_NO = re.compile(r"(?:\s+[\w']+){0,3}?[\W_]{0,8}(?:oh\s+)?(?:no\W{1,4}wait|wait\W{1,4}no|actually\W{1,4}no|"
                      r"scratch\s+that|my\s+mistake|i\s+was\s+wrong|false\s+alarm|"
                      r"(?:was\s+)?(?:just\s+)?me\s+being\s+(?:dramatic|silly))\b"
                      r"(?![^.!?]{0,40}\b(?:both|as\s+well|too|also|worse|even|more|that\s+went)\b)", re.I)
# what the person said in an earlier message, then takes back ("wrote earlier that my calf was swollen - I measured
# both and they're identical ... my mistake")
_SAID_BEFORE = re.compile(r"\b(?:i\s+(?:said|wrote|told\s+you|mentioned)|(?:wrote|said)\s+(?:earlier|before))\b"
                          r"[^.!?]{0,40}$", re.I)
_UNSAID = re.compile(r"\b(?:scratch\s+that|my\s+mistake|i\s+was\s+wrong|not\s+true|false\s+alarm|being\s+dramatic|"
                     r"i\s+(?:measured|checked)|turns\s+out|identical|"
                     # "earlier I said my knee gave way but actually I just slipped ... knee's fine" (reading 77)
                     r"actually\s+(?:i|it)\s+(?:just\s+|only\s+)?(?:slipped|tripped|stumbled|meant|was\s+(?:just|only))|"
                     r"(?:knee|leg|it)(?:'s|\s+is)\s+(?:fine|ok|okay))\b", re.I)
# a joke about the finding, then the real body part told fine: "gives way only in FIFA lol. Real knee fine",
# "my legs are weak lol because I skip leg day. Not real weakness", "numb from the toilet ... it ok after 1 min lol"
_FINE_AFTER = re.compile(r"\b(?:(?:my\s+)?(?:real|actual)\s+)?(?:knee|knees|leg|legs)(?:'s|\s+is|\s+are|\s+feels?)?\s+"
                         r"(?:fine|ok|okay|good|normal)\b(?!-?ish)|\bnot\s+(?:a\s+)?real\s+\w+|\bit'?s?\s+(?:ok|okay|fine|gone)\s+after\s+"
                         r"(?:\d+|a|one|two|a\s+few|few)\s+(?:sec\w*|min\w*)\b", re.I)


def taken_back(a: Assessment, text: str, core: tuple[int, int], emergency: bool) -> Assessment:
    """The finding's modifiers with a denial added when the writer takes it back: its own word ("swelled... actually
    not swelled") or having said it ("I said ... my mistake") clearly, except that an emergency keeps its question
    ("a bit breathless - actually no, not breathless"); a "no wait" or "scratch that" without the word is asked
    ("My knee gave way - no wait, I slipped on the wet floor")."""
    clear = retracted(text, core)
    if not clear and _WAIT_NO.match(text, core[1], core[1] + 60) is None:
        return a
    attached = {Modifier.NEGATED} if clear and not emergency else set()
    return Assessment(a.modifiers | {Modifier.NEGATED}, a.attached | attached)


def retracted(text: str, core: tuple[int, int]) -> bool:
    """Whether the writer clearly takes the finding back: its own word ("swelled... actually not swelled") or having
    said it ("earlier I said ... but actually I just slipped")."""
    m = _TAKEN_BACK.match(text, core[1], min(len(text), core[1] + 60))
    said = {w[:4].lower().replace("gave", "give") for w in re.findall(r"\w+", text[core[0]:core[1]])}
    return (m is not None and m.group(1)[:4].lower() in said) or bool(
        _SAID_BEFORE.search(text, max(0, core[0] - 60), core[0]) and _UNSAID.search(text, core[1]))


def laughed_off(text: str, after: int) -> bool:
    """Whether, after a joking finding, the message tells the real body part as fine."""
    return _FINE_AFTER.search(text, after) is not None
