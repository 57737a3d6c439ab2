"""A cache of the glossary as it is looked up, so that a process reads it in a fraction of the time that
building it from data/glossary.yaml takes (the file is tens of thousands of keys; building their spellings is
most of a cold start's rule loading).

The cache is the lookup's dictionaries in Python's `marshal` format (read back in a few hundredths of a second,
with each string kept once however often it is used), named by a SHA-256 of the glossary file it was built
from, of the code that built it (bot/safety/glossary.py) and of the Python that wrote it. Its first line holds
that hash again and a SHA-256 of the rest, which is checked before the rest is read: a cache that is missing,
unreadable, truncated, corrupt, or built from another file, by other code or by another Python is ignored and
written afresh. It holds no one's messages. Where it lives: $KNEEBOT_CACHE_DIR, else $XDG_CACHE_HOME/kneebot,
else ~/.cache/kneebot; a folder that cannot be written only costs the saving.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 4
_PYTHON = hashlib.sha256(f"{sys.version}|{marshal.version}".encode()).hexdigest()[:12]  # marshal is per Python
KEEP = 8  # caches of each kind kept in the folder, the newest first (several versions may be in use)
log = logging.getLogger(__name__)


def folder() -> Path:
    """Where the caches are kept (the glossary lookup here, the compiled rule patterns in rxcache.py)."""
    if os.environ.get("KNEEBOT_CACHE_DIR"):
        return Path(os.environ["KNEEBOT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kneebot"


def _path(key: str) -> Path:
    return folder() / f"glossary-{key[:32]}-v{FORMAT}-{_PYTHON}.bin"


def _age(path: Path) -> float:
    try:
        return -path.stat().st_mtime
    except OSError:
        return 0.0


def read(key: str) -> dict[str, Any] | None:
    """The cached state built under this key (the file, the code that read it and this Python), or None."""
    try:
        data = _path(key).read_bytes()
        head, sep, body = data.partition(b"\n")
        if not sep or head != _head(key, body):
            return None  # another key, or a body that is not the one written (truncated, corrupt)
        state = marshal.loads(body)
        return state if isinstance(state, dict) else None
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write(key: str, state: dict[str, Any]) -> None:
    """Keep `state` under this key (written whole or not at all)."""
    body = marshal.dumps(state, 4)
    keep(_path(key), [_head(key, body), b"\n", body], "glossary")


def _head(key: str, body: bytes) -> bytes:
    return f"kneebot-glossary {FORMAT} {key} {hashlib.sha256(body).hexdigest()}".encode()


def keep(path: Path, parts: list[bytes], what: str) -> None:
    """Write `parts` to `path` in the cache folder, whole or not at all, and drop the oldest of the files named
    like it (`what`-*) past the few kept. A read-only or full disk is logged: a cache only ever saves time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{what}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    out.write(part)
            os.replace(tmp, path)
            for old in sorted(path.parent.glob(f"{what}-*{path.suffix}"), key=_age)[KEEP:]:
                old.unlink(missing_ok=True)  # caches of older files or Pythons, past the few kept
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.info("%s cache not written (%s): %s", what, path, exc)
