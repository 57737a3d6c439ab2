"""Likely causes from findings: naive Bayes over a cited evidence table, and which question to ask next.

The table is data (`data/evidence.yaml`): per slot a likelihood of each value under each cause, every
link citing the owner's article verbatim. Scores are posteriors under a flat prior. The next question
is the unasked slot whose answer is expected to remove the most uncertainty (information gain, in bits)
about the causes still in play.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.datafile import read_yaml
from bot.errors import RulesError
from bot.ids import Cause
from bot.symptoms.findings import FindingExtractor, Slot

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "evidence.yaml"
CAUSES: tuple[str, ...] = tuple(str(c) for c in Cause)
_STOP_KEYS = ("min_posterior", "min_margin", "min_gain", "in_play")


@dataclass(frozen=True)
class Link:
    """A finding's bearing on a cause: P(value | cause) and the article's phrase behind it."""

    slot: str
    value: str
    cause: str
    weight: float
    cite: str


@dataclass(frozen=True)
class Question:
    """A slot's clarifying question, what it tells apart, and the passage behind it."""

    slot: str
    text: str
    why: str
    cite: str


def _fail(where: str, message: str) -> RulesError:
    return RulesError(f"evidence.yaml: {where}: {message}")


def _unknown(keys: Collection[Any], allowed: Collection[str]) -> str:
    return f"unknown key(s) {', '.join(map(repr, sorted(keys)))}; allowed: {', '.join(allowed)}"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1.0001:
        raise _fail(where, f"must be a number in (0, 1], got {value!r}")
    return float(value)


