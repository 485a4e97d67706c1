"""Many hosts at once: crawl speed against the politeness limit, with proof that every host got one request at a time.

Serves 20 generated think-tank sites, each on its own loopback address (127.0.0.2 ... 127.0.0.21, so each
is its own politeness domain), from a separate process. Every site has a robots.txt, a news listing and
30 reports (six in ten report an event, with the institute's own people; the rest are commentary). The whole CLI crawl (discover, fetch, archive, extract, structure, index) runs with a
delay of 0.2 s between two requests to one host.

    .venv/bin/python bench/crawl_hosts.py [--hosts 20] [--pages 30] [--delay 0.2] [--workers N]

The politeness limit is the fastest any polite crawler could go: per host, one request after another with
the delay between them, so the busiest host needs (requests - 1) x delay plus the server's own time. The
server logs every request's arrival and answer time; the table shows the most requests one host ever had
in flight (must be 1), the shortest gap between two requests to one host (must be at least the delay) and
how often each article page was fetched (must be exactly once). Prints a table and writes
bench/results/crawl_hosts.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOLD = 0.002  # seconds the server holds each request, so that two requests in flight would overlap visibly
CITIES = ["Shanghai", "Hong Kong", "Shenzhen", "Guangzhou", "Macao", "Hangzhou", "Nanjing", "Suzhou", "Ningbo",
          "Xiamen", "Fuzhou", "Wuhan", "Chengdu", "Chongqing", "Tianjin", "Qingdao", "Dalian", "Zhuhai", "Dongguan",
          "Foshan", "Singapore", "Tokyo", "Seoul", "London", "Hefei", "Changsha", "Kunming", "Xi'an", "Jinan", "Wuxi"]
KINDS = ["symposium", "forum", "seminar", "roundtable", "workshop", "conference"]
SURNAMES = ["Chen", "Wang", "Li", "Zhang", "Liu", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
            "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Wong", "Chan", "Leung", "Lam", "Cheung", "Ho", "Tang", "Fung"]
GIVEN = ["Wei", "Ming", "Hua", "Jun", "Lei", "Na", "Yan", "Tao", "Ying", "Qiang", "Alice", "Grace", "Henry", "Dana",
         "Kevin", "Mei", "Xin", "Hao", "Jing", "Bo"]
TITLES = ["Professor", "Dr", "Mr", "Ms"]
POSTS = ["Director of the Institute of Urban Studies", "Senior Fellow", "Deputy Secretary-General",
         "Dean of the School of Public Policy", "Head of Research", "Research Fellow"]
THEMES = ["cross-border data flows", "green finance", "talent mobility", "port logistics", "urban renewal",
          "innovation corridors", "youth exchange", "healthcare cooperation", "carbon markets", "ageing cities",
          "river basin governance", "digital trade", "cultural heritage", "transport integration"]


def staff(site: int) -> list[str]:
    """Return the people one institute's reports mention (each site has its own)."""
    rng = random.Random(1000 + site)
    return [f"{rng.choice(TITLES)} {rng.choice(GIVEN)} {rng.choice(SURNAMES)}, {rng.choice(POSTS)} at the "
            f"Institute {site}" for _ in range(8)]


def article_page(rng: random.Random, site: int, n: int) -> str:
    """Return one generated report (six in ten are event reports) with a site's navigation and footer."""
    a, b = rng.sample(CITIES, 2)
    theme, year, month, day = rng.choice(THEMES), rng.randint(2023, 2025), rng.randint(1, 12), rng.randint(1, 28)
    if rng.random() < 0.6:
        kind, speakers = rng.choice(KINDS), rng.sample(staff(site), 3)
        title = f"{a}-{b} {kind} on {theme}"
        paras = [
            f"The {a}-{b} {kind} on {theme} was held on {day} {month_name(month)} {year} in {a}. It was organised "
            f"by the Institute {site} together with partners from {b}.",
            f"{speakers[0]}, delivered the keynote speech on {theme} and the next steps for {a} and {b}.",
            f"{speakers[1]}, and {speakers[2]}, spoke in the panel discussion that followed.",
        ]
    else:
        title = f"Commentary: what {theme} means for {a}"
        paras = [f"A new commentary from the Institute {site} looks at {theme} in {a} and what {b} has learned."]
    paras += [f"The authors discuss {rng.choice(THEMES)} and {rng.choice(THEMES)}, and propose that {a} and "
              f"{rng.choice(CITIES)} review progress on joint projects every year." for _ in range(4)]
    body = "".join(f"<p>{p}</p>" for p in paras)
    nav = "".join(f'<li><a href="/about/{k}.html">Section {k}</a></li>' for k in range(12))
    return (f"<html><head><title>{title}</title></head><body><header><ul>{nav}</ul></header>"
            f"<main><article><h1>{title}</h1><p class='date'>{year}-{month:02d}-{day:02d}</p>"
            f"{body}</article></main><footer>Copyright Institute {site}. All rights reserved. Contact us.</footer>"
            f"</body></html>")


