"""The fault matrix: run the fault suite (tests/faults) and print every case with what it expected and observed.

Each case in tests/faults records its expectation and what it saw (the ``fault`` fixture); this script runs
the suite with pytest, reads its JUnit report and prints one row per case: case, expected, observed,
verdict. Elasticsearch cases need COOPWATCH_TEST_ES (as in `make test`).

    .venv/bin/python bench/faults.py [--markdown] [-k EXPR]

Prints the table and writes bench/results/faults.json; exits non-zero when a case fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET  # our own pytest report, not untrusted input
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = {  # test module -> area, in the order the matrix shows them
    "test_network": "network", "test_content": "content", "test_politeness": "politeness and state",
    "test_config": "config", "test_terminal": "terminal", "test_queries": "queries", "test_crashes": "crashes",
    "test_alert_outbox": "alert outbox",
}


def run_suite(keyword: str | None) -> tuple[Path, float, int]:
    """Run tests/faults with a JUnit report; return (report path, seconds, pytest exit status)."""
    report = Path(tempfile.mkdtemp(prefix="coopwatch-faults-")) / "faults.xml"
    command = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", "-o", "junit_family=xunit1"] + (["-k", keyword] if keyword else [])
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT)
    return report, time.monotonic() - started, done.returncode


def read_cases(report: Path) -> list[dict]:
    """Return one dict per test case of a JUnit report: case, expected, observed, verdict, seconds."""
    cases = []
    for case in ET.parse(report).getroot().iter("testcase"):
        props: dict[str, list[str]] = {}
        for prop in case.iter("property"):
            props.setdefault(prop.get("name", ""), []).append(prop.get("value", ""))
        name = case.get("name", "")
        param = name[name.index("["):] if "[" in name else ""
        problem = next((case.find(tag) for tag in ("failure", "error", "skipped") if case.find(tag) is not None), None)
        verdict = "pass" if problem is None else {"failure": "FAIL", "error": "ERROR", "skipped": "skip"}[problem.tag]
        observed = "; ".join(props.get("observed", []))
        if problem is not None and not observed:
            observed = (problem.get("message") or "").splitlines()[0][:300]
        module = case.get("classname", "").rsplit(".", 1)[-1]
        cases.append({"area": AREAS.get(module, module), "case": " ".join(props.get("case", [name])) + (f" {param}" if param else ""),
                      "test": f"{case.get('classname', '')}::{name}", "expected": "; ".join(props.get("expected", [])),
                      "observed": observed, "verdict": verdict, "seconds": float(case.get("time") or 0)})
    order = list(AREAS.values())
    return sorted(cases, key=lambda c: order.index(c["area"]) if c["area"] in order else len(order))


def print_table(cases: list[dict], markdown: bool) -> None:
    if markdown:
        print("| # | area | case | expected | observed | verdict |\n|---|---|---|---|---|---|")
        for n, c in enumerate(cases, 1):
            cells = [c["area"], c["case"], c["expected"], c["observed"], c["verdict"]]
            print(f"| {n} | " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="bench/faults.py: the fault matrix", show_lines=True)
    for column in ("#", "area", "case", "expected", "observed", "verdict"):
        table.add_column(column, overflow="fold")
    for n, c in enumerate(cases, 1):
        table.add_row(str(n), c["area"], c["case"], c["expected"], c["observed"], c["verdict"],
                      style=None if c["verdict"] == "pass" else "red")
    Console(width=200 if not sys.stdout.isatty() else None, emoji=False).print(table, markup=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for a note)")
    parser.add_argument("-k", dest="keyword", help="only cases matching this pytest -k expression")
    args = parser.parse_args()
    report, seconds, status = run_suite(args.keyword)
    if not report.exists():
        print(f"pytest wrote no report (exit status {status})", file=sys.stderr)
        return status or 1
    cases = read_cases(report)
    print_table(cases, args.markdown)
    counts = {v: sum(c["verdict"] == v for c in cases) for v in ("pass", "FAIL", "ERROR", "skip")}
    print(f"\n{len(cases)} cases: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + f"; {seconds:.0f} s")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "faults.json").write_text(json.dumps({"seconds": seconds, "counts": counts, "cases": cases},
                                                    ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if counts["FAIL"] == counts["ERROR"] == 0 and status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
