"""What a person has told us, across messages, about modified stretching and how it is going.

`persistent_pain` needs three facts that often arrive in separate messages ("I've been doing the
bent-knee version" ... "it's been two weeks" ... "no better"). A duration belongs to the nearest
cue in its clause: "hurting for three weeks, started the bent-knee version yesterday" is three
weeks of pain and one day of modification, which is not persistent.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.safety import persons
from bot.safety.context import ContextRules, Modifier, default_rules
from bot.safety.diary import diary_span
from bot.safety.durations import DAY_N, durations
from bot.safety.sentences import sentences

# "Week and a half in, zero improvement": the time is how far into the changed routine the person is
_INTO = re.compile(r"\s+in(?:to\s+(?:it|this|the\s+\w+(?:\s+\w+)?))?\s*(?:[,;:!.\u2014-]|and\b|now\b)", re.I)
# "tried it 10 days straight": the time the routine was kept up
_KEPT_AT = re.compile(r"\b(?:tried|done|did|doing|kept(?:\s+up|\s+at)?|keeping\s+at|stuck\s+(?:with|to|at)|been\s+at)"
                      r"\s+(?:it|this|that|them)\s+(?:for\s+)?(?:about\s+|around\s+|over\s+|a\s+good\s+)?$|"
                      # "I've done that routine every day since, so roughly 17 days now"
                      r"\b(?:done|doing|did|kept\s+(?:up|at))\s+(?:it|that|this|the)(?:\s+(?:routine|version|one|stretch\w*))?"
                      r"\s+(?:every\s+day\s+|daily\s+)?since\s*,?\s*(?:so\s+)?(?:that'?s\s+|it'?s\s+(?:been\s+)?)?"
                      r"(?:roughly\s+|about\s+|around\s+|nearly\s+|almost\s+)?$", re.I)
_AGO_STARTED = re.compile(r"(?:\s+ago)?,?\s+(?:i\s+|we\s+)?(?:started|switched|changed|began|moved|went\s+over|"
                          r"swapped)\b", re.I)
# a duration told of the pain that is also the routine's ("for 9 days since I switched to the gentle version",
# "still here 2 weeks after switching to the bent knee stretch")
_SINCE_CHANGE = re.compile(r"\s+(?:now\s+)?(?:since|after)\s+(?:i\s+|we\s+)?(?:switched|switching|started|starting|"
                           r"changed|changing|began|moved|went\s+(?:over\s+)?to|dropped|cut|eased|backed|modified|"
                           r"adjusted)\b", re.I)
# "doing the gentler version every day" while it hurt for ten days: the routine ran as long as the pain
_THROUGHOUT = re.compile(r"\b(?:every\s+(?:single\s+)?(?:day|morning|night|evening)|each\s+day|daily|religiously|"
                         r"consistently|haven'?t\s+(?:skipped|missed)|without\s+fail|"
                         # "hurting for a fortnight through all the modified stretching", "a week of doing them
                         # the careful way"
                         r"through(?:out)?\s+(?:all\s+)?(?:the|my)\s+(?:\w+\s+)?"
                         r"(?:modified|gentle|gentler|careful|easier|new|changed)\s+(?:\w+\s+)?(?:stretch\w*|routine|version|"
                         r"way|exercises?|programme|program|regime|plan|approach|method|ones|moves|holds)|"
                         r"(?:weeks?|fortnight|days)\s+of\s+(?:doing|following|sticking\s+to)\s+(?:the|my|them|it))\b",
                         re.I)
# the same when the pain is told as not improving ("sore for ten days, even though I've stuck to the light ones")
_ALL_ALONG = re.compile(r"\b(?:even\s+(?:though|tho|thou|altho|although)|even\s+after|despite|"
                        r"stuck\s+(?:to|with)|sticking\s+(?:to|with)|"
                        r"(?:doing|done|did|followed|following)\s+(?:everything|exactly|it\s+all)|"
                        r"i'?ve\s+(?:been\s+)?(?:doing|done|followed|following|kept|keeping))\b", re.I)
# or when one message of the writer's own tells the pain lasting well past a week (days), the gentler stretching
# and no change ("pain behind knee 2 weeks, I already changed the stretch, but is the same pain"; reading 32), unless
# the change was only just made or made on the assistant's advice
LONG_TOLD = 10
_JUST_BEGUN = re.compile(r"\b(?:just|only\s+just|only|recently)\s+(?:\w+\s+)?(?:switched|started|changed|began|begun|"
                         r"tried|moved)\b|\b(?:like|as)\s+(?:you|it)\s+(?:said|suggested|told\s+me)\b", re.I)
# A pain score ("6/10", "6 out of 10") or a diary entry's number ("day 11: 6", "night 4 - 5").
_SCORE = re.compile(r"(?<![\d/.])(?P<n>\d{1,2})\s*(?:/|out\s+of\s+|from\s+)10\b|"
                    r"\b(?:day|night|morning|evening)\s*#?\s*\d{1,3}(?:\s+[a-z]+){0,4}?\s*[:=\-\u2013]\s*(?P<d>\d{1,2})\b(?!\s*/)|"
                    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\s*[:=\-\u2013]?\s*(?P<w>\d{1,2})\b"
                    r"(?!\s*(?:st|nd|rd|th|/|am|pm|:|\.\d))|"
                    r"\b(?:week|wk)\s*\d(?:\s+[a-z]+){0,3}?\s*[:=\-\u2013]?\s*(?:avg|average|about|around|~|pain|score)\s*[:=]?\s*"
                    r"(?P<k>\d{1,2}(?:\.\d)?)\b|\bnrs\s*(?P<r>\d{1,2})\b|\b(?:day|d)\s*(?:\d{1,3}|one|two|three|four|five|"
                    r"six|seven|eight|nine|ten|eleven|twelve)\s+(?:pain|score|ache)\s+(?:(?:is|was|at|still|about)\s+)?"
                    r"(?P<e>\d{1,2})\b(?!\s*/)", re.I)
# "for about a week and a half" belongs to what came before it ("doing the gentle ones for ...")
_FOR = re.compile(r"\bfor\s+(?:about\s+|around\s+|roughly\s+|over\s+|nearly\s+|almost\s+|maybe\s+|like\s+|"
                  r"a\s+good\s+|going\s+on\s+|coming\s+up\s+(?:to\s+)?|the\s+best\s+part\s+of\s+)?$", re.I)
# "two weeks with the gentler stretches", "ten days of the bent-knee version": the routine's time
_GLUED = re.compile(r"\s*(?:of|with|on|using|doing|into|in)\s+(?:the\s+|my\s+|these\s+|this\s+|a\s+)?", re.I)
_ASKING = re.compile(r"\W*(?:when|will|how|does|do|should|would|is|can|could|what|has|have|did|any)\b", re.I)
# "has it improved? nope", "any better?": a question about improving does not say it improved
_ASKED_AFTER = re.compile(r"\s*(?:at\s+all|yet|so\s+far|much|any)?\s*\?")
# a sentence told of another complaint ("Ear's fine now by the way") says nothing of how the knee is going
_OTHER_PART = re.compile(r"\W*(?:(?:my|the)\s+)?(?:ear|eye|head|throat|cold|cough|flu|tooth|teeth|stomach|tummy|wrist|"
                         r"elbow|shoulder|neck|rash|infection)s?(?:'s|\s+is|\s+has|\s+are|\s+feels?)\b"
                         r"(?![^.!?]*\b(?:knee|leg|hamstring|stretch\w*)\b)", re.I)
# A sentence that is a condition or someone else's story tells nothing about this person's timeline.
_NOT_MINE = re.compile(
    r"\W*(?:i\s+have|i'?ve\s+got)\s+(?:a|an|this|one)\s+(?:\w+\s+)?(?:client|patient|athlete|student|runner|dancer)\b"
    r"[^.!?]{0,40}?\bwho\b|"  # "I have a client, 52, who's been doing modified stretches with me"
    r"\W*(?:(?:and|but|so|ok|okay|hypothetically|theoretically|in\s+theory|just\s+planning\s+ahead|reading|"
    r"looking\s+at|checking|going\s+through|(?:my|the|our)\s+(?:physio|doctor|doc|gp|pt|nurse|therapist|coach|trainer)\s+"
    r"(?:said|says|tell|tells|told)(?:\s+me)?(?:\s+that)?)\W+)?(?:if(?!\s+anything)|suppose|supposing|what\s+if|in\s+case|assuming|"
    r"let'?s\s+(?:say|suppose)|let\s+us\s+(?:say|suppose)|what\s+(?:happens|then)\s+if|(?:would|will|is)\s+it\s+be\s+(?:bad|serious|a\s+problem|worrying)\s+if|"
    r"what\s+(?:should|do|would|can)\s+i\s+do\s+if|what\s+(?:would|does|will)\s+it\s+mean\s+if|"
    r"asking\s+(?:for|about)\s+(?:my|a|an|our)\s+\w+|"
    r"(?:would|will)\s+(?:i|you|one|we)\s+(?:need|have)\s+to\s+(?:see|get|call|go\s+to|book)\b[^.?!]{0,40}?\bif\b|"
    r"when\s+(?:people|someone|somebody|a\s+person|you|they|doctors|physios)\s+(?:say|says|talk\s+about|mention|write|describe)\b|"
    r"i\s+keep\s+(?:seeing|reading|hearing)|i\s+(?:read|saw|heard)\s+(?:that|somewhere|online)|what\s+counts\s+as|"
    r"(?:he|she|they)\s+(?:reckons?|thinks|claims|swears)\b|(?:he|she)\s+(?:says|said)\s+(?:his|her|he|she)\b|"
    # "Comparing with my running buddy: his pain went after 3 days" (reading 77)
    r"(?:comparing\s+(?:with|to)\b[^.!?:]{0,40}:\s*)?(?:his|her|their)\s+(?:own\s+)?(?:pain|knee|leg|ache|hamstring|calf)s?\s+"
    r"(?:went|goes|was|is|has|had|got|cleared|settled|eased)\b|"
    r"(?:title\s*:\s*)?(?:my|our|a)\s+(?:\w+\s+)?(?:brother|sister|mum|mom|dad|father|mother|wife|husband|partner|friend|son|"
    r"daughter|kid|teen\w*|child|client|patient|mate|boyfriend|girlfriend|colleague|neighbou?r|student|pupil|twin|coach|athlete|"
    r"runner|player|teammate|cousin|aunt|uncle|gran\w*|grandad|grandpa|nan|housemate|flatmate|roommate|roomie|trainee|"
    r"buddy|pal|bestie|bff|winger|striker|goalie|keeper|defender|dancer|gymnast|swimmer)(?:-in-law)?(?:'s)?"
    r"(?:\s*\(\s*\d{1,3}\s*[mf]?\s*\))?\s+(?:says?|said|has|had|is|was|"
    r"knee|leg|pain|notes|diary|chart|records?|log)|(?:an?\s+|one\s+)?(?:client|patient|friend|colleague|neighbou?r)s?\s+of\s+(?:mine|ours)|"
    r"(?:the\s+)?(?:pt|patient|client)\s+(?:reports|states|describes|complains)|"
    r"(?:the\s+)?(?:client|patient|trainee|apprentice)(?:\s+(?:at|from|in)\s+(?:the\s+|my\s+)?\w+)?\s+(?:says?|said|has|had)\b|"
    r"(?:my|our|a)\s+(?:\w+\s+)?(?:client|patient|student|athlete|runner|player|friend|mate|son|daughter|mum|mom|dad|"
    r"wife|husband|partner)\s*,[^.!?]{0,80}?,\s+(?:reports|states|says|said|has|had|is|was|describes|complains|tells)|"
    r"quot(?:e|es|ing)\b[^.!?]{0,60}?\w(?=:))\b", re.I)
_BUT_MINE = re.compile(r"\b(?:says?|said|thinks?|reckons?|claims?|swears?)\b[^.!?]{0,60}?\b(?P<b>but)\s+"
                       r"(?:it'?s|i|i'?m|i'?ve|my|the\s+pain)\b", re.I)
# "if it's not better after a week of them, come back, and it's been 10 days of them and it's no better": the
# person's own
_OF_THEM = re.compile(r"\b(?:of|with|doing)\s+(?:them|those|these|it)\b", re.I)
_NOW_MINE = re.compile(r"(?:,|\bcome\s+back|\bsee\s+(?:her|him|them))\s*(?P<b>and|but|well|now)\s+"
                       r"(?:it'?s|it\s+has|i'?ve|i\s+have|i'?m|i\s+am)\s+(?:been|done|at|on|now|had|still)\b", re.I)
# "Should I try the strap and bent-knee version first?": a change asked about, not made
_TRYING = re.compile(r"\W*(?:(?:and|but|so)\W+)?(?:(?:should|shall|could|can)\s+i\s+(?:try|start|switch|use|give|go)"
                     r"|is\s+it\s+(?:worth|better)\s+(?:trying|to\s+try|switching|to\s+switch)|would\s+it\s+help)\b",
                     re.I)
# "10 days of pain; modified everything on day 2"; "a few days - actually, it's 11 days"
# "I've been doing the bent-knee version since day 3" (reading 77)
_ON_DAY = re.compile(r"\b(?:modified|switched|changed|(?<!pain\s)(?<!it\s)started|eased\s+off|adjusted|cut\s+back|"
                     r"went\s+(?:easy|gentle)|(?<=been\s)doing)\w*\b[^.!?]{0,40}?\b(?:on|since|from)\s+day\s+(?P<n>\d{1,2})\b",
                     re.I)
_CORRECTED = re.compile(r"\b(?:actually|correction|no\s+wait|i\s+mean)\b(?:(?!\b(?:pain|hurt\w*|ache\w*|sore|start\w*|"
                        r"began|begun)\b)[^.!?\d]){0,40}$", re.I)
_SKIP = {Modifier.NEGATED, Modifier.HYPOTHETICAL, Modifier.INFORMATIONAL, Modifier.OTHER_PERSON}
_CHANGE_IN = re.compile(r"\s+(?:in|of|to|with)\s+(?:the\s+|my\s+)?", re.I)  # "no change in (the) pain"
# a duration the writer quotes to correct it ("I said 'a few days' but ... it's been 11 days now")
_SAID_BEFORE = re.compile(r"\bsaid\s+['\"\u201c]$", re.I)
# a span still to come ("so I'll give the gentler version a week like the article says") (reading 54)
_PLANNED = re.compile(r"\b(?:i'?ll|i\s+will|i'?m\s+going\s+to|i'?m\s+gonna|gonna|i\s+plan\s+to)\s+(?:give|try|do|"
                      r"stick\s+with|keep\s+(?:at|up|going\s+with))\b[^.!?,;]{0,40}$", re.I)
# the gentler routine hardly kept up: its days say nothing of persistence ("I've skipped most days")
_LAPSED = re.compile(r"(?<!n't\s)(?<!not\s)(?<!never\s)\b(?:skipped|missed)\s+"
                     r"(?:most|half|a\s+lot|loads|several|many|the\s+majority)\b|"
                     r"\bonly\s+(?:actually\s+|really\s+)?(?:done|did|managed)\s+(?:it|them|the\s+(?:\w+\s+){0,2}?(?:stretch\w*|"
                     r"routine|version|exercises?))\s+(?:once|twice|two\s+or\s+three\s+times|a\s+(?:couple|few)\s+(?:of\s+)?times|"
                     r"[1-3]\s*(?:x|times))\b|\bhaven'?t\s+(?:really\s+)?been\s+(?:doing\s+(?:it|them)|consistent)|"
                     r"\bnot\s+been\s+(?:very\s+|that\s+)?consistent|\bfell\s+off\s+the\s+wagon", re.I)


@dataclass(frozen=True)
class TimelineCues:
    """Compiled phrases that tell modification, improvement and pain apart."""

    modifying: re.Pattern[str]
    improving: re.Pattern[str]
    not_improving: re.Pattern[str]
    pain: re.Pattern[str]
    min_days: float = 7


@dataclass(frozen=True)
class Timeline:
    """Modified stretching so far: whether, for how long, and whether it is improving."""

    modifying: bool = False
    modified_days: float | None = None
    pain_days: float | None = None
    improving: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Timeline:
        """Rebuild from `to_dict` output; missing or unknown keys are ignored."""
        data = data or {}

        def days(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        improving = data.get("improving")
        return cls(bool(data.get("modifying", False)), days("modified_days"), days("pain_days"),
                   improving if isinstance(improving, bool) else None)

    def status(self, min_days: float = 7) -> str | None:
        """'persistent', 'possible' (worth asking), or None."""
        if not self.modifying or self.improving is True:
            return None
        if self.modified_days is not None:
            if self.modified_days < min_days:
                return None
            return "persistent" if self.improving is False else "possible"
        if self.improving is False and (self.pain_days is None or self.pain_days >= min_days):
            return "possible"
        return None

    def read(self, text: str, cues: TimelineCues,
             context: ContextRules | None = None) -> tuple[Timeline, list[tuple[int, int]]]:
        """This timeline updated by `text`, and the spans of the phrases that changed it."""
        context = context or default_rules()
        state, spans, diary_days, last_at, last_owner = self, [], 0.0, -1, ""
        told_mod, told_pain, mod_set = False, 0.0, False  # what this message itself tells
        lapsed = _LAPSED.search(text) is not None
        for lo, hi in sentences(text):
            of_them = None  # the change told in the condition, then "10 days of them": the person's own
            if _NOT_MINE.match(text, lo, hi):  # "if it's still sore after a week of ...", "my brother says his hasn't"
                # "my husband says it's stiffness but it's three weeks ..."
                turn = _BUT_MINE.search(text, lo, hi) or _NOW_MINE.search(text, lo, hi)
                if turn is None:
                    continue
                if _OF_THEM.search(text, turn.start("b"), hi):
                    of_them = cues.modifying.search(text, lo, turn.start("b"))
                lo = turn.start("b")
            mods = [] if _TRYING.match(text, lo, hi) and "?" in text[lo:hi + 2] else _live(
                cues.modifying, text, lo, hi, context, _SKIP, frozenset({Modifier.NEGATED}))
            mods = mods or ([of_them] if of_them else [])
            # a not-improving phrase carries its own negation ("no, it hasn't got any better")
            worse = _live(cues.not_improving, text, lo, hi, context, _SKIP - {Modifier.NEGATED})
            taken = [m.span() for m in worse]
            # a question ("when does it improve?") or news of another complaint tells nothing of improving
            aside = (_ASKING.match(text, lo, hi) is not None and "?" in text[hi:hi + 2]
                     or _OTHER_PART.match(text, lo, hi) is not None)
            better = [m for m in _live(cues.improving, text, lo, hi, context, _SKIP | {Modifier.UNCERTAIN})
                      if not aside and not _ASKED_AFTER.match(text, m.end())
                      and not any(a < m.end() and m.start() < b for a, b in taken)]
            taken += [m.span() for m in better]
            # "still hurts" says how it is going, not how long it has hurt
            # and so does the pain a change is told of ("for the last 2 weeks with no change in pain")
            pains = [m for m in cues.pain.finditer(text, lo, hi)
                     if not any(a < m.end() and m.start() < b or _CHANGE_IN.fullmatch(text, b, m.start())
                                for a, b in taken)]
            told_mod = told_mod or (bool(mods) and "?" not in text[lo:hi + 2])
            if mods and not state.modifying:
                state = replace(state, modifying=True)
                spans.append(mods[0].span())
            for start, end, days in durations(text, lo, hi):
                if lapsed or _SAID_BEFORE.search(text, max(lo, start - 10), start) or _PLANNED.search(
                        text, max(lo, start - 60), start):
                    continue
                owner = _nearest(start, end, mods, pains, text, context)
                if last_owner and _CORRECTED.search(text, lo, start):  # the writer corrects the span just told
                    owner = last_owner
                if mods and _AGO_STARTED.match(text, end) or (mods or state.modifying) and (
                        _INTO.match(text, end) or _KEPT_AT.search(text, max(lo, start - 60), start)):
                    owner = "mod"  # "two Sundays ago I started doing it the gentle way", "ten days in, no change"
                spans.append((start, end))
                diary = DAY_N.match(text, start) is not None  # "day 1: 6. day 12: 6": the latest day counts
                diary_days = max(diary_days, days) if diary else diary_days
                if owner == "mod" or (owner is None and state.modifying and (state.modified_days is None or diary)):
                    if mod_set and not days and state.modified_days:
                        continue  # "after 8 days of gentle stretches, can't put weight on it this morning"
                    state = replace(state, modified_days=max(days, state.modified_days or 0) if diary else days)
                    last_owner, mod_set = "mod", True
                else:  # pain has lasted the longest it is told to ("since last week ... still the same today")
                    state = replace(state, pain_days=max(days, state.pain_days or 0))
                    told_pain = max(told_pain, days)
                    last_owner = "pain"
                    if _SINCE_CHANGE.match(text, end):  # "for 9 days since I switched to the gentle version"
                        state = replace(state, modified_days=days)
            last = max(worse + better, key=lambda m: m.start(), default=None)
            if last is not None:
                state = replace(state, improving=last in better)
                last_at = last.start()
                spans.append(last.span())
        on_day = _ON_DAY.search(text)
        since = state.pain_days - int(on_day["n"]) if on_day and state.pain_days else 0
        if state.modifying and since > (state.modified_days or 0):
            state = replace(state, modified_days=since)
        diary_days = max(diary_days, diary_span(text))  # "3rd: 5/10 ... 14th: 5/10" is eleven days
        if state.modifying and diary_days and (state.modified_days or 0) < diary_days:
            state = replace(state, modified_days=diary_days)  # a diary of the modified routine ("today" is not)
        at_once = (told_mod and told_pain >= LONG_TOLD and last_at >= 0 and not _JUST_BEGUN.search(text)
                   and not persons.names_someone(text) and not (context.dated and context.dated.search(text)))
        if (state.modifying and state.modified_days is None and state.pain_days is not None and (
                _THROUGHOUT.search(text) or (state.improving is False and (_ALL_ALONG.search(text) or at_once)))):
            state = replace(state, modified_days=state.pain_days)
        trend = _trend(text)  # numbers told after the last word on how it goes say it ("still 5. Day 10: 1")
        if trend is not None and state.modifying and (last_at < 0 or trend[3] and trend[1] > last_at):
            state = replace(state, improving=trend[2])
            spans.append(trend[:2])
        return state, spans

    def updated(self, text: str, cues: TimelineCues) -> Timeline:
        """This timeline updated by what `text` says."""
        return self.read(text, cues)[0]


def _trend(text: str) -> tuple[int, int, bool, bool] | None:
    """Pain scores told over time ("day 2: 6/10 ... day 11: 6/10", "Mon 4/10 ... Fri 4/10"): the span from
    the first to the last, and whether the last is at least two points lower (improving)."""
    scores = [m for m in _SCORE.finditer(text) if not _NOT_MINE.match(text, _sentence_start(text, m.start()))]
    if len(scores) < 2:
        return None
    first, last = (float(m.group("n") or m.group("d") or m.group("w") or m.group("k") or m.group("r") or m.group("e"))
                   for m in (scores[0], scores[-1]))
    if max(first, last) > 10:
        return None
    return scores[0].start(), scores[-1].end(), last <= first - 2, len(scores) >= 3


def _sentence_start(text: str, at: int) -> int:
    return max(text.rfind(c, 0, at) for c in ".!?\n") + 1


def _live(pattern: re.Pattern[str], text: str, lo: int, hi: int, context: ContextRules,
          skip: set[Modifier], loose: frozenset[Modifier] = frozenset()) -> list[re.Match[str]]:
    """Matches not negated, hypothetical, informational or about someone else (those in `loose` only
    when clearly attached: "not improved in 10 days of modified stretching" still tells the change)."""
    out = []
    for m in pattern.finditer(text, lo, hi):
        if m.end() > m.start():
            a = context.assess(text, m.span())
            if not ((a.modifiers - loose) & skip or a.attached & loose & skip):
                out.append(m)
    return out


def _nearest(start: int, end: int, mods: list[re.Match[str]], pains: list[re.Match[str]],
             text: str, context: ContextRules) -> str | None:
    c0, c1 = context.clause(text, (start, end))
    before = _FOR.search(text, max(c0, start - 40), start) is not None
    best: tuple[int, str] | None = None
    for kind, matches in (("mod", mods), ("pain", pains)):
        for m in matches:
            if m.start() < start < m.end() or not (c0 <= m.start() and m.end() <= c1):
                continue
            if kind == "mod" and m.start() >= end and _GLUED.fullmatch(text, end, m.start()):
                return "mod"
            if before and m.start() >= end:
                continue
            gap = start - m.end() if m.end() <= start else m.start() - end
            if best is None or gap < best[0]:
                best = (gap, kind)
    return best[1] if best else None
