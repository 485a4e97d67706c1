"""Latency of the web API: GET /api/search with facets and the monthly histogram, over real HTTP.

For each backend (SQLite, and Elasticsearch when a node answers) it streams generated English and Chinese
reports (bench/index.py's generator) into a fresh store, 10,000 then 100,000 documents, starts
`coopwatch serve` on that store, and times a mix of searches from a keep-alive client: text (English and
Chinese), filters, text plus filters, events only (one row per event), every one with facets and histogram.
Target: p95 <= 100 ms at 100,000.

    .venv/bin/python bench/api.py [--sizes 10000,100000] [--es-url http://127.0.0.1:9201] [--requests 300]

Prints a table and writes bench/results/api.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.models import Document  # noqa: E402
from search.base import SearchBackend  # noqa: E402

BATCH = 1000
TARGET_P95_MS = 100.0
SEARCHES = [  # (kind, query parameters); facets and histogram are on by default
    ("text", {"q": "cooperation"}), ("text", {"q": "green energy"}), ("text", {"q": "Hong Kong"}),
    ("text", {"q": "合作"}), ("text", {"q": "金融 创新"}), ("text", {"q": "数字经济"}),
    ("filters", {}), ("filters", {"lang": "zh", "since": "2022"}), ("filters", {"pair": "Hong Kong,Shanghai"}),
    ("filters", {"type": "forum", "topic": "finance"}), ("filters", {"speaker": "Fan Gang"}),
    ("text+filters", {"q": "innovation", "source": ["thinktank-b", "thinktank-c"], "since": "2021-01-01"}),
    ("text+filters", {"q": "城市", "lang": "zh"}), ("text+filters", {"q": "trade", "org": "policy lab"}),
    ("text+filters", {"q": "cooperation", "sort": "date", "offset": "40"}),
    # events only: one row per event by default (Query.collapse), as the search page shows them
    ("per event", {"events_only": "true"}), ("per event", {"city": "Shanghai", "events_only": "true"}),
    ("per event", {"q": "cooperation", "events_only": "true", "sort": "date"}),
]


def load_generator():
    """Return bench/index.py's document generator (one realistic report per call)."""
    spec = importlib.util.spec_from_file_location("bench_index", ROOT / "bench" / "index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_document, module.summarise


def documents(start: int, stop: int, rng: random.Random) -> Iterator[Document]:
    """Yield generated documents start..stop-1, one at a time; event reports come three to an event id."""
    generate, _ = load_generator()
    for n in range(start, stop):
        doc = generate(rng, n)
        if doc.event is not None and doc.event.is_event_report:
            doc.event_id = f"evt-bench-{n // 3:07d}"
            doc.content_hash = doc.compute_hash()
        yield doc


def fill(backend: SearchBackend, docs: Iterator[Document]) -> float:
    """Upsert documents in batches (never all in memory); return the seconds it took."""
    began = time.perf_counter()
    while batch := list(islice(docs, BATCH)):
        stats = backend.upsert(batch)
        if stats.failed:
            raise RuntimeError(f"{stats.failed} documents failed: {stats.failures[:3]}")
    getattr(backend, "refresh", lambda: None)()
    getattr(backend, "optimize", lambda: None)()
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`coopwatch serve` on a store, in its own process, on a free port of 127.0.0.1."""

    def __init__(self, store: str, workdir: str, env: dict[str, str]) -> None:
        self.port = free_port()
        full_env = {**os.environ, **env, "COOPWATCH_STATE_PATH": os.path.join(workdir, "state.sqlite"),
                    "COOPWATCH_ARCHIVE_DIR": os.path.join(workdir, "warc"),
                    "COOPWATCH_ALERTS_DB": os.path.join(workdir, "alerts.sqlite")}
        full_env.pop("COOPWATCH_API_KEY", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coopwatch.cli", "--store", store, "serve", "--port", str(self.port)],
            env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.base + "/healthz", timeout=2).raise_for_status()
                return self
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError(f"coopwatch serve did not start on {self.base}") from None
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def time_searches(base: str, count: int, max_seconds: float) -> dict[str, Any]:
    """Send the search mix (warm-up first) ``count`` times in all, or for ``max_seconds`` when that comes
    first (but every search at least twice); return latency per kind and overall."""
    _, summarise = load_generator()
    session = requests.Session()
    session.trust_env = False
    for _, params in SEARCHES:  # warm-up: caches, jieba, planner statistics
        session.get(base + "/api/search", params=params, timeout=60).raise_for_status()
    samples: dict[str, list[float]] = {}
    stop_at = time.monotonic() + max_seconds
    for n in range(count):
        if n >= 2 * len(SEARCHES) and time.monotonic() > stop_at:
            break
        kind, params = SEARCHES[n % len(SEARCHES)]
        began = time.perf_counter()
        response = session.get(base + "/api/search", params=params, timeout=60)
        elapsed = (time.perf_counter() - began) * 1000
        response.raise_for_status()
        assert response.json()["histogram"] is not None and "facets" in response.json()
        samples.setdefault(kind, []).append(elapsed)
    result = {kind: summarise(values) for kind, values in samples.items()}
    result["all"] = summarise([v for values in samples.values() for v in values])
    return result


def bench_backend(name: str, backend: SearchBackend, store: str, env: dict[str, str], sizes: list[int],
                  count: int, workdir: str, max_seconds: float) -> list[dict[str, Any]]:
    """Grow one store through the sizes, timing the API at each."""
    rng, loaded, rows = random.Random(7), 0, []
    for size in sizes:
        seconds = fill(backend, documents(loaded, size, rng))
        loaded = size
        with Server(store, workdir, env) as server:
            latency = time_searches(server.base, count, max_seconds)
        rows.append({"backend": name, "documents": backend.count(), "load_s": round(seconds, 1), "latency": latency,
                     "target_met": latency["all"]["p95_ms"] <= TARGET_P95_MS})
        print_row(rows[-1])
    return rows


def bench_sqlite(sizes: list[int], count: int, workdir: str, max_seconds: float) -> list[dict[str, Any]]:
    from search.sqlite import SQLiteBackend

    store = os.path.join(workdir, "api-bench.sqlite")
    with SQLiteBackend(store) as backend:
        return bench_backend("sqlite", backend, store, {}, sizes, count, workdir, max_seconds)


def bench_elasticsearch(url: str, sizes: list[int], count: int, workdir: str,
                        max_seconds: float) -> list[dict[str, Any]]:
    from elasticsearch import Elasticsearch

    from search.elastic import ElasticsearchBackend

    prefix = f"cwbench-api-{uuid.uuid4().hex[:8]}"
    deadletter = os.path.join(workdir, "deadletter.sqlite")
    client = Elasticsearch(url, request_timeout=120, max_retries=2, retry_on_timeout=True)
    backend = ElasticsearchBackend(client, index_prefix=prefix, deadletter_path=deadletter)
    try:
        env = {"COOPWATCH_ES_INDEX": prefix, "COOPWATCH_ES_DEADLETTER": deadletter}
        return bench_backend("elasticsearch", backend, url, env, sizes, count, workdir, max_seconds)
    finally:
        backend.drop()
        backend.close()


def node_is_up(url: str | None) -> bool:
    if not url:
        return False
    try:
        return requests.get(url.rstrip("/") + "/_cluster/health", timeout=5).json()["status"] in ("green", "yellow")
    except (requests.RequestException, ValueError, KeyError):
        return False


def print_row(row: dict[str, Any]) -> None:
    lat = row["latency"]["all"]
    print(f"  {row['backend']} {row['documents']:,} docs: median {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms",
          flush=True)


def print_table(rows: list[dict[str, Any]], notes: list[str]) -> None:
    table = Table(title="GET /api/search with facets and histogram, over HTTP (ms, median / p95)")
    kinds = ["text", "filters", "text+filters", "per event", "all"]
    for column in ["backend", "documents", "load s", "requests", *kinds, f"p95 <= {TARGET_P95_MS:.0f} ms"]:
        table.add_column(column, justify="left" if column == "backend" else "right")
    for row in rows:
        lat = row["latency"]
        table.add_row(row["backend"], f"{row['documents']:,}", f"{row['load_s']:.0f}", str(lat["all"]["n"]),
                      *(f"{lat[k]['p50_ms']:.1f} / {lat[k]['p95_ms']:.1f}" for k in kinds),
                      "yes" if row["target_met"] else "NO")
    console = Console(width=150)
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="store sizes, ascending (default 10000,100000)")
    parser.add_argument("--es-url", default=os.environ.get("COOPWATCH_TEST_ES"), help="Elasticsearch node")
    parser.add_argument("--requests", type=int, default=340, help="timed requests per size and backend")
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="stop timing a row after this long (each search still runs twice)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows, notes = [], [f"{len(SEARCHES)} searches cycled, up to {args.requests} timed requests per row (at most "
                       f"{args.max_seconds:.0f} s), keep-alive client, server in its own process (uvicorn, one "
                       f"worker); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start"]
    with tempfile.TemporaryDirectory() as workdir:
        if not args.skip_sqlite:
            rows += bench_sqlite(sizes, args.requests, workdir, args.max_seconds)
        if node_is_up(args.es_url):
            rows += bench_elasticsearch(args.es_url, sizes, args.requests, workdir, args.max_seconds)
        else:
            notes.append("Elasticsearch left out: no node (pass --es-url or set COOPWATCH_TEST_ES)")
    print_table(rows, notes)
    out = ROOT / "bench" / "results" / "api.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "notes": notes, "target_p95_ms": TARGET_P95_MS}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
