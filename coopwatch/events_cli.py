"""`coopwatch events` and `coopwatch event ID`: list and search events, show one with its reports, split it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from coopwatch.terminal import inline, one_line

EVENTS_HELP = """\
An event is one real meeting, forum or symposium, however many sources report it and in whichever language:
its reports share one event id (previews too: an announced event becomes held when a report says it
took place). The filters are those of `coopwatch search`, applied to the event's merged fields.

examples:
  coopwatch events                                  newest events first
  coopwatch events symposium --pair "Hong Kong,Shanghai"
  coopwatch events --status announced               previews of events to come
  coopwatch events 沪港 --json
  coopwatch events --group                          give stored reports without an event theirs
"""
EVENT_HELP = """\
Show one event: its merged fields, every report (source, language, date) and why each joined.

examples:
  coopwatch event evt-3f2a9c1b0d4e5f60              (an id merged into another event finds that event)
  coopwatch event evt-3f2a9c1b0d4e5f60 --split 8c1d2e3f
                                                    take a wrongly grouped report out, for good
"""


def add_events_parsers(sub, add_filters) -> None:
    """Add `events` and `event` to the CLI (``add_filters`` adds the search filters)."""
    p = sub.add_parser("events", help="list and search events (reports grouped across sources and languages)",
                       description=EVENTS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", nargs="?", default="", help="words to find in the event's names, people, places")
    add_filters(p)
    p.add_argument("--status", choices=["held", "announced"], help="only held events, or only announced ones")
    p.add_argument("--group", action="store_true",
                   help="first group stored event reports that have no event yet (older stores, copies)")
    p = sub.add_parser("event", help="show one event with its reports and why each joined; split a report off",
                       description=EVENT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("id", help="event id (evt-...)")
    p.add_argument("--split", metavar="DOC_ID",
                   help="take this report (document id or prefix) out of the event; it never rejoins it")
    p.add_argument("--json", action="store_true", help="print the event as JSON")


def cmd_events(args: argparse.Namespace, backend, query, out: Console) -> int:
    """List the events matching a query."""
    from coopwatch.grouping import group_stored

    if args.group:
        outcome = group_stored(backend)
        out.print(f"grouped: {outcome.started} new events, {outcome.joined} reports joined events, "
                  f"{len(outcome.merged)} merges", highlight=False)
    query.event_status = args.status or ("held" if args.events_only else None)
    result = backend.search_events(query)
    if args.json:
        print(json.dumps({"total": result.total, "events": [event_json(e) for e in result.events]},
                         ensure_ascii=False, indent=2))
        return 0
    out.print(f"{result.total} event(s)" + (f" for {inline(repr(query.text))}" if query.text else ""), highlight=False)
    for n, event in enumerate(result.events, query.offset + 1):
        langs = "+".join(event.languages)
        out.print(f"\n[bold]{n}. {inline(title_of(event))}[/bold]  [dim]{inline(event.id)}[/dim]", highlight=False)
        out.print(one_line(f"   {event.event_date or 'date unknown'} · {event.status} · {len(event.reports)} report(s) "
                           f"{langs} · {', '.join(event.sources)}"), highlight=False, markup=False)
        if event.cities:
            out.print(one_line(f"   {', '.join(event.cities)}"), highlight=False, markup=False)
    return 0


def cmd_event(args: argparse.Namespace, backend, out: Console) -> int:
    """Show one event, or split a report off it."""
    from coopwatch.grouping import split_report

    event = backend.get_event(args.id)
    if event is None:
        out.print(one_line(f"no event {args.id!r} (try `coopwatch events` to find ids)"), highlight=False, markup=False)
        return 1
    if args.split:
        try:
            new_id = split_report(backend, event.id, args.split)
        except (KeyError, ValueError) as exc:
            out.print(one_line(f"cannot split: {exc.args[0]}"), highlight=False, markup=False)
            return 1
        out.print(one_line(f"report {args.split} left {event.id} for good; it is now in {new_id}"), highlight=False,
                  markup=False)
        return 0
    if args.json:
        print(json.dumps(event_json(event), ensure_ascii=False, indent=2))
        return 0
    print_event(event, out)
    return 0


def title_of(event) -> str:
    """Return what to call an event: its name, else the title of its first report."""
    return event.name or (event.reports[0].title if event.reports else event.id)


def event_json(event) -> dict[str, Any]:
    """Return an event as JSON, its reports without their stored grouping evidence."""
    data = event.to_dict()
    for report in data["reports"]:
        report.pop("signature", None)
        report.pop("report", None)
    data.pop("keys", None)
    return data


def print_event(event, out: Console) -> None:
    """Print an event: merged fields, people, reports with the reasons they joined, history."""
    out.print(f"[bold]{inline(title_of(event))}[/bold]\n{inline(event.id)} · {inline(event.status)} · first seen "
              f"{inline(event.first_seen[:10])} · updated {inline(event.last_updated[:10])}", highlight=False)
    rows = [("date", event.event_date), ("type", event.event_type), ("names", " / ".join(event.names)),
            ("venue", event.venue), ("theme", event.theme), ("organizers", "; ".join(event.organizers)),
            ("cities", ", ".join(event.cities)), ("city pairs", ", ".join("–".join(p) for p in event.city_pairs)),
            ("merged ids", ", ".join(event.merged_from))]
    for key, value in rows:
        if value:
            out.print(one_line(f"{key:>11}: {value}"), highlight=False, markup=False)
    for sp in event.speakers:
        detail = ", ".join(x for x in (sp.title, sp.affiliation) if x)
        aka = event.aka.get(sp.key or sp.name)
        line = f"{'speaker':>11}: {sp.name}" + (f" ({' / '.join(aka)})" if aka else "") + f" [{sp.role}]"
        out.print(one_line(line + (f" — {detail}" if detail else "")), highlight=False, markup=False)
    out.print(f"\n{len(event.reports)} report(s):", highlight=False)
    for m in event.reports:
        out.print(one_line(f"  {m.published or '----------'}  {m.source} ({m.language or '?'}, {m.status})  "
                           f"{m.doc_id[:12]}") + f"\n    {one_line(m.title)}\n    {one_line(m.url)}",
                  highlight=False, markup=False)
        for reason in m.reason:
            out.print(one_line(f"    why: {reason}"), highlight=False, markup=False)
    for line in event.history:
        out.print(one_line(f"  history: {line}"), highlight=False, markup=False)
