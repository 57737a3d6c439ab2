"""How the red-flag rules read text: <<definitions>> expanded and compiled, cue matches per sentence,
the part of a sentence around a finding, and the clause-level checks the rules apply after
bot/safety/context.py (the sentence is joking, the sign is told as not there); whose finding it is lives in
bot/safety/persons.py."""
from __future__ import annotations

import re
from collections.abc import Iterator

from bot.errors import RulesError
from bot.safety.context import NEGATED_BEFORE, Assessment, Modifier
from bot.safety.rxcache import PatternCache
from bot.safety.sentences import sentence_at

_DEF = re.compile(r"<<(\w+)>>")
_CONTRAST = re.compile(r"\b(?:but|however|though|although|whereas|except|yet)\b|[.!?;\n]", re.I)
MAX_TRIES = 50  # matches looked at per cue and sentence: bounds the time on pathological input
CONTEXT_REACH = 400  # characters either side of a finding that context may look at

class Expander:
    """Expands <<name>> definitions and compiles patterns, naming the entry on error."""

    def __init__(self, defs: dict[str, str], patterns: PatternCache | None = None) -> None:
        self.defs = defs
        self.patterns = patterns or PatternCache()

    def expand(self, pattern: str, where: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.defs:
                raise RulesError(f"{where}: unknown definition <<{name}>>; defined: {', '.join(self.defs)}")
            return self.defs[name]
        for _ in range(5):  # definitions may use definitions
            if not _DEF.search(pattern):
                break
            pattern = _DEF.sub(sub, pattern)
        return pattern

    def compile(self, pattern: str, where: str) -> re.Pattern[str]:
        try:
            return self.patterns.compile(self.expand(pattern, where), re.I)
        except re.error as exc:
            raise RulesError(f"{where}: bad pattern: {exc}") from None

    def union(self, patterns: list[str], where: str) -> re.Pattern[str] | None:
        if not patterns:
            return None
        parts = [self.expand(p, f"{where}[{i}]") for i, p in enumerate(patterns)]
        try:  # compiled once, as one pattern; each part alone only to name a bad one
            return self.patterns.compile("|".join(f"(?:{p})" for p in parts), re.I)
        except re.error as exc:
            for i, p in enumerate(patterns):
                self.compile(p, f"{where}[{i}]")
            raise RulesError(f"{where}: bad pattern: {exc}") from None  # each alone is fine, together not


def matches(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """Matches in each sentence, overlapping ones included: a silenced "numbness and then numb
    bottom" must not hide "numb bottom" (a leftmost match can swallow a later one)."""
    for lo, hi in spans:
        pos, tries = lo, 0
        while pos < hi and tries < MAX_TRIES:
            m = pattern.search(text, pos, hi)
            if m is None:
                break
            tries += 1
            if m.end() > m.start():
                yield m
            pos = m.start() + 1



def segment(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The part of the sentence around `span` between contrastive words ("but", "however")."""
    lo = max(0, span[0] - CONTEXT_REACH)
    hi = min(len(text), span[1] + CONTEXT_REACH)
    for m in _CONTRAST.finditer(text, lo, hi):
        if m.end() <= span[0]:
            lo = m.end()
        elif m.start() >= span[1]:
            return lo, m.start()
    return lo, hi


_LISTED = re.compile(r"\band\b|&|,")
_DENIED_BEFORE = re.compile(r"\b(?:no|without|nor)\s+$", re.I)


def comma_clause(text: str, core: tuple[int, int], clause: tuple[int, int]) -> tuple[int, int]:
    """The part of `clause` between the commas around `core` ("my calf isn't red, it swelled up fast"),
    reaching back over a list that goes on through the finding ("my calf is swollen, red and warm")."""
    c0, c1 = clause
    k = text.rfind(",", c0, core[0])
    listed = _LISTED.search(text, *core) is not None
    while listed and k >= 0 and not text[k + 1:core[0]].strip():
        k = text.rfind(",", c0, k)
    comma = text.find(",", core[1], c1)
    return max(c0, k + 1), comma if comma >= 0 else c1


def names_other(pattern: re.Pattern[str], text: str, clause: tuple[int, int]) -> bool:
    """Whether the clause names something else the finding may be about (`not_about`); one it denies
    ("I stopped right away no chest pain") is not what the finding is about. A clause told of "it" reaches
    back to its sentence's start when that names no body part ("my car's steering feels off, like it wobbles", "the
    suspension gave way and now it clunks")."""
    lo = clause[0]
    if _IT_CLAUSE.match(text, lo, clause[1]) or (_IT_NOW.match(text, lo, clause[1])
                                                  and _NOW_BEFORE.search(text, max(0, lo - 12), lo)):
        start = max(text.rfind(c, 0, lo) for c in ".!?\n") + 1
        lo = lo if _BODY_WORD.search(text, start, clause[1]) else start
    return any(_DENIED_BEFORE.search(text, max(lo, m.start() - 24), m.start()) is None
               and (m.start() >= clause[0] or _SIMILE.search(text, max(lo, m.start() - 30), m.start()) is None)
               for m in pattern.finditer(text, lo, clause[1]))


_SIMILE = re.compile(r"\b(?:like|as\s+if|as\s+though|as)\s+(?:\w+\s+){0,3}?$|\bsimilar\s+to\b", re.I)  # "like a door"
_IT_CLAUSE = re.compile(r"\W*(?:like|as\s+if|as\s+though)\s+(?:it|it'?s|they|they'?re)\b", re.I)
_IT_NOW = re.compile(r"\W*(?:it|it'?s|they|they'?re)\b", re.I)  # after "... and now": "gave way and now it clunks"
_NOW_BEFORE = re.compile(r"\b(?:now|then)\s*$", re.I)
_BODY_WORD = re.compile(r"\b(?:kn?ees?|legs?|calf|calves|foot|feet|thighs?|hamstrings?|ankles?|shins?|hips?|chest|"
                        r"bladder|bowels?|toes?|joint|kneecap)\b", re.I)


def elsewhere(text: str, core: tuple[int, int], clause: tuple[int, int], place: re.Pattern[str],
              knee: re.Pattern[str]) -> bool:
    """Whether a finding told without its place is about `place`: the knee is not named in its clause and
    the last place named before it is `place` ("Monday: calf tight. Wednesday: swollen, warm and red")."""
    if knee.search(text, *clause):
        return False
    before = [m.end() for m in place.finditer(text, max(0, core[0] - CONTEXT_REACH), core[0])]
    return bool(before) and knee.search(text, before[-1], core[0]) is None


_CONFIRMED = re.compile(
    r"\s*(?:because|cos|coz|cause|'cause|as|and|which)?\s*(?:that'?s|thats|this\s+is|which\s+is|it'?s)\s+(?:been\s+)?(?:exactly\s+|basically"
    r"\s+|pretty\s+much\s+|literally\s+)?(?:where\s+i(?:'?m|\s+am)\s+(?:at|now)|me(?:\s+(?:right\s+)?now|\s+since\s+\w+)?\s*[.!?]|what'?s\s+"
    r"happening(?:\s+to\s+me)?|what\s+happened|my\s+situation|the\s+case\s+(?:for\s+me|now)|what\s+i(?:'?ve|\s+have)\s+(?:got|had|now))"
    r"|\s*(?:because|cos|coz|cause|and|which)\s+(?:i|it)\s+(?:do|does|have|has|am|is|did)\s*(?:[.!?]|$)|\s*(?:because|cos|coz|cause)\s+my\s+(?:knee|leg|calf)\s+(?:has|does|keeps|is|did)\b|\s*(?:because|cos|coz)\s+i\s+(?:can'?t|cannot|couldn'?t|keep)\s+(?:seem\s+to\s+)?\w+"
    r"|\s*(?:and\s+)?i(?:'?ve|\s+have)\s+had\s+(?:them|it|this|that)\s+(?:since|for)\b|\s*mine(?:'?s|\s+is|\s+has|\s+did|\s+does|\s+stays|\s+stayed|\s+lasts|\s+lasted)(?:\s+(?:been\s+)?like\s+th|\s*[.!,]|\s*$|\s+(?:and|too|this|that|today|yesterday)\b)"
    r"|\s*(?:it\s+|this\s+|that\s+)?(?:started|began|came\s+on|kicked\s+in)\s+(?:yesterday|today|last\s+night|this\s+(?:morning|"
    r"afternoon|evening|week)|last\s+week|an?\s+hour\s+ago|\w+\s+(?:minutes|hours|days)\s+ago|on\s+\w+day|since)\b"
    r"|\s*(?:i'?ve\s+|i\s+)?had\s+(?:it|this|them)\s+(?:twice\s+|once\s+|a\s+few\s+times\s+)?(?:today|yesterday|this\s+(?:morning|"
    r"week))\b|\s*(?:it|this|that)\s+(?:just\s+)?happened\s+to\s+me\b"
    r"|\s*(?:and\s+)?(?:it'?s|it\s+is|this\s+is)\s+(?:happening|going\s+on)\s+(?:to\s+me\s+)?(?:right\s+)?now\b"
    r"|\s*(?:and\s+)?(?:it'?s|it\s+is|its)\s+(?:also\s+|really\s+|very\s+|quite\s+)?(?:tender|sore|painful|hurting|throbbing)"
    r"(?:\s+(?:too|as\s+well|when\s+i\s+(?:press|touch)))?\s*[.!]"
    # "because it happened twice today", also after "I think yes,"
    r"|\s*(?:(?:i\s+think|i'?d\s+say|i\s+guess|i\s+reckon)\s+(?:yes|yeah|so)\s*,?\s*)?"
    r"(?:(?:bc|because|cos|coz|cause|'cause|and|as)\s+)?(?:mine|it|that|this)(?:'s|\s+has|\s+have)?\s+(?:did|does|done|"
    r"happened|happens|been\s+happening)\s+(?:that\s+|this\s+|it\s+|to\s+me\s+)?(?:twice|once|again|several\s+times|a\s+few\s+"
    r"times|\w+\s+times|today|yesterday|this\s+(?:week|morning)|since|every\s+(?:single\s+)?(?:day|time)|all\s+week)\b"
    r"|\s*(?:(?:it'?s|it\s+is|it\s+started)\s+)?(?:only|just)\s+since\b|\s*i(?:'ve|\s+have)\s+had\s+(?:it|that|this|them)\s+(?:\w+\s+){0,2}?(?:times|twice|today|this\s+week|since)\b"
    r"|\s*(?:i'?m\s+)?trying\s+to\s+describe\s+what\s+i"
    r"|\s*(?:(?:because|cos|coz|cause|and|as)\s+)?i(?:'?ve\s+got|(?:\s+do)?(?:\s+kind\s+of|\s+sort\s+of|\s+kinda)?\s+have(?:\s+got)?)"
    r"\s+(?:it|them|both|that|this|those|all\s+(?:of\s+)?"
    r"(?:that|them|three))(?:\s+(?:right\s+)?now|\s+(?:too|as\s+well))?\s*(?:[.!?,]|$)|\s*(?:because|cos|coz|cause)\s+i\s+did\b"
    r"|\s*asking\s+(?:because|cos|coz|as)\s+(?:that'?s|thats|it'?s)\s+(?:exactly\s+)?what\s+i(?:'?ve|\s+have)?\s+(?:got|had|feel)"
    r"|\s*(?:i'?m\s+)?asking\s+(?:because|cos|coz|as|since)\s+i(?:'ve|\s+have)?(?:\s+got)?\s+(?:it|them|that|this|both)\b"
    r"|\s*(?:both\s+of\s+)?(?:mine|i)(?:'ve|\s+has|\s+have)\s+been\s+like\s+(?:it|that|this)\s+(?:since|for|all)\b"
    r"|\s*(?:it'?s|it\s+has|they'?ve|they\s+have)\s+been\s+(?:(?:there|like\s+that|going\s+on|happening)\s+)?(?:since|for|all)\b"
    r"|\s*(?:it'?s|it\s+has|they'?ve|they\s+have)\s+been\s+(?:there|like\s+that|going\s+on|happening)\s+(?:(?:a|an|one|two|three|four|five|six|\d+|a\s+few|a\s+couple\s+of)\s+(?:days?|weeks?|hours?))\b"
    r"|\s*mine(?:'s|\s+is|\s+are|\s+has\s+been)\s+(?!(?:\w+\s+)?(?:fine|ok|okay|normal|good|alright|great|perfect|"
    r"grand|better|settled|gone|not|never)\b)(?:\w+\s+){0,4}?(?:since|(?:right\s+)?now|today|at\s+the\s+moment|days?|weeks?)\b"
    # "...? Because mine has", "...? Mine was visibly bulging within minutes", "...? It's gone red too."
    r"|\s*(?:because|cos|coz|cause|'cause|bc)\s+mine(?:'s|\s+is|\s+has|\s+was|\s+did|\s+does)\b(?!\s+(?:\w+\s+)?(?:fine|ok|"
    r"okay|normal|good|alright|not)\b)|\s*mine\s+does\s+(?:both|too|that|as\s+well)\b"
    # "Is it a problem if my knee gives way when I'm carrying shopping? Because it does, since ..." (reading 91)
    r"|\s*(?:because|cos|coz|cause|'cause|bc)\s+(?:it|they)\s+(?:does|do|did)\b(?!\s+not\b|n't|\s+(?:for|to|with|in)\s+(?!me\b))"
    r"|\s*mine\s+(?:was|went|got|did|is)\s+(?:\w+\s+){0,3}?(?:within|right\s+after|straight\s+after|straight\s+away|"
    r"today|yesterday|this\s+(?:morning|afternoon|evening|week)|last\s+night|just\s+now)\b"
    # "... if I lost control of my bladder. I have, twice today.", "... if my calf got hot or swollen. It's both now.",
    # "is a hot red swollen knee with a temperature serious? That's me right now.", "...? like mine does now"
    r"|\s*i\s+have(?:\s+now)?\s*,\s*(?:twice|once|three\s+times|\w+\s+times|today|this\s+(?:morning|week))\b"
    r"|\s*(?:it'?s|it\s+is|they'?re|they\s+are)\s+(?:both|all\s+(?:three|of\s+them|of\s+those))(?:\s+now)?\s*[.!]"
    r"|\s*(?:that'?s|that\s+is)\s+(?:me|mine|what\s+i(?:'?ve|\s+have)\s+got)\s+(?:right\s+)?now\b"
    r"|\s*(?:like|as)\s+mine\s+(?:does|is|did)\s+(?:right\s+)?now\b"
    # "...? happens to me on stairs", "...? Happened about 10 minutes ago."
    r"|\s*(?:(?:because|cos|coz|and|as|well)\s+)?(?:it\s+|this\s+|that\s+)?happen(?:s|ed)\s+(?:to\s+me\b|(?:about\s+|like\s+|around\s+)?(?:\d+|an?|one|two|ten|five|twenty|half\s+an?)\s*"
    r"(?:min|hour|sec|h\b|day)\w*\s+ago|just\s+now|(?:this|last)\s+(?:morning|night|evening|afternoon|week)|yesterday|today|earlier|"
    r"(?:\d+|two|three|four|five|several|a\s+few)\s+times\s+(?:today|now|this\s+(?:morning|week)))"
    # "...? started during my stretch session about an hour ago" (reading 93)
    r"|\s*(?:it\s+)?(?:started|began|came\s+on)\s+(?:during|in|after|while)\s+(?:\w+\s+){1,4}?(?:about\s+|around\s+|like\s+)?"
    r"(?:an?|\d+|one|two|three|half\s+an)\s+(?:hour|minute|min|day)s?\s+ago\b"
    # "... or your bum goes numb, that's A&E.' Well it's gone numb."
    r"|[\"'\u201d\u2019]?\s*(?:(?:and|well|so|now|guess\s+what|and\s+now|well\s+now)[,!]?\s+)?(?:it'?s|it\s+has|mine'?s|mine\s+has)\s+(?:also\s+|now\s+|just\s+)?gone\s+(?:all\s+|really\s+|bright\s+)?"
    r"(?:red|hot|purple|numb|puffy|swollen|blotchy)\b", re.I)


def confirmed(text: str, end: int) -> bool:
    """Whether the sentence ending at `end` is followed by the person saying it is theirs ("if the pins
    and needles last a day, do I need it looked at? Because that's where I'm at.")."""
    return (_CONFIRMED.match(text, end) is not None or _CONFIRMED.match(text, min(len(text), end + 1)) is not None
            or ITS_ME.search(text) is not None)


# "if someone couldn't feel their private parts ... (it's me, i'm someone)": the someone is the writer (reading 58)
ITS_ME = re.compile(r"(?:\(\s*|\b(?:ok|okay|fine|lol|jk|ngl)\W*\s*)(?:ok\s+)?(?:it'?s|its|it\s+is)\s+me\b"
                     r"(?=\s*(?:[,.)!?]|$))|"
                     r"\bi'?m\s+(?:the\s+)?someone\b|\b(?:she|he|they)\s+means?\s+me\b|\b(?:that'?s|thats)\s+been\s+me\s+(?:since|for|all)\b|"
                     r"\bthe\s+(?:someone|friend|person)\s+(?:is|was)\s+me\b", re.I)


# "no" as the whole answer ("Gave way? No.", "breathless? also no"), not the start of another denial
# ("...? no bladder problems")
_ANSWERED_NO = re.compile(r"\s*(?:\?|\?{2,}(?=\s*(?:no|nope|nah|zilch|nada|none|nil)\b))[\"'\u201d\u2019]?\s*"
                          r"(?:[-\u2013\u2014:]\s*)?"
                          r"(?:(?:lol|lmao|haha\w*|ha|hmm+|um+|erm+|tbh|honestly)\W*\s*)?"  # "numb bum? lol no"
                          r"(?:(?:also|again|still|and|that's\s+(?:a|also\s+a))\s+)?"
                          r"(?:no|nope|nah|never|none|not\s+at\s+all|not\s+really|not\s+once|not\s+even\s+once|zilch|nada|nil|nothing|none\s+at\s+all|negative)\b(?=\s*(?:[.,;!?)]|$|\s+no\s*[.,;!]|\s+(?:not|never|"
                          r"none|really|nothing|at\s+all|thanks|thank|i|it|its|it's|that's|thats|way|had|felt|known|been|of|sir|ma'?am|"
                          r"mate|doc|thankfully|luckily)\b))"
                          r"(?!\s+(?:had|felt|known|been)\s+(?:\w+\s+){0,3}?(?:before|b4|like\s+(?:this|that)))"
                          r"|\s*\?\s*(?:but\s+)?i\s+(?:haven'?t|never)\s+(?:had|got)\s+(?:one|it|that)\b"
                          # a list of signs, then "I don't have any of those"
                          r"|\s*[.:;]\s*(?:but\s+)?i\s+(?:don'?t|do\s+not|haven'?t|have\s+not)\s+(?:have|got|had)\s+any\s+of\s+"
                          r"(?:those|these|them|the\s+above)\b(?!\s+other)"
                          # "weak leg? I don't think so"
                          r"|\s*\?\s*(?:um+\W*\s*|hmm+\W*\s*)?(?:i\s+)?(?:don'?t|do\s+not|dont)\s+think\s+so\b"
                          # "did it swell quickly? it's not swollen at all": the sign denied, not "it's not bad at all"
                          r"|\s*\?\s*(?:it'?s\s+not|its\s+not|it\s+is\s+not|it\s+isn'?t|they'?re\s+not"
                          r"|they\s+aren'?t)\s+(?:even\s+)?(?:swollen|puffy|numb|hot|warm|red|locked|stuck|wobbly|unstable)"
                          r"\s+at\s+all\b", re.I)


def answered_no(text: str, told: tuple[int, int], core: tuple[int, int]) -> bool:
    """Whether the sign is asked and answered no at once, as in a checklist: the sentence is the question
    ("Gave way? No. Swelling? Nope.", "weak leg? I don't think so"), a list of signs is followed by "I don't have
    any of those", or the sign is named alone and denied after a comma or colon ("Giving way, no, never.",
    "Instability: not at all."), or the question is said to be general ("Can the nerve thing cause numbness in both
    legs? Asking generally, mine is only one side"), or asked of "you" with no word of the person's own."""
    if _ANSWERED_NO.match(text, told[1]) is not None or _GENERALLY.match(text, told[1]) is not None:
        return True
    if (_TO_YOU.match(text, told[0], told[1]) and not _MY.search(text, told[0], core[0])
            and not _MY.search(text, core[1])):
        return True  # "is it normal to be breathless when you start running again?", and no word of the writer's own
    return _ECHO_LEAD.fullmatch(text, told[0], core[0]) is not None and _ECHO_NO.match(text, core[1]) is not None


_TO_YOU = re.compile(r"\W*(?:(?:but|so|and|also|oh|quick\s+question:?)\s+)?is\s+it\s+(?:normal|ok|okay|common|usual)\s+"
                     r"to\s+(?:be|feel|get)\b(?=[^.?!]{0,60}\bwhen\s+you\b)", re.I)
_MY = re.compile(r"\b(?:i|i'?m|im|i'?ve|ive|i'?d|my|me|mine|myself)\b", re.I)
_GENERALLY = re.compile(r"\s*\?+\s*(?:i'?m\s+|i\s+am\s+)?(?:just\s+|only\s+)?asking\s+(?:generally|in\s+general|"
                        r"hypothetically|out\s+of\s+(?:interest|curiosity)|for\s+(?:interest|curiosity))\b"
                        r"(?![^.!?]{0,30}\b(?:because|cos|as|since)\s+(?:i|mine|my)\b)", re.I)
# the sign named alone at the start of its sentence, then denied: "Chest pain, no no, nothing like that"
_ECHO_LEAD = re.compile(r"\W*(?:(?:and|also|any|as\s+for|about|re|what\s+about|oh|well|so)\s+)*", re.I)
_ECHO_NO = re.compile(r"(?:\s+(?:in|of|on|around|behind|at)\s+(?:the\s+|my\s+)?(?:knee|leg|calf|foot|chest)s?)?"
                      r"\s*[,:\u2013\u2014-]\s*(?:no+|nope|nah|never|none|not\s+at\s+all|not\s+once|negative|"
                      r"n(?=[ \t]*(?:\n|$|/)))\b"
                      r"(?=\s*(?:[.,;!?)/]|$|\n|\s+(?:no|not|never|none|nothing|at\s+all|thanks|thank)\b))", re.I)


_SHORT = 70  # characters: "Doesn't hurt at all, it just sounds gross."
_NEXT_WORD = re.compile(r"\w")
PAIN_TOLD = re.compile(r"\b(?:pain\w*|hurt\w*|stab\w*|sore|agony|sharp|twinge\w*|ache\w*|aching)\b", re.I)


_SUBJECT = re.compile(r"(?:(?:but|and|though)\s+)?(?:it|that|this|which)(?:'s|\s+is)?\s+", re.I)


def told_not(pattern: re.Pattern[str] | None, text: str, lo: int, hi: int, then: bool = False) -> bool:
    """Whether the sentence says the hit is not the sign (`silent_if`, "a click that doesn't hurt")
    and tells no pain besides ("it used to be painless, but now it catches and hurts" is the sign);
    with `then`, a short sentence right after it may say so ("A little click. Doesn't hurt.")."""
    if pattern is None:
        return False
    nxt = _NEXT_WORD.search(text, hi) if then else None
    if nxt is not None:
        n0, n1 = sentence_at(text, nxt.start())
        subject = _SUBJECT.match(text, nxt.start(), n1)  # "It doesn't hurt.", "it's painless"
        first = pattern.match(text, subject.end() if subject else nxt.start(), n1) \
            if n0 >= hi - 1 and n1 - n0 <= _SHORT else None
        if first is not None and PAIN_TOLD.search(text, lo, hi) is None:
            return PAIN_TOLD.search(text, first.end(), n1) is None
    said = list(pattern.finditer(text, lo, hi))
    if not said:
        return False
    starts, ends = [lo] + [m.end() for m in said], [m.start() for m in said] + [hi]
    rest = "".join(text[a:b] for a, b in zip(starts, ends, strict=True))
    return PAIN_TOLD.search(rest) is None


_OWN_NEGATOR = re.compile(r"(?:no|not|never|can'?t|cannot)\b", re.I)  # a sign told with a negator: "no feeling"


def own_no_asked(a: Assessment, norm: str, at: int) -> Assessment:
    """The assessment of a sign told with its own negator ("no feeling round the bum") after a list of denials
    ("no swelling, no feeling ..."): the list may have read the sign's "no" as one more denial, so that denial is
    not clearly attached, and the sign is asked rather than dropped."""
    if Modifier.NEGATED in a.attached and _OWN_NEGATOR.match(norm, at):
        return Assessment(a.modifiers, a.attached - {Modifier.NEGATED})
    return a


NOT_BEFORE = re.compile(r"(?:\bnot|\bnever|n't)\s+$", re.I)  # "not from laughing"


# negated as in the context rules, or belittled, or negated without an apostrophe, just before
_UNSAID = re.compile(NEGATED_BEFORE.pattern + r"|\b(?:nothing|without|only|just|dont|doesnt|didnt|isnt|wasnt|cant|"
                     r"wont|hasnt|havent|aint)\s+(?:\w+\s+){0,2}$", re.I)


def live(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` occurs in `text` other than negated or belittled just before ("never lingers",
    "doesn't go when I let go", "only lasts a second")."""
    return any(not _UNSAID.search(text, max(0, m.start() - 24), m.start()) for m in pattern.finditer(text))


# punctuation spoken into voice-to-text and typed out as words ("it locked full stop then it hurt comma a lot")
_DICTATED = re.compile(r"(?<=\w)\s+(?:(?P<stop>full\s+stop)|(?P<comma>comma))\b(?=\s|$)", re.I)


def dictated(text: str) -> str:
    """`text` with dictated punctuation read as the mark, padded with spaces so that every offset stays the same."""
    return _DICTATED.sub(lambda m: ("." if m.group("stop") else ",").ljust(len(m.group()), " "), text)
