"""Sentences of a message, as character spans: what context scopes, rules and timelines read within."""
from __future__ import annotations

import re
from collections.abc import Sequence

LIST_WORDS = frozenset({",", "or", "nor", "and", "/", "&", "plus", "either"})
# a body part or quality before a listed symptom ("no fever, calf swelling or chest pain")
QUALIFIERS = frozenset("chest calf groin saddle bladder bowel urinary faecal fecal sudden severe sharp new".split())
# a verb after it starts a clause ("it hasn't given way, knee locked, back rounded")
_VERB = re.compile(r"\w+ed\b|\b(?:gave|give|gives|giving|went|goes|swells|locks|clicks)\b", re.I)
MAX_SENTENCE = 1000  # characters; a longer run-on is read in pieces
_SENTENCE_END = re.compile(
    r"[.!?]+[\"'\u201d\u2019]*(?=\s|$)|\n+|\s*[;]\s*|(?-i:(?<=[a-z0-9])\s+(?=(?:My|It|The|But|So|Then|Now|Also|Today|Yesterday|Like)\b))"
)


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`, coping with missing punctuation; a run-on longer
    than MAX_SENTENCE is read in pieces of at most that length, cut at a space."""
    spans, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos and text[pos:m.start()].strip():
            spans += _pieces(text, *_trim(text, pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans += _pieces(text, *_trim(text, pos, len(text)))
    return spans


def _pieces(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    out = []
    while hi - lo > MAX_SENTENCE:
        cut = text.rfind(" ", lo + MAX_SENTENCE // 2, lo + MAX_SENTENCE)
        cut = cut if cut > lo else lo + MAX_SENTENCE
        out.append((lo, cut))
        lo = cut + 1 if text[cut:cut + 1] == " " else cut
    return [*out, (lo, hi)] if hi > lo else out


def _trim(text: str, lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The sentence around `pos`, at most MAX_SENTENCE characters either side of it (a run-on is read
    in bounded pieces, so that a hostile message costs time in proportion to its length)."""
    start, stop = max(0, pos - MAX_SENTENCE), min(len(text), pos + MAX_SENTENCE)
    lo = start
    for m in _SENTENCE_END.finditer(text, start, stop):
        if m.end() <= pos:
            lo = m.end()
        else:
            return lo, m.start()
    return lo, stop


# A sentence that goes on about the finding just told: it starts by referring back ("They're there for hours", "It's
# been constant for 4 days") or with its subject left out ("started last night", "still there this morning").
_GOES_ON = re.compile(r"(?:[.!?;\n]+[\"'\u201d\u2019]*\s*(?:(?:and|but|so)\s+)?|\s*,?\s*(?:but|and|yet)\s+)"
                      r"(?>(?:they|it|that|this|these|those|both)"
                      r"(?:'?s|'re|'ve|\s+(?:is|are|was|were|has|have|had|keeps?|stays?|stayed|lasts?|lasted))?|"
                      r"the\s+(?:numbness|tingling|pins|feeling|weakness)\s+(?:is|was|has|have|keeps?|stays?|lasts?|lasted)|"
                      r"(?:started|began|came\s+on|been(?!\s+like\b)|still|lasting|lasted|stayed|going\s+on|since|whole|entire|"
                      # telegraphic: "Leg numb. Whole foot. Since stretch. 3 hrs."
                      r"(?:for\s+)?(?:\d+|an?|one|two|three|four|five|six)\s*(?:hrs?|hours?|mins?|minutes?|days?)(?=\s*[.!]|\s*$)))\b"
                      r"(?!\s+(?:not|never|hasn'?t|haven'?t|isn'?t|aren'?t|wasn'?t|doesn'?t|didn'?t|only|just|gone|goes|went))",
                      re.I)


def with_next(text: str, seg: tuple[int, int]) -> tuple[int, int]:
    """`seg`, reaching over the rest of its sentence after a "but" and over up to three next sentences while each goes
    on about what `seg` told (`_GOES_ON`): where a vague finding looks for what makes it clear ("pins and needles in my
    shin. They're there for hours", "... but it's still there 40 minutes later", "Numbness in my foot. Started in the
    stretch. Still there this morning")."""
    lo, hi = seg
    for _ in range(3):
        m = _GOES_ON.match(text, hi, hi + MAX_SENTENCE)
        if m is None:
            break
        hi = sentence_at(text, m.end())[1]
    return lo, hi


# A post's title line over its body ("Title: Asking for my dad - knee hot and swollen", "Subject: ...", "Re: ...")
# names the topic that the body tells (f405): the body speaks for every sign it mentions.
_HEADLINE = re.compile(r"\A\s*(?:title|subject|subj|re|fwd?|topic|thread)\s*:[^\n]{1,300}\n(?=\s*\S)", re.I)


def headline(text: str) -> int:
    """Where a message's leading title line ends, 0 when it has none."""
    m = _HEADLINE.match(text)
    return m.end() if m else 0


def continues_list(tokens: list[re.Match[str]], after: int, limit: int) -> bool:
    """Whether the word after a comma-listed symptom carries the list on (or ends it)."""
    nxt = next((t for t in tokens if t.start() >= after), None)
    return nxt is None or nxt.start() >= limit or nxt.group().lower() in LIST_WORDS


def qualifies(tokens: list[re.Match[str]], i: int, heads: list[tuple[int, int]], state: str, conn: str) -> bool:
    """Whether the word at `i` qualifies the next listed symptom: after "or"/"nor", or after a comma
    when that symptom carries on a list that ends with "or" ("no fever, calf swelling or chest pain")."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    head = nxt and next((h for h in heads if h[0] <= nxt.start() < h[1]), None)
    if head is None or nxt is None or _VERB.match(nxt.group()):
        return False
    after = next((t for t in tokens if t.start() >= head[1]), None)
    if state == "list":
        return conn in ("or", "nor")
    # after a comma only in a list that goes on and ends with "or" ("it doesn't lock, chest pains and ..." does not)
    return after is not None and after.group().lower() in LIST_WORDS and any(
        t.group().lower() in ("or", "nor") for t in tokens[i + 1:i + 13])


# Someone else's words quoted ("a post said 'my knee swelled up in an hour'. Not me!"): the "my" is theirs.
_OPEN_QUOTE = re.compile(r"(?:^|(?<=[\s(:]))['\"“‘]")
_CLOSE_QUOTE = re.compile(r"['\"”’](?=[\s.,;:!?)]|$)")
_SAID = re.compile(r"\b(?P<who>\w+)?\s*(?:said|says|wrote|writes|posted|posts|put\s+it|asked|reads?|commented|replied|"
                   r"(?:read|saw|seen|found)\s+(?:this\s+)?(?:on|in)\s+(?:a|an|the|some)\s+(?:\w+\s+)?(?:forum|thread|post|group|site|website|article|blog)|"
                   r"quot(?:e|es|ed|ing)\b[^.!?'\"“‘]{0,60}?)\s*:?\s*$", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|my|me|mine|i'm|i've|i'd)\b", re.I)
_ME_TOO = re.compile(r"[^.!?]{0,40}?\b(?:happened\s+to\s+me|same\s+(?:here|with\s+me|for\s+me|as\s+me|thing)|me\s+too|"
                     r"exactly\s+(?:me|like\s+me|what\s+(?:i|happened))|that'?s\s+me|like\s+mine|mine\s+(?:too|did|is))\b",
                     re.I)
_DISOWNED = re.compile(r"\W*(?:(?:that'?s|that\s+is|this\s+is|it'?s|it\s+is)\s+)?"
                     r"(?:not|wasn'?t|isn'?t)\s+(?:about\s+)?me\b", re.I)


def quoted_other(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies in first-person words quoted from someone else: the quote is introduced by
    another's "said", "wrote" or "quoting", or followed by "not me"."""
    opens = list(_OPEN_QUOTE.finditer(text, max(0, start - 400), start))
    for o in reversed(opens):
        close = _CLOSE_QUOTE.search(text, o.end(), o.end() + MAX_SENTENCE)  # bounded: a huge message stays fast
        if close is None or close.start() < end:
            continue
        if not _FIRST_PERSON.search(text, o.end(), close.start()):
            return False
        if _ME_TOO.match(text, close.end(), close.end() + 60):
            return False  # "... in minutes" - that's exactly what happened to me
        said = _SAID.search(text, max(0, o.start() - 80), o.start())
        if said and (said.group("who") or "").lower() not in {"i", "me"}:
            return True
        return _DISOWNED.match(text, close.end(), close.end() + 40) is not None
    return False


# A condition put as a question ("If my knee ever puffed up, how quickly should I get it seen?", "Say I couldn't
# walk on it. Would I ...?", "Were my knee to become hot ...?"): told in the past, with "ever" or "one day", not a habit
# ("if I stretch it locks").
_CONDITION = re.compile(r"\b(?:if|say|suppose|supposing|imagine|(?<![\w,]\s)(?:were|should)(?=\s+(?:i|my|the)\b))\s+"
                        r"(?:[\w']+\s+){0,4}?(?:ever|one\s+day|someday|"
                        r"went|got|were|was|had|became|become|becomes|started|stayed|suddenly|couldn'?t|could\s+not|felt|swelled|"
                        r"ballooned|blew|puffed|locked|buckled|gave|turned)\b",
                        re.I)
# what may come before it in its sentence: nothing, or the start of a question about it ("what would it mean if"),
# or a lead-in ended by a colon ("Before I start: if I got a sharp pain ..., what then?")
_LEAD = re.compile(r"(?:^|,|:|\bbut|\band|\bso|\bwondering|\bhypothetically|\bwould\s+it\s+be\s+\w+|"
                   r"\bwould\s+it\s+mean|\bwhat\s+would\s+(?:happen|that\s+mean|it\s+mean))\s*$", re.I)
# the condition is met after all ("is it bad if both my legs went numb? asking because they did")
_MET = re.compile(r"\b(?:(?:they|it|mine|i)\s+(?:did|has|have|had|does|do)\b(?!\s+not|n't)|hasn'?t\s+gone|"
                  r"haven'?t\s+gone|already|right\s+now|at\s+the\s+moment|it'?s\s+been)", re.I)


def conditional_question(text: str, start: int, end: int, not_conditions: Sequence[tuple[int, int]] = ()) -> bool:
    """Whether text[start:end] lies in a condition, told in the past or with "ever", that its sentence or the next
    asks about; a condition word inside one of `not_conditions` ("If I'm honest ...") is none."""
    lo, hi = sentence_at(text, start)
    cond = next((c for c in _CONDITION.finditer(text, lo, end)
                 if not any(p0 <= c.start() < p1 for p0, p1 in not_conditions)), None)
    if end > hi or cond is None or cond.start() >= start or not _LEAD.search(text[lo:cond.start()].strip()):
        return False
    after = text[hi:hi + 200]
    if _MET.search(text, end, hi + 200):
        return False
    return after.lstrip().startswith("?") or (after.startswith(".") and "?" in after.split(".")[1][:120])


# A place named alone, or as the whole point of a short sentence, whose signs the next sentence tells ("My calf. Hot
# and swollen since Friday.", "It's my calf that worries me. It's warm and puffed up.", "My chest. It feels like
# someone is sitting on it.", "It's in the middle, behind the breastbone. It's a pressing pain"; reading 92; "My bum.
# Numb since yesterday."): the full stop between them is taken out, so that they are one sentence.
_PLACE_ONLY = re.compile(r"(?:(?:it'?s|it\s+is)\s+)?(?:(?:right\s+)?in\s+the\s+middle,?\s+)?"
                         r"(?:(?:behind|under|in|across|on)\s+)?(?:(?:my|the|left|right|this|that|and)\s+){0,3}"
                         r"(?:calf|chest|breastbone|sternum|bum|bottom|butt|backside|groin|crotch|privates|private\s+parts|"
                         r"genitals|saddle(?:\s+area)?|down\s+there)"
                         r"(?:\s+(?:of\s+my\s+(?:left|right|other)\s+leg\s*)?(?:that|which)\s+(?:\w+\s+)?"
                         r"(?:worries|concerns|bothers|scares|frightens)\s+me)?", re.I)
_TOLD_NEXT = re.compile(r"(?:it'?s|it\s+(?:is|has|feels|looks|was|went|got|became|hurts)|(?:very\s+|really\s+|all\s+)?"
                        r"(?:hot|warm|red|swollen|puffy|puffed|tight|painful|sore|tender|pressing|crushing|heavy|numb|"
                        r"tingl\w*|dead|no\s+feeling|can'?t\s+feel|cannot\s+feel)\b)",
                        re.I)
_OTHER_PLACE = re.compile(r"\b(?:knees?|kneecap|thighs?|ankles?|foot|feet|hips?)\b", re.I)


def joined(text: str) -> str:
    """`text` with the full stop after a place named alone read as a space (and the next word lowercased) where the
    next sentence tells of it and names no other place; offsets kept."""
    spans, out = sentences(text), text
    for (a0, a1), (b0, b1) in zip(spans, spans[1:], strict=False):
        if (text[a1:b0].strip() == "." and _PLACE_ONLY.fullmatch(text, a0, a1) and _TOLD_NEXT.match(text, b0, b1)
                and not _OTHER_PLACE.search(text, b0, b1)):
            stop = a1 + text[a1:b0].index(".")
            low = out[b0].lower()  # one character only: "İ" lowercases to two, and offsets must stay
            out = out[:stop] + " " + out[stop + 1:b0] + (low if len(low) == 1 else out[b0]) + out[b0 + 1:]
    return out
