"""A cache of the glossary as it is looked up, so that a process reads it in a fraction of the time that
building it from data/glossary.yaml takes (the file is tens of thousands of keys; building their spellings is
most of a cold start's rule loading).

The cache is plain JSON named by the SHA-256 of the glossary file it was built from and holds that hash
again inside; a cache that is missing, unreadable, corrupt or built from another file is ignored and
written afresh. It holds no one's messages. Where it lives: $KNEEBOT_CACHE_DIR, else
$XDG_CACHE_HOME/kneebot, else ~/.cache/kneebot; a folder that cannot be written only costs the saving.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1
KEEP = 8  # caches kept in the folder, the newest first (several glossary versions may be in use)
log = logging.getLogger(__name__)


def folder() -> Path:
    """Where glossary caches are kept."""
    if os.environ.get("KNEEBOT_CACHE_DIR"):
        return Path(os.environ["KNEEBOT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kneebot"


def _path(sha256: str) -> Path:
    return folder() / f"glossary-{sha256[:32]}-v{FORMAT}.json"


def _age(path: Path) -> float:
    try:
        return -path.stat().st_mtime
    except OSError:
        return 0.0


def read(sha256: str) -> dict[str, Any] | None:
    """The cached state built from the glossary file with this hash, or None."""
    try:
        state = json.loads(_path(sha256).read_bytes())
        if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("sha256") != sha256:
            return None
        return state
    except (OSError, ValueError):
        return None


def write(sha256: str, state: dict[str, Any]) -> None:
    """Keep `state` for the glossary file with this hash (written whole or not at all)."""
    path = _path(sha256)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".glossary-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "sha256": sha256, **state}, out, ensure_ascii=False,
                          separators=(",", ":"))
            os.replace(tmp, path)
            for old in sorted(path.parent.glob("glossary-*.json"), key=_age)[KEEP:]:
                old.unlink(missing_ok=True)  # caches of older glossary files, past the few kept
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:  # a read-only or full disk: the glossary still works, built each time
        log.info("glossary cache not written (%s): %s", path, exc)
