"""Per-host politeness: one request in flight per host and a minimum gap between requests.

Without a lock directory the state lives in this process. With one, each host has a file
``<lock_dir>/<host>.lock`` that is held with ``fcntl.flock`` for the whole request and stores the time
the last request to that host finished, so several crawler processes share one delay and one slot.
The gap is measured from the end of one response to the start of the next request.

The lock directory belongs to the machine, not to a crawl: crawls with different state files, DAG
tasks and CLI runs all use the same one (``COOPWATCH_LOCK_DIR``, default ``$TMPDIR/coopwatch-locks-<uid>``).
A lock is released by the kernel when its holder dies, even by ``kill -9``. Lock files are opened
without following symbolic links, and the default directory must be a real directory of our own.

With ``leases`` (the PostgreSQL crawl state's ``PgHostLeases``) the slot is a lease in the shared database
instead, so crawlers on different machines share one delay and one slot per host.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.config_files import ConfigError


class HostThrottle:
    """Hand out one request slot per host at a time, spaced by a per-host delay."""

    def __init__(self, lock_dir: str | os.PathLike[str] | None = None, leases=None) -> None:  # noqa: ANN001
        self.lock_dir = Path(lock_dir) if lock_dir else None
        self.leases = leases  # an object with slot(host, delay) shared across machines, used before lock_dir
        self._guard = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._last_done: dict[str, float] = {}

    def _host_lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._host_locks.setdefault(host, threading.Lock())

    @contextmanager
    def slot(self, host: str, delay: float) -> Iterator[None]:
        """Wait until host is free and delay seconds have passed since its last request, then hold it."""
        with self._host_lock(host):
            if self.leases is not None:
                yield from self._leased_slot(host, delay)
            elif self.lock_dir is None:
                yield from self._local_slot(host, delay)
            else:
                yield from self._shared_slot(host, delay)

    def free_at(self, host: str, delay: float) -> float:
        """Return when this process may next ask host (its last answer here plus delay; other processes aside)."""
        return self._last_done.get(host, 0.0) + delay

    def close(self) -> None:
        """Release what the throttle holds open (the leases' database connection)."""
        if self.leases is not None:
            self.leases.close()

    def _leased_slot(self, host: str, delay: float) -> Iterator[None]:
        with self.leases.slot(host, delay):
            try:
                yield
            finally:
                self._last_done[host] = time.time()

    def _local_slot(self, host: str, delay: float) -> Iterator[None]:
        wait_for_gap(self._last_done.get(host, 0.0), delay)
        try:
            yield
        finally:
            self._last_done[host] = time.time()

    def _shared_slot(self, host: str, delay: float) -> Iterator[None]:
        assert self.lock_dir is not None
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / lock_file_name(host), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        with open(fd, "r+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                wait_for_gap(read_last_time(handle), delay)
                yield
            finally:
                self._last_done[host] = done = time.time()
                write_last_time(handle, done)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def prepare_private_dir(path: str | os.PathLike[str]) -> str:
    """Create a lock directory for this user (mode 0700); refuse one that is a link or another user's."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ConfigError(f"{folder} is not a directory of this user: set COOPWATCH_LOCK_DIR to a directory "
                          "every crawl on this machine can use")
    return str(folder)


def wait_for_gap(last_done: float, delay: float) -> None:
    """Sleep until delay seconds have passed since last_done (never longer than delay)."""
    remaining = min(delay, last_done + delay - time.time())
    if remaining > 0:
        time.sleep(remaining)


def lock_file_name(host: str) -> str:
    """Return a safe file name for a host key such as ``example.org:8080``."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", host.lower()) + ".lock"


def read_last_time(handle) -> float:  # noqa: ANN001 (binary file object)
    """Return the last-request time stored in a lock file, 0 when empty or unreadable."""
    handle.seek(0)
    try:
        return float(handle.read().decode("ascii").strip() or 0)
    except ValueError:
        return 0.0


def write_last_time(handle, when: float) -> None:  # noqa: ANN001
    """Store the last-request time in a lock file."""
    handle.seek(0)
    handle.truncate()
    handle.write(f"{when:.6f}".encode("ascii"))
    handle.flush()