def _text(spec: dict[str, Any], key: str, where: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{where}.{key}", "must be non-empty text")
    return value


class EvidenceModel:
    """Scores causes from known findings and picks the question that best separates them."""

    def __init__(self, data: dict[str, Any], declared: Mapping[str, Slot] | None = None) -> None:
        """`declared`: the symptom slots as findings.yaml declares them (kind and values live there only)."""
        self.declared = declared if declared is not None else FindingExtractor.load().slots
        if not isinstance(data, dict):
            raise _fail("top level", "must be a mapping")
        unknown = set(data) - {"version", "stop", "slots", "links"}
        if unknown:
            raise _fail("top level", f"unknown key(s) {sorted(unknown)}")
        self.version = str(data.get("version", ""))
        stop = data.get("stop") or {}
        if set(stop) - set(_STOP_KEYS):
            raise _fail("stop", _unknown(set(stop) - set(_STOP_KEYS), _STOP_KEYS))
        self.min_posterior = _number(stop.get("min_posterior", 0.7), "stop.min_posterior")
        self.min_margin = _number(stop.get("min_margin", 0.3), "stop.min_margin")
        self.min_gain = _number(stop.get("min_gain", 0.05), "stop.min_gain")
        self.in_play = _number(stop.get("in_play", 0.02), "stop.in_play")
        self.kinds: dict[str, str] = {}
        self.values: dict[str, tuple[str, ...]] = {}
        self.questions: dict[str, Question] = {}
        self._base: dict[str, dict[str, float]] = {}
        for name, spec in (data.get("slots") or {}).items():
            self._add_slot(str(name), spec)
        if not self.questions:
            raise _fail("slots", "at least one slot is needed")
        links = data.get("links") or []
        self.links: tuple[Link, ...] = tuple(self._link(i, spec) for i, spec in enumerate(links))
        self._build()

    def _add_slot(self, name: str, spec: Any) -> None:
        where = f"slots.{name}"
        if not isinstance(spec, dict):
            raise _fail(where, "must be a mapping")
        allowed = {"base", "question", "why", "cite"}
        if set(spec) - allowed:
            raise _fail(where, _unknown(set(spec) - allowed, sorted(allowed)) +
                        " (a slot's kind and values are declared once, in findings.yaml)")
        declared = self.declared.get(name)
        if declared is None or declared.kind not in ("multi", "yes_no"):
            usable = [n for n, d in self.declared.items() if d.kind in ("multi", "yes_no")]
            raise _fail(where, f"unknown slot {name!r}; findings.yaml declares {', '.join(usable)}")
        kind = declared.kind
        values = ("yes", "no") if kind == "yes_no" else declared.values
        base = spec.get("base", 0.1)
        if isinstance(base, dict):
            if set(base) - set(values) - {"default"}:
                extra = set(base) - set(values) - {"default"}
                raise _fail(f"{where}.base", _unknown(extra, (*values, "default")))
            default = _number(base.get("default", 0.1), f"{where}.base.default")
            per = {v: _number(base.get(v, default), f"{where}.base.{v}") for v in values}
        else:
            b = _number(base, f"{where}.base")
            per = {"yes": b, "no": 1 - b} if kind == "yes_no" else dict.fromkeys(values, b)
        if kind == "yes_no" and isinstance(base, dict):
            raise _fail(f"{where}.base", "a yes_no slot's base is one number, P(yes)")
        self.kinds[name], self.values[name], self._base[name] = kind, values, per
        self.questions[name] = Question(name, _text(spec, "question", where), _text(spec, "why", where),
                                        _text(spec, "cite", where))

    def _link(self, i: int, spec: Any) -> Link:
        where = f"links[{i}]"
        if not isinstance(spec, dict) or set(spec) != {"slot", "value", "cause", "weight", "cite"}:
            raise _fail(where, "needs exactly slot, value, cause, weight and cite")
        slot, value, cause = str(spec["slot"]), spec["value"], str(spec["cause"])
        value = {True: "yes", False: "no"}.get(value, str(value))
        if slot not in self.kinds:
            raise _fail(where, f"unknown slot {slot!r}; must be one of {', '.join(self.kinds)}")
        if value not in self.values[slot]:
            allowed = ", ".join(self.values[slot])
            raise _fail(where, f"{slot}: unknown value {value!r}; must be one of {allowed}")
        if cause not in CAUSES:
            raise _fail(where, f"unknown cause {cause!r}; must be one of {', '.join(CAUSES)}")
        weight = _number(spec["weight"], f"{where}.weight")
        return Link(slot, value, cause, weight, _text(spec, "cite", where))

    def _build(self) -> None:
        """Turn the links into P(value | cause) tables and find which links are support."""
        raw = {s: {c: dict(self._base[s]) for c in CAUSES} for s in self.kinds}
        seen: set[tuple[str, str, str]] = set()
        for i, link in enumerate(self.links):
            key = (link.slot, link.value, link.cause)
            if key in seen:
                raise _fail(f"links[{i}]", f"a second link for {link.slot}={link.value} -> {link.cause}")
            seen.add(key)
            if self.kinds[link.slot] == "yes_no":
                other = "no" if link.value == "yes" else "yes"
                if (link.slot, other, link.cause) in seen:
                    raise _fail(f"links[{i}]", f"{link.slot} -> {link.cause} has links for both yes and no")
                raw[link.slot][link.cause][other] = 1 - link.weight
            raw[link.slot][link.cause][link.value] = link.weight
        self._like: dict[str, dict[str, dict[str, float]]] = {}
        for slot, per_cause in raw.items():
            self._like[slot] = {}
            for cause, dist in per_cause.items():
                total = sum(dist.values())
                self._like[slot][cause] = {v: w / total for v, w in dist.items()}
        self._support = {(lk.slot, lk.value, lk.cause): lk for lk in self.links
                         if lk.weight > self._base[lk.slot][lk.value]}

    @classmethod
    def load(cls, path: Path | str | None = None, corpus_text: str | None = None,
             declared: Mapping[str, Slot] | None = None) -> EvidenceModel:
        """Load and validate the evidence table against the declared slots; with `corpus_text`, check
        every cite occurs in it."""
        path = Path(path) if path else DEFAULT_PATH
        data = read_yaml(path, "the evidence table")
        model = cls(data, declared)
        if corpus_text is not None:
            model.check_cites(corpus_text)
        return model

    def check_cites(self, corpus_text: str) -> None:
        """Raise RulesError naming the first link or question whose cite is not verbatim in the text."""
        for i, link in enumerate(self.links):
            if link.cite not in corpus_text:
                raise _fail(f"links[{i}] ({link.slot}={link.value} -> {link.cause})",
                            f"cite not found verbatim in the corpus: {link.cite!r}")
        for q in self.questions.values():
            if q.cite not in corpus_text:
                raise _fail(f"slots.{q.slot}.cite", f"not found verbatim in the corpus: {q.cite!r}")

    # --- scoring ------------------------------------------------------------------------------
    def _said(self, known: Mapping[str, str]) -> list[tuple[str, str]]:
        """The (slot, value) pairs of `known` this table has evidence for."""
        out: list[tuple[str, str]] = []
        for slot, value in known.items():
            if slot in self.kinds and value:
                out.extend((slot, v) for v in str(value).split("+") if v in self.values[slot])
        return out

    def posterior(self, known: Mapping[str, str]) -> dict[str, float]:
        """P(cause | findings) for every cause, flat prior."""
        logp = dict.fromkeys(CAUSES, 0.0)
        for slot, value in self._said(known):
            for cause in CAUSES:
                logp[cause] += math.log(self._like[slot][cause][value])
        top = max(logp.values())
        odds = {c: math.exp(lp - top) for c, lp in logp.items()}
        total = sum(odds.values())
        return {c: o / total for c, o in odds.items()}

    def scores(self, known: Mapping[str, str]) -> list[tuple[str, float]]:
        """Causes with at least one supporting finding, best first, as (cause, posterior)."""
        said = self._said(known)
        supported = {c for c in CAUSES if any((s, v, c) in self._support for s, v in said)}
        if not supported:
            return []
        post = self.posterior(known)
        return sorted(((c, post[c]) for c in supported), key=lambda cp: (-cp[1], CAUSES.index(cp[0])))

    def support(self, cause: str, known: Mapping[str, str]) -> list[Link]:
        """The person's findings that support `cause`, strongest first, each with its cite."""
        links = [lk for s, v in self._said(known) if (lk := self._support.get((s, v, str(cause))))]
        return sorted(links, key=lambda lk: -lk.weight / self._base[lk.slot][lk.value])

    def is_clear(self, known: Mapping[str, str]) -> bool:
        """Whether one supported cause stands clearly ahead of the rest."""
        ranked = self.scores(known)
        if not ranked:
            return False
        post = sorted(self.posterior(known).values(), reverse=True)
        return ranked[0][1] >= self.min_posterior and ranked[0][1] - post[1] >= self.min_margin

    # --- questions ----------------------------------------------------------------------------
    def expected_gain(self, slot: str, known: Mapping[str, str]) -> float:
        """Expected information gain (bits) about the causes in play from asking `slot`."""
        post = self.posterior(known)
        play = {c: p for c, p in post.items() if p >= self.in_play}
        total = sum(play.values())
        prior = {c: p / total for c, p in play.items()}
        like = self._like[slot]
        gain = _entropy(prior.values())
        for value in self.values[slot]:
            joint = [prior[c] * like[c][value] for c in prior]
            pv = sum(joint)
            if pv > 0:
                gain -= pv * _entropy(j / pv for j in joint)
        return gain

    def next_slot(self, known: Mapping[str, str], asked: Collection[str] = ()) -> str | None:
        """The unasked slot that best separates the causes in play, or None when done."""
        if self.is_clear(known):
            return None
        best, best_gain = None, self.min_gain
        for slot in self.questions:
            if slot in asked or slot in known:
                continue
            gain = self.expected_gain(slot, known)
            if gain > best_gain + 1e-12:
                best, best_gain = slot, gain
        return best

    def question(self, slot: str) -> str:
        """The reviewed question text for a slot."""
        return self.questions[slot].text

    def why(self, slot: str) -> str:
        """What a slot's question tries to tell apart, in reviewed words."""
        return self.questions[slot].why

    def why_cites(self, slot: str) -> list[str]:
        """The article phrase(s) behind a slot's question, to quote when asked why."""
        return [self.questions[slot].cite]

    def separates(self, slot: str) -> list[str]:
        """The causes a slot's answer bears on (those it has supporting links for), in SPEC order."""
        causes = {c for s, _, c in self._support if s == slot}
        return [c for c in CAUSES if c in causes]


def _entropy(ps: Any) -> float:
    return -sum(p * math.log2(p) for p in ps if p > 0)
