"""Compiled red-flag and context patterns kept between processes, so that a query process starts in a fraction of
the time that compiling them takes (hundreds of long patterns; parsing them is most of loading the rules).

Python's `re` compiles a pattern in two steps: its own parser and code generator (pure Python, slow), then
`_sre.compile`, which checks the generated code and builds the pattern object (C, fast). The cache keeps the
generated code, named by the pattern and its flags, in one file per Python build and `_sre` version, and
hands it to `_sre.compile` directly. A pattern object built that way is the one `re.compile` builds: the same
code, flags and groups (a test compares them for every packaged pattern). Whatever goes wrong (no cache, a corrupt
or foreign file, code `_sre` refuses, a Python without these internals) falls back to `re.compile`; the cache
only ever saves time. It holds patterns, never anyone's messages, and lives beside the glossary cache
(bot/safety/glosscache.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from array import array
from pathlib import Path
from typing import Any

from bot.errors import RulesError
from bot.safety import glosscache

FORMAT = 3

try:  # CPython's own compiler steps; without them every pattern is compiled by re.compile
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]
    _VERSION = f"{sys.version}|{_sre.MAGIC}|{FORMAT}"
    if array("I").itemsize != 4 or _sre.CODESIZE != 4:  # pragma: no cover - the engine's words are not 32 bits
        raise ImportError
except (ImportError, AttributeError):  # pragma: no cover - another Python implementation
    _sre = None
    _VERSION = ""


def _path() -> Path:
    return glosscache.folder() / f"patterns-{hashlib.sha256(_VERSION.encode()).hexdigest()[:16]}.bin"


class PatternCache:
    """Patterns compiled during one load, from the cache file where it has them; `save` keeps what was used.

    The file is one line of JSON (the version, and for each pattern, named by its SHA-256, its flags, groups and
    where its code lies) followed by the code of every pattern as 32-bit words: reading it holds a few MB of
    bytes, where the same code as JSON numbers would take tens of MB of Python objects."""

    def __init__(self) -> None:
        self._index: dict[str, list[Any]] = {}
        self._code = b""
        self._used: dict[str, tuple[list[Any], bytes]] = {}  # by name: the entry and its code
        self.built = 0  # patterns compiled by re, not read from the cache
        if _sre is None:
            return
        try:
            with _path().open("rb") as f:
                head = json.loads(f.readline())
                if isinstance(head, dict) and head.get("version") == _VERSION and isinstance(head.get("index"), dict):
                    self._index, self._code = head["index"], f.read()
        except (OSError, ValueError):  # none yet, unreadable or empty: compiled below and written afresh
            self._index, self._code = {}, b""

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(pattern, flags)`, from the cache when it holds this pattern."""
        if _sre is None:
            return re.compile(pattern, flags)
        name = hashlib.sha256(f"{int(flags)}:{pattern}".encode()).hexdigest()
        entry = self._index.get(name)
        if entry is not None:
            try:
                all_flags, at, size, groups, groupindex = entry
                if not (isinstance(at, int) and isinstance(size, int) and 0 <= at <= at + size <= len(self._code)):
                    raise ValueError("code out of the file")
                return self._build(pattern, name, [all_flags, groups, groupindex], self._code[at:at + size])
            except (TypeError, ValueError, RuntimeError, IndexError, OverflowError):
                pass  # code _sre refuses, or an entry of the wrong shape: compiled afresh
        parsed = _parser.parse(pattern, flags)  # raises re.error for a bad pattern, as re.compile does
        code = array("I", _compiler._code(parsed, flags)).tobytes()
        self.built += 1
        return self._build(pattern, name, [int(parsed.state.flags | flags), parsed.state.groups - 1,
                                            dict(parsed.state.groupdict)], code)

    def named(self, pattern: str, where: str) -> re.Pattern[str]:
        """The pattern, case-insensitive; a bad one is a RulesError naming `where`."""
        try:
            return self.compile(pattern, re.I)
        except re.error as exc:
            raise RulesError(f"{where}: bad pattern {pattern!r}: {exc}") from None

    def named_any(self, patterns: list[str], where: str) -> re.Pattern[str] | None:
        """One case-insensitive pattern matching any of `patterns` (None for none), compiled once."""
        if not patterns:
            return None
        try:
            return self.compile("|".join(f"(?:{p})" for p in patterns), re.I)
        except re.error as exc:
            for i, p in enumerate(patterns):  # name the bad one
                self.named(p, f"{where}[{i}]")
            raise RulesError(f"{where}: bad pattern: {exc}") from None  # each alone is fine, together not

    def _build(self, pattern: str, name: str, entry: list[Any], code: bytes) -> re.Pattern[str]:
        all_flags, groups, groupindex = entry
        words = array("I")
        words.frombytes(code)
        indexgroup: list[str | None] = [None] * (groups + 1)
        for group, i in groupindex.items():
            indexgroup[i] = group
        compiled: re.Pattern[str] = _sre.compile(pattern, all_flags, words.tolist(), groups, groupindex,
                                                 tuple(indexgroup))
        self._used[name] = (entry, code)
        return compiled

    def save(self) -> None:
        """Keep the patterns used in this load (written whole or not at all) when any was compiled afresh: the
        file holds the patterns of the rules last changed, not every version's."""
        if _sre is None or not self.built:
            return
        index, at = {}, 0
        for name, ((all_flags, groups, groupindex), code) in self._used.items():
            index[name] = [all_flags, at, len(code), groups, groupindex]
            at += len(code)
        head = json.dumps({"version": _VERSION, "index": index}, separators=(",", ":")).encode()
        glosscache.keep(_path(), [head, b"\n", *(code for _, code in self._used.values())], "patterns")
