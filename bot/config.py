"""Settings, with environment variables read here and nowhere deeper in the core."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Where kneebot reads and writes, and the operator's switches."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    model_dir: Path | None = None  # None: the bundled all-MiniLM-L6-v2
    db_path: Path = PROJECT_ROOT / "state" / "kneebot.sqlite3"
    transcripts: bool = False
    retention_days: int = 30
    max_message_chars: int = 4000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Settings from KNEEBOT_* environment variables, defaults elsewhere."""
        env = dict(os.environ if env is None else env)
        s = cls()
        changes: dict[str, Any] = {}
        for key, name in (("corpus_dir", "KNEEBOT_CORPUS"), ("index_dir", "KNEEBOT_INDEX"),
                          ("db_path", "KNEEBOT_DB"), ("model_dir", "KNEEBOT_MODEL")):
            if env.get(name):
                changes[key] = Path(env[name]).expanduser()
        if "KNEEBOT_TRANSCRIPTS" in env:
            changes["transcripts"] = _flag(env["KNEEBOT_TRANSCRIPTS"])
        for key, name in (("retention_days", "KNEEBOT_RETENTION_DAYS"),
                          ("max_message_chars", "KNEEBOT_MAX_MESSAGE_CHARS")):
            if env.get(name):
                try:
                    changes[key] = int(env[name])
                except ValueError:
                    raise ConfigError(f"{name} must be a whole number, got {env[name]!r}") from None
        return replace(s, **changes)
