"""A small pool of bounded extraction workers shared by the crawl's fetching threads.

Each member is a :class:`~ingest.worker.PageWorker`: one child process with a deadline per page and an
address-space cap, killed and replaced when a page goes over either (``extract: timeout`` / ``too large``).
The pool holds at most ``size`` of them (``cpu_workers``, one per core by default) and starts the second
and later ones only when every running one is busy, so a crawl of one host (or a test) keeps one child.

:meth:`WorkerPool.submit_extract` returns at once: the page waits for a free worker on one of the pool's
own threads, so a fetching thread goes on to its next host while pages are extracted, and a worker is
held only while it extracts (never while its caller fetches). :meth:`extract` and :meth:`structure`
wait for the answer, :meth:`submit_structure` does not.

A process keeps one pool for all its crawls (:func:`shared_pool`), as it kept one worker before: the
structurer's registries take seconds to load in each child. A pool started under another
``COOPWATCH_REGISTRY_DIR`` than the current one is replaced, so its children load the registries in use.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ingest.models import Article, EventReport
from ingest.worker import PageWorker

REGISTRY_ENV = "COOPWATCH_REGISTRY_DIR"
JOB_THREADS = 16  # threads waiting for a free worker on behalf of submit_extract (extraction itself: ``size``)


class WorkerPool:
    """Up to ``size`` PageWorkers; each call runs on a free one (started when all are busy and room is left)."""

    def __init__(self, size: int = 1, timeout: float = 30.0, memory_mb: int = 1024,
                 worker_factory: Callable[[float, int], PageWorker] = PageWorker) -> None:
        self.size = max(1, size)
        self.timeout, self.memory_mb = timeout, memory_mb
        self.registry_dir = os.environ.get(REGISTRY_ENV)
        self._factory = worker_factory
        self._cond = threading.Condition()
        self._workers: list[PageWorker] = []
        self._idle: list[PageWorker] = []
        self._starting = 0
        self._closed = False
        self._jobs = ThreadPoolExecutor(JOB_THREADS, thread_name_prefix="extract")
        self._give_back(self._new_worker())  # starts loading the extractor now, while discovery fetches

    def limit(self, timeout: float, memory_mb: int) -> WorkerPool:
        """Use these limits from the next page on; return the pool."""
        with self._cond:
            self.timeout, self.memory_mb = timeout, memory_mb
            for worker in self._workers:
                worker.limit(timeout, memory_mb)
        return self

    def resize(self, size: int) -> WorkerPool:
        """Allow up to ``size`` workers from now on (idle ones beyond it are stopped); return the pool."""
        size = max(1, size)
        with self._cond:
            self.size = size
            surplus = self._idle[:max(0, len(self._workers) - size)]
            for worker in surplus:
                self._idle.remove(worker)
                self._workers.remove(worker)
        for worker in surplus:
            worker.close()
        return self

    # the PageWorker interface --------------------------------------------------------------------------------
    def extract(self, html: str, url: str, source: str, language_hint: str | None = None,
                fetched_at: str = "") -> Article:
        """Return the article of a page; raise ExtractionError (no article, timeout, too large)."""
        return self._on_free_worker("extract", html, url, source, language_hint, fetched_at)

    def submit_extract(self, html: str, url: str, source: str, language_hint: str | None = None,
                       fetched_at: str = "") -> PendingJob:
        """Queue a page for extraction and return at once; ``result()`` of what it returns gives the article."""
        return PendingJob(self._jobs.submit(self._on_free_worker, "extract", html, url, source, language_hint,
                                            fetched_at))

    def submit_structure(self, article: Article) -> PendingJob:
        """Queue an article for structuring and return at once; ``result()`` gives its report."""
        return PendingJob(self._jobs.submit(self._on_free_worker, "structure", article))

    def structure(self, article: Article) -> EventReport | None:
        """Return the event report of an article; raise ExtractionError on timeout or memory cap."""
        return self._on_free_worker("structure", article)

    def close(self) -> None:
        """Stop every worker (and the pool's threads)."""
        with self._cond:
            self._closed = True
            workers, self._workers, self._idle = self._workers, [], []
            self._cond.notify_all()
        self._jobs.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def restarts(self) -> int:
        """How many times a worker was killed (timeout, memory cap, crash) and replaced."""
        with self._cond:
            return sum(worker.restarts for worker in self._workers)

    # borrowing a worker ----------------------------------------------------------------------------------------
    def _on_free_worker(self, op: str, *args: Any) -> Any:
        worker = self._borrow()
        try:
            return getattr(worker, op)(*args)
        finally:
            self._give_back(worker)

    def _borrow(self) -> PageWorker:
        """Take an idle worker; start one when all are busy and there is room; else wait for one."""
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the extraction pool is closed")
                if self._idle:
                    return self._idle.pop()
                if len(self._workers) + self._starting < self.size:
                    self._starting += 1
                    break
                self._cond.wait()
        try:
            return self._new_worker()
        finally:
            with self._cond:
                self._starting -= 1

    def _new_worker(self) -> PageWorker:
        worker = self._factory(self.timeout, self.memory_mb)
        with self._cond:
            self._workers.append(worker)
        return worker

    def _give_back(self, worker: PageWorker) -> None:
        with self._cond:
            if worker in self._workers and not self._closed:
                self._idle.append(worker)
                self._cond.notify()


class PendingJob:
    """A page queued for extraction (see :meth:`WorkerPool.submit_extract`)."""

    def __init__(self, future: Future) -> None:
        self.future = future

    def result(self) -> Any:
        """Return the article (or report); raise ExtractionError (no article, timeout, too large)."""
        return self.future.result()

    def abandon(self) -> None:
        """Give up on the answer: a page not started is dropped (one under way ends within its deadline)."""
        self.future.cancel()


class SharedPool(WorkerPool):
    """The process-wide pool: ``close`` leaves it running for the next crawl; it stops when the process exits."""

    def __init__(self, size: int, timeout: float, memory_mb: int) -> None:
        self.owner = os.getpid()  # a forked copy of this process must not stop (or use) our children
        super().__init__(size, timeout, memory_mb)

    def close(self) -> None:
        """Keep the pool for the next caller (see :func:`shared_pool`)."""

    def stop(self) -> None:
        """Stop the workers for good (only from the process that started them)."""
        if os.getpid() == self.owner:
            super().close()


_shared: SharedPool | None = None
_shared_lock = threading.Lock()


def shared_pool(size: int = 1, timeout: float = 30.0, memory_mb: int = 1024) -> WorkerPool:
    """Return this process's extraction pool with these limits (started on first use, stopped at exit)."""
    global _shared
    with _shared_lock:
        stale = _shared is not None and (_shared.owner != os.getpid()
                                         or _shared.registry_dir != os.environ.get(REGISTRY_ENV))
        if stale and _shared.owner == os.getpid():
            _shared.stop()  # started under other registries: its children hold those
        if _shared is None or stale:
            _shared = SharedPool(size, timeout, memory_mb)
            atexit.register(_shared.stop)
        return _shared.limit(timeout, memory_mb).resize(size)
