"""Crawl state: per URL status and validators, per run counts, per source health, host deferrals.

Two implementations behind one interface (:class:`StateStore`, :class:`HostNotesStore`): a SQLite file
(:class:`CrawlState`, :class:`HostState`, the default) and PostgreSQL (``ingest.state_pg``, chosen by a
``postgresql://`` ``state_url`` setting, so several machines share one state). :func:`open_state` and
:func:`open_host_state` pick the one the settings name. The schema is versioned (``ingest.migrations``).

Validators (ETag, Last-Modified, body hash) are *pending* after a fetch and become *committed* only
once the document is indexed (``mark_indexed``). Conditional requests use committed validators only,
so a crash between fetch and index makes the next run fetch the page in full again: nothing is lost,
and the idempotent upsert means nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingest.fetch.errors import failure_kind
from ingest.fetch.hostnotes import CrawlDelayNote, Deferral
from ingest.migrations import migrate_sqlite
from ingest.models import utc_now

if TYPE_CHECKING:
    from ingest.settings import Settings

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

ANY_STORE = "*"  # validators of a page without an article hold whatever store is used


def store_identity(store: str, env: dict[str, str] | None = None) -> str:
    """Return a stable name for a store: the absolute SQLite path, or the Elasticsearch URL and index prefix.

    Committed validators belong to the store the document went into, so crawling into a new or
    different store fetches every page in full instead of trusting 304s for documents it lacks.
    """
    env = os.environ if env is None else env
    if store.startswith(("http://", "https://")):
        return f"{store.rstrip('/')}#{env.get('COOPWATCH_ES_INDEX', 'coopwatch')}"
    path = store.removeprefix("sqlite:///").removeprefix("sqlite://")
    return str(Path(path).resolve())


@dataclass
class UrlState:
    url: str
    source: str
    status: str
    reason: str | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    first_seen: str
    last_seen: str
    last_success: str | None
    failures: int


class StateStore(Protocol):
    """The crawl state every implementation offers (SQLite :class:`CrawlState`, PostgreSQL ``PgCrawlState``)."""

    def close(self) -> None: ...
    def __enter__(self) -> StateStore: ...
    def __exit__(self, *exc: object) -> None: ...
    def get(self, url: str) -> UrlState | None: ...
    def validators(self, url: str, store: str | None = None) -> tuple[str | None, str | None, str | None]: ...
    def record_success(self, url: str, source: str, etag: str | None, last_modified: str | None,
                       body_hash: str | None, commit: bool = False) -> None: ...
    def record_not_modified(self, url: str, source: str) -> None: ...
    def record_no_article(self, url: str, source: str, reason: str, etag: str | None,
                          last_modified: str | None, body_hash: str | None) -> None: ...
    def record_failure(self, url: str, source: str, reason: str, status: str = "failed") -> None: ...
    def mark_indexed(self, urls: Iterable[str], store: str | None = None) -> None: ...
    def start_run(self, source: str) -> int: ...
    def finish_run(self, run_id: int, counts: dict, ok: bool = True) -> None: ...
    def runs(self, source: str, limit: int = 20) -> list[dict]: ...
    def failure_reasons(self, source: str) -> dict[str, int]: ...
    def urls_of(self, source: str) -> list[str]: ...
    def sources(self) -> list[str]: ...
    def source_health(self, empty_runs_warning: int = 3) -> list[dict]: ...
    def prune(self, older_than_days: float) -> int: ...


class HostNotesStore(Protocol):
    """Deferrals and Crawl-delay notes kept across runs (SQLite :class:`HostState`, PostgreSQL ``PgHostState``)."""

    def deferral(self, host: str) -> Deferral | None: ...
    def defer(self, deferral: Deferral) -> None: ...
    def deferrals(self, include_past: bool = False) -> list[Deferral]: ...
    def note_crawl_delay(self, note: CrawlDelayNote) -> None: ...
    def crawl_delays(self) -> list[CrawlDelayNote]: ...
    def host_notes(self, hosts: Iterable[str]) -> list[str]: ...


def is_postgres_url(target: str) -> bool:
    """Return True when a state target is a PostgreSQL URL rather than a SQLite file path."""
    return target.startswith(POSTGRES_SCHEMES)


def state_target(settings: Settings) -> str:
    """Return where the settings keep the crawl state: the ``state_url`` when set, else the SQLite ``state_path``."""
    return settings.state_url or settings.state_path


def open_state(target: str | Path) -> StateStore:
    """Open the crawl state at a target (a ``postgresql://`` URL or a SQLite file path; see :func:`state_target`)."""
    if is_postgres_url(str(target)):
        from ingest.state_pg import PgCrawlState

        return PgCrawlState(str(target))
    return CrawlState(target)


def open_host_state(target: str | Path) -> HostNotesStore:
    """Open the per-host notes (Retry-After deferrals, Crawl-delays) of the crawl state at a target."""
    if is_postgres_url(str(target)):
        from ingest.state_pg import PgHostState

        return PgHostState(str(target))
    return HostState(target)


def state_exists(target: str | Path) -> bool:
    """Return True when there is a crawl state at a target (a PostgreSQL URL is always taken to exist)."""
    return is_postgres_url(str(target)) or Path(target).exists()


def open_host_leases(target: str | Path, lease_seconds: float):  # noqa: ANN201 - PgHostLeases | None
    """Return per-host leases in PostgreSQL for a PostgreSQL state; None for SQLite (machine-wide file locks serve)."""
    if not is_postgres_url(str(target)):
        return None
    from ingest.state_pg import PgHostLeases

    return PgHostLeases(str(target), lease_seconds)


class CrawlState:
    """Per-URL and per-run crawl bookkeeping in one SQLite file (WAL, safe across processes)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may undo the last commits
        self.db.execute("PRAGMA busy_timeout=60000")
        migrate_sqlite(self.db, self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> UrlState | None:
        """Return what we know of a URL."""
        row = self.db.execute(
            "SELECT url, source, status, reason, etag, last_modified, body_hash, first_seen, last_seen,"
            " last_success, failures FROM urls WHERE url = ?", (url,)).fetchone()
        return UrlState(*row) if row else None

    def validators(self, url: str, store: str | None = None) -> tuple[str | None, str | None, str | None]:
        """Return the committed (etag, last_modified, body_hash) of a URL, if any, for that store.

        With ``store`` (a :func:`store_identity`), validators committed for another store are not
        returned: the document is not in this store, so the page must be fetched in full.
        """
        row = self.db.execute("SELECT etag, last_modified, body_hash, indexed_in FROM urls WHERE url = ?",
                              (url,)).fetchone()
        if not row or (store is not None and row[3] not in (store, ANY_STORE)):
            return (None, None, None)
        return row[:3]

    def record_success(self, url: str, source: str, etag: str | None, last_modified: str | None,
                       body_hash: str | None, commit: bool = False) -> None:
        """Record a fetched page; its validators stay pending until ``mark_indexed`` unless ``commit``."""
        now = utc_now()
        self._touch(url, source, now)
        self.db.execute(
            "UPDATE urls SET status='ok', reason=NULL, last_success=?, failures=0,"
            " pending_etag=?, pending_last_modified=?, pending_body_hash=? WHERE url=?",
            (now, etag, last_modified, body_hash, url))
        if commit:
            self.mark_indexed([url])

    def record_not_modified(self, url: str, source: str) -> None:
        """Record a 304 (or an identical body): the stored document is current."""
        now = utc_now()
        self._touch(url, source, now)
        self.db.execute(
            "UPDATE urls SET status=CASE WHEN status='no_article' THEN status ELSE 'not_modified' END,"
            " reason=CASE WHEN status='no_article' THEN reason ELSE NULL END, last_success=?, failures=0 WHERE url=?",
            (now, url))

    def record_no_article(self, url: str, source: str, reason: str, etag: str | None,
                          last_modified: str | None, body_hash: str | None) -> None:
        """Record a page that has no article; keep its validators so an unchanged copy is not re-read."""
        self.record_failure(url, source, reason, status="no_article")
        self.db.execute("UPDATE urls SET etag=?, last_modified=?, body_hash=?, indexed_in=? WHERE url=?",
                        (etag, last_modified, body_hash, ANY_STORE, url))

    def record_failure(self, url: str, source: str, reason: str, status: str = "failed") -> None:
        """Record a failed fetch or a page without an article, with its reason."""
        now = utc_now()
        self._touch(url, source, now)
        self.db.execute("UPDATE urls SET status=?, reason=?, failures=failures+1 WHERE url=?", (status, reason, url))
        self.db.execute("INSERT INTO failures(url, source, at, reason) VALUES (?,?,?,?)", (url, source, now, reason))

    def mark_indexed(self, urls: Iterable[str], store: str | None = None) -> None:
        """Commit pending validators of URLs whose documents are now stored (in ``store``)."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "UPDATE urls SET etag=pending_etag, last_modified=pending_last_modified, body_hash=pending_body_hash,"
            " indexed_in=? WHERE url=? AND (pending_etag IS NOT NULL OR pending_last_modified IS NOT NULL"
            " OR pending_body_hash IS NOT NULL)", [(store, u) for u in urls])
        self.db.execute("COMMIT")

    def _touch(self, url: str, source: str, now: str) -> None:
        self.db.execute(
            "INSERT INTO urls(url, source, status, first_seen, last_seen) VALUES (?,?,'new',?,?)"
            " ON CONFLICT(url) DO UPDATE SET last_seen=excluded.last_seen, source=excluded.source",
            (url, source, now, now))

    def start_run(self, source: str) -> int:
        """Open a run record for a source; return its id."""
        cur = self.db.execute("INSERT INTO runs(source, started) VALUES (?, ?)", (source, utc_now()))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, counts: dict, ok: bool = True) -> None:
        """Close a run record with its counts."""
        self.db.execute("UPDATE runs SET finished=?, counts=?, ok=? WHERE id=?",
                        (utc_now(), json.dumps(counts, sort_keys=True), int(ok), run_id))

    def runs(self, source: str, limit: int = 20) -> list[dict]:
        """Return a source's most recent runs, newest first."""
        rows = self.db.execute(
            "SELECT id, started, finished, counts, ok FROM runs WHERE source=? ORDER BY id DESC LIMIT ?",
            (source, limit)).fetchall()
        return [{"id": r[0], "started": r[1], "finished": r[2], "counts": json.loads(r[3]), "ok": bool(r[4])}
                for r in rows]

    def failure_reasons(self, source: str) -> dict[str, int]:
        """Return {reason kind: count} of current failures of a source's URLs, most frequent first."""
        rows = self.db.execute(
            "SELECT reason FROM urls WHERE source=? AND status IN ('failed','no_article')", (source,))
        kinds = Counter(failure_kind(reason or "unknown") for (reason,) in rows)
        return dict(kinds.most_common())

    def urls_of(self, source: str) -> list[str]:
        """Return every URL the state knows for a source."""
        return [row[0] for row in self.db.execute("SELECT url FROM urls WHERE source=? ORDER BY url", (source,))]

    def sources(self) -> list[str]:
        """Return the names of every source with runs or URLs."""
        rows = self.db.execute("SELECT DISTINCT source FROM runs UNION SELECT DISTINCT source FROM urls").fetchall()
        return sorted(r[0] for r in rows)

    def source_health(self, empty_runs_warning: int = 3) -> list[dict]:
        """Return per-source health: last success, pages, new reports, failures by reason, warnings."""
        return [self._health_of(source, empty_runs_warning) for source in self.sources()]

    def _health_of(self, source: str, empty_runs_warning: int) -> dict:
        runs = self.runs(source, limit=max(empty_runs_warning, 1))
        last_ok = next((r for r in runs if r["ok"] and r["finished"]), None)
        empty = 0
        for run in runs:
            if run["counts"].get("discovered", 0) or run["counts"].get("new", 0):
                break
            empty += 1
        known = self.db.execute("SELECT COUNT(*) FROM urls WHERE source=? AND status IN ('ok','not_modified')",
                                (source,)).fetchone()[0]
        warning = None
        if runs and empty >= empty_runs_warning:
            warning = f"no links discovered in the last {empty} runs: check the listing page layout and the source's patterns"
        last = runs[0] if runs else None
        return {
            "source": source,
            "last_success": last_ok["finished"] if last_ok else None,
            "last_run": last,
            "last_run_failure": run_failure_text(last),
            "pages_ok": known,
            "failures": self._failures_with_discovery(source, last),
            "failure_examples": dict((last or {}).get("counts", {}).get("failure_examples") or {}),
            "empty_runs": empty,
            "warning": warning,
        }

    def _failures_with_discovery(self, source: str, last_run: dict | None) -> dict[str, int]:
        """Return failure kinds of the source's URLs plus those of the last run's discovery (listing, feed, sitemap)."""
        kinds = Counter(self.failure_reasons(source))
        for reason, n in ((last_run or {}).get("counts", {}).get("discovery_failures") or {}).items():
            where, _, why = reason.partition(": ")
            kinds[f"{failure_kind(why) if why else where} ({where})"] += n
        return dict(kinds.most_common())

    def prune(self, older_than_days: float) -> int:
        """Forget failure logs, runs and URLs not seen within the retention period; return rows deleted."""
        cutoff = (datetime.now(timezone.utc) - timedelta(days=older_than_days)).isoformat(timespec="seconds")
        deleted = 0
        for sql in ("DELETE FROM failures WHERE at < ?", "DELETE FROM urls WHERE last_seen < ?",
                    "DELETE FROM runs WHERE started < ?"):
            deleted += self.db.execute(sql, (cutoff,)).rowcount
        return deleted


