"""ConText-style modifiers for a finding in lay text.

Trigger phrases, terminators and windows are data (`data/context_rules.yaml`); the scope algorithm
is here. Two choices differ from clinical ConText because people write differently from notes:
a forward scope ends after the first symptom word that is not followed by a list connector, so a
nearby negated *other* finding does not spread ("no swelling my knee buckled"), and every modifier
says whether it is clearly attached to the finding, so a caller can ask instead of staying silent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.datafile import describe_validation, read_yaml
from bot.errors import RulesError
from bot.safety import sentences
from bot.safety.rxcache import PatternCache
from bot.safety.sentences import LIST_WORDS, QUALIFIERS, continues_list, qualifies, sentence_at
from bot.safety.story import RECURRED, in_dated_story, now_in

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "context_rules.yaml"
_REACH = 300  # characters either side of a finding that a scope may reach: keeps huge input fast
_DETERMINERS = frozenset({"a", "an", "any", "the", "some", "no", "or", "and", "nor"})
_LAST_WORD = re.compile(r"([^\W_]+)[\s,]*$")
NEGATED_BEFORE = re.compile(r"(?:\bnot|n't|\bnever|\bno)\s+(?:\w+\s+){0,2}$", re.I)  # "hasn't been fine since"
_NOT_FINE = re.compile(r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+){0,2}(?:fine|ok|okay|right|good|normal|great|well|stable|"
                       r"solid|the\s+same)\b", re.I)  # "it hasn't been right since" is not over
_TAKES_OBJECT = re.compile(r"(?:lock|click|catch|pull|hurt|injur)\w*", re.I)  # "locking my knee out" goes on
# a dated day's story goes on through "and I", "and my", "when I" ("In June 2017, I had back pain and I could not
# feel myself pass urine") (real31)
_STORY_GOES_ON = re.compile(r"(?:and|when)\s+(?:i|i'm|im|my)\b", re.I)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[,&/]")


class Modifier(StrEnum):
    """Ways the context can change what a finding means."""

    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    INFORMATIONAL = "informational"
    HISTORICAL = "historical"
    OTHER_PERSON = "other_person"
    UNCERTAIN = "uncertain"
    JOKING = "joking"  # told with a laugh ("lol"): asked by the rules, a hit where the learned layer is sure


# A rule's question carrying only these (or none: a vague description) may become a hit when the learned
# layer is confident; a hedge, a negation or a condition never does. The detector and the threshold choice
# both read it, so the thresholds are chosen for what the detector does.
PROMOTABLE = frozenset({str(Modifier.JOKING)})


@dataclass(frozen=True)
class Assessment:
    """The modifiers found for one finding; `attached` holds those clearly tied to it."""

    modifiers: frozenset[Modifier] = frozenset()
    attached: frozenset[Modifier] = frozenset()

    def clearly(self, modifier: Modifier) -> bool:
        """Whether the modifier is present and clearly attached to the finding."""
        return modifier in self.attached

    @property
    def loose(self) -> frozenset[Modifier]:
        """Modifiers present but not clearly attached."""
        return self.modifiers - self.attached


class _TriggerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modifier: Modifier
    re: str
    direction: Literal["forward", "backward", "both"] = "forward"
    window: int | None = None
    attach: Literal["near", "never", "always", "resolved", "list", "dated"] = "near"


class _RulesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | str
    window: int
    attach_within: int
    fillers: list[str]
    connectors: list[str]
    heads: str
    terminators: list[str]
    modifier_terminators: dict[Modifier, list[str]] = {}
    pseudo: list[str] = []
    restart: str | None = None
    restart_after: list[str] = []
    triggers: list[_TriggerSpec]
    resolution: list[str] = []


@dataclass(frozen=True)
class _Trigger:
    modifier: Modifier
    pattern: re.Pattern[str]
    direction: str
    window: int
    attach: str


class ContextRules:
    """Compiled context rules; `assess` is the algorithm."""

    def __init__(self, spec: _RulesSpec, patterns: PatternCache | None = None) -> None:
        cache = patterns or PatternCache()  # compiled patterns kept between processes (bot/safety/rxcache.py)
        _compile, _any = cache.named, cache.named_any
        self.version = str(spec.version)
        self.window = spec.window
        self.attach_within = spec.attach_within
        self.fillers = frozenset(w.lower() for w in spec.fillers)
        self.connectors = frozenset(w.lower() for w in spec.connectors)
        # written over several lines (YAML folds them with spaces): a literal space would break the alternatives
        self.heads = _compile("".join(spec.heads.split()), "heads")
        self.terminators = _any(spec.terminators, "terminators")
        self.modifier_terminators = {
            m: _any(ps, f"modifier_terminators.{m}") for m, ps in spec.modifier_terminators.items()
        }
        self.pseudo = _any(spec.pseudo, "pseudo")
        self.restart = _compile(spec.restart, "restart") if spec.restart else None
        self.restart_after = frozenset(w.lower() for w in spec.restart_after)
        self.resolution = _any(spec.resolution, "resolution")
        self.dated = _any([t.re for t in spec.triggers if t.modifier is Modifier.HISTORICAL], "triggers (historical)")
        self.triggers = tuple(
            _Trigger(t.modifier, _compile(t.re, f"triggers[{i}] ({t.modifier})"), t.direction,
                     t.window or spec.window, t.attach)
            for i, t in enumerate(spec.triggers)
        )

    @classmethod
    def load(cls, path: Path | str | None = None, patterns: PatternCache | None = None) -> ContextRules:
        """Load and validate context rules (the packaged file by default)."""
        path = Path(path) if path else DEFAULT_PATH
        data = read_yaml(path, "context rules")
        try:
            return cls(_RulesSpec.model_validate(data), patterns)
        except ValidationError as exc:
            raise RulesError(f"{path.name}: {describe_validation(exc)}") from None

    def clause(self, text: str, span: tuple[int, int]) -> tuple[int, int]:
        """The span of the clause around `span`: its sentence cut at the nearest terminators."""
        lo, hi = sentence_at(text, span[0])
        for m in self._terminator_hits(text, lo, hi, None):
            if m[1] <= span[0]:
                lo = max(lo, m[1])
            elif m[0] >= span[1]:
                hi = min(hi, m[0])
        return lo, hi

    def assess(self, text: str, span: tuple[int, int]) -> Assessment:
        """The modifiers that apply to the finding at `span` in `text`."""
        start, end = span
        lo, hi = sentence_at(text, start)
        lo, hi = max(lo, start - _REACH), min(max(hi, min(end, len(text))), end + _REACH)
        # a pseudo-trigger may look past its sentence ("is it bad if ur knee gives out? bc mine just did")
        pseudo = [m.span() for m in self.pseudo.finditer(text, lo, min(len(text), hi + _REACH))
                  if m.start() < hi] if self.pseudo else []
        # "a post said 'my knee swelled up'. Not me!"; "if my knee ever puffed up, how quickly should I ...?"
        told = (Modifier.OTHER_PERSON if sentences.quoted_other(text, start, end) else
                Modifier.HYPOTHETICAL if sentences.conditional_question(text, start, end, pseudo) else None)
        if told is not None:
            return Assessment(frozenset({told}), frozenset({told}))
        heads = [m.span() for m in self.heads.finditer(text, lo, hi)]
        tokens = [m for m in _TOKEN.finditer(text, lo, hi)]
        found: set[Modifier] = set()
        attached: set[Modifier] = set()
        stops_by: dict[Modifier, list[tuple[int, int]]] = {}
        hits = [(trig, m.span()) for trig in self.triggers for m in trig.pattern.finditer(text, lo, hi)]
        hits = [(trig, (t0, t1)) for trig, (t0, t1) in hits
                if t0 < t1 and not (t0 < end and start < t1)
                and not any(p0 < t1 and t0 < p1 for p0, p1 in pseudo)
                and not any(u0 <= t0 and t1 <= u1 and u1 - u0 > t1 - t0 for _, (u0, u1) in hits)]
        for trig, (t0, t1) in hits:
            stops = stops_by.get(trig.modifier)
            if stops is None:
                stops = stops_by[trig.modifier] = self._terminator_hits(text, lo, hi, trig.modifier)
            own = self.modifier_terminators.get(trig.modifier)
            if own is not None and own.search(text, start, end):
                continue  # the finding itself says otherwise: "had to carry me" is about me
            gap = None
            if trig.direction in ("forward", "both") and t1 <= start:
                if start < self._forward_end(text, t1, hi, trig, stops, tokens, heads):
                    gap = (t1, start)
            if gap is None and trig.direction in ("backward", "both") and end <= t0:
                if start >= self._backward_start(lo, t0, trig, stops, tokens):
                    gap = (end, t0)
            if gap is None or (trig.attach in ("resolved", "dated") and RECURRED.search(text, t1)):
                continue  # a dated episode that has come back since is told now ("... Now it's come back")
            found.add(trig.modifier)
            if self._attached(text, trig, gap, tokens, heads, end):
                attached.add(trig.modifier)
        return Assessment(frozenset(found), frozenset(attached))

    def _terminator_hits(self, text: str, lo: int, hi: int,
                         modifier: Modifier | None) -> list[tuple[int, int]]:
        hits = [m.span() for m in self.terminators.finditer(text, lo, hi)] if self.terminators else []
        extra = self.modifier_terminators.get(modifier) if modifier else None
        if extra:
            hits += [m.span() for m in extra.finditer(text, lo, hi)]
        if self.restart is not None:
            for m in self.restart.finditer(text, lo, hi):
                prev = _LAST_WORD.search(text, max(lo, m.start() - 40), m.start())
                word = prev.group(1).lower() if prev else ""
                head = bool(word) and self.heads.fullmatch(word) is not None and not _TAKES_OBJECT.fullmatch(word)
                if word in self.restart_after or head:
                    hits.append((m.start(), m.start()))
        return hits

    def _forward_end(self, text: str, t1: int, hi: int, trig: _Trigger, stops: list[tuple[int, int]],
                     tokens: list[re.Match[str]], heads: list[tuple[int, int]]) -> int:
        limit = min([s0 for s0, _ in stops if s0 >= t1] + [hi])
        if trig.attach in ("list", "dated"):  # a pasted list ("get help if: ...") reaches every item, to a terminator
            return min([s0 for s0, s1 in stops if s1 > s0 >= t1 and text[s0] != ","  # nor a comma or restart
                        and not (trig.attach == "dated" and _STORY_GOES_ON.match(text, s0))] + [hi])
        # state: None (free), "head" (just passed a symptom word), "list" (a list connector after one)
        count, state, head_end, nouns, conn = 0, None, -1, 0, ""
        for i, tok in enumerate(tokens):
            if tok.start() < t1:
                continue
            if tok.start() >= limit:
                break
            count += tok.group() != ","  # "no locking, instability, effusion, paraesthesia ...": commas are free
            if count > trig.window:
                return tok.start()
            word = tok.group().lower()
            head = next((h for h in heads if h[0] <= tok.start() < h[1]), None)
            if tok.start() < head_end:
                continue  # inside a multi-word symptom phrase
            if head is not None:
                if state == "head":
                    return tok.start()  # two symptom words in a row: "it doesn't lock numbness in ..."
                if state == "comma" and not continues_list(tokens, head[1], hi):
                    return tok.start()  # "it doesn't lock, numbness in my foot": a new clause
                count, state, head_end = (0 if state == "comma" else count), "head", head[1]
            elif state in ("comma", "list") and word in QUALIFIERS and qualifies(tokens, i, heads, state, conn):
                continue
            elif word == "," and state != "head":
                return tok.start()  # a comma ends a scope unless it lists symptoms
            elif state in ("head", "prep") and word in LIST_WORDS:
                state, conn = ("comma" if word == "," else "list"), word
            elif state == "head" and word in self.connectors:
                state, nouns = "prep", 0  # "no pain behind my knee ..."
            elif state == "prep" and word not in self.fillers:
                nouns += 1
                if nouns > 2:
                    return tok.start()
            elif state == "head" or (state == "list" and word not in self.fillers) or (
                    state == "comma" and word not in _DETERMINERS):
                return tok.start()
        return limit

    def _backward_start(self, lo: int, t0: int, trig: _Trigger, stops: list[tuple[int, int]],
                        tokens: list[re.Match[str]]) -> int:
        # a list answered at its end ("any numbness, any change with peeing - and it was a no to all of them") reaches
        # back over the commas and joins of its items to the sentence's start; other scopes stop at a terminator
        start = lo if trig.attach == "list" else max([s1 for _, s1 in stops if s1 <= t0] + [lo])
        before = [tok for tok in tokens if start <= tok.start() and tok.end() <= t0]
        if len(before) > trig.window:
            start = before[-trig.window].start()
        return start

    def _attached(self, text: str, trig: _Trigger, gap: tuple[int, int], tokens: list[re.Match[str]],
                  heads: list[tuple[int, int]], end: int) -> bool:
        if trig.attach in ("never", "always", "list"):
            return trig.attach != "never"
        if trig.attach in ("resolved", "dated"):
            return self._resolved(text, end)
        between = [t for t in tokens if gap[0] <= t.start() and t.end() <= gap[1]]
        weight = sum(1 for t in between if t.group().lower() not in self.fillers
                     and t.group().lower() not in self.connectors
                     and not any(h0 <= t.start() < h1 for h0, h1 in heads))
        return weight <= self.attach_within

    def resolved_history(self, text: str, span: tuple[int, int]) -> bool:
        """Whether the finding at `span` is told as over: its sentence dates it ("in 2011", "as a teenager"),
        a resolution follows it in the message ("no probs since", "rock solid now"), not negated, and its own
        clause says nothing of now ("again", "this week", "still")."""
        if self.resolution is None or self.dated is None:
            return False
        own = sentence_at(text, span[0])
        now = self.modifier_terminators.get(Modifier.HISTORICAL)
        if not self.dated.search(text, *own):
            # "knee went pop, agony. This was in 2009 and it healed fine."
            nxt = sentence_at(text, own[1] + 1) if own[1] + 1 < len(text) else None
            # "In 1998 I went over on it on a course. It swelled like a melon. ... Fine for 25 years."
            prev = sentence_at(text, own[0] - 2) if own[0] >= 2 else None
            if (nxt is None or not _BACKREF.match(text, nxt[0]) or not self.dated.search(text, *nxt)) and (
                    prev is None or not self.dated.search(text, *prev) or PRESENT.search(text, *own)
                    or (now is not None and now.search(text, *own))) and not in_dated_story(
                    self.dated, now, PRESENT, text, own):
                return False
        c0, c1 = self.clause(text, span)
        if now_in(now, text, c0, c1):
            return False
        return self._resolution_in(text, span[1], min(len(text), span[1] + 2 * _REACH))

    def _resolution_in(self, text: str, lo: int, hi: int) -> bool:
        """A resolution phrase in text[lo:hi] that is not itself negated ("it hasn't been right since")."""
        assert self.resolution is not None
        return not RECURRED.search(text, lo) and any(  # and not come back since
            not (NEGATED_BEFORE.search(text, max(0, m.start() - 30), m.start()) or _NOT_FINE.search(m.group()))
            for m in self.resolution.finditer(text, lo, hi))

    def _resolved(self, text: str, end: int) -> bool:
        if self.resolution is None:
            return False
        lo, hi = sentence_at(text, max(end - 1, 0))
        for _ in range(2):  # the resolution may come a sentence or two later ("... It went down. Never came back.")
            hi = max(hi, sentence_at(text, hi + 1)[1]) if hi + 1 < len(text) else hi
        return self._resolution_in(text, lo, hi)


# a sentence told in the present ("for the past four days my calf has been swollen") is not the dated one before it
PRESENT = re.compile(r"\b(?:(?:has|have|'s|'ve)\s+been|(?:past|last)\s+(?:few\s+|couple\s+of\s+)?(?:\w+\s+)?"
                      r"(?:days?|weeks?|hours?|nights?)|since\s+(?:\w+day|yesterday|last\s+\w+|the\s+stretch\w*|"
                      r"i\s+start\w*)|is|are|am|keeps?)\b", re.I)
_BACKREF = re.compile(r"\s*(?:and\s+|but\s+)?(?:this|that|it|all\s+(?:of\s+)?(?:this|that))\s+(?:all\s+)?"
                      r"(?:was|happened)\b", re.I)


@lru_cache(maxsize=1)
def default_rules() -> ContextRules:
    """The packaged context rules, loaded once."""
    return ContextRules.load()


def assess(text: str, span: tuple[int, int]) -> Assessment:
    """The modifiers of the finding at `span` in `text`, by the packaged rules."""
    return default_rules().assess(text, span)
