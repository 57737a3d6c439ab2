"""Where conversations are kept: the store interface and its backends, chosen by `KNEEBOT_DB`."""
from __future__ import annotations

import re
from pathlib import Path

from bot.store.base import AuditEntry, ConversationStore
from bot.store.sqlite import SQLiteStore

__all__ = ["AuditEntry", "ConversationStore", "SQLiteStore", "open_store"]

# `Path` folds "//" to "/", so a URL that went through Settings reads "postgresql:/…".
_POSTGRES = re.compile(r"^(postgres(?:ql)?):/+", re.IGNORECASE)


def open_store(db: str | Path, *, transcripts: bool = False) -> ConversationStore:
    """The store `KNEEBOT_DB` names: a file path opens SQLite, a `postgresql://` URL PostgreSQL."""
    if _POSTGRES.match(str(db)):
        from bot.store.postgres import PostgresStore  # psycopg is loaded only for PostgreSQL

        return PostgresStore(_POSTGRES.sub(r"\1://", str(db), count=1), transcripts=transcripts)
    return SQLiteStore(db, transcripts=transcripts)
