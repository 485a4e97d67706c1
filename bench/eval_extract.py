"""Extraction quality and speed on the article-extraction benchmark (../shared/data/aeb).

Compares trafilatura alone with coopwatch's extraction (trafilatura plus title and toolbar trimming and
the usable-text check), using the benchmark's shingle metric. Prints a table, writes
bench/results/eval_extract.json.

    .venv/bin/python bench/eval_extract.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AEB = ROOT.parent / "shared" / "data" / "aeb"
sys.path.insert(0, str(ROOT))


def trafilatura_alone(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


def coopwatch_extract(html: str, url: str) -> str:
    from ingest.extract import ExtractionError, extract_article

    try:
        return extract_article(html, url or "http://bench/", "bench").text
    except ExtractionError:
        return ""


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from ingest.extract.quality import evaluate

    if not AEB.is_dir():
        sys.exit(f"{AEB} not found: the benchmark lives in ../shared/data/aeb beside the checkout")
    table = Table(title="extraction on the article-extraction benchmark")
    for col in ("extractor", "pages", "precision", "recall", "F1", "pages/s"):
        table.add_column(col, justify="right" if col != "extractor" else "left")
    results = {}
    for name, fn in (("trafilatura alone", trafilatura_alone), ("coopwatch extract_article", coopwatch_extract)):
        start = time.perf_counter()
        result = evaluate(AEB, fn)
        result["pages_per_s"] = result["pages"] / (time.perf_counter() - start)
        results[name] = result
        table.add_row(name, str(result["pages"]), f"{result['precision']:.3f}", f"{result['recall']:.3f}",
                      f"{result['f1']:.3f}", f"{result['pages_per_s']:.1f}")
    Console().print(table)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval_extract.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
