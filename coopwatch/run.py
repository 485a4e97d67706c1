"""The main job: crawl sources, structure, index; and reprocessing from the WARC archive.

This is the layer that joins ``ingest`` and ``search``; the CLI and the Airflow DAGs call it.
"""

from __future__ import annotations

import gc
import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timezone
from pathlib import Path

from coopwatch.explain import discovery_problem
from ingest.archive import latest_response_refs, read_response
from ingest.extract import ExtractionError
from ingest.fetch.errors import failure_kind
from ingest.hostpool import HostPool
from ingest.models import Document
from ingest.pipeline import (
    discover_stage,
    fetch_stage,
    make_fetcher,
    make_worker,
    read_jsonl,
    source_settings,
    structure_stage,
    to_document,
)
from ingest.settings import ConfigError, Settings
from ingest.sources import Source, load_sources
from ingest.state import format_health_line, open_host_state, open_state, state_exists, state_target, store_identity
from coopwatch.grouping import assign_events
from search import open_backend
from search.base import SearchBackend, UpsertStats

INDEX_BATCH = 200
SOURCES_AT_ONCE = 32  # sources whose stages run side by side (their fetching shares crawl_workers threads)
INDEX_LOCK = threading.Lock()  # one index batch at a time in this process


@dataclass
class SourceSummary:
    """What one crawl of one source did, and why it failed when it did (kept in the run record)."""

    source: str
    discovered: int = 0
    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    events: int = 0
    events_changed: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # by kind: robots, dns, blocked, timeout, tls, extract ...
    discovery_failures: dict[str, int] = field(default_factory=dict)  # "listing: robots: unavailable (503)" -> n
    failure_examples: dict[str, str] = field(default_factory=dict)  # kind -> one full reason, e.g. for stats
    error: str | None = None  # the run stopped: an exception, or no start page could be read
    failure: str | None = None  # the run went through but fetched nothing because of failures
    failed_pages: list[list[str]] = field(default_factory=list)  # [url, reason], as many as the batches report
    new_events: list[dict[str, str]] = field(default_factory=list)  # {"id", "title"} of new event reports

    def as_counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("source", "failed_pages", "new_events")}

    def add_discovered(self, count: int, discovery_failures: dict[str, int]) -> None:
        """Add a discovery's URL count and its failed pages (``listing: robots: unavailable (503)``), kept whole."""
        self.discovered += count
        for reason, n in discovery_failures.items():
            self.discovery_failures[reason] = self.discovery_failures.get(reason, 0) + n
            where, _, why = reason.partition(": ")
            self._add_failures(failure_kind(why) if why else where, n, why or reason)
            self.failed += n

    def add_fetched(self, fetched: dict) -> None:
        """Add the counts of one ``fetch_stage`` batch."""
        self.fetched += fetched["fetched"]
        self.not_modified += fetched["not_modified"]
        self.failed += fetched["failed"]
        examples = fetched.get("failure_examples") or {}
        for reason, n in fetched["failures"].items():
            self._add_failures(reason, n, examples.get(reason))
        self.failed_pages += fetched.get("failed_urls", [])

    def add_indexed(self, indexed: dict) -> None:
        """Add the counts of one ``index_stage`` call; index failures count as failed pages."""
        for key in ("new", "updated", "unchanged", "events_changed"):
            setattr(self, key, getattr(self, key) + indexed[key])
        self.failed += indexed["failed"]
        if indexed["failed"]:
            self._add_failures("index", indexed["failed"], (indexed.get("failures") or [None])[0])
        self.new_events += indexed.get("new_events", [])

    def add_structured(self, structured: dict) -> None:
        """Add the counts of one ``structure_stage`` call (an article left without a report is still indexed)."""
        self.events += structured["events"]
        for reason, n in (structured.get("structure_failures") or {}).items():
            self._add_failures("structure", n, reason)

    def conclude(self) -> SourceSummary:
        """Decide whether the run failed although nothing raised: a source that fetched nothing because of failures."""
        self.failure = self.failure or run_failure(self)
        return self

    @property
    def ok(self) -> bool:
        return self.error is None and self.failure is None

    def _add_failures(self, kind: str, n: int, example: str | None = None) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + n
        if example and kind not in self.failure_examples:
            self.failure_examples[kind] = example


