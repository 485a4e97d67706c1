"""Crawl state in PostgreSQL, shared by crawlers on several machines (``COOPWATCH_STATE_URL=postgresql://...``).

:class:`PgCrawlState` and :class:`PgHostState` behave exactly as the SQLite :class:`ingest.state.CrawlState`
and :class:`ingest.state.HostState` (one contract suite runs against both): they run the same portable
queries, written with SQLite's ``?`` parameters, through :class:`QmarkConnection`, and override only what
differs (run ids, transactions, connections). :class:`PgHostLeases` replaces the machine-wide file locks:
one request slot per host across every machine, the delay kept between requests, and a holder that dies
blocks its host only until its lease expires. Needs the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ingest.config_files import ConfigError
from ingest.migrations import migrate_postgres
from ingest.models import utc_now
from ingest.state import CrawlState, HostState

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10  # seconds to reach the database before the state is reported unavailable


class StateUnavailable(ConfigError):
    """The PostgreSQL crawl state cannot be reached or the driver is missing."""


def redacted(url: str) -> str:
    """Return a database URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


def connect(url: str) -> Any:
    """Open an autocommit psycopg connection to the state database, with a clear error when that fails."""
    try:
        import psycopg
    except ImportError:
        raise StateUnavailable("COOPWATCH_STATE_URL names PostgreSQL but psycopg is not installed: "
                               "pip install 'coopwatch[postgres]'") from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        raise StateUnavailable(f"cannot reach the crawl state at {redacted(url)}: {str(exc).strip()} "
                               "(check COOPWATCH_STATE_URL and that PostgreSQL is running)") from None


def open_migrated(url: str) -> Any:
    """Connect to the state database and bring its schema to the newest version this code knows."""
    conn = connect(url)
    try:
        migrate_postgres(conn, redacted(url))
    except BaseException:
        conn.close()
        raise
    return conn


class QmarkConnection:
    """A psycopg connection that takes the ``?`` parameters of the queries shared with SQLite."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        """Run one statement; return its cursor."""
        return self.conn.execute(qmark_to_format(sql), params or None)

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        """Run one statement for each row of parameters."""
        with self.conn.cursor() as cursor:
            cursor.executemany(qmark_to_format(sql), list(rows))

    def close(self) -> None:
        self.conn.close()


def qmark_to_format(sql: str) -> str:
    """Turn SQLite ``?`` placeholders into psycopg's ``%s`` (the shared queries hold no literal ``?``)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgCrawlState(CrawlState):
    """The crawl state (URLs, validators, runs, failures) in a PostgreSQL database."""

    def __init__(self, url: str) -> None:  # noqa: D107 - no super().__init__: there is no SQLite file
        self.path = redacted(url)
        self.url = url
        self.db = QmarkConnection(open_migrated(url))

    def mark_indexed(self, urls: Iterable[str], store: str | None = None) -> None:
        """Commit pending validators of URLs whose documents are now stored (in ``store``)."""
        with self.db.conn.transaction():
            self.db.executemany(
                "UPDATE urls SET etag=pending_etag, last_modified=pending_last_modified,"
                " body_hash=pending_body_hash, indexed_in=? WHERE url=? AND (pending_etag IS NOT NULL"
                " OR pending_last_modified IS NOT NULL OR pending_body_hash IS NOT NULL)",
                [(store, u) for u in urls])

    def start_run(self, source: str) -> int:
        """Open a run record for a source; return its id."""
        return int(self.db.execute("INSERT INTO runs(source, started) VALUES (?, ?) RETURNING id",
                                   (source, utc_now())).fetchone()[0])


class PgHostState(HostState):
    """Deferrals and Crawl-delay notes per host in the PostgreSQL crawl state."""

    def __init__(self, url: str) -> None:  # noqa: D107 - migrates once, then connects per call like HostState
        self.url = url
        self.path = redacted(url)
        self._lock = threading.Lock()
        self._cache = {}
        self._read_at = 0.0
        open_migrated(url).close()

    @contextmanager
    def _connect(self) -> Iterator[QmarkConnection]:
        db = QmarkConnection(connect(self.url))
        try:
            yield db
        finally:
            db.close()


