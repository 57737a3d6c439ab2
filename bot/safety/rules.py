"""The red-flag rules: lay-language cues (data/red_flags.yaml) read in context (bot/safety/context.py).

Safety is asymmetric. A clear hit records the flag; a hit whose context is not clearly attached to
it, or a vague description, asks the rule's yes/no question; only an attached negation, an
informational or hypothetical question, someone else, or clearly resolved history is silent.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.answers import Answer, answer_to
from bot.datafile import SafeLoader, describe_validation
from bot.errors import RulesError
from bot.ids import RedFlag, Triage
from bot.safety import laughs, persons, questions, ruletext
from bot.safety.context import DEFAULT_PATH as CONTEXT_PATH
from bot.safety.context import Assessment, ContextRules, Modifier
from bot.safety.detections import Decision, Detection, ScanResult
from bot.safety.glossary import Glossary, packaged
from bot.safety.inside import denied_inside, laughed_off, retracted, taken_back
from bot.safety.quoted import answers, quote_end, typed_question
from bot.safety.rulespec import FileSpec
from bot.safety.ruletext import Expander, comma_clause, matches, segment
from bot.safety.rxcache import PatternCache
from bot.safety.sentences import headline, joined, sentence_at, sentences, with_next
from bot.safety.timeline import Timeline, TimelineCues

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "red_flags.yaml"
# "difference is ...", "but I've also ...": a new point; a laugh or reason told before it is not about it (reading 77)
_TURN = re.compile(r"\b(?:(?:the\s+)?difference\s+is|the\s+(?:thing|problem)\s+is|"
                   r"but\s+(?:i'?ve\s+|i\s+have\s+|i\s+)?also)\b", re.I)
_ASKED_ABOUT = frozenset({Modifier.HYPOTHETICAL, Modifier.INFORMATIONAL})  # lifted when the person says it is theirs
_NOT_NOW = _ASKED_ABOUT | {Modifier.NEGATED, Modifier.HISTORICAL}  # not a bystander warning when so told
SILENCING = frozenset({Modifier.NEGATED, Modifier.HYPOTHETICAL, Modifier.INFORMATIONAL,
                       Modifier.HISTORICAL, Modifier.OTHER_PERSON})
TIMELINE = "timeline"  # modifier of a persistent-pain detection made from the timeline of several messages
ANSWERED = "answered"  # modifier of a yes to the flag's own question, kneebot's or one quoted above the reply


# a quoted question whose yes means the sign is not there ("Does the numbness go away once you stop?")
_GONE_ASKED = re.compile(r"\b(?:go(?:es)?\s+away|goes|gone|stop(?:s|ped)?|disappear\w*|improv\w*|better|fine|ok|okay|"
                         r"normal|settl\w*|eas(?:e|es|ed|ing)|pass(?:es|ed)?|(?:only|just)\s+(?:in|during|while|when))\b")
MAX_HITS_WEIGHED = 40  # cue matches a rule weighs in one message (bounds the cost of repeated words)

@dataclass(frozen=True)
class Rule:
    """One red-flag rule as the dialogue and replies see it."""

    id: RedFlag
    triage: Triage
    question: str
    why: str
    cite: str
    source: str


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    vague: bool
    clear_if: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    sentence_scope: bool
    clear_in_message: bool
    anywhere: bool
    unless_told: re.Pattern[str] | None


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    cues: tuple[_Cue, ...]
    not_about: re.Pattern[str] | None
    ask_if: re.Pattern[str] | None  # a sense easily taken for the flag (a locked knee as technique): ask
    ask_told: re.Pattern[str] | None  # in the whole sentence, what may explain it ("... but I had a heat pack on")
    silent_if: re.Pattern[str] | None  # in the hit's sentence, says it is not the flag (a painless click)
    elsewhere: re.Pattern[str] | None  # the last place named before a hit, the knee unnamed in its clause


class RuleSet:
    """The validated, compiled red-flag rules; `scan` runs them on a message."""

    def __init__(self, spec: FileSpec, context: ContextRules, version: str,
                 glossary: Glossary | None = None, patterns: PatternCache | None = None) -> None:
        self.version = version
        self.glossary = glossary or Glossary({}, {})
        self.spec_version = spec.version  # the rule set's declared version; the learned layer is trained for it
        self.context = context
        expand = Expander(spec.defs, patterns)
        self._rules: dict[RedFlag, _Compiled] = {}
        for key, r in spec.rules.items():
            flag = RedFlag(key)
            where = f"rules.{key}"
            cues = tuple(
                _Cue(expand.compile(c.re, f"{where}.cues[{i}]"), c.vague,
                     expand.union(c.clear_if, f"{where}.cues[{i}].clear_if"),
                     expand.union(c.unless, f"{where}.cues[{i}].unless"), c.scope == "sentence",
                     c.clear_in == "message", c.anywhere,
                     expand.union(c.unless_told, f"{where}.cues[{i}].unless_told"))
                for i, c in enumerate(r.cues)
            )
            rule = Rule(flag, r.triage, r.question.strip(), r.why.strip(), r.cite.strip(), r.source.strip())
            self._rules[flag] = _Compiled(rule, cues, expand.union(r.not_about, f"{where}.not_about"),
                                          expand.union(r.ask_if, f"{where}.ask_if"),
                                          expand.union(r.ask_told, f"{where}.ask_told"),
                                          expand.union(r.silent_if, f"{where}.silent_if"),
                                          expand.union(r.elsewhere, f"{where}.elsewhere"))
        # the knee, a leg or a joint named ("lower leg" and "between my legs" are other places)
        legs = (r"(?<!lower\s)(?<!between\smy\s)(?<!between\sthe\s)(?<!same\s)(?<!other\s)(?<!final\s)"
                r"(?<!anchor\s)legs?"
                r"(?!\s+of\s+(?:the|my|a|an|our)\s+(?:\w+\s+){0,2}?(?:chair|table|stool|bench|bed|desk|ladder))")
        knee = "<<knee>>" if "knee" in spec.defs else "knees?"
        self._body = expand.compile(rf"\b(?:{knee}|{legs}|joints?)\b", "body")
        self._knee = expand.compile(rf"\b(?:{knee}|joints?)\b", "knee")  # not a leg: "the calf of my leg"
        t = spec.timeline

        def cue(k: str) -> re.Pattern[str]:
            return expand.union(getattr(t, k), f"timeline.{k}") or re.compile(r"(?!)")

        self.timeline_cues = TimelineCues(
            cue("modifying"), cue("improving"), cue("not_improving"), cue("pain"),
            min_days=t.min_days,
        )

    @classmethod
    def load(cls, path: Path | str | None = None, context_path: Path | str | None = None) -> RuleSet:
        """Load and validate the rules (the packaged files by default)."""
        path = Path(path) if path else DEFAULT_PATH
        context_path = Path(context_path) if context_path else CONTEXT_PATH
        try:
            raw = path.read_bytes()
            data = yaml.load(raw.decode("utf-8"), Loader=SafeLoader)
            ctx_raw = context_path.read_bytes()
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RulesError(f"{path.name}: {exc}") from None
        if not isinstance(data, dict):
            raise RulesError(f"{path.name}: expected a mapping with 'version', 'rules' and 'timeline'")
        allowed = ", ".join(f.value for f in RedFlag)
        rules = data.get("rules") or {}
        for key in rules if isinstance(rules, dict) else ():
            if key not in RedFlag.__members__.values():
                raise RulesError(f"{path.name}: rules: unknown id {key!r}; must be one of {allowed}")
        missing = [f.value for f in RedFlag if f.value not in rules]
        if missing:
            raise RulesError(f"{path.name}: rules: missing {', '.join(missing)}; every id needs a rule")
        try:
            spec = FileSpec.model_validate(data)
        except ValidationError as exc:
            raise RulesError(f"{path.name}: {describe_validation(exc)}") from None
        glossary = packaged()
        digest = hashlib.sha256(raw + b"\0" + ctx_raw + b"\0" + glossary.sha256.encode()).hexdigest()[:10]
        patterns = PatternCache()  # compiled patterns kept between processes (bot/safety/rxcache.py)
        rules = cls(spec, ContextRules.load(context_path, patterns), f"{spec.version}+{digest}", glossary, patterns)
        patterns.save()
        return rules

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, in SPEC order."""
        return tuple(self._rules[f].rule for f in RedFlag)

    def rule(self, flag: RedFlag | str) -> Rule:
        """The rule for a red-flag id."""
        return self._rules[RedFlag(flag)].rule

    def asks_instead(self, flag: RedFlag | str, text: str) -> bool:
        """Whether the message uses words in a sense easily taken for this flag (`ask_if`, `ask_told`) or is only
        about someone else, so that a learned hit for it is asked about rather than recorded."""
        compiled = self._rules[RedFlag(flag)]
        norm = text.replace("\u2019", "'").lower()
        glossed = (g.text if (g := self.glossary.read(norm)) is not None else norm).lower()
        asks = (compiled.ask_if, compiled.ask_told)
        return any(p is not None and p.search(f"{norm}\n{glossed}") for p in asks) or persons.only_others(glossed) \
            or any(ruletext.told_not(compiled.silent_if, said, lo, hi)  # the person's words, or their English
                   for said in {norm, glossed} for lo, hi in sentences(said))

    def _asked(self, quote: str) -> RedFlag | None:
        """The flag a quoted question asks about, for a yes under it to record: of the flags whose cues it uses, the
        most urgent; none for a statement, or a question whose yes means the sign is gone ("Does it go away ...?")."""
        norm = quote.replace("\u2019", "'").lower()
        if not norm.rstrip().endswith("?") or _GONE_ASKED.search(norm):
            return None
        # of equally urgent flags, the one its words name most fully ("Does your calf look swollen?": the calf's), and
        # not one told of another place ("Is your calf swollen, warm or red?" is no hot knee)
        named = {flag: max(len(m.group()) for m in found) for flag, c in self._rules.items()
                 if (found := [m for cue in c.cues if (m := cue.pattern.search(norm)) and not (
                     c.elsewhere is not None and ruletext.elsewhere(norm, m.span(), (0, len(norm)), c.elsewhere,
                                                                    self._knee))])}
        return max(named, key=lambda f: (list(Triage).index(self.rule(f).triage), named[f]), default=None)

    def read_confirmation(self, text: str) -> Answer:
        """What a reply to the flag's question amounts to: a doubt is yes, a doubt about something else no answer."""
        return answer_to(text)

    def timeline_from(self, data: dict | None) -> Timeline:
        """A timeline from its stored dict form."""
        return Timeline.from_dict(data)

    def scan(self, text: str, timeline: Timeline | None = None, pending: RedFlag | None = None) -> ScanResult:
        """Every rule's decision on `text`; `pending` is the flag whose question was just asked."""
        text = text if isinstance(text, str) else str(text)
        if (cut := quote_end(text) or typed_question(text)) and pending is None:  # "> Any swelling?\nyes"
            pending = self._asked(text[:cut])
        norm = joined(persons.addressed(ruletext.dictated(text.replace("\u2019", "'").replace("\u2018", "'"))))
        glossed = self.glossary.read(norm)
        if glossed is None:
            return self._scan(norm, text, timeline, pending)
        result = self._scan(glossed.text, glossed.text, timeline, pending)  # told (partly) in another language
        back = [replace(d, span=glossed.back(d.span), matched=text[slice(*glossed.back(d.span))])
                for d in result.detections]
        return replace(result, detections=back)

    def _scan(self, norm: str, text: str, timeline: Timeline | None, pending: RedFlag | None) -> ScanResult:
        found: dict[RedFlag, Detection] = {}
        others: dict[RedFlag, bool] = {}  # flag -> told as someone else's now
        cut = quote_end(text) or typed_question(text)
        if pending is not None and self.read_confirmation(text[cut:]).counts_as_yes:
            lo = cut + len(text[cut:]) - len(text[cut:].lstrip())  # the answer, under any quote
            hi = min(len(text.rstrip()), lo + 200)
            found[RedFlag(pending)] = Detection(RedFlag(pending), Decision.RECORD, (lo, hi), text[lo:hi],
                                                frozenset({ANSWERED}))
        for flag, at in answers(text, self._asked, lambda a: self.read_confirmation(a).counts_as_yes):  # "'...?' yes"
            found.setdefault(flag, Detection(flag, Decision.RECORD, at, text[slice(*at)], frozenset({ANSWERED})))
        spans, head = sentences(norm), headline(norm)  # a cue never reaches across sentences
        said = [s for s in spans if s[0] >= max(head, quote_end(norm))]  # a quote above the reply is not the person's
        for flag, compiled in self._rules.items():
            if flag in found:
                continue  # a post's title line (f405) counts unless its body tells the sign as someone else's
            best = self._best(norm, text, compiled, said, others)
            if head and flag not in others:
                best = self._best(norm, text, compiled, spans, others)
            if best is not None:
                found[flag] = best
        before = timeline or Timeline()
        after, spans = before.read(norm, self.timeline_cues, self.context)
        flag = RedFlag.PERSISTENT_PAIN
        status, was = after.status(self.timeline_cues.min_days), before.status(self.timeline_cues.min_days)
        if (flag not in found and spans and status != was and status in ("persistent", "possible")
                and not self.context.resolved_history(norm, spans[-1]) and not persons.theirs(norm, spans[-1])):
            span = spans[-1]
            decision = Decision.RECORD if status == "persistent" else Decision.CONFIRM
            found[flag] = Detection(flag, decision, span, text[span[0]:span[1]], frozenset({TIMELINE}))
        return ScanResult(sorted(found.values(), key=lambda d: list(RedFlag).index(d.rule)), after, frozenset(others),
                          frozenset(f for f, now in others.items() if now))

    def _best(self, norm: str, text: str, compiled: _Compiled, spans: list[tuple[int, int]],
              others: dict[RedFlag, bool]) -> Detection | None:
        best: Detection | None = None
        weighed = 0
        for cue in compiled.cues:
            cleared: bool | None = None  # whether the message clears a `clear_in: message` cue: searched once
            for m in matches(cue.pattern, norm, spans):
                weighed += 1
                if weighed > MAX_HITS_WEIGHED:  # a hostile repetition: what has been weighed decides
                    return best
                core = m.span("f") if "f" in cue.pattern.groupindex and m.start("f") >= 0 else m.span()
                if cue.clear_in_message and cleared is None:
                    cleared = cue.clear_if is not None and cue.clear_if.search(norm) is not None
                decision, mods = self._decide(norm, m, core, cue, compiled, cleared)
                if decision is None:
                    # told of someone else, or taken back ("earlier I said it gave way but actually I slipped"): the
                    # learned layer may ask about it, not record it
                    if Modifier.OTHER_PERSON in mods or Modifier.NEGATED in mods and retracted(norm, core):
                        others[compiled.rule.id] = others.get(compiled.rule.id, False) or not mods & _NOT_NOW
                    continue
                if best is None or (decision is Decision.RECORD and best.decision is Decision.CONFIRM):
                    best = Detection(compiled.rule.id, decision, m.span(), text[m.start():m.end()],
                                     frozenset(str(x) for x in mods))
                if best.decision is Decision.RECORD:
                    return best
        return best

    def _decide(self, norm: str, m: re.Match[str], core: tuple[int, int], cue: _Cue, compiled: _Compiled,
                cleared: bool | None = None) -> tuple[Decision | None, frozenset[Modifier]]:
        seg = segment(norm, core)
        if denied_inside(norm, core):  # "both legs are not numb": the "not" is inside the match
            return None, frozenset({Modifier.NEGATED})
        if compiled.not_about is not None or compiled.elsewhere is not None:
            clause = comma_clause(norm, core, self.context.clause(norm, core))
            if (compiled.not_about is not None and ruletext.names_other(compiled.not_about, norm, clause)
                    and not self._body.search(norm, *clause)) or (compiled.elsewhere is not None and not cue.anywhere
                    and ruletext.elsewhere(norm, core, clause, compiled.elsewhere, self._knee)):
                return None, frozenset()  # about something else, or another place ("my calf is swollen and hot")
        where = (0, len(norm)) if cue.clear_in_message else with_next(norm, seg)  # "... They're there for hours"
        clear = cleared if cleared is not None else (cue.clear_if is not None and
                                                     cue.clear_if.search(norm, *where) is not None)
        if cue.unless is not None and not clear:
            if cue.sentence_scope:
                if cue.unless.search(norm, *seg):
                    return None, frozenset()
            elif any(u.start() < m.end() and m.start() < u.end() for u in
                     cue.unless.finditer(norm, max(seg[0], m.start() - 60), min(seg[1], m.end() + 60))):
                return None, frozenset()
        if cue.unless_told is not None and ruletext.live(cue.unless_told, norm) and not (
                cue.clear_if is not None and ruletext.live(cue.clear_if, norm)):
            return None, frozenset()  # "tingles in the stretch ... gone the second I let go", told nowhere as lasting
        told = sentence_at(norm, core[0])
        if ruletext.told_not(compiled.silent_if, norm, *told, then=True) or ruletext.answered_no(norm, told, core):
            return None, frozenset()
        a = taken_back(ruletext.own_no_asked(self.context.assess(norm, core), norm, core[0]), norm, core,  # "no, not"
                       compiled.rule.triage is Triage.EMERGENCY)  # "swelled... actually not swelled"
        if mine := ruletext.confirmed(norm, told[1]) or persons.HAVE_IT_NOW.search(norm, core[1], told[1]) is not None:
            a = Assessment(a.modifiers - _ASKED_ABOUT, a.attached - _ASKED_ABOUT)
        # "... gave way and so did mine"; "my nan said to ask ... she means me, I'm the one who feels it"
        me_too = persons.MINE_TOO.search(norm, core[1], told[1]) is not None or ruletext.ITS_ME.search(norm) is not None
        if me_too:
            a = Assessment(a.modifiers - {Modifier.OTHER_PERSON}, a.attached - {Modifier.OTHER_PERSON})
        if a.attached & SILENCING:
            return None, a.modifiers
        if self.context.resolved_history(norm, core):  # "it gave way skiing in 2011 ... no probs since"
            return None, a.modifiers | {Modifier.HISTORICAL}
        if not me_too and persons.other_subject(norm, seg[0], core):
            return None, a.modifiers | {Modifier.OTHER_PERSON}
        if not mine and questions.what_if(norm, *told):  # "what if I stretch and then can't put weight on it?"
            return None, a.modifiers | {Modifier.HYPOTHETICAL}
        laughed = laughs.LAUGHED.search(norm, *told) or laughs.LAUGHED_NEXT.match(norm, told[1])  # may follow it
        if laughed and not ruletext.NOT_BEFORE.search(norm, max(0, laughed.start() - 8), laughed.start()) \
                and not ruletext.PAIN_TOLD.search(norm, *told):
            return None, a.modifiers  # "my knees gave out laughing at my kid": a figure of speech
        turn = max((t.end() for t in _TURN.finditer(norm, told[0], core[0])), default=told[0])
        laugh_from = turn  # "pretty sure I'm dying lol, chest pain down my left arm": a laugh in an earlier clause
        if compiled.rule.triage is Triage.EMERGENCY:  # is not about an emergency (reading 78)
            laugh_from = max(turn, laughs.clause_start(norm, seg[0], core[0]))
        # "laughed so hard I couldn't breathe": asked, never recorded; "real knee fine": silent
        if laughs.joking(norm, *seg, laugh_from=laugh_from):
            return (None if laughed_off(norm, seg[1]) else Decision.CONFIRM), a.modifiers | {Modifier.JOKING}
        if compiled.ask_if is not None and any(
                u.start() < m.end() and m.start() < u.end() for u in compiled.ask_if.finditer(norm, *told)) or (
                compiled.ask_told is not None and compiled.ask_told.search(norm, turn, told[1])):
            return Decision.CONFIRM, a.modifiers | {Modifier.UNCERTAIN}
        if (cue.vague and not clear) or a.modifiers:
            return Decision.CONFIRM, a.modifiers
        return Decision.RECORD, a.modifiers