def run_failure(summary: SourceSummary) -> str | None:
    """Return why a run that raised nothing still failed (nothing fetched, because of failures), or None.

    A discovery that found nothing because every start page failed is such a failure even though the run
    also stops with an error (``discovery_problem``), so the run record keeps the reasons either way.
    """
    if summary.discovered == 0 and summary.discovery_failures:
        reasons = "; ".join(f"{reason} ({n})" if n > 1 else reason
                            for reason, n in sorted(summary.discovery_failures.items(), key=lambda kv: -kv[1])[:3])
        return f"no article URL found: every failure was in discovery: {reasons}"
    if summary.error:
        return None
    if summary.discovered and summary.fetched + summary.not_modified == 0 and summary.failed:
        kinds = ", ".join(f"{summary.failure_examples.get(kind, kind)} ({n})" for kind, n in
                          sorted(summary.failures.items(), key=lambda kv: -kv[1])[:3])
        return f"every page failed: {kinds}"
    return None


def index_stage(docs_paths: Iterable[str | Path], store: str, state_path: str | None = None) -> dict:
    """Upsert documents from JSON-lines files; commit their crawl validators once stored."""
    totals = UpsertStats()
    events_changed = 0
    new_events: list[dict[str, str]] = []
    with open_backend(store) as backend:
        for path in docs_paths:
            docs = [Document.from_dict(row) for row in read_jsonl(path)]
            for start in range(0, len(docs), INDEX_BATCH):
                batch = docs[start:start + INDEX_BATCH]
                assign_events(backend, batch)  # event ids before indexing (coopwatch/grouping.py)
                changed = _changed_events(backend, batch)
                events_changed += len(changed)
                stats = backend.upsert(batch)
                failed = {doc_id for doc_id, _ in stats.failures}
                new_events += [{"id": d.id, "title": d.title} for d, is_new in changed if is_new and d.id not in failed]
                totals.add(stats)
                _commit_validators(state_path, store, batch, stats)
    return {"new": totals.new, "updated": totals.updated, "unchanged": totals.unchanged,
            "failed": totals.failed, "events_changed": events_changed, "new_events": new_events,
            "failures": [f"{doc_id[:12]}: {reason}" for doc_id, reason in totals.failures[:20]]}


def _changed_events(backend: SearchBackend, docs: list[Document]) -> list[tuple[Document, bool]]:
    """Return the event reports among docs that are new or changed, each with whether it is new."""
    stored = backend.content_hashes([d.id for d in docs])
    return [(d, d.id not in stored) for d in docs
            if d.event and d.event.is_event_report and stored.get(d.id) != d.content_hash]


def _commit_validators(state_path: str | None, store: str, docs: list[Document], stats: UpsertStats) -> None:
    if not state_path:
        return
    failed = {doc_id for doc_id, _ in stats.failures}
    with open_state(state_path) as state:
        state.mark_indexed((d.url for d in docs if d.id not in failed), store_identity(store))


def crawl_source(source: Source, settings: Settings, workdir: Path, max_pages: int | None = None,
                 progress: Callable[[str, str], None] | None = None,
                 on_discovered: Callable[[int], None] | None = None, refetch: bool = False,
                 worker=None, hosts: HostPool | None = None) -> SourceSummary:
    """Run discover -> fetch+extract -> structure -> index for one source and record the run.

    ``worker`` is the extraction pool to use (the process's shared one when none is given); ``hosts`` the
    run's fetching threads, shared with the other sources (the batch's own threads when none is given).
    """
    summary = SourceSummary(source.name)
    with open_state(state_target(settings)) as state:
        run_id = state.start_run(source.name)
    try:
        _crawl_into(summary, source, settings, workdir, max_pages, progress, on_discovered, refetch, worker, hosts)
    except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others
        summary.error = f"{type(exc).__name__}: {exc}"
    summary.conclude()
    with open_state(state_target(settings)) as state:
        state.finish_run(run_id, summary.as_counts(), ok=summary.ok)
    return summary


def _crawl_into(summary: SourceSummary, source: Source, settings: Settings, workdir: Path,
                max_pages: int | None, progress, on_discovered, refetch: bool = False, worker=None,
                hosts: HostPool | None = None) -> None:
    own = worker is None
    worker = worker or make_worker(settings)  # starts loading the extractor now, while discovery fetches
    fetcher = make_fetcher(source_settings(settings, source))  # one robots.txt cache for the whole run
    try:
        _run_stages(summary, source, settings, workdir, max_pages, progress, on_discovered, fetcher, refetch,
                    worker, hosts)
    finally:
        fetcher.close()
        if own:
            worker.close()


