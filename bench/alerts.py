"""Alert latency: from a crawl run that finds new events to the messages arriving at a local SMTP server.

Serves the offline demo sites, crawls one of them (politely: its robots.txt and the configured delay) into a
fresh embedded store, runs one alert cycle whose rules mail a local aiosmtpd server, and times each phase and
each message's arrival. Then renders many messages to time the templates alone.

    .venv/bin/python bench/alerts.py [--source harbour] [--delay 0.05]

Prints a table and writes bench/results/alerts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RULES = """\
rules:
  - name: shanghai-hong-kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [mail]
  - name: every-event
    search: {events_only: true}
    channels: [mail]
"""


class Inbox:
    """aiosmtpd handler recording when each message arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.arrivals.append(time.perf_counter())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(source: str, delay: float) -> dict:
    """Crawl one demo source and run one alert cycle mailing a local SMTP server; return the timings."""
    from aiosmtpd.controller import Controller

    from coopwatch.alerting import open_runner
    from coopwatch.demo import DemoSites
    from coopwatch.run import run_crawl
    from ingest.settings import Settings

    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    with tempfile.TemporaryDirectory() as tmp, DemoSites() as sites:
        folder = Path(tmp)
        (folder / "sources.yaml").write_text(sites.sources_yaml(), encoding="utf-8")
        (folder / "alerts.yaml").write_text(RULES, encoding="utf-8")
        os.environ["COOPWATCH_CHANNEL_MAIL"] = f"mailto://127.0.0.1:{port}?to=staff@example.org&from=cw@example.org"
        settings = Settings.load(env={}, sources=str(folder / "sources.yaml"), store=str(folder / "store.sqlite"),
                                 state_path=str(folder / "state.sqlite"), archive_dir=str(folder / "warc"),
                                 alerts_db=str(folder / "alerts.sqlite"), allow_hosts=["127.0.0.1"], min_delay=delay)
        started = time.perf_counter()
        summary = run_crawl(settings, [source])[0]
        crawled = time.perf_counter()
        with open_runner(settings) as runner:
            report = runner.run()
        cycled = time.perf_counter()
    smtp.stop()
    arrivals = [t - crawled for t in inbox.arrivals]
    return {"source": source, "events_indexed": summary.events, "messages": len(arrivals), "sent": report.sent,
            "crawl_s": round(crawled - started, 3), "alert_cycle_s": round(cycled - crawled, 3),
            "first_message_after_crawl_s": round(min(arrivals), 3) if arrivals else None,
            "last_message_after_crawl_s": round(max(arrivals), 3) if arrivals else None,
            "crawl_start_to_first_message_s": round(min(inbox.arrivals) - started, 3) if arrivals else None}


def render_speed(count: int = 300) -> dict:
    """Time rendering one-event messages in the three formats."""
    from search.alerts.render import Renderer

    renderer = Renderer("http://127.0.0.1:8000")
    item = {"status": "new", "changes": [], "event": {
        "name": "Shanghai–Hong Kong Symposium", "event_name": None, "type": "symposium", "date": "2025-03-12",
        "venue": "Kowloon", "theme": "Renewal", "cities": ["Shanghai", "Hong Kong"], "pairs": ["Hong Kong–Shanghai"],
        "organizers": ["HIUS"], "speakers": [{"name": f"Speaker {n}", "title": "Director", "affiliation": "HIUS",
                                              "role": "panelist"} for n in range(8)]},
        "reports": [{"id": "x" * 64, "title": "Report", "url": "https://example.org/r", "source": "harbour",
                     "language": "en", "date": "2025-03-12", "snippet": "a <mark>match</mark>", "archive_url": ""}]}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        renderer.render({"name": "r", "description": None, "search": "--events-only"}, "new", [item])
        times.append(time.perf_counter() - started)
    return {"messages": count, "median_ms": round(statistics.median(times) * 1000, 3),
            "p95_ms": round(sorted(times)[int(0.95 * count) - 1] * 1000, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="harbour", help="demo source to crawl (harbour, donghai, pearl)")
    parser.add_argument("--delay", type=float, default=0.05, help="politeness delay between requests (s)")
    args = parser.parse_args()
    latency, render = measure(args.source, args.delay), render_speed()
    print(f"\nalert latency: crawl of demo source {latency['source']!r} -> alert cycle -> local SMTP server")
    print(f"{'phase':<44}{'seconds':>10}")
    for key in ("crawl_s", "alert_cycle_s", "first_message_after_crawl_s", "last_message_after_crawl_s",
                "crawl_start_to_first_message_s"):
        print(f"{key:<44}{latency[key]!s:>10}")
    print(f"{'events indexed / messages received':<44}{latency['events_indexed']!s:>5} / {latency['messages']}")
    print(f"\nrendering one message (text, HTML, Markdown): median {render['median_ms']} ms, p95 {render['p95_ms']} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "alerts.json").write_text(json.dumps({"latency": latency, "render": render}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
