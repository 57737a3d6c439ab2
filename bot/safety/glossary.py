"""Sign words in other languages, read as English by the red-flag rules and the learned layer.

kneebot reads and replies in English, but a person may tell a red flag partly or wholly in another language
("la pantorrilla está hinchada y roja", "seene mein dard ho raha hai aur saans phool rahi hai"). The glossary
(data/glossary.yaml) holds, for several languages, body-part and symptom words and set phrases with their
English. A message that uses at least one of them is read with each replaced by its English, its joining
words ("y", "aur", "mein") too, and every span found in that reading is mapped back onto the person's own
words. A message without one is read exactly as written. Matching ignores case and accents ("esta", "está"),
and Hebrew and Arabic vowel points. Chinese, Japanese, Thai, Lao, Burmese and Khmer (no spaces between
words) and Korean (particles joined on) are read character by character, so a key is found wherever it
starts ("我的膝盖肿了").
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.datafile import SafeLoader
from bot.errors import RulesError
from bot.safety import glosscache

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "glossary.yaml"
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "s", "đ": "d", "Đ": "D", "ı": "i",
                       "\u2018": "'", "\u2019": "'", "\u02bb": "'", "\u02bc": "'"})  # Uzbek "oʻ", curly quotes


def fold(text: str) -> str:
    """Lower case without accents, one character for one ("Łydka spuchnięta" -> "lydka spuchnieta")."""
    if text.isascii():  # the same, faster: nothing to strip or map
        return text.lower()
    return "".join(_fold_char(ch) for ch in text.translate(_FOLD))


@functools.cache
def _fold_char(ch: str) -> str:
    if "\u3040" <= ch <= "\u30ff" or "\uac00" <= ch <= "\ud7a3":  # kana and Hangul: their parts are not accents
        return ch
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
        # "<not": a negation that follows what it denies (Japanese "腫れてない", Korean "붓지 않아요", Bengali
        # "ফোলা নেই"), read before the sign it follows, as English puts it
        self.before = frozenset(k for k, v in self.english.items() if v.startswith("<"))
        self.english = {k: v.removeprefix("<") for k, v in self.english.items()}
        terms_keys = set(folded.values())
        for k, v in list(self.english.items()):  # "and" written onto the next word: "وحارة", "ונפוחה"
            for letter, joined in _AND_ONTO:
                if letter.match(k) and joined + k not in self.english:
                    self.english[joined + k] = f"and {v}"
                    if k in terms_keys:
                        terms_keys.add(joined + k)
        # the few keys that are not terms (joining words), kept instead of the many that are: less memory
        self.joined = frozenset(k for k in self.english if k not in terms_keys)
        # Looked up word by word, not with one pattern: thousands of keys compile slowly and match slowly. A
        # spelling is its words joined by one space (no word holds one), kept as compactly as the lookup allows:
        # tens of thousands of them are a noticeable part of a query process's memory.
        forms: dict[str, str] = {}  # a spelling -> its key
        self._tight: dict[str, int] = {}  # a spelling -> the words before which no break may stand, as bits
        for k in self.english:
            for words, spaced in _spellings(k):
                form = " ".join(words)
                form = k if form == k else form  # the key's own string object where the spelling is the key
                forms.setdefault(form, k)
                tight = sum(1 << j for j, may in enumerate(spaced) if not may)
                self._tight[form] = self._tight.get(form, tight) & tight  # a break allowed by any spelling of it
        self._tight = {f: t for f, t in self._tight.items() if t}
        self._reach = {w: n for w, n in _reach(forms).items() if n > 1}  # 1, the lookup's default, is not kept
        # Most spellings are their own key: those are found in `english` instead (a tenth of the entries kept),
        # but for the keys that are not a spelling of theirs and that a lookup could ask for.
        self._forms = {f: k for f, k in forms.items() if f != k}
        self._unspelled = frozenset(k for k in self.english if k not in forms and _formable(k))

    def _state(self) -> dict[str, Any]:
        """What lookups need, as the dictionaries themselves (bot/safety/glosscache.py keeps them with `marshal`,
        which writes a string used in several places once, so that it is one object again when read back)."""
        same: dict[str, str] = {}  # one string object for each English text, however often used
        english = {k: same.setdefault(v, v) for k, v in self.english.items()}
        keys = {k: k for k in english}
        forms = {keys.get(f, f): keys[k] for f, k in self._forms.items()}  # a spelling that is a key: one object
        reach = {keys.get(f, f): n for f, n in self._reach.items()}
        return {"english": english, "joined": sorted(self.joined), "before": sorted(self.before), "forms": forms,
                "tight": self._tight, "reach": reach, "unspelled": sorted(self._unspelled)}

    @classmethod
    def _from_state(cls, state: dict[str, Any], sha256: str) -> Glossary:
        g = cls.__new__(cls)
        g.sha256 = sha256
        g.english, g._forms, g._tight, g._reach = state["english"], state["forms"], state["tight"], state["reach"]
        g.joined, g.before = frozenset(state["joined"]), frozenset(state["before"])
        g._unspelled = frozenset(state["unspelled"])
        parts = (g.english, g._forms, g._tight, g._reach)
        if not all(isinstance(d, dict) for d in parts) \
                or not (g.joined | g.before | g._unspelled) <= g.english.keys() \
                or not set(g._forms.values()) <= g.english.keys() \
                or not all(f in g._forms or f in g.english for f in g._tight) \
                or not all(isinstance(v, str) for v in g.english.values()) \
                or not all(isinstance(n, int) for n in (*g._tight.values(), *g._reach.values())):
            raise ValueError("a glossary cache of the wrong shape")
        return g

    @classmethod
    def load(cls, path: Path | str | None = None) -> Glossary:
        """The packaged glossary (or `path`); a malformed file is a RulesError naming it. Read from the cache
        built from the same file when there is one (bot/safety/glosscache.py)."""
        path = Path(path) if path else DEFAULT_PATH
        try:
            raw = path.read_bytes()
            sha256 = hashlib.sha256(raw).hexdigest()
            cache_key = hashlib.sha256(raw + _code_digest()).hexdigest()  # the file as this code reads it
            if (state := glosscache.read(cache_key)) is not None:
                try:
                    return cls._from_state(state, sha256)
                except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                    pass  # a cache of the right name but the wrong shape: built again below
            data = yaml.load(raw.decode("utf-8"), Loader=SafeLoader)
            terms: dict[str, str] = {}
            joiners: dict[str, str] = {}
            for lang, entry in (data.get("languages") or {}).items():
                for kind, into in (("terms", terms), ("joiners", joiners)):
                    for k, v in (entry.get(kind) or {}).items():
                        if not isinstance(k, str) or not isinstance(v, str) or not k.strip() or _BREAKS.search(k + v):
                            raise ValueError(f"languages.{lang}.{kind}: {k!r} must map a word to its English, "
                                             "each on one line")
                        into[k] = v
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, ValueError) as exc:
            raise RulesError(f"{path.name}: {exc}") from None
        glossary = cls(terms, joiners, sha256)
        glosscache.write(cache_key, glossary._state())
        return glossary

    def read(self, text: str) -> Glossed | None:
        """`text` read in English, or None when it uses no term of the glossary."""
        found = self._found(fold(text).replace("\u2019", "'"))
        if all(key in self.joined for _, key in found):
            return None
        pieces: list[tuple[str, list[int], list[int]]] = []  # English or the person's own, with where from
        last_term = -1  # the piece of the last term in this clause, before which a following "<not" goes
        at = 0
        for (lo, hi), key in found:
            between = text[at:lo].translate(_PUNCT)
            pieces.append((between, list(range(at, lo)), list(range(at + 1, lo + 1))))
            if _CLAUSE_END.search(between):
                last_term = -1
            english = self.english[key]
            if english.startswith("I ") and not between.strip() and pieces[-2:-1] and _PERSON.match(pieces[-2][0]):
                english = english[2:]  # "my grandmother" + "I can't pee": she can't ("bà ngoại em không đi tiểu được")
            if english and _UNSPACED.search(key):  # set apart from the characters around it
                english = ("" if not between or between[-1].isspace() else " ") + english
                english += "" if hi >= len(text) or text[hi].isspace() else " "
            if key in self.before and last_term >= 0:  # told after the sign it denies: put before it
                word, start = f" {english.strip()} ", pieces[last_term][1][0]
                pieces.insert(last_term, (word, [start] * len(word), [start] * len(word)))
                _reach_to(pieces, hi)  # the person's own words of it belong to what ends just before it
                last_term += 1
            else:
                pieces.append((english, [lo] * len(english), [hi] * len(english)))
                if not english:  # a dropped word ("po") belongs to what ends just before it
                    _reach_to(pieces, hi)
                if key not in self.joined and english:
                    last_term = len(pieces) - 1
            at = hi
        pieces.append((text[at:].translate(_PUNCT), list(range(at, len(text) + 1)), list(range(at + 1, len(text) + 1))))
        starts = [i for _, s, _ in pieces for i in s]
        ends = [0] + [i for _, _, e in pieces for i in e]
        if found and not found[0][0][0] and not self.english[found[0][1]]:
            starts[0] = 0  # a dropped word the text starts with belongs to what follows it ("po-rodilla")
        return Glossed("".join(p for p, _, _ in pieces), tuple(starts), tuple(ends))

    def _found(self, folded: str) -> list[tuple[tuple[int, int], str]]:
        """(span, key) of the keys in a folded text, left to right: the longest where several start at a word.
        In a script without spaces, of the ways to read it as keys and other characters, the one whose keys
        cover the most characters: "腫れもしびれも" is "腫れ", "も", "しびれ", "も", not "腫れ", "もし", ..."""
        words = list(_WORD.finditer(folded))
        tokens = [w.group() if w.group().isascii() else w.group().translate(_UNMARK) for w in words]
        n = len(words)
        whole = not _UNSPACED.search(folded)  # words apart: the longest key at each word, left to right
        best: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # from word i on: (characters covered, -keys)
        take: list[tuple[int, str] | None] = [None] * (n + 1)  # the key read at word i, and its words
        for i in range(n - 1, -1, -1):
            best[i] = best[i + 1]
            for m in range(min(self._reach.get(tokens[i], 1), n - i), 0, -1):
                form = " ".join(tokens[i:i + m])
                key = self._forms.get(form)
                if key is None and form in self.english and form not in self._unspelled:
                    key = form  # a spelling that is its own key
                if key is None or not _stands(folded, words[i:i + m], self._tight.get(form, 0)):
                    continue
                rest = best[i + m]
                score = (rest[0] + words[i + m - 1].end() - words[i].start(), rest[1] - 1)
                if take[i] is None and (whole or score >= best[i]) or score > best[i]:
                    best[i], take[i] = score, (m, key)
                if whole:
                    break
        out: list[tuple[tuple[int, int], str]] = []
        i = 0
        while i < n:
            if (step := take[i]) is None:
                i += 1
                continue
            m, key = step
            out.append(((words[i].start(), words[i + m - 1].end()), key))
            i += m
        return out


def _reach_to(pieces: list[tuple[str, list[int], list[int]]], end: int) -> None:
    """Let the last character read so far end at `end` of the original."""
    for _, _, ends in reversed(pieces):
        if ends:
            ends[-1] = end
            return


def _stands(folded: str, run: list[re.Match[str]], tight: int) -> bool:
    """Whether the words of `run` stand as a key spells them: apart (by spaces or a hyphen) where it has a
    break, touching only where it runs characters of a script without spaces together."""
    for j in range(1, len(run)):
        a, b = run[j - 1], run[j]
        if a.end() == b.start():
            if not (_UNSPACED.match(a.group()) or _UNSPACED.match(b.group())):
                return False
        elif tight >> j & 1 or not _SEP.fullmatch(folded, a.end(), b.start()):
            return False
    return True


# (a letter of the script, its "and" written onto a word): Arabic "wa", Hebrew "ve"
_AND_ONTO = ((re.compile("[\u0621-\u064a]"), "\u0648"), (re.compile("[\u05d0-\u05ea]"), "\u05d5"))
# Thai, Lao, Burmese, Khmer, kana and CJK ideographs (written without spaces) and Hangul (with particles
# joined on): each character is a word of its own, so a key is looked for wherever it starts.
_CHARS = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Burmese, Khmer
          "\u3005\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff")
_UNSPACED = re.compile(f"[{_CHARS}]")
# Combining accents and tone marks typed apart from their letter (Yoruba "ẹsẹ̀"), Hebrew points, Arabic harakat
# and tatweel, zero-width (non-)joiners: written or not, part of a word, left out when it is looked up.
_POINTS = ("\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u0640\u064b-\u065f\u0670"
           "\u200c\u200d")
_UNMARK = {c: None for c in range(0x300, 0x200E) if re.fullmatch(f"[{_POINTS}]", chr(c))}
_LETTER = f"(?:[^\\W{_CHARS}]|[\u0900-\u0963\u0966-\u0dff{_POINTS}])"  # with the vowel signs of the Indic scripts
_WORD = re.compile(f"[{_CHARS}]|{_LETTER}+(?:'{_LETTER}+)*")  # "j'ai" and "n'arrive" are one word, as their keys are
_SEP = re.compile(r"[\s-]+")  # what stands between the words of a key
_BREAKS = re.compile("[\t\n\r]")  # never in a key or its English: a glossary line holds one key
_CLAUSE_END = re.compile(r"[.!?;,\n]")
# someone else named by a term, whom a following term's "I" is about when nothing stands between them
_PERSON = re.compile(r"(?:my|our|his|her|their)\s+(?:\w+\s+)?(?:mum|mom|mother|dad|father|husband|wife|partner|son|"
                     r"daughter|brother|sister|gran\w*|grand(?:mother|father|ma|pa|dad)|nan|aunt|uncle|friend|child|"
                     r"kid|baby|boyfriend|girlfriend|neighbou?r|colleague|cousin|niece|nephew)\s*$", re.I)
# one character for one: read as English punctuation (CJK, Devanagari, Arabic, Ge'ez, Burmese, Khmer)
_PUNCT = str.maketrans("。、，！？：；（）｡।؟،॥።፣፤፧။၊។៕؛", ".,,!?:;()..?,..,;?.,..;")


_Form = tuple[tuple[str, ...], tuple[bool, ...]]


def _spellings(key: str) -> set[_Form]:
    """The words a key may be written as, each with whether a break may stand before it: its words apart,
    and each hyphenated word with its hyphen as a break or left out ("maka-ihi": "maka-ihi", "maka ihi",
    "makaihi"), never two of its words run together; in a script without spaces, its characters."""
    forms: set[_Form] = {((), ())}
    for word in (key if key.isascii() else key.translate(_UNMARK)).split():
        spelled: set[_Form]
        if not word.isascii() and _UNSPACED.search(word):
            chars = tuple(_WORD.findall(word))
            spelled = {(chars, (True,) + (False,) * (len(chars) - 1))}
        else:
            parts = word.split("-")
            spelled = {((parts[0],), (True,))}
            for part in parts[1:]:
                spelled = ({(w + (part,), s + (True,)) for w, s in spelled}
                           | {((*w[:-1], w[-1] + part), s) for w, s in spelled})
        forms = {(f + w, fs + s) for f, fs in forms for w, s in spelled}
    return {(f, s) for f, s in forms if f and all(f)}


def _reach(forms: dict[str, str]) -> dict[str, int]:
    """A first word -> the most words of a spelling that starts with it."""
    # one-word spellings first, so that a first word is kept as the string object its one-word spelling already
    # is (assigning to a key that is there keeps the key's object): less memory
    reach: dict[str, int] = {form: 1 for form in forms if " " not in form}
    for form in forms:
        first, space, _ = form.partition(" ")
        if space:
            reach[first] = max(reach.get(first, 1), form.count(" ") + 1)
    return reach


def _formable(key: str) -> bool:
    """Whether a lookup could ask for this string: a spelling never holds a hyphen or a mark that `_UNMARK`
    drops, nor two characters of a script without spaces side by side (each is a word of its own)."""
    return not _UNFORMABLE.search(key)


_UNFORMABLE = re.compile(f"[-{_POINTS}]|[{_CHARS}][{_CHARS}]")


def _key(word: str) -> str:
    """A glossary key as it is looked up: folded, without punctuation at its ends."""
    return fold(word).strip(" .,;:!?")


@functools.cache
def _code_digest() -> bytes:
    """This module's own source: a cache built by other code (another way of folding or splitting) is not used."""
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


@functools.cache
def packaged() -> Glossary:
    """The packaged glossary, loaded once per process (the rules and the learned layer both read with it)."""
    return Glossary.load()