def _run_stages(summary: SourceSummary, source: Source, settings: Settings, workdir: Path,
                max_pages: int | None, progress, on_discovered, fetcher, refetch: bool, worker,
                hosts: HostPool | None = None) -> None:
    found = discover_stage(source.name, settings, workdir, max_pages=max_pages, fetcher=fetcher)
    summary.add_discovered(found["count"], found["discovery_failures"])
    summary.failure = discovery_problem(found["count"], found["discovery_failures"])
    if summary.failure:  # every start page failed: a failed run that names the reason and the fix
        return
    if on_discovered:
        on_discovered(found["count"])
    for start, end in found["batches"]:  # index batch by batch: a crash loses at most one batch of work
        fetched = fetch_stage(source.name, found["path"], settings, workdir, start, end, progress=progress,
                              fetcher=fetcher, conditional=not refetch, worker=worker, hosts=hosts)
        summary.add_fetched(fetched)
        structured = structure_stage(fetched["path"], worker=worker)
        summary.add_structured(structured)
        with INDEX_LOCK:  # sources crawled at once index one batch at a time (event grouping sees every report)
            summary.add_indexed(index_stage([structured["path"]], settings.store, state_target(settings)))


@dataclass
class CrawlEvents:
    """Optional callbacks of a crawl, each called under one lock (several sources are crawled at once)."""

    source_started: Callable[[Source], None] | None = None
    discovered: Callable[[str, int], None] | None = None  # (source, URLs found)
    page_done: Callable[[str, str, str], None] | None = None  # (source, url, fetched/not_modified/failed)
    source_finished: Callable[[SourceSummary], None] | None = None


def run_crawl(settings: Settings, source_names: list[str] | None = None, max_pages: int | None = None,
              progress=None, on_discovered=None, on_source=None, refetch: bool = False,
              events: CrawlEvents | None = None) -> list[SourceSummary]:
    """Crawl the configured sources (all enabled, or the named ones) into the store, sources and hosts at once.

    Up to ``SOURCES_AT_ONCE`` sources run their stages side by side; their pages are fetched on one pool
    of ``crawl_workers`` threads (one request in flight per host, the fetcher's throttle keeps the
    delays) and extracted on the shared pool of ``cpu_workers`` bounded worker processes. ``progress``,
    ``on_discovered`` and ``on_source`` are the one-source-at-a-time callbacks of old; ``events`` names
    the source in each. ``refetch`` sends no conditional requests (use it after restoring or wiping a store).
    """
    sources = select_sources(settings, source_names)
    workdir = work_root(settings) / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    events = _with_old_callbacks(events or CrawlEvents(), progress, on_discovered, on_source)
    with open_state(state_target(settings)):
        pass  # create or upgrade the crawl state once, before the sources open it at once
    worker = make_worker(settings)  # the extraction pool for every source of the run
    hosts = HostPool(settings.crawl_workers, name="crawl")
    each = ThreadPoolExecutor(max(1, min(len(sources), SOURCES_AT_ONCE)), thread_name_prefix="source")
    try:
        futures = [each.submit(_crawl_one, source, settings, workdir, max_pages, refetch, worker, hosts, events)
                   for source in sources]
        return [future.result() for future in futures]
    except BaseException:
        hosts.cancel()  # interrupted: queued pages are dropped, their sources finish what is under way
        raise
    finally:
        each.shutdown(wait=True, cancel_futures=True)
        hosts.close()
        worker.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _crawl_one(source: Source, settings: Settings, workdir: Path, max_pages: int | None, refetch: bool, worker,
               hosts: HostPool, events: CrawlEvents) -> SourceSummary:
    """Crawl one source of a run, reporting to the run's callbacks with the source's name."""
    name = source.name
    if events.source_started:
        events.source_started(source)
    progress = partial(events.page_done, name) if events.page_done else None
    on_discovered = partial(events.discovered, name) if events.discovered else None
    summary = crawl_source(source, settings, workdir, max_pages, progress, on_discovered, refetch, worker, hosts)
    if events.source_finished:
        events.source_finished(summary)
    return summary


def _with_old_callbacks(events: CrawlEvents, progress, on_discovered, on_source) -> CrawlEvents:
    """Return events that also call the source-less callbacks, every callback under one lock."""
    lock = threading.Lock()

    def both(new, old, drop_source: bool):
        if new is None and old is None:
            return None

        def call(*args):
            with lock:
                if new is not None:
                    new(*args)
                if old is not None:
                    old(*(args[1:] if drop_source else args))
        return call

    return CrawlEvents(source_started=both(events.source_started, on_source, False),
                       discovered=both(events.discovered, on_discovered, True),
                       page_done=both(events.page_done, progress, True),
                       source_finished=both(events.source_finished, None, False))


def work_root(settings: Settings) -> Path:
    """Return the folder under which crawl runs keep their work files (beside the crawl state)."""
    return Path(settings.state_path).resolve().parent / "work"


