"""Measure structuring speed (pages per second) on the dev set, with and without HTML extraction.

Usage: .venv/bin/python bench/structure_speed.py [--data ../shared/data] [--rounds 5]
"""

from __future__ import annotations

import argparse
import html
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ingest.structure import structure_html
from ingest.structure.evaluation import load_cases, measure_speed

REPO = Path(__file__).resolve().parents[1]


def as_page(case: dict) -> str:
    """Wrap a dev text as a minimal HTML page (one paragraph per line)."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in case["text"].splitlines() if line.strip())
    return f"<html><head><title>{html.escape(case['id'])}</title></head><body><article>{paragraphs}</article></body></html>"


def html_speed(cases: list[dict], rounds: int) -> float:
    """Return pages per second for structure_html (trafilatura extraction + structuring)."""
    pages = [as_page(c) for c in cases]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for page, case in zip(pages, cases):
            structure_html(page, case.get("url"))
        best = min(best, time.perf_counter() - start)
    return len(pages) / best


def main(argv: list[str] | None = None) -> int:
    """Print the speed table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    cases = load_cases(args.data / "events" / "dev.jsonl")
    table = Table(title=f"Structuring speed ({len(cases)} dev pages, best of {args.rounds})")
    table.add_column("path")
    table.add_column("pages/s", justify="right")
    table.add_column("ms/page", justify="right")
    for label, speed in (("parse_event_report (text)", measure_speed(cases, args.rounds)),
                         ("structure_html (trafilatura + rules)", html_speed(cases, args.rounds))):
        table.add_row(label, f"{speed:.0f}", f"{1000 / speed:.2f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
