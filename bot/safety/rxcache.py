"""Compiled red-flag and context patterns kept between processes, so that a query process starts in a fraction of
the time that compiling them takes (hundreds of long patterns; parsing them is most of loading the rules).

Python's `re` compiles a pattern in two steps: its own parser and code generator (pure Python, slow), then
`_sre.compile`, which checks the generated code and builds the pattern object (C, fast). The cache keeps the
generated code, named by the pattern and its flags, in one JSON file per Python build and `_sre` version, and
hands it to `_sre.compile` directly. A pattern object built that way is the one `re.compile` builds: the same
code, flags and groups (a test compares them for every packaged pattern). Whatever goes wrong (no cache, a corrupt
or foreign file, code `_sre` refuses, a Python without these internals) falls back to `re.compile`; the cache
only ever saves time. It holds patterns, never anyone's messages, and lives beside the glossary cache
(bot/safety/glosscache.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.errors import RulesError
from bot.safety import glosscache

FORMAT = 1
log = logging.getLogger(__name__)

try:  # CPython's own compiler steps; without them every pattern is compiled by re.compile
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]
    _VERSION = f"{sys.version}|{_sre.MAGIC}|{FORMAT}"
except (ImportError, AttributeError):  # pragma: no cover - another Python implementation
    _sre = None
    _VERSION = ""


def _path() -> Path:
    return glosscache.folder() / f"patterns-{hashlib.sha256(_VERSION.encode()).hexdigest()[:16]}.json"


class PatternCache:
    """Patterns compiled during one load, from the cache file where it has them; `save` keeps what was used."""

    def __init__(self) -> None:
        self._known: dict[str, list[Any]] = {}
        self._used: dict[str, list[Any]] = {}
        self.built = 0  # patterns compiled by re, not read from the cache
        if _sre is None:
            return
        try:
            data = json.loads(_path().read_bytes())
            if isinstance(data, dict) and data.get("version") == _VERSION and isinstance(data.get("patterns"), dict):
                self._known = data["patterns"]
        except (OSError, ValueError):
            pass  # none yet, or unreadable: compiled below and written afresh

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(pattern, flags)`, from the cache when it holds this pattern."""
        if _sre is None:
            return re.compile(pattern, flags)
        key = f"{int(flags)}:{pattern}"
        entry = self._known.get(key)
        if entry is not None:
            try:
                return self._build(pattern, entry, key)
            except (TypeError, ValueError, RuntimeError, IndexError, OverflowError):
                pass  # code _sre refuses, or an entry of the wrong shape: compiled afresh
        parsed = _parser.parse(pattern, flags)  # raises re.error for a bad pattern, as re.compile does
        code = _compiler._code(parsed, flags)
        entry = [parsed.state.flags | flags, code, parsed.state.groups - 1, dict(parsed.state.groupdict)]
        self.built += 1
        return self._build(pattern, entry, key)

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

    def _build(self, pattern: str, entry: list[Any], key: str) -> re.Pattern[str]:
        all_flags, code, groups, groupindex = entry
        indexgroup: list[str | None] = [None] * (groups + 1)
        for name, i in groupindex.items():
            indexgroup[i] = name
        compiled: re.Pattern[str] = _sre.compile(pattern, all_flags, code, groups, groupindex, tuple(indexgroup))
        self._used[key] = entry
        return compiled

    def save(self) -> None:
        """Keep the patterns used in this load (written whole or not at all) when any was compiled afresh: the
        file holds the patterns of the rules last changed, not every version's."""
        if _sre is None or not self.built:
            return
        path = _path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".patterns-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump({"version": _VERSION, "patterns": self._used}, out, separators=(",", ":"))
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as exc:  # a read-only or full disk: the rules still load, compiled each time
            log.info("pattern cache not written (%s): %s", path, exc)
