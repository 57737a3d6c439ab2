"""Symptom findings in lay text: which slot, which value, and whether the context undoes it.

Slots, values and their patterns are data (`data/findings.yaml`); matching, context and merging are here.
A message is lower-cased and its misspellings corrected before matching; spans point into the original.
Each match is assessed by `bot.safety.context`: hypothetical, informational and someone else's findings are
dropped, a negated yes/no finding becomes the opposite answer (negative evidence), and a negated value
of a multi slot is kept with `negated=True` so `merge` can withdraw it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answers import Answer, read_answer
from bot.datafile import read_yaml
from bot.errors import RulesError
from bot.safety.context import assess

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "findings.yaml"
KINDS = ("multi", "yes_no", "free")
MODIFIERS = ("negated", "hypothetical", "informational", "historical", "other_person", "uncertain")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
# A pattern that already carries its own negation ("doesn't help") means the negative; the context's
# negation then belongs to the pattern, not to the finding.
_OWN_NEGATION = re.compile(r"\b(?:no|not|never|nothing|without)\b|n't\b")
# A question about the guidance that says nothing about the person ("can a baker's cyst cause throbbing?")
# reports no finding, even where the context rules' trigger overlaps the finding itself.
_GENERAL_QUESTION = re.compile(
    r"(?:^|[.!?]\s*)(?:what|why|how|can|could|does|do|is|are|will|would|should)\b(?:(?!\b(?:i|i'm|i've|i'd|me|my|mine)\b)[^.!?])*\?")
# "more of an ache than burning", "pulling rather than sharp": the value after the contrast is withdrawn.
_CONTRASTED = re.compile(r"\b(?:than|rather than|instead of|not so much|no longer)\s+(?:(?:a|an|the|it|its|it's|"
                         r"being|more|really|so|much|of|like|any|that)\s+){0,3}$")
_ADDITIVE = re.compile(r"\b(?:also|too|as well|plus|and also|on top of that)\b")


@dataclass(frozen=True)
class Finding:
    """One thing the person said about their symptoms; `span` indexes the original message."""

    slot: str
    value: str
    span: tuple[int, int]
    negated: bool = False
    multi: bool = False
    additive: bool = False


@dataclass(frozen=True)
class Slot:
    """A symptom slot: its kind, its values and how its matches interact with others."""

    name: str
    kind: str
    values: tuple[str, ...]
    keep_historical: bool = False
    suppresses: frozenset[str] = frozenset()


def _fail(message: str) -> RulesError:
    return RulesError(f"findings.yaml: {message}")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise _fail(f"{where}: a pattern must be a non-empty string, got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise _fail(f"{where}: bad pattern {pattern!r}: {exc}") from None


_YES_NO: dict[Any, str] = {True: "yes", False: "no"}  # YAML reads bare yes/no as booleans


def _compile_all(patterns: Any, where: str) -> list[re.Pattern[str]]:
    return [_compile(p, f"{where}[{i}]") for i, p in enumerate(patterns or [])]


def _patterns(spec: Any, where: str, slot: Slot) -> list[tuple[str, re.Pattern[str]]]:
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise _fail(f"{where}: must map values to lists of patterns")
    out = []
    for value, patterns in spec.items():
        value = _YES_NO.get(value, str(value))
        if slot.kind != "free" and value not in slot.values:
            raise _fail(f"{where}: unknown value {value!r}; must be one of "
                             f"{', '.join(slot.values)}")
        if not isinstance(patterns, list) or not patterns:
            raise _fail(f"{where}.{value}: must be a non-empty list of patterns")
        compiled = [_compile(p, f"{where}.{value}[{i}]") for i, p in enumerate(patterns)]
        if slot.kind == "free":
            for i, rx in enumerate(compiled):
                if "v" not in rx.groupindex:
                    raise _fail(f"{where}.{value}[{i}]: a free slot's pattern needs (?P<v>...)")
                out.append((value, rx))
        else:
            # One alternation per value: far fewer scans of the message than one per pattern.
            out.append((value, re.compile("|".join(f"(?:{rx.pattern})" for rx in compiled))))
    return out


class FindingExtractor:
    """Recognises symptom findings in a message, reading short answers against the pending question."""

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("slots"), dict) or not data["slots"]:
            raise _fail("top level: needs a `slots:` mapping")
        unknown = set(data) - {"version", "drop_modifiers", "partial_yes", "partial_no", "typos", "fuzzy",
                               "protect", "slots"}
        if unknown:
            raise _fail(f"unknown key(s) {sorted(unknown)}")
        self.version = str(data.get("version", ""))
        self.drop = frozenset(data.get("drop_modifiers") or ())
        for m in self.drop:
            if m not in MODIFIERS:
                raise _fail(f"drop_modifiers: unknown modifier {m!r}; must be one of {', '.join(MODIFIERS)}")
        self.partial_yes = _compile_all(data.get("partial_yes"), "partial_yes")
        self.partial_no = _compile_all(data.get("partial_no"), "partial_no")
        self.typos = {str(k).lower(): str(v).lower() for k, v in (data.get("typos") or {}).items()}
        self.protect = frozenset(str(w).lower() for w in data.get("protect") or ())
        self._fuzzy: dict[str, set[str]] = {}
        for word in data.get("fuzzy") or ():
            word = str(word).lower()
            if len(word) < 6:
                raise _fail(f"fuzzy: {word!r} is shorter than 6 letters")
            for key in _deletes(word) | {word}:
                self._fuzzy.setdefault(key, set()).add(word)
        self.fuzzy_words = frozenset(w for ws in self._fuzzy.values() for w in ws)
        # A word more than one letter longer than every known word cannot be a one-letter typo of one.
        self._fuzzy_max = max(map(len, self.fuzzy_words), default=0) + 1
        self.slots: dict[str, Slot] = {}
        self._rules: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        self._pending: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for name, spec in data["slots"].items():
            self._add_slot(str(name), spec)
        for slot in self.slots.values():
            for other in slot.suppresses:
                if other not in self.slots:
                    raise _fail(f"slots.{slot.name}.suppresses: unknown slot {other!r}; "
                                     f"must be one of {', '.join(self.slots)}")
        self._cache: dict[str, str | None] = {}

    def _add_slot(self, name: str, spec: Any) -> None:
        where = f"slots.{name}"
        if not isinstance(spec, dict):
            raise _fail(f"{where}: must be a mapping")
        unknown = set(spec) - {"kind", "values", "pending", "keep_historical", "suppresses"}
        if unknown:
            raise _fail(f"{where}: unknown key(s) {sorted(unknown)}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise _fail(f"{where}.kind: unknown kind {kind!r}; must be one of {', '.join(KINDS)}")
        raw_values = spec.get("values")
        if not isinstance(raw_values, dict) or not raw_values:
            raise _fail(f"{where}.values: must map values to patterns")
        values = tuple(_YES_NO.get(v, str(v)) for v in raw_values)
        if kind == "yes_no" and not set(values) <= {"yes", "no"}:
            raise _fail(f"{where}.values: a yes_no slot has only yes and no, got {list(values)}")
        if kind == "yes_no":
            values = ("yes", "no")
        slot = Slot(name, kind, values, bool(spec.get("keep_historical", False)),
                    frozenset(spec.get("suppresses") or ()))
        self.slots[name] = slot
        self._rules[name] = _patterns(raw_values, f"{where}.values", slot)
        self._pending[name] = _patterns(spec.get("pending"), f"{where}.pending", slot)

    @classmethod
    def load(cls, path: Path | str | None = None) -> FindingExtractor:
        """Load and validate the slot definitions (the packaged file by default)."""
        path = Path(path) if path else DEFAULT_PATH
        data = read_yaml(path, "symptom slots")
        return cls(data)

    def normalise(self, text: str) -> tuple[str, list[int]]:
        """The message lower-cased with misspellings corrected, and each character's original offset."""
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        low = low.translate(_QUOTES)
        parts: list[str] = []
        offsets: list[int] = []
        pos = 0
        for m in _WORD.finditer(low):
            fixed = self._correct(m.group())
            if fixed is None:
                continue
            parts.append(low[pos:m.start()])
            offsets.extend(range(pos, m.start()))
            parts.append(fixed)
            offsets.extend(min(m.start() + i, m.end() - 1) for i in range(len(fixed)))
            pos = m.end()
        parts.append(low[pos:])
        offsets.extend(range(pos, len(low)))
        offsets.append(len(low))
        return "".join(parts), offsets

    def _correct(self, word: str) -> str | None:
        """The corrected word, or None when it stands as typed."""
        if word in self._cache:
            return self._cache[word]
        fixed = self.typos.get(word)
        if (fixed is None and 5 <= len(word) <= self._fuzzy_max and word not in self.protect
                and word not in self.fuzzy_words):
            found = set(self._fuzzy.get(word, ()))
            for d in _deletes(word):
                found |= self._fuzzy.get(d, set())
            if len(found) == 1:
                fixed = found.pop()
        if len(self._cache) < 10_000:
            self._cache[word] = fixed
        return fixed

    def extract(self, text: str, pending_slot: str | None = None) -> list[Finding]:
        """The findings in one message, in the order said; short answers read against `pending_slot`."""
        norm, offsets = self.normalise(text)
        additive = bool(_ADDITIVE.search(norm))
        raw: list[tuple[Slot, str, int, int, str]] = []
        for name, slot in self.slots.items():
            rules = self._rules[name]
            if name == pending_slot:
                rules = self._pending[name] + rules
            taken: list[tuple[int, int]] = []
            for value, rx in rules:
                for m in rx.finditer(norm):
                    s, e = m.span()
                    if s == e or any(s < te and ts < e for ts, te in taken):
                        continue
                    taken.append((s, e))
                    said = m.group("v") if slot.kind == "free" else value
                    raw.append((slot, said, s, e, m.group()))
        asked = [m.span() for m in _GENERAL_QUESTION.finditer(norm)]
        raw = [r for r in raw if not any(qs <= r[2] and r[3] <= qe for qs, qe in asked)]
        shadows = [(s, e, slot.suppresses) for slot, _, s, e, _ in raw if slot.suppresses]
        found: list[Finding] = []
        for slot, value, s, e, matched in raw:
            if any(slot.name in sup and ss <= s and e <= se for ss, se, sup in shadows):
                continue
            mods = {str(m) for m in assess(norm, (s, e)).modifiers}
            if mods & self.drop or ("historical" in mods and not slot.keep_historical):
                continue
            negated = "negated" in mods and not _OWN_NEGATION.search(matched)
            negated = negated or (slot.kind == "multi" and bool(_CONTRASTED.search(norm[max(0, s - 40):s])))
            if slot.kind == "free":
                if negated:
                    continue
                value = " ".join(value.split())
            elif slot.kind == "yes_no" and negated:
                value = "no" if value == "yes" else "yes"
            span = (offsets[s], offsets[e - 1] + 1)
            found.append(Finding(slot.name, value, span, negated, slot.kind == "multi", additive))
        if pending_slot in self.slots and not any(f.slot == pending_slot for f in found):
            short = self._short_answer(norm, self.slots[pending_slot])
            if short:
                found.append(Finding(pending_slot, short, (0, len(text))))
        found.sort(key=lambda f: f.span)
        return found

    def _short_answer(self, norm: str, slot: Slot) -> str | None:
        """A bare answer to a yes/no question: "yes", "nope", or a hedge such as "a bit" or "kind of"."""
        if slot.kind != "yes_no":
            return None
        answer = read_answer(norm)
        if answer in (Answer.YES, Answer.NO):
            return str(answer)
        if answer in (Answer.SKIP, Answer.DONT_KNOW):
            return None
        # Unsure or something else: a hedged yes ("kind of") still answers a symptom question.
        if any(rx.search(norm) for rx in self.partial_no):
            return "no"
        if any(rx.search(norm) for rx in self.partial_yes):
            return "yes"
        return None

    def merge(self, known: Mapping[str, str], findings: Iterable[Finding]) -> dict[str, str]:
        """`known` updated by the findings of one message (later statements win)."""
        return merge(known, findings)


def values_of(known: Mapping[str, str], slot: str) -> tuple[str, ...]:
    """The values recorded for a slot; a multi slot keeps several as "a+b"."""
    value = known.get(slot)
    return tuple(value.split("+")) if value else ()


def merge(known: Mapping[str, str], findings: Iterable[Finding]) -> dict[str, str]:
    """`known` updated by the findings of one message: later statements override earlier ones.

    For a multi slot, the values said in this message replace the earlier ones ("actually it's at the
    front"), unless the message adds to them ("also", "too"); a negated value is withdrawn.
    """
    out = dict(known)
    by_slot: dict[str, list[Finding]] = {}
    for f in findings:
        by_slot.setdefault(f.slot, []).append(f)
    for slot, fs in by_slot.items():
        if not fs[0].multi:
            out[slot] = fs[-1].value
            continue
        said = [f.value for f in fs if not f.negated]
        withdrawn = {f.value for f in fs if f.negated}
        keep = set(values_of(out, slot)) if not said or any(f.additive for f in fs) else set()
        values = (keep | set(said)) - withdrawn
        if values:
            out[slot] = "+".join(sorted(values))
        else:
            out.pop(slot, None)
    return out
