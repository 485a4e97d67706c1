"""The crawl as stages that hand over files: discover -> fetch+extract -> structure.

Each stage takes plain values and paths and returns a small dict of paths and counts, so the CLI
runs them in one process and the Airflow DAGs run them as tasks passing only those dicts through
XCom. Stages are idempotent: outputs are written to a temporary name and renamed, and re-running a
stage rewrites the same output. Indexing lives in ``coopwatch.run`` (``ingest`` never imports
``search``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.archive import WarcArchive
from ingest.discover.feeds import FeedError, feed_links, sitemap_links
from ingest.discover.links import extract_links, find_next_page
from ingest.discover.urls import dedupe
from ingest.extract import ExtractionError
from ingest.fetch.body import GZIP_TYPES
from ingest.fetch.errors import failure_kind
from ingest.hostpool import HostPool
from ingest.models import Article, Document, EventReport, Page
from ingest.settings import ConfigError, Settings
from ingest.sources import Source, load_sources
from ingest.state import CrawlState, SharedState, open_state, state_target, store_identity

if TYPE_CHECKING:
    from ingest.fetch import Fetcher
    from ingest.worker import PageWorker, PendingArticle
    from ingest.workerpool import PendingJob, WorkerPool

BATCH_SIZE = 50
FAILED_URLS_KEPT = 20  # failed pages a fetch batch reports by URL (all of them are in the crawl state)
MAX_SITEMAPS = 20
Progress = Callable[[str, str], None]  # (url, outcome) -> None


def get_source(settings: Settings, name: str) -> Source:
    """Return the named source from the configured sources file."""
    for source in load_sources(settings.sources, enabled_only=False):
        if source.name == name:
            return source
    raise ConfigError(f"{settings.sources}: no source named {name!r}")


def source_settings(settings: Settings, source: Source) -> Settings:
    """Return the settings with the source's politeness overrides applied."""
    overrides = {k: getattr(source, k) for k in ("min_delay", "max_crawl_delay") if getattr(source, k) is not None}
    return settings.model_copy(update=overrides)


def make_worker(settings: Settings) -> WorkerPool:
    """Return the extraction workers (``cpu_workers`` child processes, each bounded per page in time and
    memory) with these settings: the process's shared pool."""
    from ingest.workerpool import shared_pool

    return shared_pool(settings.cpu_workers, settings.extract_timeout, settings.extract_memory_mb)


def make_fetcher(settings: Settings) -> Fetcher:
    """Create the fetcher (the one network seam); it shares a per-host lock directory across processes."""
    from ingest.fetch import Fetcher

    return Fetcher.from_settings(settings)


