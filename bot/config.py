"""Settings, with environment variables read here and nowhere deeper in the core.

Defaults: in a source checkout, `corpus/`, `index/` and `state/` beside `bot/`, as the project lays
them out. In an installed package, the corpus the wheel ships (`<prefix>/share/kneebot/corpus`) and
the index and state under the user's data folder (`$XDG_DATA_HOME/kneebot`, else
`~/.local/share/kneebot`). The KNEEBOT_* variables override either, for the CLI and the Python API alike.
"""
from __future__ import annotations

import os
import site
import sysconfig
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def source_checkout(root: Path = PROJECT_ROOT) -> bool:
    """Whether kneebot runs from its source tree (an editable install) rather than an installed wheel."""
    return (root / "pyproject.toml").is_file() and (root / "corpus").is_dir()


def packaged_corpus() -> Path:
    """The corpus an installed wheel ships (data files under the install prefix or the user base)."""
    candidates = [Path(sysconfig.get_path("data")), Path(site.getuserbase())]
    found = [p / "share" / "kneebot" / "corpus" for p in candidates]
    return next((p for p in found if p.is_dir()), found[0])


def data_home(env: dict[str, str] | None = None) -> Path:
    """Where an installed kneebot keeps its index and state: $XDG_DATA_HOME/kneebot or ~/.local/share/kneebot."""
    env = dict(os.environ if env is None else env)
    return Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share").expanduser() / "kneebot"


HOME = PROJECT_ROOT if source_checkout() else data_home()
DEFAULT_CORPUS = PROJECT_ROOT / "corpus" if source_checkout() else packaged_corpus()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Where kneebot reads and writes, and the operator's switches."""

    corpus_dir: Path = DEFAULT_CORPUS
    index_dir: Path = HOME / "index"
    model_dir: Path | None = None  # None: the bundled all-MiniLM-L6-v2
    db_path: Path | str = HOME / "state" / "kneebot.sqlite3"  # a str: a postgresql:// URL
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
                url = key == "db_path" and "://" in env[name]  # a Path would fold its "//"
                changes[key] = env[name] if url else Path(env[name]).expanduser()
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
