"""Flood protection shared by the channels: per-key token buckets.

A throttled message is still read when `Sessions.mentions_red_flag` says it may report a red flag.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class Throttle:
    """Per-key token buckets: `burst` messages at once, refilled at one per `refill_seconds`."""

    def __init__(self, burst: int = 5, refill_seconds: float = 3.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.refill_seconds, self.clock = burst, refill_seconds, clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._warned: set[Hashable] = set()
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> float:
        """Spend a token: 0.0 when allowed, else the seconds until the next one."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) / self.refill_seconds)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._warned.discard(key)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) * self.refill_seconds

    def first_warning(self, key: Hashable) -> bool:
        """True once per throttled stretch, so the polite notice does not itself flood."""
        with self._lock:
            if key in self._warned:
                return False
            self._warned.add(key)
            return True