def _write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows atomically (temporary file + rename); return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    count = 0
    with open(tmp, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def read_jsonl(path: str | Path) -> Iterator[dict]:
    """Yield the rows of a JSON-lines file."""
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


# ---------------------------------------------------------------- discover

def discover_stage(source_name: str, settings: Settings, workdir: str | Path, max_pages: int | None = None,
                   batch_size: int = BATCH_SIZE, fetcher: Fetcher | None = None) -> dict:
    """Find candidate article URLs of a source; write them to ``urls.jsonl`` and return path, count, batches.

    Pass a ``fetcher`` to share its robots.txt cache and host delays with later stages in one process.
    """
    source = get_source(settings, source_name)
    if max_pages:
        source = source.model_copy(update={"max_pages": max_pages})
    own = fetcher is None
    fetcher = fetcher or make_fetcher(source_settings(settings, source))
    failures: Counter[str] = Counter()
    with WarcArchive(settings.archive_dir, source.name, level=settings.warc_gzip_level) as archive:
        try:
            urls = discover_urls(source, fetcher, archive, failures)
        finally:
            if own:
                fetcher.close()
    urls = urls[: settings.max_pages_per_source]
    path = Path(workdir) / source.name / "urls.jsonl"
    count = _write_jsonl(path, ({"url": u} for u in urls))
    batches = [[i, min(i + batch_size, count)] for i in range(0, count, batch_size)]
    return {"source": source.name, "path": str(path), "count": count, "batches": batches,
            "discovery_failures": dict(failures)}


def discover_urls(source: Source, fetcher, archive: WarcArchive | None, failures: Counter[str]) -> list[str]:
    """Return canonical, de-duplicated article URLs from listing pages, feeds and sitemaps."""
    found: list[str] = []
    listing_pages: set[str] = set()
    for start in source.start_urls:
        found += _discover_listing(source, start, fetcher, archive, failures, listing_pages)
    for feed in source.feeds:
        found += _discover_feed(feed, fetcher, archive, failures)
    found += _discover_sitemaps(source.sitemaps, fetcher, archive, failures)
    return [u for u in dedupe(found) if u not in listing_pages and source.wants(u)]


def _fetch_for_discovery(url: str, kind: str, fetcher, archive, failures: Counter[str], extra_types=()):
    page = fetcher.fetch(url, extra_types=extra_types)
    if archive is not None:
        archive.write_page(page, kind=kind)
    if not page.ok or page.not_modified:
        failures[f"{kind}: {page.error or page.status}"] += 1
        return None
    return page


def _discover_listing(source: Source, start: str, fetcher, archive, failures, seen: set[str]) -> list[str]:
    found: list[str] = []
    url: str | None = start
    for _ in range(source.max_pages):
        if url is None or url in seen:
            break
        seen.add(url)
        page = _fetch_for_discovery(url, "listing", fetcher, archive, failures)
        if page is None or page.text is None:
            break
        found += [link for link in extract_links(page.text, page.final_url) if source.wants(link)]
        url = find_next_page(page.text, page.final_url, source.next_page)
    return found


def _discover_feed(feed: str, fetcher, archive, failures) -> list[str]:
    page = _fetch_for_discovery(feed, "feed", fetcher, archive, failures)
    if page is None:
        return []
    try:
        return feed_links(page.body, page.final_url)
    except FeedError as exc:
        failures[f"feed: {exc}"] += 1
        return []


def _discover_sitemaps(sitemaps: list[str], fetcher, archive, failures) -> list[str]:
    queue, done, found = list(sitemaps), set(), []
    while queue and len(done) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in done:
            continue
        done.add(url)
        page = _fetch_for_discovery(url, "sitemap", fetcher, archive, failures, extra_types=GZIP_TYPES)
        if page is None:
            continue
        try:
            links = sitemap_links(page.body, page.final_url)
        except FeedError as exc:
            failures[f"sitemap: {exc}"] += 1
            continue
        found += links.pages
        queue += links.sitemaps
    return found


# ---------------------------------------------------------------- fetch + extract

def fetch_stage(source_name: str, urls_path: str | Path, settings: Settings, workdir: str | Path,
                start: int = 0, end: int | None = None, progress: Progress | None = None,
                fetcher: Fetcher | None = None, conditional: bool = True, worker: WorkerPool | None = None,
                hosts: HostPool | None = None) -> dict:
    """Fetch and extract one batch of URLs; write ``articles-<start>.jsonl``; return path and counts.

    URLs on different hosts are fetched at once (on ``hosts``, else on ``settings.crawl_workers``
    threads of the batch's own), one request at a time per host. A URL whose copy in this store is
    current costs one conditional request (``conditional=False`` fetches everything in full). Every
    failure is recorded in the crawl state with its reason and the batch goes on. Extraction runs on
    ``worker`` (the process's shared pool when none is given), bounded per page in time and memory
    (``extract: timeout`` / ``too large``), while other pages are fetched.
    """
    source = get_source(settings, source_name)
    urls = [row["url"] for row in read_jsonl(urls_path)][start:end]
    own = fetcher is None
    fetcher = fetcher or make_fetcher(source_settings(settings, source))
    worker = worker or make_worker(settings)
    with open_state(state_target(settings)) as state, \
            WarcArchive(settings.archive_dir, source.name, level=settings.warc_gzip_level) as archive:
        batch = Batch(source, SharedState(state), archive, store_identity(settings.store), conditional, progress)
        try:
            batch.run(urls, fetcher, worker, hosts or settings.crawl_workers)
        finally:
            if own:
                fetcher.close()
    path = Path(workdir) / source.name / f"articles-{start:06d}.jsonl"
    _write_jsonl(path, batch.articles)
    return {"source": source.name, "path": str(path), "urls": len(urls), "fetched": batch.counts["fetched"],
            "not_modified": batch.counts["not_modified"], "failed": batch.counts["failed"],
            "failures": dict(batch.reasons), "failure_examples": batch.examples,
            "failed_urls": batch.failed_urls, "requests": sum(fetcher.stats.values())}


@dataclass
class Fetched:
    """A fetched page waiting for its article: the page, its body hash, then the extraction under way."""

    url: str
    page: Page
    body_hash: str
    pending: PendingArticle | PendingJob | None = None


@dataclass
class Batch:
    """One fetch_stage batch: fetch the URLs (hosts at once), extract pages meanwhile, record every outcome."""

    source: Source
    state: CrawlState | SharedState
    archive: WarcArchive
    store: str
    conditional: bool
    progress: Progress | None
    articles: list[dict] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    failed_urls: list[list[str]] = field(default_factory=list)  # [url, reason] of the first FAILED_URLS_KEPT failures
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopped: bool = False

    def run(self, urls: list[str], fetcher, worker: WorkerPool, hosts: HostPool | int) -> None:
        """Fetch the URLs, hosts at once and one at a time per host (on the ``hosts`` pool, or on that many
        threads of the batch's own); pages are extracted while others are fetched; extraction outcomes are
        recorded in the URLs' order."""
        from ingest.fetch.fetcher import host_key

        waiting: dict[int, Fetched] = {}
        remaining = Countdown(len(urls))

        def fetch_and_submit(position: int, url: str) -> None:
            try:
                if self._stopped:
                    return
                fetched = self.fetch(url, fetcher)
                if fetched is not None:
                    waiting[position] = self.submit(fetched, worker)
            except Exception as exc:  # noqa: BLE001 - one bad page never stops the batch
                self.done(url, "failed", f"internal: {type(exc).__name__}: {exc}")
            finally:
                remaining.count_down()

        own = not isinstance(hosts, HostPool)
        pool = HostPool(max(1, min(hosts, len({host_key(u) for u in urls})))) if own else hosts
        try:
            for position, url in enumerate(urls):
                if not pool.submit(host_key(url), fetch_and_submit, position, url,
                                   ready_at=partial(fetcher.free_at, url)):
                    remaining.count_down()  # the run is stopping: this URL is left for the next run
            remaining.wait(until=lambda: pool.cancelled)
            for position in sorted(waiting):
                self.extracted(waiting.pop(position))
        finally:
            self._stopped = True  # interrupted: URLs not yet fetched are left for the next run
            if own:
                pool.cancel()
                pool.close()
            for fetched in list(waiting.values()):  # stop the extractions; these pages are fetched again next run
                fetched.pending.abandon()

    def submit(self, fetched: Fetched, worker: WorkerPool) -> Fetched:
        """Start extracting a fetched page; return it with the extraction under way."""
        page = fetched.page
        fetched.pending = worker.submit_extract(page.text or "", fetched.url, self.source.name, self.source.language,
                                                page.fetched_at)
        return fetched

    def fetch(self, url: str, fetcher) -> Fetched | None:
        """Fetch one URL; record a failure or an unchanged page now, or return the page to extract."""
        etag, last_modified, body_hash = self.state.validators(url, self.store) if self.conditional else (None,) * 3
        page = fetcher.fetch(url, etag=etag, last_modified=last_modified)
        self.archive.write_page(page)
        if not page.ok:
            reason = page.error or f"http: {page.status}"
            self.state.record_failure(url, self.source.name, reason)
            return self.done(url, "failed", reason)
        new_hash = None if page.not_modified else hashlib.sha256(page.body).hexdigest()
        if page.not_modified or new_hash == body_hash:
            self.state.record_not_modified(url, self.source.name)
            return self.done(url, "not_modified")
        return Fetched(url, page, new_hash)

    def extracted(self, fetched: Fetched) -> None:
        """Record the outcome of a page's extraction."""
        url, page, name = fetched.url, fetched.page, self.source.name
        try:
            article = fetched.pending.result()
        except ExtractionError as exc:
            if str(exc).startswith("timeout"):  # perhaps a busy machine: fetch and try again next run
                self.state.record_failure(url, name, f"extract: {exc}")
            else:  # no article, or too large: deterministic, so an unchanged copy is not read again
                self.state.record_no_article(url, name, f"extract: {exc}", page.etag, page.last_modified,
                                             fetched.body_hash)
            self.done(url, "failed", f"extract: {exc}")
            return
        self.state.record_success(url, name, page.etag, page.last_modified, fetched.body_hash)
        self.articles.append(article.to_dict())
        self.done(url, "fetched")

    def done(self, url: str, outcome: str, reason: str | None = None) -> None:
        """Count an outcome (and its reason) and report progress (fetching threads call this at once)."""
        with self._lock:
            self.counts[outcome] += 1
            if reason:
                kind = failure_kind(reason)
                self.reasons[kind] += 1
                self.examples.setdefault(kind, reason)
                if len(self.failed_urls) < FAILED_URLS_KEPT:
                    self.failed_urls.append([url, reason])
            if self.progress:
                self.progress(url, outcome)


class Countdown:
    """Wait until a number of tasks have each counted down once."""

    def __init__(self, count: int) -> None:
        self._left = count
        self._cond = threading.Condition()

    def count_down(self) -> None:
        with self._cond:
            self._left -= 1
            if self._left <= 0:
                self._cond.notify_all()

    def wait(self, until: Callable[[], bool] = lambda: False) -> None:
        """Wait for every count (or until ``until()`` says the tasks left will never run)."""
        with self._cond:
            while self._left > 0 and not until():
                self._cond.wait(timeout=0.5)


# ---------------------------------------------------------------- structure

def structure_article(article: Article, worker: PageWorker | None = None) -> EventReport | None:
    """Return the event report of an article (None if the structurer is unavailable or fails).

    With a ``worker`` the structurer runs there, bounded in time and memory; past a limit the article
    is still indexed, without an event report.
    """
    if worker is not None:
        try:
            return worker.structure(article)
        except ExtractionError:
            return None
    try:
        from ingest.structure import parse_event_report
    except ImportError:
        return None
    try:
        return parse_event_report(article)
    except Exception:  # noqa: BLE001 - one odd page must not stop a run; the article is still indexed
        return None


def structure_stage(articles_path: str | Path, workdir: str | Path | None = None,
                    worker: WorkerPool | None = None, settings: Settings | None = None) -> dict:
    """Structure every article of a batch file into Documents; write ``docs-<x>.jsonl``.

    The structurer runs on ``worker`` (the shared pool, from ``settings``, when none is given), bounded
    per article in time and memory; ``structure_failures`` counts articles indexed without a report. A
    registry file that does not load stops the stage (WorkerError with its file:line), instead of
    failing every page.
    """
    articles_path = Path(articles_path)
    out = articles_path.with_name(articles_path.name.replace("articles-", "docs-"))
    if workdir and Path(workdir) != articles_path.parent:
        out = Path(workdir) / articles_path.parent.name / out.name
    articles = [Article.from_dict(row) for row in read_jsonl(articles_path)]
    own = worker is None and bool(articles)
    if own:
        worker = make_worker(settings or Settings.load())
    failures: Counter[str] = Counter()
    pending = [worker.submit_structure(article) for article in articles]  # on every worker of the pool
    try:
        docs = [_structured(article, job, failures) for article, job in zip(articles, pending)]
    except BaseException:
        for job in pending:  # a registry that does not load: the articles still queued are not tried
            job.abandon()
        raise
    finally:
        if own:
            worker.close()
    count = _write_jsonl(out, (d.to_dict() for d in docs))
    events = sum(1 for d in docs if d.event and d.event.is_event_report)
    return {"path": str(out), "count": count, "events": events, "structure_failures": dict(failures)}


def _structured(article: Article, job: PendingJob, failures: Counter[str]) -> Document:
    try:
        report = job.result()
    except ExtractionError as exc:
        failures[f"structure: {str(exc).split(':', 1)[0]}"] += 1
        report = None
    return Document.from_article(article, report)


def to_document(article: Article, worker: PageWorker | None = None) -> Document:
    """Turn an extracted article into the Document the store indexes."""
    return Document.from_article(article, structure_article(article, worker))
