"""SQLite persistence: conversation state, channel session keys, the safety audit log.

Raw message text is written only when transcript logging is on. Each operation is one short
transaction on its own connection-per-thread, with WAL, so several processes can share a file. A turn
holds its conversation's byte-range lock in a file beside the database (`<db>-turns`) from load to
save (`bot.store.turnlock`), so processes never interleave one conversation's turns.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bot.errors import StoreError
from bot.store.base import AuditEntry
from bot.store.turnlock import TurnLocks

# Append-only: never edit a migration that has shipped; add a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        state TEXT NOT NULL
    );
    CREATE TABLE channel_keys (
        channel TEXT NOT NULL,
        key TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        PRIMARY KEY (channel, key)
    );
    CREATE TABLE transcript (
        conversation_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX transcript_conversation ON transcript (conversation_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        conversation_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        span_start INTEGER,
        span_end INTEGER,
        matched TEXT,
        modifiers TEXT NOT NULL,
        decision TEXT NOT NULL,
        ruleset_version TEXT NOT NULL
    );
    CREATE INDEX audit_conversation ON audit (conversation_id);
    """,
    """
    CREATE INDEX conversations_updated ON conversations (updated_at);
    CREATE INDEX channel_keys_conversation ON channel_keys (conversation_id);
    ALTER TABLE channel_keys ADD COLUMN bound_at REAL NOT NULL DEFAULT 0;
    """,
)


def _text(value: str | None) -> str | None:
    """Text SQLite can store: a lone surrogate (which JSON from a browser can carry) as a \\u escape."""
    return None if value is None else value.encode("utf-8", "backslashreplace").decode("utf-8")