class HostState:
    """Deferrals and Crawl-delay notes per host in the crawl state file, shared by runs and processes.

    Implements the methods of :class:`ingest.fetch.hostnotes.HostNotes`, so a Fetcher built from settings
    honours a Retry-After a host gave in an earlier run. Deferrals are read at most every few seconds
    (one query for all hosts), so checking them costs nothing per request.
    """

    REFRESH_SECONDS = 5.0

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cache: dict[str, Deferral] = {}
        self._read_at = 0.0
        with self._connect() as db:
            migrate_sqlite(db, self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=60000")
            yield db
        finally:
            db.close()

    def deferral(self, host: str) -> Deferral | None:
        """Return the host's deferral while it lasts, else None."""
        with self._lock:
            if time.monotonic() - self._read_at > self.REFRESH_SECONDS:
                self._cache = {d.host: d for d in self.deferrals()}
                self._read_at = time.monotonic()
            found = self._cache.get(host)
        return found if found is not None and found.remaining() > 0 else None

    def defer(self, deferral: Deferral) -> None:
        """Store a deferral (replacing the host's earlier one)."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO hosts(host, deferred_until, deferral_asked, deferral_capped, deferral_reason, deferred_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(host) DO UPDATE SET deferred_until=excluded.deferred_until,"
                " deferral_asked=excluded.deferral_asked, deferral_capped=excluded.deferral_capped,"
                " deferral_reason=excluded.deferral_reason, deferred_at=excluded.deferred_at",
                (deferral.host, deferral.until, deferral.asked, int(deferral.capped), deferral.reason, utc_now()))
        with self._lock:
            self._cache[deferral.host] = deferral

    def deferrals(self, include_past: bool = False) -> list[Deferral]:
        """Return the stored deferrals (only those still running unless include_past)."""
        with self._connect() as db:
            rows = db.execute("SELECT host, deferred_until, deferral_asked, deferral_capped, deferral_reason"
                              " FROM hosts WHERE deferred_until IS NOT NULL AND (? = 1 OR deferred_until > ?)",
                              (int(include_past), time.time())).fetchall()
        return [Deferral(host, until, asked, bool(capped), reason) for host, until, asked, capped, reason in rows]

    def note_crawl_delay(self, note: CrawlDelayNote) -> None:
        """Store the Crawl-delay a host's robots.txt asked for and the one used."""
        with self._connect() as db:
            db.execute("INSERT INTO hosts(host, crawl_delay_asked, crawl_delay_used, crawl_delay_at) VALUES (?,?,?,?)"
                       " ON CONFLICT(host) DO UPDATE SET crawl_delay_asked=excluded.crawl_delay_asked,"
                       " crawl_delay_used=excluded.crawl_delay_used, crawl_delay_at=excluded.crawl_delay_at",
                       (note.host, note.asked, note.used, utc_now()))

    def crawl_delays(self) -> list[CrawlDelayNote]:
        """Return the Crawl-delay notes stored for every host."""
        with self._connect() as db:
            rows = db.execute("SELECT host, crawl_delay_asked, crawl_delay_used FROM hosts"
                              " WHERE crawl_delay_asked IS NOT NULL").fetchall()
        return [CrawlDelayNote(*row) for row in rows]

    def host_notes(self, hosts: Iterable[str]) -> list[str]:
        """Return one line per deferred or Crawl-delay-capped host among ``hosts`` (for stats and sources check)."""
        wanted = set(hosts)
        lines = [f"{d.host}: {d.reason.removeprefix('deferred: ')}" for d in self.deferrals() if d.host in wanted]
        lines += [f"{n.host}: robots.txt asks Crawl-delay {n.asked:g}s; capped at {n.used:g}s (max_crawl_delay)"
                  for n in self.crawl_delays() if n.host in wanted and n.capped]
        return sorted(lines)


def run_failure_text(run: dict | None) -> str | None:
    """Return why a recorded run failed (its error, or why it fetched nothing), or None for a good run."""
    if not run or run["ok"]:
        return None
    counts = run.get("counts") or {}
    if not run.get("finished"):
        return "did not finish (killed or still running)"
    return counts.get("failure") or counts.get("error") or "failed"  # a failure names every discovery reason


class SharedState:
    """A CrawlState shared by several threads: each call runs under one lock."""

    def __init__(self, state: CrawlState) -> None:
        self._state = state
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        method = getattr(self._state, name)

        def locked(*args, **kwargs):
            with self._lock:
                return method(*args, **kwargs)

        return locked


def format_health_line(row: dict) -> str:
    """Return one source's health (a ``source_health`` row) as a single ``key=value`` log line.

    The line ends with ``WARNING: <reason>`` when the source has gone quiet.
    """
    last = (row.get("last_run") or {}).get("counts", {})
    reasons = ", ".join(f"{kind} {count}" for kind, count in (row.get("failures") or {}).items()) or "-"
    line = (f"source={row['source']} last_success={row.get('last_success') or 'never'}"
            f" pages_ok={row.get('pages_ok', 0)} last_run_new={last.get('new', 0)}"
            f" events_changed={last.get('events_changed', 0)} empty_runs={row.get('empty_runs', 0)}"
            f" failures=[{reasons}]")
    if row.get("last_run_failure"):
        line += f" last_run=FAILED: {row['last_run_failure']}"
    if row.get("warning"):
        line += f" WARNING: {row['warning']}"
    return line
