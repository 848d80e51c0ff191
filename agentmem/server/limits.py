"""Limits of the memory service: per-key rate limits, body sizes, and the per-home read/write lock.

* :class:`RateLimiter`: one token bucket per key (``rate_per_s`` refill, ``burst`` capacity);
  a request that finds the bucket empty is answered 429 with ``Retry-After``.
* :data:`MAX_BODY_BYTES`: requests with a larger body are answered 413 before they are parsed.
* :class:`ReadWriteLock`: reads of one home run concurrently; a write waits for running reads,
  holds new ones back (writer preference, so a stream of reads cannot starve writes) and runs
  alone. The thread holding the write side may take it again (nested writes do not deadlock);
  a thread holding a read that asks for the write side gets a RuntimeError rather than a deadlock.
  Across processes the controller's home file lock still serialises writers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

#: Largest request body accepted (bytes).
MAX_BODY_BYTES = 256 * 1024


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = float(rate_per_s)
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> float:
        """Take one token; return 0.0 if granted, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """Token buckets by key id (created on first use with that key's rate and burst)."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, key_id: str, rate_per_s: float, burst: int) -> float:
        """0.0 if the request may go on, else the wait in seconds (answer 429)."""
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None or bucket.rate != rate_per_s or bucket.capacity != burst:
                bucket = self._buckets[key_id] = TokenBucket(rate_per_s, burst)
            return bucket.take()


class ReadWriteLock:
    """Many readers or one writer, writers preferred (see the module docstring)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None  # the thread holding the write side
        self._depth = 0
        self._waiting_writers = 0
        self._mine = threading.local()  # reads held by the current thread

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer is not None or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        self._mine.reads = getattr(self._mine, "reads", 0) + 1
        try:
            yield
        finally:
            self._mine.reads -= 1
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        me = threading.get_ident()
        if getattr(self._mine, "reads", 0) and self._writer != me:
            # Waiting would deadlock: the write waits for every read to end, this thread's too.
            raise RuntimeError("ReadWriteLock: a thread holding a read may not take the write side")
        with self._cond:
            if self._writer != me:
                self._waiting_writers += 1
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._waiting_writers -= 1
                self._writer = me
            self._depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._cond.notify_all()


__all__ = ["MAX_BODY_BYTES", "RateLimiter", "ReadWriteLock", "TokenBucket"]
