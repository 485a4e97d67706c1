"""Event grouping quality: crawl real reports from a local server as the product would, score the event ids.

Reads ``../shared/data/events/groups_dev.jsonl`` (real reports grouped by hand into events, plus distractors;
see its README), serves each report as a page with its publication date (when it has one) from a local HTTP
server, and crawls them into a fresh embedded store with the product's own crawl (discover, fetch, extract,
structure, group, index). The listing page is in publication order, so events form incrementally as they
would over months of crawling. Then every report's ``Document.event_id`` is compared with the hand grouping
over all report pairs: precision, recall and F1, the same on English–Chinese pairs only, distractors merged
into an event, and reports the structurer did not take for an event report (so they got no event).

    .venv/bin/python bench/eval_events.py [--data PATH] [--show]

Prints a table (``--show`` also lists the remaining confusions) and writes bench/results/eval_events.json.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "events" / "groups_dev.jsonl"
sys.path.insert(0, str(ROOT))


def load_reports(path: Path) -> list[dict]:
    """Read the annotated reports (one JSON object per line)."""
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def report_page(row: dict) -> bytes:
    """Return a report as an HTML page: first line as title and heading, the rest as paragraphs, its date."""
    lines = [line.strip() for line in row["text"].split("\n") if line.strip()]
    title, body = lines[0], lines[1:] or lines[:1]
    date = (f'<meta property="article:published_time" content="{row["published"]}">'
            f'<meta name="date" content="{row["published"]}">') if row.get("published") else ""
    lang = "zh" if row["lang"] == "zh" else "en"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title[:200])}'
            f"</title>{date}</head><body><nav><a href=\"/\">Home</a></nav><article><h1>{html.escape(title)}</h1>"
            f"{paragraphs}</article><footer>Local copy for evaluation</footer></body></html>").encode("utf-8")


def site_pages(rows: list[dict]) -> dict[str, bytes]:
    """Return {path: body} for every report plus a listing page in publication order (undated last)."""
    pages = {f"/reports/{row['id']}.html": report_page(row) for row in rows}
    ordered = sorted(rows, key=lambda r: (r.get("published") or "9999", r["id"]))
    links = "".join(f'<li><a href="/reports/{r["id"]}.html">{html.escape(r["id"])}</a></li>' for r in ordered)
    pages["/reports/"] = f"<html><body><ul>{links}</ul></body></html>".encode()
    pages["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return pages


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        kind = "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # noqa: D102 - quiet
        pass


def serve(pages: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    """Serve the pages on 127.0.0.1 (an ephemeral port) in a thread; return the server and its origin."""
    handler = type("Handler", (_Handler,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def crawl(rows: list[dict], workdir: Path) -> dict[str, dict]:
    """Crawl the served reports with the product's crawl; return {report id: its stored document's fields}."""
    from coopwatch.run import run_crawl
    from ingest.settings import Settings
    from search import open_backend

    server, origin = serve(site_pages(rows))
    try:
        sources = workdir / "sources.yaml"
        sources.write_text(f"sources:\n  - name: groups\n    start_urls: [{origin}/reports/]\n    max_pages: 1\n",
                           encoding="utf-8")
        settings = Settings.load(env={}, store=str(workdir / "store.sqlite"), sources=str(sources),
                                 state_path=str(workdir / "state.sqlite"), archive_dir=str(workdir / "warc"),
                                 allow_hosts=["127.0.0.1"], min_delay=0.0, retries=0)
        summaries = run_crawl(settings)
        if any(s.error for s in summaries):
            raise RuntimeError(f"crawl failed: {[s.error for s in summaries if s.error]}")
        found = {}
        with open_backend(settings.store) as backend:
            stored = {d.url.rsplit("/", 1)[-1].removesuffix(".html"): d for d in backend.iter_documents()}
            for row in rows:
                doc = stored.get(row["id"])
                found[row["id"]] = {"event_id": doc.event_id if doc else None, "stored": doc is not None,
                                    "event_report": bool(doc and doc.event and doc.event.is_event_report),
                                    "status": getattr(doc.event, "status", None) if doc and doc.event else None}
            events = {e.id: e for e in backend.iter_events()}
            every = regroup_all(stored.values())
        for rid, event_id in every.items():
            if rid in found:
                found[rid]["every_report_event_id"] = event_id
        return {"docs": found, "events": events}
    finally:
        server.shutdown()
        server.server_close()


def regroup_all(docs) -> dict[str, str]:
    """Group the crawled reports again as if the structurer took every one for an event report.

    This separates grouping errors from classification misses (a preview the structurer does not recognise
    gets no event in the product); returns {report id: event id}.
    """
    from ingest.events import Grouper, MemoryEventStore, is_groupable
    from ingest.models import EventReport

    store = MemoryEventStore()
    ordered = sorted(docs, key=lambda d: (d.published or "9999", d.url))
    for doc in ordered:
        doc.event_id = None
        if not is_groupable(doc):
            doc.event = doc.event or EventReport()
            doc.event.is_event_report = True
        Grouper(store).group([doc])
    return {d.url.rsplit("/", 1)[-1].removesuffix(".html"): d.event_id for d in ordered}


def pair_scores(rows: list[dict], predicted: dict[str, str | None], cross_only: bool = False) -> dict:
    """Return pairwise precision, recall and F1 of a predicted clustering against the hand grouping."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(rows, 2):
        if cross_only and a["lang"] == b["lang"]:
            continue
        gold = a["group"] == b["group"]
        same = predicted.get(a["id"]) is not None and predicted.get(a["id"]) == predicted.get(b["id"])
        tp += gold and same
        fp += same and not gold
        fn += gold and not same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": tp, "wrong_pairs": fp, "missed_pairs": fn}


