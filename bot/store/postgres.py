"""PostgreSQL persistence, for several web workers, Discord shards and machines sharing one database.

The same tables and migration versions as the SQLite store (`bot.store.sqlite.MIGRATIONS`), written in
PostgreSQL's dialect. Connections come from a pool; each operation is one short transaction, so a turn
that was acknowledged is committed. A turn holds a session advisory lock on its conversation from load
to save: a second worker waits for it, and a worker that dies releases it with its connection.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.errors import StoreError
from bot.store.base import AuditEntry

T = TypeVar("T")

# Append-only, one entry per version of `bot.store.sqlite.MIGRATIONS` (tests/test_store.py compares them).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
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
        at DOUBLE PRECISION NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX transcript_conversation ON transcript (conversation_id);
    CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at DOUBLE PRECISION NOT NULL,
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
    ALTER TABLE channel_keys ADD COLUMN bound_at DOUBLE PRECISION NOT NULL DEFAULT 0;
    """,
)

LOCK_TIMEOUT = 30.0  # seconds a turn waits for its conversation before it fails (and runs unlocked)
# While the server is unreachable, operations fail at once for this long instead of each waiting for a
# connection, so that a person gets the reply (and its red-flag decision) without minutes of waiting.
RETRY_AFTER = 10.0

# Serialises migrations when several workers start at once (an arbitrary, fixed advisory-lock key).
_MIGRATION_LOCK = 0x6B6E6565626F74


def where(url: str) -> str:
    """The database a URL names, for messages: host, port, database and user, never the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "an unreadable postgresql:// URL"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    return f"{host}:{port}, database {parts.get('dbname') or '(default)'}, user {parts.get('user') or '(default)'}"


def _reason(exc: BaseException) -> str:
    """The first line of a driver error: what went wrong, without its hints."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _text(value: str | None) -> str | None:
    """Text PostgreSQL can store: NUL and lone surrogates as escapes."""
    if value is None:
        return None
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def lock_key(conversation_id: str) -> int:
    """The advisory-lock key of a conversation: a signed 64-bit hash of its id."""
    return int.from_bytes(hashlib.blake2b(conversation_id.encode(), digest_size=8).digest(), "big", signed=True)


def _migrate(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        version = row[0] if row and row[0] is not None else 0
        if version > len(MIGRATIONS):
            raise StoreError(f"its schema is version {version}, written by a newer kneebot (this one knows "
                             f"{len(MIGRATIONS)}); upgrade kneebot")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.execute(script)  # type: ignore[arg-type]  # our own constant SQL
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))


def _unreachable(exc: BaseException) -> bool:
    """Whether an error means the server cannot be reached (not that one statement failed)."""
    if isinstance(exc, PoolTimeout):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.OperationalError) and (state is None or state[:2] == "08" or state[:3] == "57P")