def month_name(month: int) -> str:
    return ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"][month - 1]


def site_pages(site: int, pages: int) -> dict[str, bytes]:
    """Return {path: body} for one site: robots.txt, the news listing and its articles."""
    rng = random.Random(site)
    out = {f"/news/{n:03d}.html": article_page(rng, site, n).encode() for n in range(pages)}
    links = "".join(f'<li><a href="{path}">Report {path}</a></li>' for path in out)
    out["/news/"] = f"<html><body><h1>News</h1><ul>{links}</ul></body></html>".encode()
    out["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return out


# ------------------------------------------------------------------ the servers (another process)

def serve_sites(hosts: list[str], pages: int, conn) -> None:
    """Serve every site on its own address until told to stop; answer 'log' with every request window."""
    import threading

    log: list[tuple[str, str, float, float]] = []
    lock = threading.Lock()
    servers = [make_server(host, site_pages(i, pages), log, lock) for i, host in enumerate(hosts)]
    for server in servers:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    conn.send([f"http://{s.server_address[0]}:{s.server_address[1]}" for s in servers])
    while (command := conn.recv()) != "stop":
        with lock:
            conn.send(list(log) if command == "log" else None)
            if command == "clear":
                log.clear()
    for server in servers:
        server.shutdown()


def make_server(host: str, pages: dict[str, bytes], log: list, lock) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self):  # noqa: N802
            arrived = time.time()
            time.sleep(HOLD)
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            kind = "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")
            with lock:
                log.append((host, self.path, arrived, time.time()))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    return server


# ------------------------------------------------------------------ checks on the server log

def politeness_proof(log: list[tuple[str, str, float, float]], delay: float) -> dict:
    """Per host: the most requests in flight at once, the shortest gap between requests, fetches per page."""
    by_host: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for host, _path, arrived, answered in log:
        by_host[host].append((arrived, answered))
    in_flight, gaps = {}, {}
    for host, windows in by_host.items():
        windows.sort()
        in_flight[host] = max_overlap(windows)
        gaps[host] = min((b[0] - a[1] for a, b in zip(windows, windows[1:])), default=float("inf"))
    per_page = Counter((host, path) for host, path, _, _ in log if path.startswith("/news/") and path != "/news/")
    return {"max_in_flight_per_host": max(in_flight.values(), default=0),
            "min_gap_s": round(min(gaps.values(), default=0.0), 4),
            "gaps_below_delay": sum(1 for g in gaps.values() if g < delay - 0.002),
            "pages_fetched_once": sum(1 for n in per_page.values() if n == 1),
            "pages_fetched_more_than_once": sum(1 for n in per_page.values() if n > 1),
            "requests_per_host": dict(Counter(host for host, *_ in log))}


def max_overlap(windows: list[tuple[float, float]]) -> int:
    """Return the most windows open at one instant."""
    events = sorted([(start, 1) for start, _ in windows] + [(end, -1) for _, end in windows],
                    key=lambda e: (e[0], e[1]))
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def politeness_limit_seconds(log: list[tuple[str, str, float, float]], delay: float) -> float:
    """Return the least time the busiest host needs: its requests one after another, the delay between them."""
    per_host: dict[str, list[float]] = defaultdict(list)
    for host, _path, arrived, answered in log:
        per_host[host].append(answered - arrived)
    return max((len(times) - 1) * delay + sum(times) for times in per_host.values())


# ------------------------------------------------------------------ the crawl

