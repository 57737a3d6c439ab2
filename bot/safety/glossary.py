"""Sign words in other languages, read as English by the red-flag rules and the learned layer.

kneebot reads and replies in English, but a person may tell a red flag partly or wholly in another language
("la pantorrilla está hinchada y roja", "seene mein dard ho raha hai aur saans phool rahi hai"). The glossary
(data/glossary.yaml) holds, for several languages, body-part and symptom words and set phrases with their
English. A message that uses at least one of them is read with each replaced by its English, its joining
words ("y", "aur", "mein") too, and every span found in that reading is mapped back onto the person's own
words. A message without one is read exactly as written. Matching ignores case and accents ("esta", "está").
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.datafile import SafeLoader
from bot.errors import RulesError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "glossary.yaml"
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "ß": "s", "đ": "d", "ı": "i"})


def fold(text: str) -> str:
    """Lower case without accents, one character for one ("Łydka spuchnięta" -> "lydka spuchnieta")."""
    if text.isascii():  # the same, faster: nothing to strip or map
        return text.lower()
    return "".join(_fold_char(ch) for ch in text.translate(_FOLD))


@functools.cache
def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)[:1] if ord(ch) > 127 else ch
    return base.lower() if len(base.lower()) == 1 else ch


@dataclass(frozen=True)
class Glossed:
    """A message read in English, with the way back from its positions to the person's own."""

    text: str
    starts: tuple[int, ...]  # position in `text` -> position in the original where that character began
    ends: tuple[int, ...]  # position in `text` -> position in the original where the character before it ended

    def back(self, span: tuple[int, int]) -> tuple[int, int]:
        """The original span of a span of the glossed text."""
        lo, hi = span
        return self.starts[min(lo, len(self.starts) - 1)], self.ends[min(hi, len(self.ends) - 1)]


class Glossary:
    """The terms and joining words of data/glossary.yaml, looked up word by word by each key's spellings."""

    def __init__(self, terms: dict[str, str], joiners: dict[str, str], sha256: str = "") -> None:
        self.sha256 = sha256  # of the file it was loaded from, part of the rule set's version
        folded = {k: _key(k) for k in terms}
        self.english = {_key(k): v for k, v in joiners.items()} | {folded[k]: v for k, v in terms.items()}
        terms_keys = set(folded.values())
        for k, v in list(self.english.items()):  # Arabic writes "and" onto the next word: "وحارة" is "and hot"
            if _ARABIC_LETTER.match(k) and _AND + k not in self.english:
                self.english[_AND + k] = f"and {v}"
                if k in terms_keys:
                    terms_keys.add(_AND + k)
        self.terms = frozenset(terms_keys)
        # Looked up word by word, not with one pattern: thousands of keys compile slowly and match slowly.
        self._forms = {form: k for k in self.english for form in _spellings(k)}
        self._reach: dict[str, int] = {}  # a first word -> the most words of a key spelled starting with it
        for form in self._forms:
            self._reach[form[0]] = max(self._reach.get(form[0], 1), len(form))

    @classmethod
    def load(cls, path: Path | str | None = None) -> Glossary:
        """The packaged glossary (or `path`); a malformed file is a RulesError naming it."""
        path = Path(path) if path else DEFAULT_PATH
        try:
            raw = path.read_bytes()
            data = yaml.load(raw.decode("utf-8"), Loader=SafeLoader)
            terms: dict[str, str] = {}
            joiners: dict[str, str] = {}
            for lang, entry in (data.get("languages") or {}).items():
                for kind, into in (("terms", terms), ("joiners", joiners)):
                    for k, v in (entry.get(kind) or {}).items():
                        if not isinstance(k, str) or not isinstance(v, str) or not k.strip():
                            raise ValueError(f"languages.{lang}.{kind}: {k!r} must map a word to its English")
                        into[k] = v
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, ValueError) as exc:
            raise RulesError(f"{path.name}: {exc}") from None
        return cls(terms, joiners, hashlib.sha256(raw).hexdigest())

    def read(self, text: str) -> Glossed | None:
        """`text` read in English, or None when it uses no term of the glossary."""
        found = self._found(fold(text).replace("\u2019", "'"))
        if not any(key in self.terms for _, key in found):
            return None
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = [0]
        at = 0
        for (lo, hi), key in found:
            parts.append(text[at:lo])
            starts.extend(range(at, lo))
            ends.extend(range(at + 1, lo + 1))
            english = self.english[key]
            parts.append(english)
            starts.extend([lo] * len(english))
            ends.extend([hi] * len(english))
            if not english:  # a dropped word ("po") belongs to what ends just before it
                ends[-1] = hi
            at = hi
        parts.append(text[at:])
        starts.extend(range(at, len(text) + 1))
        if found and not found[0][0][0] and not self.english[found[0][1]]:
            starts[0] = 0  # a dropped word the text starts with belongs to what follows it ("po-rodilla")
        ends.extend(range(at + 1, len(text) + 1))
        return Glossed("".join(parts), tuple(starts), tuple(ends))

    def _found(self, folded: str) -> list[tuple[tuple[int, int], str]]:
        """(span, key) of the keys in a folded text, left to right, the longest where several start at a word."""
        words = list(_WORD.finditer(folded))
        out: list[tuple[tuple[int, int], str]] = []
        i = 0
        while i < len(words):
            for n in range(min(self._reach.get(words[i].group(), 1), len(words) - i), 0, -1):
                run = words[i:i + n]
                if all(_SEP.fullmatch(folded, a.end(), b.start()) for a, b in zip(run, run[1:], strict=False)):
                    key = self._forms.get(tuple(w.group() for w in run))
                    if key is not None:
                        out.append(((run[0].start(), run[-1].end()), key))
                        i += n
                        break
            else:
                i += 1
        return out


_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_AND = "\u0648"  # Arabic "wa", and
_WORD = re.compile(r"\w+(?:'\w+)*")  # "j'ai" and "n'arrive" are one word, as their keys are
_SEP = re.compile(r"[\s-]+")  # what stands between the words of a key


def _spellings(key: str) -> set[tuple[str, ...]]:
    """The words a key may be written as: its words apart, and each hyphenated word with its hyphen as a
    break or left out ("maka-ihi": "maka-ihi", "maka ihi", "makaihi"), never two of its words run together."""
    forms: set[tuple[str, ...]] = {()}
    for word in key.split():
        parts = word.split("-")
        spelled: set[tuple[str, ...]] = {(parts[0],)}
        for part in parts[1:]:
            spelled = {w + (part,) for w in spelled} | {(*w[:-1], w[-1] + part) for w in spelled}
        forms = {f + w for f in forms for w in spelled}
    return {f for f in forms if all(f)}


def _key(word: str) -> str:
    """A glossary key as it is looked up: folded, without punctuation at its ends."""
    return fold(word).strip(" .,;:!?")


@functools.cache
def packaged() -> Glossary:
    """The packaged glossary, loaded once per process (the rules and the learned layer both read with it)."""
    return Glossary.load()
