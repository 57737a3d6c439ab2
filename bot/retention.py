"""Retention as a job: conversations idle past the retention period are deleted while servers run,
not only when one starts. `kneebot purge` runs it once; long-running servers (web, Discord) start a
`RetentionJob`, a daemon thread that purges every `interval` seconds until stopped.
"""
from __future__ import annotations

import logging
import threading

from bot.errors import StoreError
from bot.store.base import ConversationStore

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 3600.0  # seconds between purges in a running server


class RetentionJob:
    """Purge a store every `interval` seconds on a daemon thread; a failed purge is logged and retried."""

    def __init__(self, store: ConversationStore, retention_days: float, interval: float = DEFAULT_INTERVAL) -> None:
        self.store = store
        self.retention_days = retention_days
        self.interval = interval
        self.runs = 0  # purges attempted, for tests and the curious
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kneebot-retention", daemon=True)

    def purge(self) -> int | None:
        """One purge now; how many conversations went, or None when the store failed."""
        try:
            purged = self.store.purge(self.retention_days)
        except StoreError:
            log.exception("could not apply the retention period")
            return None
        finally:
            self.runs += 1
        if purged:
            log.info("retention: deleted %d conversations idle for more than %s days", purged, self.retention_days)
        return purged

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.purge()

    def start(self) -> RetentionJob:
        """Start purging in the background (the first purge comes after one interval)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the job and wait for a purge in progress to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def start_retention(store: ConversationStore, retention_days: float,
                    interval: float = DEFAULT_INTERVAL) -> RetentionJob:
    """Start the periodic purge a long-running server needs; call `.stop()` on the result at shutdown."""
    return RetentionJob(store, retention_days, interval).start()
