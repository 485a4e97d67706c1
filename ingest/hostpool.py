"""A bounded pool of threads that works on many hosts at once and on each host one task at a time.

Tasks are queued per host and run in the order they were submitted. A worker takes the host whose
next request is due first (``ready_at``, typically the end of its last response plus its delay), so a
few workers keep many polite hosts busy instead of sleeping on one of them. The pool only schedules:
the fetcher's throttle (``ingest.fetch.throttle``) still enforces one request in flight per host and
the delay, across threads and processes. Tasks may submit more tasks (discovery queues the pages it
finds); :meth:`HostPool.join` returns once every task, including those, has finished.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ReadyAt = Callable[[], float]  # -> time.time() at which the host may be asked again


class HostPool:
    """Run ``fn(*args)`` tasks with at most ``workers`` at once and at most one per host."""

    def __init__(self, workers: int, name: str = "crawl") -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._cond = threading.Condition()
        self._queues: dict[str, deque[tuple[Callable[..., Any], tuple, ReadyAt | None]]] = {}
        self._due: list[tuple[float, int, str]] = []  # (ready time, order, host) of idle hosts with work
        self._busy: set[str] = set()
        self._free_at: dict[str, float] = {}  # when each host may be asked again, as last estimated
        self._pending = 0
        self._order = itertools.count()
        self._closed = False
        self._cancelled = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True) for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, host: str, fn: Callable[..., Any], *args: Any, ready_at: ReadyAt | None = None) -> bool:
        """Queue a task for a host; ``ready_at`` (called after the task) tells when the host is free again.

        Once the pool is cancelled or closed, new tasks are dropped (and False returned).
        """
        with self._cond:
            if self._closed:
                return False
            queue = self._queues.setdefault(host, deque())
            queue.append((fn, args, ready_at))
            self._pending += 1
            if len(queue) == 1 and host not in self._busy:
                heapq.heappush(self._due, (self._free_at.get(host, 0.0), next(self._order), host))
            self._cond.notify()
            return True

    @property
    def cancelled(self) -> bool:
        """Tell whether :meth:`cancel` dropped the queued tasks (they will never run)."""
        return self._cancelled

    def join(self) -> None:
        """Wait until every submitted task (and every task they submitted) has finished."""
        with self._cond:
            while self._pending:
                self._cond.wait()

    def cancel(self) -> None:
        """Drop every queued task that has not started (running ones finish)."""
        with self._cond:
            for host, queue in self._queues.items():
                self._pending -= len(queue)
                queue.clear()
            self._due.clear()
            self._closed = self._cancelled = True
            self._cond.notify_all()

    def close(self) -> None:
        """Finish the queued tasks, then stop the workers."""
        self.join()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> HostPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            host, fn, args, ready_at = job
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - a task reports its own failures; this is the last resort
                log.exception("task for %s failed", host)
            self._finish(host, ready_at)

    def _next_job(self) -> tuple[str, Callable[..., Any], tuple, ReadyAt | None] | None:
        """Wait for the host whose turn is due first; take its oldest task (None when closing)."""
        with self._cond:
            while True:
                if self._closed and not self._pending:
                    return None
                if self._due:
                    ready, _, host = self._due[0]
                    wait = ready - time.time()
                    if wait <= 0:
                        heapq.heappop(self._due)
                        self._busy.add(host)
                        fn, args, ready_at = self._queues[host].popleft()
                        return host, fn, args, ready_at
                    self._cond.wait(timeout=wait)
                else:
                    self._cond.wait()

    def _finish(self, host: str, ready_at: ReadyAt | None) -> None:
        when = time.time()
        if ready_at is not None:
            try:
                when = ready_at()
            except Exception:  # noqa: BLE001 - a wrong estimate only costs a short wait in the throttle
                log.exception("ready_at for %s failed", host)
        with self._cond:
            self._busy.discard(host)
            self._free_at[host] = when
            self._pending -= 1
            if self._queues[host]:
                heapq.heappush(self._due, (when, next(self._order), host))
            else:
                del self._queues[host]
            self._cond.notify_all()
