"""A cache of the glossary as it is looked up, so that a process reads it in a fraction of the time that
building it from data/glossary.yaml takes (the file is tens of thousands of keys; building their spellings is
most of a cold start's rule loading).

The cache is plain JSON named by a SHA-256 of the glossary file it was built from and of the code that
built it (bot/safety/glossary.py), and holds that hash again inside; a cache that is missing, unreadable,
corrupt, or built from another file or by other code is ignored and written afresh. It holds no one's
messages. Where it lives: $KNEEBOT_CACHE_DIR, else $XDG_CACHE_HOME/kneebot, else ~/.cache/kneebot; a
folder that cannot be written only costs the saving.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 2
KEEP = 8  # caches of each kind kept in the folder, the newest first (several versions may be in use)
log = logging.getLogger(__name__)


def folder() -> Path:
    """Where the caches are kept (the glossary lookup here, the compiled rule patterns in rxcache.py)."""
    if os.environ.get("KNEEBOT_CACHE_DIR"):
        return Path(os.environ["KNEEBOT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kneebot"


def _path(key: str) -> Path:
    return folder() / f"glossary-{key[:32]}-v{FORMAT}.json"


def _age(path: Path) -> float:
    try:
        return -path.stat().st_mtime
    except OSError:
        return 0.0


def read(key: str) -> dict[str, Any] | None:
    """The cached state built under this key (the file and the code that read it), or None."""
    try:
        state = json.loads(_path(key).read_bytes())
        if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("key") != key:
            return None
        return state
    except (OSError, ValueError):
        return None


def write(key: str, state: dict[str, Any]) -> None:
    """Keep `state` under this key (written whole or not at all)."""
    text = json.dumps({"format": FORMAT, "key": key, **state}, ensure_ascii=False, separators=(",", ":"))
    keep(_path(key), [text.encode("utf-8")], "glossary")


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
