"""Turn locks for a store on one machine: a byte-range lock per conversation in a file beside the
database, so that processes sharing the SQLite file never interleave one conversation's turns. The
kernel drops a process's locks when it dies, so a killed worker never leaves a conversation locked.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import StoreError

# Byte-range locks belong to a process, not a thread: threads queue on these first (by hash, so two
# conversations share one only by collision).
_THREAD_LOCKS = tuple(threading.Lock() for _ in range(256))


def _slot(conversation_id: str) -> int:
    """The byte a conversation's lock covers."""
    return int.from_bytes(hashlib.blake2b(conversation_id.encode(), digest_size=4).digest(), "big") >> 1


class TurnLocks:
    """Per-conversation locks across threads and processes, in the file `path` (None: threads only)."""

    def __init__(self, path: str | None, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._users = 0
        self._guard = threading.Lock()
        self._local = threading.local()

    def _file(self, users: int) -> int | None:
        """The open lock file, counting the turns using it: closing any descriptor of it would drop
        every lock this process holds on it, so `close` waits until none does."""
        with self._guard:
            if self._fd is None and self.path is not None:
                try:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError as exc:
                    raise StoreError(f"cannot open the turn locks {self.path}: {exc}") from exc
            self._users += users
            return self._fd

    def _lock(self, fd: int, slot: int) -> None:
        """Take the byte's lock, waiting at most `timeout` seconds for a worker stuck mid-turn."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
                return
            except (BlockingIOError, PermissionError):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process held the conversation for {self.timeout:g} s") from None
                time.sleep(0.002)

    @contextmanager
    def hold(self, conversation_id: str) -> Iterator[None]:
        """Hold the conversation's lock; re-entrant within a thread."""
        held: set[str] = self._local.__dict__.setdefault("held", set())
        if conversation_id in held:
            yield
            return
        slot = _slot(conversation_id)
        guard = _THREAD_LOCKS[slot % len(_THREAD_LOCKS)]
        if not guard.acquire(timeout=self.timeout):
            raise StoreError(f"a conversation stayed locked in this process for {self.timeout:g} s")
        try:
            fd = self._file(+1)
            try:
                if fd is not None:
                    self._lock(fd, slot)
            except OSError as exc:
                self._file(-1)
                raise StoreError(f"cannot lock a conversation in {self.path}: {exc}") from exc
            held.add(conversation_id)
            try:
                yield
            finally:
                held.discard(conversation_id)
                if fd is not None:
                    fcntl.lockf(fd, fcntl.LOCK_UN, 1, slot)
                self._file(-1)
        finally:
            guard.release()

    def close(self) -> None:
        """Close the lock file unless a turn holds it (it reopens on the next turn)."""
        with self._guard:
            if self._fd is not None and not self._users:
                os.close(self._fd)
                self._fd = None