def prune_workdirs(settings: Settings, older_than_days: float) -> int:
    """Remove run work directories (``work/<run>/<part>``) older than the retention period; return how many."""
    cutoff = time.time() - older_than_days * 86400
    stale = [d for d in work_root(settings).glob("*/*") if d.is_dir() and d.stat().st_mtime < cutoff]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return len(stale)


def log_source_health(state_path: str, empty_runs_warning: int, log: logging.Logger,
                      source: str | None = None) -> list[dict]:
    """Log one health line per source (or only ``source``), as a warning for a quiet one; return the rows."""
    with open_state(state_path) as state:
        rows = [h for h in state.source_health(empty_runs_warning) if source is None or h["source"] == source]
    for row in rows:
        (log.warning if row.get("warning") else log.info)("%s", format_health_line(row))
    return [{k: row[k] for k in ("source", "last_success", "pages_ok", "empty_runs", "warning")} for row in rows]


def source_figures(backend: SearchBackend, state_path: str) -> list[dict]:
    """Return per-source health as ``coopwatch stats`` shows it: crawl-state health plus stored documents."""
    from search.base import Query

    per_source = dict(backend.search(Query(limit=0, facets=True)).facets.get("source", []))
    with open_state(state_path) as state:
        health = {row["source"]: row for row in state.source_health()}
    empty = {"last_success": None, "last_run": None, "last_run_failure": None, "pages_ok": 0, "failures": {},
             "failure_examples": {}, "empty_runs": 0, "warning": None}
    return [{**empty, **health.get(name, {"source": name}), "documents": per_source.get(name, 0)}
            for name in sorted(set(per_source) | set(health))]


def host_notes_of(settings: Settings, source_name: str) -> list[str]:
    """Return lines on the source's hosts from the crawl state: Retry-After deferrals and capped Crawl-delays."""
    from ingest.fetch.fetcher import host_key

    if not state_exists(state_target(settings)):
        return []
    with open_state(state_target(settings)) as state:
        urls = state.urls_of(source_name)
    try:
        source = next(s for s in load_sources(settings.sources, enabled_only=False) if s.name == source_name)
        urls += source.start_urls + source.feeds + source.sitemaps
    except (ConfigError, StopIteration):
        pass
    return open_host_state(state_target(settings)).host_notes({host_key(u) for u in urls})


def select_sources(settings: Settings, names: list[str] | None) -> list[Source]:
    """Return the enabled sources, or the named ones (an unknown name is an error that lists the known ones)."""
    sources = load_sources(settings.sources, enabled_only=not names)
    if not names:
        return sources
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(f"{settings.sources}: no source named {unknown[0]!r}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def reprocess(settings: Settings, source_name: str | None = None, progress=None) -> dict:
    """Re-extract, re-structure and re-index every archived article without fetching again.

    Streams: only the newest record's location per URL is held, bodies are read ``INDEX_BATCH`` at a time
    and extracted on the bounded extraction worker, so memory does not grow with the archive.
    """
    hints = {s.name: s.language for s in load_sources(settings.sources, enabled_only=False)} \
        if Path(settings.sources).exists() else {}
    refs = sorted(latest_response_refs(settings.archive_dir, source_name).items(), key=lambda item: item[1])
    counts: Counter[str] = Counter()
    totals = UpsertStats()
    with open_backend(settings.store) as backend, make_worker(settings) as worker:  # bounded per page, as in a crawl
        for start in range(0, len(refs), INDEX_BATCH):
            docs = _reprocess_batch(refs[start:start + INDEX_BATCH], hints, worker, counts, progress)
            assign_events(backend, docs)  # reports keep their event ids (coopwatch/grouping.py)
            totals.add(backend.upsert(docs))
            del docs
            gc.collect()  # hand back the batch and the interpreter's free lists before reading the next
    return {"archived": len(refs), "no_article": counts["no_article"], "new": totals.new,
            "updated": totals.updated, "unchanged": totals.unchanged, "failed": totals.failed}


def _reprocess_batch(refs, hints: dict, worker, counts: Counter, progress) -> list[Document]:
    """Extract and structure one batch of archived pages on the extraction worker; return their documents."""
    docs = []
    for url, ref in refs:
        response = read_response(*ref)
        try:
            html = _decode_archived(response.body, response.headers)
            article = worker.extract(html, url, response.source, hints.get(response.source), response.date)
        except ExtractionError:
            counts["no_article"] += 1
            continue
        docs.append(to_document(article, worker))
        if progress:
            progress(url, "reprocessed")
    return docs


def _decode_archived(body: bytes, headers: dict[str, str]) -> str:
    from ingest.fetch.charset import decode_body
    from ingest.fetch.headers import parse_content_type

    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    return decode_body(body, parse_content_type(content_type)[1])[0]
