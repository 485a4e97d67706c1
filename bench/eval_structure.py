"""Evaluate the event-report structurer on the annotated sets (dev, dev2, extra batches), the seed page and the demo.

Usage: .venv/bin/python bench/eval_structure.py [--data ../shared/data] [--batch FILE.jsonl ...] [--worst 8] [--rounds 5]

Each annotated set is scored on its own: ../shared/data/events/dev.jsonl, dev2.jsonl (50 pages from 30 other sites)
and every --batch file (further unseen pages annotated by the same rules, kept outside the repository, e.g.
/work/shared-extra/structure/batch1.jsonl). Per set and language it prints classification, event type, date,
speakers (name/title/affiliation/role), cities, city pairs, organisers, theme, venue, event name (where the
annotation gives one) and attendance, then the worst cases; then the seed check, the bundled demo sites (demo/sites
against demo/articles.json: speakers, dates, venue, organisers, theme; pairs there list every combination a page
mentions, so only their precision is meaningful) and pages per second. Writes bench/results/eval_structure.json.
Dev texts go through parse_event_report as Articles without a publication date (dates come from the text only,
never the URL); the seed and demo pages go through structure_html, the crawl's own extraction path.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ingest.structure import structure_html
from ingest.structure.evaluation import evaluate, evaluate_demo, lenient_equal, load_cases, measure_speed, name_key

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results" / "eval_structure.json"

ROWS = [
    ("classification", "accuracy"), ("event_type", "accuracy"), ("event_type_near", "accuracy"),
    ("event_date", "accuracy"), ("speaker_name", "f1"), ("speaker_title", "f1"), ("speaker_affiliation", "f1"),
    ("speaker_role", "accuracy"), ("speaker_role_near", "accuracy"), ("cities", "f1"), ("city_pairs", "f1"),
    ("organizers", "f1"), ("theme", "accuracy"), ("venue", "accuracy"), ("event_name", "accuracy"),
    ("participant_count", "accuracy"),
]


def score_table(scores: dict[str, Any], name: str = "dev") -> Table:
    """Build the per-field table with one P/R/F1 (or accuracy) column group per language."""
    table = Table(title=f"Structurer on {name} (en | zh)")
    table.add_column("field", no_wrap=True)
    for lang in ("en", "zh"):
        for col in ("P", "R", "F1/acc", "n"):
            table.add_column(f"{lang} {col}", justify="right")
    for field, kind in ROWS:
        cells = []
        for lang in ("en", "zh"):
            v = scores[lang][field]
            if kind == "f1":
                cells += [f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", str(v["tp"] + v["fn"])]
            elif not v["n"]:
                cells += ["", "", "-", "0"]
            else:
                cells += ["", "", f"{v['accuracy']:.3f}", str(v["n"])]
        table.add_row(field, *cells)
    return table


def worst_table(result: dict[str, Any], cases: list[dict[str, Any]], n: int, name: str = "dev") -> Table:
    """Build the table of the pages that came out worst, with what went wrong."""
    truth = {c["id"]: c["truth"] for c in cases}
    table = Table(title=f"Worst {n} cases of {name}")
    for col in ("id", "lang", "bad", "what differs"):
        table.add_column(col, overflow="fold")
    for d in sorted(result["cases"], key=lambda d: -d["badness"])[:n]:
        pred, gold = result["predictions"][d["id"]], truth[d["id"]]
        table.add_row(d["id"], d["lang"], f"{d['badness']:.2f}", _differences(pred, gold, d))
    return table


def _differences(pred: dict[str, Any], gold: dict[str, Any], d: dict[str, Any]) -> str:
    """Describe the differences between a prediction and its annotation in one line."""
    out = []
    if not d["class_ok"]:
        out.append(f"is_event {pred['is_event_report']} vs {gold['is_event_report']}")
    if gold["is_event_report"] and pred["event_date"] != gold["event_date"]:
        out.append(f"date {pred['event_date']} vs {gold['event_date']}")
    if gold["is_event_report"] and pred["event_type"] != gold["event_type"]:
        out.append(f"type {pred['event_type']} vs {gold['event_type']}")
    if d["missed"]:
        out.append("missed " + ", ".join(d["missed"]))
    if d["extra"]:
        out.append("extra " + ", ".join(d["extra"]))
    if sorted(map(tuple, pred["city_pairs"])) != sorted(map(tuple, gold["city_pairs"])):
        out.append(f"pairs {pred['city_pairs']} vs {gold['city_pairs']}")
    return "; ".join(out) or "-"


def seed_check(data: Path) -> dict[str, Any]:
    """Structure the seed HTML page and compare it with its expected record."""
    seed_dir = data / "seed"
    html_file = next(seed_dir.glob("*.html"))
    expected = json.loads(next(seed_dir.glob("*.expected.json")).read_text(encoding="utf-8"))
    got = structure_html(html_file.read_text(encoding="utf-8"), expected.get("url"))
    truth = expected["truth"]
    by_name = {name_key(s["name"]): s for s in got["speakers"]}
    found = [by_name.get(name_key(s["name"])) for s in truth["speakers"]]
    agree = sum(
        1 for s, g in zip(truth["speakers"], found)
        if g and lenient_equal(g["title"], s["title"]) and lenient_equal(g["affiliation"], s["affiliation"])
    )
    return {
        "speakers_found": f"{sum(1 for g in found if g)}/{len(found)}",
        "with_title_and_affiliation": sum(1 for g in found if g and g["title"] and g["affiliation"]),
        "title_and_affiliation_as_annotated": f"{agree}/{len(found)}",
        "date_ok": got["event_date"] == truth["event_date"],
        "theme_ok": lenient_equal(got["theme"], truth["theme"]),
        "pair_ok": ["Hong Kong", "Shanghai"] in got["city_pairs"],
        "got": got,
    }


def demo_summary(demo: dict[str, Any]) -> str:
    """Describe the demo-site scores and the pages that came out wrong in a few lines."""
    sp, pairs = demo["speaker_name"], demo["city_pairs_vs_generous_list"]
    lines = [
        f"demo sites: classification {demo['classification']['accuracy']:.3f} (n={demo['classification']['n']}), "
        f"speaker name P/R/F1 {sp['precision']:.3f}/{sp['recall']:.3f}/{sp['f1']:.3f} (n={sp['tp'] + sp['fn']}), "
        f"event date {demo['event_date']['accuracy']:.3f} (n={demo['event_date']['n']}), "
        f"city-pair precision {pairs['precision']:.3f} (recall vs the generous list {pairs['recall']:.3f}), "
        f"venue {demo['venue']['accuracy']:.3f}, organisers F1 {demo['organizers']['f1']:.3f}, "
        f"theme {demo['theme']['accuracy']:.3f}"
    ]
    for page in demo["pages"]:
        pred = page["prediction"]
        if pred["is_event_report"] != (page["kind"] == "event") or page.get("missed") or page.get("extra"):
            lines.append(f"  {page['path']}: is_event {pred['is_event_report']} ({page['kind']}), "
                         f"missed {page.get('missed')}, extra {page.get('extra')}")
    return "\n".join(lines)


def annotated_sets(data: Path, batches: list[Path]) -> list[tuple[str, Path]]:
    """Return (name, path) of every annotated set to score: dev, dev2 (when present) and the extra batches."""
    sets = [(p.stem, p) for p in (data / "events" / "dev.jsonl", data / "events" / "dev2.jsonl") if p.is_file()]
    return sets + [(p.stem, p) for p in batches]


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch", type=Path, action="append", default=[], help="an extra annotated JSONL set")
    parser.add_argument("--worst", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    console = Console(width=160)
    sets: dict[str, Any] = {}
    for name, path in annotated_sets(args.data, args.batch):
        cases = load_cases(path)
        result = evaluate(cases)
        console.print(score_table(result["scores"], f"{name} ({len(cases)} pages)"))
        console.print(worst_table(result, cases, args.worst, name))
        sets[name] = {"path": str(path), "scores": result["scores"], "cases": result["cases"], "predictions": result["predictions"]}
    speed = measure_speed(load_cases(args.data / "events" / "dev.jsonl"), args.rounds)
    seed = seed_check(args.data)
    demo = evaluate_demo(REPO / "demo")
    console.print(f"seed page: { {k: v for k, v in seed.items() if k != 'got'} }")
    console.print(demo_summary(demo))
    console.print(f"speed: {speed:.0f} pages/s ({1000 / speed:.2f} ms per page, parse_event_report, best of {args.rounds})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sets": sets,
               "pages_per_second": round(speed, 1), "seed": seed, "demo": {k: v for k, v in demo.items() if k != "pages"}}
    RESULTS.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