def crawl(origins: list[str], delay: float, workers: int | None, tmp: Path) -> tuple[list, float, float]:
    """Crawl every site with the CLI's run_crawl; return (summaries, wall seconds, CPU seconds)."""
    from coopwatch.run import run_crawl
    from ingest.settings import Settings

    sources = tmp / "sources.yaml"
    sources.write_text("sources:\n" + "".join(
        f"  - name: site{n:02d}\n    start_urls: [{origin}/news/]\n    max_pages: 1\n"
        for n, origin in enumerate(origins)), encoding="utf-8")
    extra = {"crawl_workers": workers} if workers else {}
    settings = Settings.load(env={}, sources=str(sources), store=str(tmp / "store.sqlite"),
                             state_path=str(tmp / "state" / "state.sqlite"), archive_dir=str(tmp / "warc"),
                             allow_hosts=["127.0.0.0/8"], min_delay=delay, retries=0, **extra)
    cpu = cpu_seconds()
    start = time.perf_counter()
    summaries = run_crawl(settings)
    return summaries, time.perf_counter() - start, cpu_seconds() - cpu


def cpu_seconds() -> float:
    """Return CPU seconds used by this process (the crawl's worker processes are not its children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--pages", type=int, default=30, help="article pages per host")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds between two requests to one host")
    parser.add_argument("--workers", type=int, default=0, help="crawl worker threads (0: the default setting)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "crawl_hosts.json"))
    args = parser.parse_args(argv)

    hosts = [f"127.0.0.{n + 2}" for n in range(args.hosts)]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_sites, args=(hosts, args.pages, child), daemon=True)
    server.start()
    origins = parent.recv()
    try:
        with tempfile.TemporaryDirectory(prefix="coopwatch-hosts-") as tmp:
            summaries, seconds, cpu = crawl(origins, args.delay, args.workers or None, Path(tmp))
        parent.send("log")
        log = parent.recv()
    finally:
        parent.send("stop")
        server.join(5)
    report = build_report(args, summaries, seconds, cpu, log)
    print_report(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def build_report(args, summaries, seconds: float, cpu: float, log) -> dict:
    """Put the crawl's counts, its speed against the politeness limit and the server-side proof together."""
    pages = sum(s.fetched for s in summaries)
    limit_s = politeness_limit_seconds(log, args.delay)
    return {
        "hosts": args.hosts, "pages_per_host": args.pages, "delay_s": args.delay, "cpus": os.cpu_count(),
        "pages_fetched": pages, "new": sum(s.new for s in summaries), "failed": sum(s.failed for s in summaries),
        "errors": [s.error for s in summaries if s.error], "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "pages_per_s": round(pages / seconds, 1), "limit_seconds": round(limit_s, 2),
        "limit_pages_per_s": round(pages / limit_s, 1), "ratio_to_limit": round(limit_s / seconds, 3),
        "requests": len(log), "proof": politeness_proof(log, args.delay), "load_average": os.getloadavg(),
    }


def print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    proof = report["proof"]
    rows = [
        ("hosts x article pages, delay", f"{report['hosts']} x {report['pages_per_host']}, {report['delay_s']} s"),
        ("pages fetched / new / failed", f"{report['pages_fetched']} / {report['new']} / {report['failed']}"),
        ("crawl time", f"{report['seconds']:.2f} s"),
        ("CPU of the crawl process (extraction workers apart)", f"{report['cpu_seconds']:.1f} s"),
        ("pages/s", f"{report['pages_per_s']:.1f}"),
        ("politeness limit: time, pages/s", f"{report['limit_seconds']:.2f} s, {report['limit_pages_per_s']:.1f}"),
        ("ratio to the politeness limit (target >= 0.9)", f"{report['ratio_to_limit']:.3f}"),
        ("server log: requests", str(report["requests"])),
        ("server log: most requests in flight on one host", str(proof["max_in_flight_per_host"])),
        ("server log: shortest gap between requests to one host", f"{proof['min_gap_s']:.3f} s"),
        ("server log: article pages fetched once / more than once",
         f"{proof['pages_fetched_once']} / {proof['pages_fetched_more_than_once']}"),
    ]
    table = Table(title="bench/crawl_hosts.py: many hosts at once")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    Console(width=120).print(table)
    for error in report["errors"]:
        print(f"source error: {error}")
    print(f"load average (1 min) at the end: {report['load_average'][0]:.1f} on {report['cpus']} CPUs")


if __name__ == "__main__":
    raise SystemExit(main())