def _hint(path: Path) -> str:
    """Why the store's file may be unwritable, as a note for the error message ("" when nothing shows)."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f" ({folder} is on a read-only file system)"
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            return f" ({path} or its folder is not writable)"
    except OSError:
        pass
    return ""


def _delete(conn: sqlite3.Connection, conversation_id: str) -> None:
    for table, column in (("conversations", "id"), ("transcript", "conversation_id"),
                          ("audit", "conversation_id"), ("channel_keys", "conversation_id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (conversation_id,))


def _create_private(path: Path) -> None:
    """Create the database file 0600, and each folder missing above it 0700."""
    for folder in reversed([p for p in path.parents if not p.exists()]):
        folder.mkdir(mode=0o700, exist_ok=True)
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty: a valid database
        except FileExistsError:  # another process created it first
            pass


class SQLiteStore:
    """Conversation state, channel bindings and the audit log in one SQLite file."""

    def __init__(self, path: Path | str, *, transcripts: bool = False, lock_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.transcripts = transcripts
        self._local = threading.local()
        self._turns = TurnLocks(None if str(self.path) == ":memory:" else f"{self.path}-turns", lock_timeout)
        try:
            if str(self.path) != ":memory:":
                _create_private(self.path)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"KNEEBOT_DB: the conversation store {self.path} cannot be used: "
                             f"{exc}{_hint(self.path)}") from exc
        except OSError as exc:
            raise StoreError(f"KNEEBOT_DB: cannot create the conversation store at {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _run(self, fn):  # type: ignore[no-untyped-def]
        try:
            with self._tx() as conn:
                return fn(conn)
        except (sqlite3.DatabaseError, UnicodeError) as exc:
            raise StoreError(f"the conversation store {self.path} failed: {exc}{_hint(self.path)}") from exc

    def _migrate(self) -> None:
        conn = self._connect()
        result = conn.execute("PRAGMA quick_check").fetchone()
        if result is None or result[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {result}")
        with self._tx() as tx:
            version = tx.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(f"its schema is version {version}, written by a newer kneebot "
                                            f"(this one knows {len(MIGRATIONS)}); upgrade kneebot")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {number}")

    def turn(self, conversation_id: str) -> AbstractContextManager[None]:
        """Hold the conversation's lock from load to save, so processes never interleave its turns."""
        return self._turns.hold(conversation_id)

    def load(self, conversation_id: str) -> dict | None:
        """The stored state of a conversation, or None when there is none."""
        def q(conn: sqlite3.Connection) -> dict | None:
            row = conn.execute("SELECT state FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            return None if row is None else json.loads(row[0])
        return self._run(q)

    def save(self, conversation_id: str, state: dict, *, user_text: str | None = None,
             reply_text: str | None = None, turn: int = 0) -> None:
        """Write a conversation's state (and its turn's text, with transcripts on) in one transaction."""
        now = time.time()
        body = json.dumps(state, sort_keys=True)

        def q(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO conversations (id, created_at, updated_at, state) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (conversation_id, now, now, body),
            )
            if self.transcripts:
                for role, text in (("user", user_text), ("bot", reply_text)):
                    if text is not None:
                        conn.execute(
                            "INSERT INTO transcript (conversation_id, turn, role, text, at) VALUES (?, ?, ?, ?, ?)",
                            (conversation_id, turn, role, _text(text), now),
                        )
        self._run(q)

    def audit(self, entries: list[AuditEntry]) -> None:
        """Append detection decisions to the safety audit log."""
        if not entries:
            return
        now = time.time()

        def q(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO audit (at, conversation_id, rule_id, span_start, span_end, matched, modifiers,"
                " decision, ruleset_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (e.at or now, e.conversation_id, e.rule_id,
                     e.span[0] if e.span else None, e.span[1] if e.span else None,
                     _text(e.matched) if self.transcripts else None,
                     json.dumps(list(e.modifiers)), e.decision, e.ruleset_version)
                    for e in entries
                ],
            )
        self._run(q)

    def audit_log(self, conversation_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first, for one conversation or all."""
        def q(conn: sqlite3.Connection) -> list[AuditEntry]:
            sql = ("SELECT conversation_id, rule_id, span_start, span_end, modifiers, decision,"
                   " ruleset_version, matched, at FROM audit")
            args: tuple = ()
            if conversation_id is not None:
                sql += " WHERE conversation_id = ?"
                args = (conversation_id,)
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
            return [
                AuditEntry(r[0], r[1], None if r[2] is None else (r[2], r[3]), tuple(json.loads(r[4])),
                           r[5], r[6], r[7], r[8])
                for r in rows
            ]
        return self._run(q)

    def transcript(self, conversation_id: str) -> list[tuple[str, str]]:
        """(role, text) pairs stored for a conversation (empty unless transcripts are on)."""
        def q(conn: sqlite3.Connection) -> list[tuple[str, str]]:
            return conn.execute(
                "SELECT role, text FROM transcript WHERE conversation_id = ? ORDER BY turn, rowid",
                (conversation_id,),
            ).fetchall()
        return self._run(q)

    def forget(self, conversation_id: str) -> None:
        """Delete everything stored about a conversation, its audit entries included."""
        self._run(lambda conn: _delete(conn, conversation_id))

    def bind(self, channel: str, key: str, conversation_id: str) -> None:
        """Map a channel's session key (browser id, Discord thread) to a conversation."""
        self._run(lambda conn: conn.execute(
            "INSERT INTO channel_keys (channel, key, conversation_id, bound_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(channel, key) DO UPDATE SET conversation_id = excluded.conversation_id,"
            " bound_at = excluded.bound_at",
            (channel, key, conversation_id, time.time()),
        ))

    def bound(self, channel: str, key: str) -> str | None:
        """The conversation a channel's session key maps to, if any."""
        row = self._run(lambda conn: conn.execute(
            "SELECT conversation_id FROM channel_keys WHERE channel = ? AND key = ?", (channel, key)
        ).fetchone())
        return None if row is None else row[0]

    def bindings(self, channel: str, pattern: str) -> dict[str, str]:
        """The channel's session keys matching `pattern` (`*`: any run of characters), each with its conversation."""
        like = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        rows = self._run(lambda conn: conn.execute(
            "SELECT key, conversation_id FROM channel_keys WHERE channel = ? AND key LIKE ? ESCAPE '\\'",
            (channel, like)).fetchall())
        exact = re.compile(".*".join(map(re.escape, pattern.split("*"))))  # LIKE ignores ASCII case
        return {key: cid for key, cid in rows if exact.fullmatch(key)}

    def purge(self, older_than_days: float) -> int:
        """Delete conversations idle for longer than the retention period; returns how many."""
        cutoff = time.time() - older_than_days * 86400

        def q(conn: sqlite3.Connection) -> int:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM conversations WHERE updated_at < ?", (cutoff,)).fetchall()]
            for cid in ids:
                _delete(conn, cid)
            # Bindings and audit entries of conversations never saved (a new one nobody wrote in).
            for table, column in (("channel_keys", "bound_at"), ("audit", "at"), ("transcript", "at")):
                conn.execute(f"DELETE FROM {table} WHERE {column} < ? AND conversation_id NOT IN"
                             " (SELECT id FROM conversations)", (cutoff,))
            return len(ids)
        return self._run(q)

    def close(self) -> None:
        """Close this thread's connection (and the `-turns` file while no turn holds it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._turns.close()