def _delete(conn: psycopg.Connection, conversation_id: str) -> None:
    for table, column in (("conversations", "id"), ("transcript", "conversation_id"),
                          ("audit", "conversation_id"), ("channel_keys", "conversation_id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = %s", (conversation_id,))  # type: ignore[arg-type]


class PostgresStore:
    """Conversation state, channel bindings and the audit log in a PostgreSQL database."""

    def __init__(self, url: str, *, transcripts: bool = False, pool_size: int = 10,
                 connect_timeout: int = 10, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.where = where(url)
        self.transcripts = transcripts
        self._local = threading.local()
        try:
            with psycopg.connect(url, connect_timeout=connect_timeout, autocommit=True) as conn:
                _migrate(conn)
        except StoreError as exc:
            raise StoreError(f"KNEEBOT_DB: the PostgreSQL database at {self.where} cannot be used: {exc}") from None
        except psycopg.Error as exc:
            raise StoreError(f"KNEEBOT_DB: cannot use the PostgreSQL database at {self.where}: "
                             f"{_reason(exc)}") from exc
        self._down_until = 0.0
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, timeout=5, name="kneebot",
                                    kwargs={"autocommit": True, "connect_timeout": connect_timeout,
                                            # a worker stuck mid-turn holds up the next turn this long at most
                                            "options": f"-c lock_timeout={round(lock_timeout * 1000)}"},
                                    check=ConnectionPool.check_connection, open=True)
        # Closed from the main thread at exit, not by the garbage collector from one of its own threads.
        weakref.finalize(self, self._pool.close)

    def _fail(self, exc: BaseException) -> StoreError:
        if _unreachable(exc):
            self._down_until = time.monotonic() + RETRY_AFTER
        return StoreError(f"the conversation store (PostgreSQL at {self.where}) failed: {_reason(exc)}")

    def _check_up(self) -> None:
        if time.monotonic() < self._down_until:
            raise StoreError(f"the conversation store (PostgreSQL at {self.where}) is unreachable; "
                             f"trying again within {RETRY_AFTER:g} s")

    def _run(self, fn: Callable[[psycopg.Connection], T], *, atomic: bool = True) -> T:
        """fn on this thread's turn connection (which holds the lock) or a pooled one, in a transaction
        unless it is one statement (`atomic=False`: autocommit makes that one already)."""
        held: psycopg.Connection | None = getattr(self._local, "turn", None)
        if held is None:
            self._check_up()
        try:
            if held is not None:
                if not atomic:
                    return fn(held)
                with held.transaction():
                    return fn(held)
            with self._pool.connection() as conn:
                if not atomic:
                    return fn(conn)
                with conn.transaction():
                    return fn(conn)
        except (psycopg.Error, PoolTimeout, UnicodeError) as exc:
            raise self._fail(exc) from exc

    @contextmanager
    def turn(self, conversation_id: str) -> Iterator[None]:
        """Hold the conversation's lock from load to save, so workers never interleave its turns."""
        if getattr(self._local, "turn", None) is not None:
            yield  # already held by this thread
            return
        key = lock_key(conversation_id)
        self._check_up()
        try:
            conn = self._pool.getconn()
        except PoolTimeout as exc:
            raise self._fail(exc) from exc
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        except psycopg.Error as exc:
            self._pool.putconn(conn)
            raise self._fail(exc) from exc
        self._local.turn = conn
        try:
            yield
        finally:
            self._local.turn = None
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.Error:
                conn.close()  # a closed session releases its locks; the pool replaces the connection
            self._pool.putconn(conn)

    def load(self, conversation_id: str) -> dict | None:
        """The stored state of a conversation, or None when there is none."""
        row = self._run(lambda c: c.execute("SELECT state FROM conversations WHERE id = %s",
                                            (conversation_id,)).fetchone(), atomic=False)
        return None if row is None else json.loads(row[0])

    def save(self, conversation_id: str, state: dict, *, user_text: str | None = None,
             reply_text: str | None = None, turn: int = 0) -> None:
        """Write a conversation's state (and its turn's text, with transcripts on) in one transaction."""
        now = time.time()
        body = json.dumps(state, sort_keys=True)

        def q(conn: psycopg.Connection) -> None:
            conn.execute(
                "INSERT INTO conversations (id, created_at, updated_at, state) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (conversation_id, now, now, body),
            )
            if self.transcripts:
                for role, text in (("user", user_text), ("bot", reply_text)):
                    if text is not None:
                        conn.execute("INSERT INTO transcript (conversation_id, turn, role, text, at)"
                                     " VALUES (%s, %s, %s, %s, %s)", (conversation_id, turn, role, _text(text), now))
        self._run(q, atomic=self.transcripts)

    def audit(self, entries: list[AuditEntry]) -> None:
        """Append detection decisions to the safety audit log (`matched` only with transcripts on)."""
        if not entries:
            return
        now = time.time()
        rows = [(e.at or now, e.conversation_id, e.rule_id, e.span[0] if e.span else None,
                 e.span[1] if e.span else None, _text(e.matched) if self.transcripts else None,
                 json.dumps(list(e.modifiers)), e.decision, e.ruleset_version) for e in entries]

        def q(conn: psycopg.Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO audit (at, conversation_id, rule_id, span_start, span_end, matched, modifiers,"
                    " decision, ruleset_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
        self._run(q)

    def audit_log(self, conversation_id: str | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first, for one conversation or all."""
        sql = ("SELECT conversation_id, rule_id, span_start, span_end, modifiers, decision, ruleset_version,"
               " matched, at FROM audit")
        args: tuple[Any, ...] = ()
        if conversation_id is not None:
            sql += " WHERE conversation_id = %s"
            args = (conversation_id,)
        rows = self._run(lambda c: c.execute(sql + " ORDER BY id", args).fetchall())  # type: ignore[arg-type]
        return [AuditEntry(r[0], r[1], None if r[2] is None else (r[2], r[3]), tuple(json.loads(r[4])),
                           r[5], r[6], r[7], r[8]) for r in rows]

    def transcript(self, conversation_id: str) -> list[tuple[str, str]]:
        """(role, text) pairs stored for a conversation (empty unless transcripts are on)."""
        rows = self._run(lambda c: c.execute(
            "SELECT role, text FROM transcript WHERE conversation_id = %s ORDER BY turn, seq",
            (conversation_id,)).fetchall())
        return [(r[0], r[1]) for r in rows]

    def forget(self, conversation_id: str) -> None:
        """Delete everything stored about a conversation: state, transcript, audit entries, bindings."""
        self._run(lambda c: _delete(c, conversation_id))

    def bind(self, channel: str, key: str, conversation_id: str) -> None:
        """Map a channel's session key (browser id, Discord thread) to a conversation."""
        self._run(lambda c: c.execute(
            "INSERT INTO channel_keys (channel, key, conversation_id, bound_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (channel, key) DO UPDATE SET conversation_id = excluded.conversation_id,"
            " bound_at = excluded.bound_at", (channel, key, conversation_id, time.time())), atomic=False)

    def bound(self, channel: str, key: str) -> str | None:
        """The conversation a channel's session key maps to, if any."""
        row = self._run(lambda c: c.execute(
            "SELECT conversation_id FROM channel_keys WHERE channel = %s AND key = %s", (channel, key)).fetchone(),
            atomic=False)
        return None if row is None else row[0]

    def bindings(self, channel: str, pattern: str) -> dict[str, str]:
        """The channel's session keys matching `pattern` (`*`: any run of characters), each with its conversation."""
        like = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        rows = self._run(lambda c: c.execute(
            "SELECT key, conversation_id FROM channel_keys WHERE channel = %s AND key LIKE %s ESCAPE '\\'",
            (channel, like)).fetchall())
        exact = re.compile(".*".join(map(re.escape, pattern.split("*"))))
        return {key: cid for key, cid in rows if exact.fullmatch(key)}

    def purge(self, older_than_days: float) -> int:
        """Delete conversations idle for longer than the retention period; returns how many."""
        cutoff = time.time() - older_than_days * 86400

        def q(conn: psycopg.Connection) -> int:
            ids = [r[0] for r in conn.execute("SELECT id FROM conversations WHERE updated_at < %s",
                                              (cutoff,)).fetchall()]
            for cid in ids:
                _delete(conn, cid)
            # Bindings and audit entries of conversations never saved (a new one nobody wrote in).
            for table, column in (("channel_keys", "bound_at"), ("audit", "at"), ("transcript", "at")):
                conn.execute(f"DELETE FROM {table} WHERE {column} < %s AND NOT EXISTS"  # type: ignore[arg-type]
                             " (SELECT 1 FROM conversations c WHERE c.id = conversation_id)", (cutoff,))
            return len(ids)
        return self._run(q)

    def close(self) -> None:
        """Close the pool and its connections."""
        self._pool.close()
