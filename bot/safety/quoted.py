"""A reply under a quoted question ("> Any swelling behind the knee?\\nyes, within the hour"): Discord and forum
replies quote what they answer. The quote is not the person's report: the rules look for signs in the reply only
(the quote may still tell them a place or the changed stretching it names), the learned layer reads the reply alone,
and a yes under a quoted question answers the flag it asks about, as an answer to kneebot's own question does.
A question of whether they can stand on the leg, quoted or typed out at the start, answered no ("'can you stand on
it?' no. tried, screamed", "Q: Can you bear weight? A: No.") tells the person cannot bear weight. A short question
typed at the start and answered yes ("knee swollen? yes, massively") answers the flag it asks about, as a quote does."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.ids import RedFlag

_QUOTE = re.compile(r"\A(?:[ \t]*>[^\n]*(?:\n|\Z))+(?=\s*\S)")


def quote_end(text: str) -> int:
    """Where a leading quote with a reply under it ends (0 when the message has none)."""
    m = _QUOTE.match(text)
    return m.end() if m else 0


def unquoted(text: str) -> str:
    """`text` with a leading quote blanked out: the same length, so that spans found in it still point into `text`."""
    end = quote_end(text)
    return " " * end + text[end:] if end else text


_STAND_ASKED_NO = re.compile(
    r"\A\W*(?:q\s*[:.]\s*|(?:you|they|the\s+\w+|my\s+\w+)\s+asked,?\s*)?(?:can|could|are)\s+(?:you|u|ya)\s+"
    r"(?:able\s+to\s+)?(?:stand|walk|put\s+(?:any\s+|your\s+)?weight|bear\s+(?:any\s+)?weight|weight[- ]?bear)"
    r"(?:\s+on\s+(?:it|the\s+leg|that\s+leg|your\s+leg|the\s+knee))?\s*\?+[\"'\u201d]?\s*(?:[-\u2013\u2014:]+\s*)?"
    r"(?:a\s*[:.]\s*)?(no+|nope|nah|negative|not\s+(?:really|at\s+all))\b"
    r"(?=\s*(?:[.,;!)]|$|\n|\s+(?:i\s+(?:can'?t|cannot|couldn'?t)|tried|way|chance|not)\b))"
    r"(?![.,;!]?\s*(?:i\s+can\b|(?:it'?s\s+|all\s+)?fine|problems?|issues?|bother|worries))", re.I)


def stand_denied(text: str) -> tuple[int, int] | None:
    """The span of a "no" answering a question, at the message's start or quoted above it, of whether they can stand on
    the leg."""
    cut = quote_end(text)
    m = _STAND_ASKED_NO.match(text[:cut].replace(">", " ") + text[cut:])
    return m.span(1) if m else None


# A short question typed out at the start and answered yes at once ("knee swollen? yes, massively", "stopped
# mid-stretch because of the pain? yes, instantly"): an answer, as under a quote. A full question ("Is it normal ...?
# yes or no?") or one about someone else is none.
_TYPED_YES = re.compile(
    r"\A\s*(?!(?:is|are|am|was|were|do|does|did|can|could|should|would|will|what|why|how|when|where|which|who|whose)\b)"
    r"(?P<q>[^?.!\n]{3,80}?\?+)\s*(?=(?:yes|yeah|yep|yup|yea|definitely|absolutely|massively|totally|for\s+sure)\b"
    r"(?!\s*(?:or\b|/)|\W*(?:i\s+(?:know|read|understand|get\s+it)|(?:that'?s|it'?s)\s+(?:an?\s+)?(?:emergency|serious))\b))",
    re.I)
_THEN_NO = re.compile(r"\?\s*(?:no+|nope|nah|not\s+really)\b", re.I)
_THEIRS = (r"his|her|their|(?:my|our)\s+(?:husband|wife|son|daughter|dad|mum|mom|father|mother|partner|friend|kid|"
           r"child|boyfriend|girlfriend|brother|sister|client|patient)")
_SOMEONE = re.compile(rf"\b(?:{_THEIRS})\b", re.I)


def typed_question(text: str) -> int:
    """Where a short question typed at the message's start and answered yes ends (0 when there is none)."""
    m = _TYPED_YES.match(text)  # and no next question typed and answered no ("Swollen? yes. Quickly? no")
    return m.end("q") if m and not _SOMEONE.search(m.group("q")) and not _THEN_NO.search(text, m.end()) else 0


# A question quoted inline and answered right after it ("'Has your knee given way?' yes.", "bot: 'any chest pain or
# trouble breathing?' me: a bit, yeah", "'Can you put weight on it?' no. 'Did it swell?' yes, straight away"), not
# one put to someone else or as a condition ("if it asks 'any swelling?' I'd say yes", "my son's coach asked ...").
_INLINE_Q = re.compile(r"['\"\u2018\u201c](?P<q>[^'\"\u2018\u2019\u201c\u201d\n]{3,140}?\?)['\"\u2019\u201d]\s*"
                       r"(?:(?:me|i\s+said|my\s+answer|a)\s*[:\-]\s*)?(?P<a>[^'\"\u2018\u201c\n?]{1,160})", re.I)
_NOT_THEIRS = re.compile(rf"\b(?:if|when|would|will|whether|{_THEIRS})\b[^.!?\n]*$", re.I)


def answers(text: str, asked: Callable[[str], RedFlag | None],
            yes: Callable[[str], bool]) -> Iterator[tuple[RedFlag, tuple[int, int]]]:
    """Each flag the message answers, with its answer's span: a question of standing answered no (`stand_denied`),
    and a question quoted inline that `asked` reads as a flag's, answered as `yes` reads a yes."""
    if (no := stand_denied(text)) is not None:
        yield RedFlag.CANNOT_BEAR_WEIGHT, no
    for m in _INLINE_Q.finditer(text):
        if not _NOT_THEIRS.search(text, max(0, m.start() - 80), m.start()) and (flag := asked(m.group("q"))) \
                is not None and yes(m.group("a")):
            yield flag, m.span("a")
