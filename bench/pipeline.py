"""Pipeline throughput: whole crawl vs trafilatura alone on the same pages, an unchanged re-crawl, and the
cost of each stage.

Serves a few hundred real news pages (the article-extraction benchmark in ../shared/data/aeb, each
served under two paths; generated pages when that folder is absent) from a local HTTP server with
ETags (in another process), crawls them into a fresh embedded store with the default settings (fetch,
archive, extract, structure, index), then crawls again; then times every stage alone on the same pages, WARC gzip levels included.

    .venv/bin/python bench/pipeline.py [--copies 2] [--limit 0]

Prints two tables and writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AEB = ROOT.parent / "shared" / "data" / "aeb" / "html"
sys.path.insert(0, str(ROOT))


def load_pages(copies: int, limit: int) -> dict[str, bytes]:
    """Return {path: html bytes} for the pages to serve."""
    bodies = []
    if AEB.is_dir():
        for path in sorted(AEB.glob("*.html.gz"))[: limit or None]:
            bodies.append((path.name.split(".")[0][:16], gzip.decompress(path.read_bytes())))
    else:
        print("note: ../shared/data/aeb not found; serving generated pages", file=sys.stderr)
        for n in range(limit or 180):
            text = "".join(f"<p>Paragraph {i} of generated report {n} on Hong Kong and Shanghai cooperation "
                           f"in trade, finance and talent, with enough words to be an article.</p>" for i in range(8))
            bodies.append((f"gen{n:04d}", f"<html><body><nav>Home</nav><article><h1>Report {n}</h1>{text}"
                                           f"</article><footer>Copyright</footer></body></html>".encode()))
    pages = {}
    for copy in range(copies):
        for key, body in bodies:
            pages[f"/c{copy}/{key}.html"] = body
    links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in pages)
    pages["/news/"] = f"<html><body><ul>{links}</ul></body></html>".encode()
    pages["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return pages


def serve(pages: dict[str, bytes]):
    """Start a local server with ETag/304 support in another process (so its work is not timed as ours).

    Return (stop function, shared status counter, origin).
    """
    manager = multiprocessing.Manager()
    counts = manager.dict()
    lock = manager.Lock()
    ready = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve_forever, args=(pages, counts, lock, ready), daemon=True)
    process.start()
    origin = ready.get(timeout=30)

    def stop() -> None:
        process.terminate()
        process.join(5)
        manager.shutdown()

    return stop, counts, origin


def _serve_forever(pages: dict[str, bytes], counts, lock, ready) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, as real servers send them

        def do_GET(self):  # noqa: N802
            body = pages.get(self.path)
            if body is None:
                return self._answer(404, b"not found", "text/plain")
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._answer(304, b"", None, etag)
            kind = "text/plain" if self.path.endswith(".txt") else "text/html"
            self._answer(200, body, kind, etag)

        def _answer(self, status, body, ctype, etag=None):
            with lock:
                for key in (str(status), f"article {status}" if self.path.startswith("/c") else None):
                    if key:
                        counts[key] = counts.get(key, 0) + 1
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(f"http://127.0.0.1:{server.server_address[1]}")
    server.serve_forever()


def trafilatura_alone(pages: dict[str, bytes]) -> tuple[int, float]:
    """Extract every article page with trafilatura alone; return (pages, seconds)."""
    import trafilatura

    from ingest.extract.article import DATE_PARAMS

    articles = [(p, b) for p, b in pages.items() if p.endswith(".html")]
    start = time.perf_counter()
    for path, body in articles:
        trafilatura.bare_extraction(body.decode("utf-8", "replace"), url=f"http://bench{path}", with_metadata=True,
                                    include_comments=False, date_extraction_params=DATE_PARAMS)
    return len(articles), time.perf_counter() - start


def crawl(settings) -> tuple[object, float]:
    from coopwatch.run import run_crawl

    start = time.perf_counter()
    [summary] = run_crawl(settings)
    return summary, time.perf_counter() - start


def crawl_settings(tmp: str, origin: str, **overrides):
    from ingest.settings import Settings

    sources = Path(tmp) / "sources.yaml"
    sources.write_text(f"sources:\n  - name: bench\n    start_urls: [{origin}/news/]\n    max_pages: 1\n")
    return Settings.load(env={}, sources=str(sources), store=f"{tmp}/store.sqlite", state_path=f"{tmp}/state.sqlite",
                         archive_dir=f"{tmp}/warc", allow_hosts=["127.0.0.1"], min_delay=0.0,
                         max_pages_per_source=100_000, **overrides)


# ------------------------------------------------------------------ cost of each stage, one core

def cpu_ms(work, items) -> tuple[float, list]:
    """Run work(item) for every item; return (CPU milliseconds per item, results)."""
    start = time.process_time()
    results = [work(item) for item in items]
    return (time.process_time() - start) * 1000 / max(1, len(items)), results


def stage_costs(pages: dict[str, bytes], origin: str, tmp: str) -> list[tuple[str, str]]:
    """Time each stage of the pipeline on its own over the same pages: (stage, ms per page and notes)."""
    from coopwatch.grouping import assign_events
    from ingest.archive import gzip_member, warc_record_bytes
    from ingest.extract import ExtractionError, extract_article
    from ingest.fetch import Fetcher
    from ingest.pipeline import to_document
    from ingest.state import CrawlState
    from search.sqlite import SQLiteBackend

    urls = [origin + p for p in pages if p.endswith(".html")]
    with Fetcher("coopwatch-bench/1.0", allow_hosts=["127.0.0.1"], min_delay=0.0) as fetcher:
        start = time.perf_counter()
        fetched = [fetcher.fetch(url) for url in urls]
        fetch_ms = (time.perf_counter() - start) * 1000 / len(urls)

    def extract(page):
        try:
            return extract_article(page.text or "", page.url, "bench", None, page.fetched_at)
        except ExtractionError:
            return None

    extract_ms, articles = cpu_ms(extract, fetched)
    articles = [a for a in articles if a is not None]
    structure_ms, docs = cpu_ms(to_document, articles)
    record_ms, records = cpu_ms(lambda page: warc_record_bytes(page, "bench", "article"), fetched)
    raw = sum(len(r) for r in records)
    rows = [("fetch from the local server (wall time)", f"{fetch_ms:.2f}"),
            ("trafilatura + our clean-up (extract_article)", f"{extract_ms:.2f}"),
            ("structuring (parse_event_report)", f"{structure_ms:.2f}"),
            ("WARC record (headers, digests)", f"{record_ms:.2f}")]
    for level in (1, 3, 6, 9):
        gzip_ms, members = cpu_ms(lambda data, lv=level: gzip_member(data, lv), records)
        chosen = " (chosen)" if level == 6 else ""
        rows.append((f"WARC gzip level {level}{chosen}", f"{gzip_ms:.2f}  ({raw / sum(map(len, members)):.2f}x smaller)"))
    with CrawlState(f"{tmp}/costs-state.sqlite") as state:
        state_ms, _ = cpu_ms(lambda d: state.record_success(d.url, "bench", '"e"', None, "h"), docs)
        start = time.process_time()
        for n in range(0, len(docs), 200):
            state.mark_indexed([d.url for d in docs[n:n + 200]], "store")
        state_ms += (time.process_time() - start) * 1000 / max(1, len(docs))
    rows.append(("crawl state: record + commit validators", f"{state_ms:.2f}"))
    with SQLiteBackend(f"{tmp}/costs-store.sqlite") as backend:
        start = time.process_time()
        for n in range(0, len(docs), 200):
            assign_events(backend, docs[n:n + 200])
        group_ms = (time.process_time() - start) * 1000 / max(1, len(docs))
        start = time.process_time()
        for n in range(0, len(docs), 200):
            backend.upsert(docs[n:n + 200])
        index_ms = (time.process_time() - start) * 1000 / max(1, len(docs))
    reports = sum(1 for d in docs if d.event_id)
    rows.append((f"event grouping ({reports} of {len(docs)} pages are event reports)", f"{group_ms:.2f}"))
    rows.append(("index into SQLite (segmenting, FTS, facets)", f"{index_ms:.2f}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=2, help="serve each page under this many paths")
    parser.add_argument("--limit", type=int, default=0, help="use only this many source pages (0 = all)")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    pages = load_pages(args.copies, args.limit)
    stop, counts, origin = serve(pages)
    n_alone, alone_s = trafilatura_alone(pages)
    with tempfile.TemporaryDirectory() as tmp:
        settings = crawl_settings(tmp, origin)
        first, first_s = crawl(settings)
        first_requests = dict(counts)
        counts.clear()
        second, second_s = crawl(settings)
        second_requests = dict(counts)
    with tempfile.TemporaryDirectory() as tmp:
        costs = stage_costs(pages, origin, tmp)
    stop()

    n = first.discovered
    pipeline, alone = n / first_s, n_alone / alone_s
    rows = [
        ("pages served (article pages)", f"{n}"),
        (f"whole pipeline, first crawl ({settings.cpu_workers} extraction workers)", f"{pipeline:.1f} pages/s ({first_s:.1f} s)"),
        ("trafilatura alone, same pages, one core", f"{alone:.1f} pages/s ({alone_s:.1f} s)"),
        ("ratio: pipeline / trafilatura alone (target >= 0.8)", f"{pipeline / alone:.2f}"),
        ("first crawl: new / failed", f"{first.new} / {first.failed} {first.failures}"),
        ("first crawl requests by status", json.dumps(first_requests)),
        ("unchanged re-crawl: time", f"{second_s:.1f} s"),
        ("unchanged re-crawl: requests by status", json.dumps(second_requests)),
        ("unchanged re-crawl: full (200) article fetches", f"{second_requests.get('article 200', 0)}"),
        ("unchanged re-crawl: new / updated / unchanged", f"{second.new} / {second.updated} / {second.unchanged}"),
    ]
    console = Console(width=120)
    table = Table(title="bench/pipeline.py")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    breakdown = Table(title="cost per page, each stage alone on the same pages (CPU ms, one core)")
    breakdown.add_column("stage")
    breakdown.add_column("ms per page", justify="right")
    for row in costs:
        breakdown.add_row(*row)
    console.print(breakdown)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "pipeline.json").write_text(json.dumps({
        "pages": n, "cpus": os.cpu_count(), "pipeline_pages_per_s": pipeline,
        "trafilatura_pages_per_s": alone, "ratio_to_trafilatura": pipeline / alone,
        "first_requests": first_requests,
        "recrawl_requests": second_requests, "recrawl_seconds": second_s, "first_failures": first.failures,
        "stage_costs_ms": dict(costs), "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