def confusions(rows: list[dict], predicted: dict[str, str | None]) -> dict[str, list]:
    """Return the events that mix hand groups, and the hand groups split over several events."""
    by_event: dict[str, list[dict]] = {}
    for row in rows:
        if predicted.get(row["id"]):
            by_event.setdefault(predicted[row["id"]], []).append(row)
    mixed = [[f"{r['id']} ({r['group']})" for r in members] for members in by_event.values()
             if len({r["group"] for r in members}) > 1]
    by_group: dict[str, list[dict]] = {}
    for row in rows:
        by_group.setdefault(row["group"], []).append(row)
    split = [[f"{r['id']} -> {predicted.get(r['id']) or 'no event'}" for r in members]
             for group, members in by_group.items()
             if len(members) > 1 and len({predicted.get(r["id"]) or r["id"] for r in members}) > 1]
    return {"mixed_events": mixed, "split_groups": split}


def evaluate(data: Path = DATA) -> dict:
    """Crawl, group and score the reports of ``data``; return the results (also what the test checks)."""
    rows = load_reports(data)
    with tempfile.TemporaryDirectory(prefix="eval-events-") as tmp:
        crawled = crawl(rows, Path(tmp))
    docs = crawled["docs"]
    predicted = {rid: info["event_id"] for rid, info in docs.items()}
    distractors = [r for r in rows if r["group"].startswith("distractor-")]
    events = crawled["events"]
    merged = [r["id"] for r in distractors if predicted.get(r["id"]) and
              len(events.get(predicted[r["id"]]).reports if predicted[r["id"]] in events else []) > 1]
    return {
        "data": str(data), "reports": len(rows), "groups": len({r["group"] for r in rows}),
        "gold_pairs": sum(a["group"] == b["group"] for a, b in itertools.combinations(rows, 2)),
        "all_pairs": pair_scores(rows, predicted), "cross_language_pairs": pair_scores(rows, predicted, True),
        "every_report_pairs": pair_scores(rows, {rid: i.get("every_report_event_id") for rid, i in docs.items()}),
        "distractors_merged": merged, "events_made": len(events),
        "not_stored": [rid for rid, info in docs.items() if not info["stored"]],
        "without_event": [rid for rid, info in docs.items() if info["stored"] and not info["event_id"]],
        **confusions(rows, predicted),
    }


def print_table(result: dict, show: bool) -> None:
    """Print the scores as a table (and the confusions with --show)."""
    print(f"event grouping on {result['reports']} reports, {result['groups']} hand groups, "
          f"{result['gold_pairs']} same-event pairs ({result['data']})")
    print(f"{'pairs':<22}{'precision':>10}{'recall':>10}{'F1':>8}{'right':>8}{'wrong':>8}{'missed':>8}")
    for label, key in (("all", "all_pairs"), ("English-Chinese", "cross_language_pairs"),
                       ("all, every report", "every_report_pairs")):
        s = result[key]
        print(f"{label:<22}{s['precision']:>10.3f}{s['recall']:>10.3f}{s['f1']:>8.3f}{s['true_pairs']:>8}"
              f"{s['wrong_pairs']:>8}{s['missed_pairs']:>8}")
    print(f"events made: {result['events_made']}; distractors merged into an event: "
          f"{len(result['distractors_merged'])}; reports the structurer did not take for an event report "
          f"(no event id): {len(result['without_event'])}; not stored: {len(result['not_stored'])}")
    print("('every report': grouped again as if the structurer took every crawled report for an event report)")
    if show:
        for label in ("mixed_events", "split_groups", "without_event", "not_stored", "distractors_merged"):
            for item in result[label]:
                print(f"  {label}: {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="annotated reports (JSON lines)")
    parser.add_argument("--show", action="store_true", help="also list the remaining confusions")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"error: {args.data} not found (../shared/data beside the checkout)", file=sys.stderr)
        return 2
    result = evaluate(args.data)
    print_table(result, args.show)
    out = ROOT / "bench" / "results" / "eval_events.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
