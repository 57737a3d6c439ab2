"""Where conversations are kept: the store interface and its backends, chosen by `KNEEBOT_DB`."""
from __future__ import annotations

import re
from pathlib import Path

from bot.errors import ConfigError
from bot.store.base import AuditEntry, ConversationStore
from bot.store.sqlite import SQLiteStore

__all__ = ["AuditEntry", "ConversationStore", "SQLiteStore", "open_store"]

# `Path` folds "//" to "/", so a URL that went through Settings reads "postgresql:/…".
_POSTGRES = re.compile(r"postgres(ql)?:/", re.IGNORECASE)


def open_store(db: str | Path, *, transcripts: bool = False) -> ConversationStore:
    """The store `KNEEBOT_DB` names: a file path opens SQLite; a `postgresql://` URL is refused."""
    if _POSTGRES.match(str(db)):
        # The URL is not repeated: it may carry a password.
        raise ConfigError("KNEEBOT_DB is a postgresql:// URL, but PostgreSQL support is not installed "
                          "in this version; set KNEEBOT_DB to a file path to use SQLite")
    return SQLiteStore(db, transcripts=transcripts)
