"""Indexing throughput, search latency and peak memory: the embedded SQLite store against Elasticsearch.

Generates reproducible English and Chinese event reports (about 70 % English), a batch at a time, and
indexes 10,000 and 100,000 of them into a fresh SQLite file and into a fresh Elasticsearch index (the
same documents for both), runs the store's maintenance optimisation, then times a mix of text, filtered
and faceted (every facet and the histogram) queries: one untimed round, then ``--rounds`` timed ones.
Each (size, backend) runs in its own process, so its peak memory (maximum resident set size: Python,
SQLite's page cache, the facet bitmaps) is its own.

    .venv/bin/python bench/index.py [--sizes 10000,100000] [--es-url http://127.0.0.1:9201] [--rounds 5]

The Elasticsearch half needs a node (--es-url, else COOPWATCH_TEST_ES; `scripts/es.sh start && scripts/es.sh
wait` starts one); without one it is left out and the table says so. Latencies are wall-clock times on
this machine; the load average at the start and end is printed with them. Prints a table and writes
bench/results/index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.models import Document, EventReport, Speaker, doc_id  # noqa: E402
from search.base import Query, SearchBackend  # noqa: E402

EN_CITIES = ["Shanghai", "Hong Kong", "Shenzhen", "Guangzhou", "Hangzhou", "Nanjing", "Suzhou", "Macau",
             "Singapore", "London", "Ningbo", "Xiamen"]
ZH_CITIES = ["上海", "香港", "深圳", "广州", "杭州", "南京", "苏州", "澳门", "宁波", "厦门"]
EN_WORDS = ("cooperation forum city partnership innovation finance trade port logistics green energy "
            "talent research university policy delta corridor investment climate digital economy "
            "governance culture tourism health transport harbour technology seminar dialogue").split()
ZH_WORDS = ("合作 论坛 城市 创新 金融 贸易 港口 物流 绿色 能源 人才 研究 大学 政策 三角洲 "
            "走廊 投资 气候 数字 经济 治理 文化 旅游 健康 交通 科技 研讨会 对话 发展 协同").split()
EN_NAMES = ["Alice Wong", "Bob Smith", "Chen Wei", "Dana Lee", "Fan Gang", "Grace Liu", "Henry Zhao", "Ivy Chan"]
ZH_NAMES = ["樊纲", "龚维桢", "王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆"]
ORGS = ["Shanghai Institutes for International Studies", "China Development Institute",
        "Pearl River Policy Lab", "Guangdong Academy of Social Sciences", "上海国际问题研究院", "香港大学"]
EVENT_TYPES = ["forum", "seminar", "conference", "workshop", "signing", "visit"]
TOPICS = ["finance", "innovation", "trade", "climate", "金融", "科技"]
SOURCES = [f"thinktank-{c}" for c in "abcdefgh"]


BATCH = 1000  # documents generated and indexed at a time


def generate_batches(count: int, seed: int = 7, batch: int = BATCH) -> Iterator[list[Document]]:
    """Yield ``count`` reproducible documents a batch at a time, about 70 % English and 60 % event reports."""
    rng = random.Random(seed)
    for start in range(0, count, batch):
        yield [generate_document(rng, n) for n in range(start, min(count, start + batch))]


def generate_document(rng: random.Random, n: int) -> Document:
    """Return one generated report."""
    chinese = rng.random() < 0.3
    words, cities, names = (ZH_WORDS, ZH_CITIES, ZH_NAMES) if chinese else (EN_WORDS, EN_CITIES, EN_NAMES)
    joiner = "" if chinese else " "
    sentences = [joiner.join(rng.choices(words, k=12)) + ("。" if chinese else ".") for _ in range(10)]
    city_a, city_b = rng.sample(cities, 2)
    sentences.insert(2, f"{city_a}{joiner}{city_b}" + ("合作" if chinese else " cooperation."))
    date = f"20{rng.randint(19, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    url = f"https://{rng.choice(SOURCES)}.example.org/reports/{n}"
    return Document(
        id=doc_id(url), url=url, source=url.split("//")[1].split(".")[0], language="zh" if chinese else "en",
        title=joiner.join(rng.choices(words, k=6)), text=joiner.join(sentences), published=date,
        fetched_at="2024-06-01T00:00:00Z", event=generate_event(rng, date, city_a, city_b, names),
    )


def generate_event(rng: random.Random, date: str, city_a: str, city_b: str, names: list[str]) -> EventReport | None:
    """Return an event report for 60 % of documents."""
    if rng.random() >= 0.6:
        return None
    speakers = [Speaker(name, affiliation=rng.choice(ORGS), role=rng.choice(["keynote", "speaker", "moderator"]))
                for name in rng.sample(names, rng.randint(1, 3))]
    return EventReport(
        is_event_report=True, event_type=rng.choice(EVENT_TYPES), event_date=date, speakers=speakers,
        organizers=[rng.choice(ORGS)], cities=[city_a, city_b], city_pairs=[sorted([city_a, city_b])],
        topics=rng.sample(TOPICS, 2),
    )


def query_mix() -> dict[str, list[Query]]:
    """Return the timed queries by kind: text, filtered, faceted."""
    text = [Query(text=t) for t in ["cooperation", "green energy", "Hong Kong", "partnerships", "harbour logistics",
                                    "合作", "金融 创新", "沪港", "数字经济", "Shanghai finance"]]
    filtered = [
        Query(sources=["thinktank-a"]), Query(language="zh", text="城市"),
        Query(since="2023-01-01", until="2023-06-30"),
        Query(cities=["Shanghai"], events_only=True), Query(pair=("Hong Kong", "Shanghai")),
        Query(speaker="fan gang"), Query(org="policy lab", text="trade"), Query(event_type="forum", topic="finance"),
        Query(text="innovation", sources=["thinktank-b", "thinktank-c"], since="2022-01-01"),
        Query(cities=["上海", "香港"], language="zh"),
    ]
    faceted = [Query(facets=True), Query(text="cooperation", facets=True), Query(text="合作", facets=True),
               Query(language="en", facets=True), Query(events_only=True, facets=True, since="2023-01-01")]
    return {"text": text, "filtered": filtered, "faceted": faceted}


def time_indexing(backend: SearchBackend, size: int) -> dict[str, Any]:
    """Upsert the generated documents batch by batch, then optimise as maintenance does; return the timings."""
    start = time.perf_counter()
    new = failed = 0
    for batch in generate_batches(size):
        stats = backend.upsert(batch)
        new, failed = new + stats.new, failed + stats.failed
    getattr(backend, "refresh", lambda: None)()
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    backend.optimize()
    optimize_s = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "docs_per_s": round(size / seconds, 1), "new": new, "failed": failed,
            "count": backend.count(), "optimize_s": round(optimize_s, 2)}


def time_queries(backend: SearchBackend, rounds: int) -> dict[str, dict[str, float]]:
    """Run the query mix once untimed, then ``rounds`` times; return p50 and p95 milliseconds per kind."""
    mix = query_mix()
    for queries in mix.values():
        for query in queries:
            backend.search(query)
    samples: dict[str, list[float]] = {kind: [] for kind in mix}
    for _ in range(rounds):
        for kind, queries in mix.items():
            for query in queries:
                start = time.perf_counter()
                backend.search(query)
                samples[kind].append((time.perf_counter() - start) * 1000)
    out = {kind: summarise(values) for kind, values in samples.items()}
    out["all"] = summarise([v for values in samples.values() for v in values])
    return out


def summarise(samples: list[float]) -> dict[str, float]:
    """Return the median and 95th percentile of latency samples (ms)."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2), "n": len(ordered)}