class PgHostLeases:
    """One request slot per host across every machine sharing the database, spaced by the host's delay.

    A slot is a row of ``host_leases`` taken with ``SELECT ... FOR UPDATE SKIP LOCKED``: free when it has no
    holder or its lease has expired. Taking it records this holder and an expiry (the wait for the delay
    plus ``lease_seconds``, longer than one request may take); giving it back records when the request
    ended and when the host may next be asked. Times come from the database server's clock.
    """

    POLL_SECONDS = 0.05  # how often a waiting worker asks again while another holds the host

    def __init__(self, url: str, lease_seconds: float = 120.0) -> None:
        self.url = url
        self.lease_seconds = lease_seconds
        self.holder_prefix = f"{socket.gethostname()}:{os.getpid()}"
        self._conn: Any = None
        self._lock = threading.Lock()
        open_migrated(url).close()

    def close(self) -> None:
        """Close the connection (leases held are released by their slots, not by closing)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def slot(self, host: str, delay: float) -> Iterator[None]:
        """Wait until the host is free everywhere and delay seconds have passed since its last request; hold it."""
        holder = f"{self.holder_prefix}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        wait = self.acquire(host, delay, holder)
        try:
            if wait > 0:
                time.sleep(wait)
            yield
        finally:
            self.release(host, holder, delay)

    def acquire(self, host: str, delay: float, holder: str) -> float:
        """Take the host's lease for holder (waiting while another holds it); return seconds left of the delay."""
        while True:
            wait = self.try_acquire(host, delay, holder)
            if wait is not None:
                return wait
            time.sleep(self.POLL_SECONDS)

    def try_acquire(self, host: str, delay: float, holder: str) -> float | None:
        """Take the host's lease if it is free or expired; return seconds left of the delay, or None when held."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO host_leases(host) VALUES (%s) ON CONFLICT (host) DO NOTHING", (host,))
            row = conn.execute(
                "SELECT holder, expires, last_done, next_allowed, extract(epoch FROM clock_timestamp())::float8"
                " FROM host_leases WHERE host = %s FOR UPDATE SKIP LOCKED", (host,)).fetchone()
            if row is None:
                return None  # another worker is taking or giving back this host right now
            current, expires, last_done, next_allowed, now = row
            if current is not None and expires > now:
                return None
            if current is not None:
                log.warning("host %s: lease of %s expired (holder died or hung); taking it", host, current)
            wait = max(0.0, max(next_allowed, last_done + delay) - now)
            conn.execute("UPDATE host_leases SET holder = %s, expires = %s WHERE host = %s",
                         (holder, now + wait + self.lease_seconds, host))
            return wait

    def release(self, host: str, holder: str, delay: float) -> None:
        """Give the host back: record that its request ended now and when it may next be asked."""
        with self._transaction() as conn:
            done = conn.execute(
                "UPDATE host_leases SET holder = NULL, expires = NULL,"
                " last_done = extract(epoch FROM clock_timestamp()),"
                " next_allowed = extract(epoch FROM clock_timestamp()) + %s"
                " WHERE host = %s AND holder = %s", (delay, host, holder)).rowcount
        if not done:
            log.warning("host %s: lease of %s had expired before its request ended (lease_seconds %.0f too short?)",
                        host, holder, self.lease_seconds)

    def lease_of(self, host: str) -> tuple[str | None, float | None, float]:
        """Return the host's (holder, expires, database time now), for checks and tests."""
        with self._transaction() as conn:
            row = conn.execute("SELECT holder, expires FROM host_leases WHERE host = %s", (host,)).fetchone()
            now = conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()[0]
        holder, expires = row if row else (None, None)
        return holder, expires, now

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """Run one short transaction on this object's connection (reconnecting once if it was lost)."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = connect(self.url)
            try:
                with self._conn.transaction():
                    yield self._conn
            except Exception:
                if self._conn.broken:
                    self._conn.close()
                    self._conn = None
                raise