def open_sqlite(workdir: str, size: int) -> SearchBackend:
    from search.sqlite import SQLiteBackend

    return SQLiteBackend(os.path.join(workdir, f"bench-{size}.sqlite"))


def open_elasticsearch(url: str, workdir: str) -> SearchBackend:
    from elasticsearch import Elasticsearch

    from search.elastic import ElasticsearchBackend

    client = Elasticsearch(url, request_timeout=120, max_retries=2, retry_on_timeout=True)
    return ElasticsearchBackend(client, index_prefix=f"bench-{uuid.uuid4().hex[:8]}",
                                deadletter_path=os.path.join(workdir, "deadletter.sqlite"))


def run_one(backend_name: str, size: int, rounds: int, es_url: str | None, workdir: str) -> dict[str, Any]:
    """Index ``size`` documents into a fresh backend, time the query mix, clean up (runs in a child process)."""
    backend = open_sqlite(workdir, size) if backend_name == "sqlite" else open_elasticsearch(es_url, workdir)
    try:
        result = {"backend": backend_name, "documents": size, "indexing": time_indexing(backend, size)}
        result["search"] = time_queries(backend, rounds)
    finally:
        getattr(backend, "drop", lambda: None)()
        backend.close()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def run_in_child(backend_name: str, size: int, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    """Run one (backend, size) in a fresh process and return what it measured."""
    command = [sys.executable, __file__, "--child", backend_name, "--sizes", str(size), "--rounds", str(args.rounds),
               "--workdir", workdir] + (["--es-url", args.es_url] if args.es_url else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{backend_name} at {size} documents failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def node_is_up(url: str | None) -> bool:
    """Tell whether an Elasticsearch node answers at url."""
    if not url:
        return False
    from elasticsearch import Elasticsearch

    try:
        return Elasticsearch(url, request_timeout=5, max_retries=0).cluster.health()["status"] in ("green", "yellow")
    except Exception:  # noqa: BLE001 - any failure means no node
        return False


def print_table(results: list[dict[str, Any]], notes: list[str]) -> None:
    """Print the results as one table."""
    table = Table(title="coopwatch index benchmark: SQLite FTS5 vs Elasticsearch")
    for column in ("backend", "docs", "index docs/s", "index s", "optimize s", "text p50/p95 ms",
                   "filtered p50/p95 ms", "faceted p50/p95 ms", "all p50/p95 ms", "peak RSS MB"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    for r in results:
        s = r["search"]
        cell = lambda kind: f"{s[kind]['p50_ms']:.1f} / {s[kind]['p95_ms']:.1f}"  # noqa: E731
        table.add_row(r["backend"], f"{r['documents']:,}", f"{r['indexing']['docs_per_s']:,.0f}",
                      f"{r['indexing']['seconds']:.1f}", f"{r['indexing'].get('optimize_s', 0):.1f}", cell("text"),
                      cell("filtered"), cell("faceted"), cell("all"), f"{r['peak_rss_mb']:.0f}")
    console = Console(width=150)
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--es-url", default=os.environ.get("COOPWATCH_TEST_ES"), help="Elasticsearch node URL")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the query mix")
    parser.add_argument("--backends", default="sqlite,elasticsearch", help="which backends to run")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "index.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)  # run one backend in this process, print JSON
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.child:
        print(json.dumps(run_one(args.child, sizes[0], args.rounds, args.es_url, args.workdir)))
        return 0
    wanted = set(args.backends.split(","))
    notes: list[str] = []
    es_ok = "elasticsearch" in wanted and node_is_up(args.es_url)
    if "elasticsearch" in wanted and not es_ok:
        where = args.es_url or "(set --es-url or COOPWATCH_TEST_ES)"
        notes.append(f"Elasticsearch left out: no healthy node at {where}")
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="coopwatch-bench-") as workdir:
        for size in sizes:
            for name in [b for b in ("sqlite", "elasticsearch") if b in wanted and (b == "sqlite" or es_ok)]:
                results.append(run_in_child(name, size, args, workdir))
    load_after = os.getloadavg()
    notes.append(f"load average (1 min) {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end, "
                 f"on {os.cpu_count()} CPUs; latencies are wall-clock")
    print_table(results, notes)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"cpus": os.cpu_count(), "rounds": args.rounds, "es_url": args.es_url if es_ok else None, "notes": notes,
            "load_average": {"start": load_before, "end": load_after}}
    report = json.dumps({"meta": meta, "results": results}, indent=2, ensure_ascii=False)
    out.write_text(report + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
