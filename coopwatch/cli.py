"""coopwatch command line: a thin shell over ingest, search and coopwatch.run."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.settings import ConfigError, Settings
from coopwatch.alerts_cli import add_alerts_parser, cmd_alerts
from coopwatch.events_cli import add_events_parsers, cmd_event, cmd_events
from coopwatch.terminal import block, inline, one_line
from search.alerts.channels import ChannelError
from search.alerts.rules import RuleError
from search.alerts.store import AlertSchemaError
from search.base import BackendConfigError

# soft wrap: an error naming a long path must stay on one line, copyable and greppable; no :emoji: codes,
# so crawled text prints as written (see coopwatch.terminal for the rest)
console = Console(stderr=True, soft_wrap=True, emoji=False)
# piped output (scripts, logs) gets a wide fixed width so tables are never cut to 80 columns
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160, emoji=False)
MAX_WINDOW = 10_000  # deepest result reachable by paging (--offset + --limit), as in Elasticsearch

EPILOG = """\
examples:
  coopwatch crawl                              crawl every enabled source into the store
  coopwatch crawl --source harbour             crawl one source
  coopwatch search "Hong Kong" --since 2025-01-01
  coopwatch search 沪港 --lang zh --json
  coopwatch search "" --pair "Hong Kong,Shanghai" --events-only
  coopwatch show 3f2a9c1b                      one document (id or id prefix)
  coopwatch events symposium                   events (reports grouped across sources and languages)
  coopwatch event evt-3f2a9c1b0d4e5f60         one event with its reports and why each joined
  coopwatch sources check                      validate the sources file and show the crawl plan
  coopwatch stats                              per-source health: last success, documents, failures
  coopwatch reprocess                          re-extract archived pages without fetching
  coopwatch alerts run                         tell staff about new events (watch rules in alerts.yaml)
  coopwatch serve                              web page and JSON API on http://127.0.0.1:8000/
  COOPWATCH_STORE=http://localhost:9200 coopwatch reindex --from var/coopwatch.sqlite
                                               move the embedded store into Elasticsearch

configuration (lowest to highest): built-in defaults < coopwatch.yaml (or COOPWATCH_CONFIG)
< COOPWATCH_* environment variables < command-line options.
  COOPWATCH_STORE        store: a SQLite file (default var/coopwatch.sqlite) or http(s)://host:9200
  COOPWATCH_ES_API_KEY   Elasticsearch credentials (or COOPWATCH_ES_USERNAME / COOPWATCH_ES_PASSWORD),
                         COOPWATCH_ES_CA_CERTS for HTTPS; never logged
  COOPWATCH_SOURCES      sources file (default sources/thinktanks.yaml)
  COOPWATCH_ALLOW_HOSTS  hosts/networks exempt from the private-address guard, e.g. 127.0.0.1
  COOPWATCH_API_KEY      key the web API and pages require (needed to serve beyond localhost); never logged
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coopwatch", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Watch institutional sites for city-cooperation event reports: crawl, structure, search.")
    add_global_options(parser, argparse.SUPPRESS)  # given before the command...
    parser.set_defaults(store=None, sources=None, config=None, verbose=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_crawl(sub)
    _add_search(sub)
    _add_show(sub)
    _add_sources(sub)
    _add_simple(sub)
    add_alerts_parser(sub)
    add_events_parsers(sub, add_filters)
    return parser


def add_global_options(parser: argparse.ArgumentParser, default) -> None:
    """Add the options every command takes, before or after its name (default SUPPRESS: absent unless given)."""
    parser.add_argument("--store", default=default, help="store location (overrides COOPWATCH_STORE)")
    parser.add_argument("--sources", default=default, help="sources YAML file (overrides COOPWATCH_SOURCES)")
    parser.add_argument("--config", default=default, help="settings YAML file (overrides COOPWATCH_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log every request")


def global_options() -> argparse.ArgumentParser:
    """Return a parent parser with the global options, so that `coopwatch crawl --sources F` works too."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("global options (also accepted before the command)")
    add_global_options(group, argparse.SUPPRESS)
    return parent


def add_command(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    """Add a (sub)command that also takes the global options."""
    return sub.add_parser(name, parents=[global_options()], **kwargs)


def _add_crawl(sub) -> None:
    p = add_command(sub, "crawl", help="discover, fetch, extract, structure and index new reports",
                       description="Crawl sources politely (robots.txt, per-host delay, conditional GET) "
                                   "into the store, then print a summary table.")
    p.add_argument("--source", action="append", dest="source_names", metavar="NAME",
                   help="crawl only this source (repeatable)")
    p.add_argument("--max-pages", type=int, help="listing pages to follow per start URL (backfill deeper)")
    p.add_argument("--refetch", action="store_true",
                   help="fetch every page in full, without conditional requests (after restoring or wiping a store)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def _add_search(sub) -> None:
    p = add_command(sub, "search", help="full-text and filtered search of stored reports",
                       description="Search stored documents. Words are ANDed; Chinese works as typed (合作, 沪港). "
                                   "An empty query with filters lists matching documents, newest first.")
    p.add_argument("query", nargs="?", default="", help="words to find (quote phrases for the shell)")
    add_filters(p)
    p.add_argument("--facets", action="store_true", help="also print facet counts")
    p.add_argument("--collapse", action="store_true", help="one row per event (its best report and how many matched)")


def add_filters(p: argparse.ArgumentParser) -> None:
    """Add the search filters (shared by `search` and `events`)."""
    p.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    p.add_argument("--since", type=iso_date, help="on or after this date (YYYY-MM-DD, YYYY-MM or YYYY; "
                                                  "event date, else publication date)")
    p.add_argument("--until", type=iso_date, help="on or before this date (YYYY-MM-DD, YYYY-MM or YYYY)")
    p.add_argument("--lang", choices=["en", "zh"], help="only this language")
    p.add_argument("--city", action="append", default=[],
                   help="involves this city, in English or Chinese (Macao, 澳门, 澳門; repeatable)")
    p.add_argument("--pair", help='city pair that cooperates: "Hong Kong,Shanghai", "Hong Kong|Shanghai" '
                                  '(as --facets prints it), "上海,香港" or "沪港"')
    p.add_argument("--speaker", help="a speaker's name, in any script; also finds the person's other names "
                                     "that the registry knows (e.g. \"Fan Gang\" = 樊纲)")
    p.add_argument("--org", help="an organiser or speaker affiliation (substring)")
    p.add_argument("--type", dest="event_type", help="event type: symposium, forum, seminar, conference, ... "
                                                     "or a Chinese word for one (研讨会, 论坛)")
    p.add_argument("--topic", help="topic from the vocabulary: trade, finance, talent, technology, ...")
    p.add_argument("--events-only", action="store_true", help="only event reports")
    p.add_argument("--limit", type=count, default=10, help="results per page (default 10)")
    p.add_argument("--offset", type=count, default=0, help="skip this many results")
    p.add_argument("--json", action="store_true", help='print {"total": N, "results": [...]} as JSON')


def iso_date(value: str) -> str:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD (a real date); explain the form otherwise."""
    import datetime as dt

    formats = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
    try:
        dt.datetime.strptime(value, formats[len(value)])
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY") from None
    return value


def count(value: str) -> int:
    """Accept a whole number from 0 to MAX_WINDOW."""
    if not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: use a whole number, 0 or more")
    if len(value) > 6 or int(value) > MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"{value[:30]}: at most {MAX_WINDOW}")
    return int(value)


def port_number(value: str) -> int:
    """Accept a TCP port, 1 to 65535."""
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r}: use a port number from 1 to 65535")
    return int(value)


def _add_show(sub) -> None:
    p = add_command(sub, "show", help="show one stored document", description="Show one document by id or id prefix.")
    p.add_argument("id", help="document id (sha256 of the canonical URL) or a unique prefix of 8+ characters")
    p.add_argument("--json", action="store_true", help="print the whole record as JSON")


def _add_sources(sub) -> None:
    p = add_command(sub, "sources", help="validate the sources file and show what would be fetched")
    s = p.add_subparsers(dest="sources_command", metavar="SUBCOMMAND")
    c = add_command(s, "check", help="validate the sources YAML and print each source's crawl plan",
                     description="Validate the sources file (errors name the file, line, key and fix) and show "
                                 "per source the pages, feeds and sitemaps a crawl would start from.")
    c.add_argument("--discover", action="store_true", help="also run discovery (network) and list the article URLs")


def _add_simple(sub) -> None:
    p = add_command(sub, "reprocess", help="re-extract and re-index archived pages without fetching",
                       description="Read the WARC archive, run the current extractor and structurer, and upsert.")
    p.add_argument("--source", help="only this source")
    add_command(sub, "stats", help="per-source health: last success, documents, failures by reason")
    p = add_command(sub, "reindex", help="rebuild the Elasticsearch index behind its aliases, or copy another store in",
                       description="Without --from: build a new versioned Elasticsearch index, copy every document "
                                   "and swap the read/write aliases atomically (searches never fail meanwhile). "
                                   "With --from STORE: copy every document of STORE (e.g. var/coopwatch.sqlite) "
                                   "into the current store; safe to repeat, unchanged documents are skipped.")
    p.add_argument("--from", dest="from_store", metavar="STORE", help="store to copy from (SQLite file or URL)")
    p = add_command(sub, "serve", help="serve the web page and JSON API (http://127.0.0.1:8000/)",
                    description="Serve the search page and the JSON API (/api/..., schema at /openapi.json) on "
                                "uvicorn. Beyond localhost an API key is required: set COOPWATCH_API_KEY.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    p = add_command(sub, "structure", help="print the event report of a saved HTML page (store untouched)")
    p.add_argument("file", help="saved HTML file")
    p.add_argument("--url", help="the page's URL (helps date and metadata extraction)")
    p.add_argument("--lang", help="the source's language hint (en, zh), as a sources file gives it")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def load_settings(args: argparse.Namespace) -> Settings:
    """Build settings from defaults, config file, environment and options."""
    return Settings.load(args.config, store=args.store, sources=args.sources)


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # run as the coopwatch command (not called by code that set up its own environment)
        from coopwatch.demo import use_demo_registry

        use_demo_registry()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # a page without an article is recorded with its reason; no need to shout
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
        logging.getLogger("htmldate").setLevel(logging.ERROR)
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, BackendConfigError, RuleError, ChannelError, AlertSchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # plain: a wrapped path could not be copied
        return 2
    except Exception as exc:  # noqa: BLE001 - a store that cannot be reached is a user problem, not a crash
        if not (isinstance(exc, ConnectionError) or type(exc).__module__.startswith(("elasticsearch", "elastic_transport"))):
            raise
        store = getattr(args, "store", None) or "COOPWATCH_STORE"
        print(f"error: Elasticsearch store {store} cannot be used: {type(exc).__name__}: {exc}\n"
              "  check COOPWATCH_STORE, the credentials (COOPWATCH_ES_*) and that the node is running", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130


# ------------------------------------------------------------------ commands

def cmd_crawl(args: argparse.Namespace) -> int:
    from coopwatch.run import CrawlEvents, run_crawl

    settings = load_settings(args)
    with _crawl_progress() as progress:
        tasks: dict[str, object] = {}  # one progress line per source (several are crawled at once)

        def on_source(source):
            tasks[source.name] = progress.add_task(inline(source.name), total=None)

        def on_discovered(name, count):
            progress.update(tasks[name], total=count)

        def on_url(name, url, outcome):
            progress.advance(tasks[name])

        events = CrawlEvents(source_started=on_source, discovered=on_discovered, page_done=on_url)
        summaries = run_crawl(settings, args.source_names, args.max_pages, events=events, refetch=args.refetch)
    if args.json:
        print(json.dumps([asdict(s) for s in summaries], indent=2, ensure_ascii=False))
    else:
        _print_crawl_summary(summaries)
    return 0 if all(s.ok for s in summaries) else 1  # a source that raised or fetched nothing fails the crawl


def _crawl_progress() -> Progress:
    return Progress(TextColumn("{task.description:>14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=not console.is_terminal)


def _print_crawl_summary(summaries) -> None:
    table = Table(title="crawl summary")
    for col in ("source", "discovered", "fetched", "not modified", "new", "updated", "unchanged", "events", "failed"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for s in summaries:
        table.add_row(inline(s.source), *(str(v) for v in (s.discovered, s.fetched, s.not_modified, s.new, s.updated,
                                                             s.unchanged, s.events, s.failed)))
    out.print(table)
    for s in summaries:
        _print_failures(s)
    _print_new_events(summaries)


def _print_failures(summary) -> None:
    """Print a source's failed pages, each with what its reason means; or why the whole source failed."""
    from coopwatch.explain import explain_failure

    if summary.error or summary.failure:
        out.print(f"  {one_line(summary.source)}: source failed: {one_line(summary.error or summary.failure)}", style="red",
                  highlight=False, markup=False)
    if not summary.failures or summary.error or summary.failure and not summary.discovered:
        return
    reasons = ", ".join(f"{k} {v}" for k, v in summary.failures.items())
    out.print(f"  {one_line(summary.source)}: {summary.failed} page(s) not stored ({one_line(reasons)})", highlight=False,
              markup=False)
    for url, reason in summary.failed_pages:
        meaning = explain_failure(reason, url)
        out.print(f"    {one_line(url)}\n      {one_line(reason)}" + (f" - {one_line(meaning)}" if meaning else ""),
                  highlight=False, markup=False)


NEW_EVENTS_SHOWN = 20


def _print_new_events(summaries) -> None:
    """List the new event reports of a crawl (title and id), the first NEW_EVENTS_SHOWN of them."""
    rows = [(s.source, e) for s in summaries for e in s.new_events]
    if not rows:
        return
    out.print(f"\nnew event reports ({len(rows)}):", highlight=False)
    width = max(len(one_line(source)) for source, _ in rows)
    for source, event in rows[:NEW_EVENTS_SHOWN]:
        out.print(f"  {event['id'][:12]}  {one_line(source):<{width}}  {one_line(event['title'])}", highlight=False,
                  markup=False)
    if len(rows) > NEW_EVENTS_SHOWN:
        out.print(f"  ... and {len(rows) - NEW_EVENTS_SHOWN} more: coopwatch search \"\" --events-only", highlight=False)
    out.print(f"  read one: coopwatch show {rows[0][1]['id'][:12]}", highlight=False, markup=False)


def build_query(args: argparse.Namespace):
    """Build the search query of the command line, normalised through the vocabularies (澳门 = Macao ...)."""
    from ingest.vocabulary import load_vocabulary
    from search.base import Query
    from search.normalise import QueryError, normalise_query, parse_pair

    if args.offset + args.limit > MAX_WINDOW:
        raise ConfigError(f"--offset {args.offset} + --limit {args.limit} may be at most {MAX_WINDOW}: narrow the "
                          "search with words or filters instead of paging this deep")
    vocabulary = load_vocabulary()
    try:
        pair = parse_pair(args.pair, vocabulary) if args.pair else None
    except QueryError as exc:
        raise ConfigError(f"--{exc}") from None
    query = Query(text=args.query, sources=args.source, language=args.lang, since=args.since, until=args.until,
                  cities=args.city, pair=pair, speaker=args.speaker, org=args.org, event_type=args.event_type,
                  topic=args.topic, events_only=args.events_only, limit=args.limit, offset=args.offset,
                  facets=getattr(args, "facets", False), collapse=getattr(args, "collapse", False))
    return normalise_query(query, vocabulary)


def cmd_search(args: argparse.Namespace) -> int:
    from search import open_backend

    settings = load_settings(args)
    query = build_query(args)
    with open_backend(settings.store) as backend:
        result = backend.search(query)
    if args.json:
        payload = {"total": result.total, "results": [asdict(h) for h in result.hits]}
        if args.facets:
            payload["facets"] = result.facets
            payload["histogram"] = result.histogram
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    _print_hits(result, query)
    return 0


def _print_hits(result, query) -> None:
    out.print(f"{result.total} result(s)" + (f" for {inline(repr(query.text))}" if query.text else ""), highlight=False)
    for n, hit in enumerate(result.hits, query.offset + 1):
        meta = " · ".join(x for x in (hit.source, hit.date or "", hit.language or "", hit.event_type or "") if x)
        if hit.event_id:
            meta += f" · event {hit.event_id}" + (f" ({hit.group_size} reports)" if hit.group_size > 1 else "")
        out.print(f"\n[bold]{n}. {inline(hit.title or hit.url)}[/bold]  [dim]{inline(hit.id[:12])}[/dim]",
                  highlight=False)
        out.print(f"   {inline(meta)}\n   {inline(hit.url)}", highlight=False)
        if hit.snippet:
            out.print("   " + snippet_markup(hit.snippet), highlight=False)
    for name, values in result.facets.items():
        if values:
            out.print(f"\n{inline(name)}: " + ", ".join(f"{inline(v)} ({c})" for v, c in values[:10]), highlight=False)


def snippet_markup(snippet_html: str) -> str:
    """Turn a <mark> snippet into rich markup: matches in bold, everything else literal."""
    import re
    from html import unescape

    parts = re.split(r"(<mark>.*?</mark>)", snippet_html.replace("</mark> <mark>", " "))
    return "".join(f"[bold yellow]{inline(unescape(p[6:-7]))}[/]" if p.startswith("<mark>") else inline(unescape(p))
                   for p in parts)


def cmd_show(args: argparse.Namespace) -> int:
    from search import open_backend

    from search.base import MIN_PREFIX

    if len(args.id) < MIN_PREFIX:
        console.print(f"an id prefix needs {MIN_PREFIX} or more characters ({args.id!r} has {len(args.id)}); "
                      "`coopwatch search` prints the first 12 of each id", highlight=False, markup=False)
        return 2
    settings = load_settings(args)
    with open_backend(settings.store) as backend:
        doc = backend.get(args.id)
    if doc is None:
        console.print(f"no document has an id starting with {args.id!r}, or more than one does (give more "
                      "characters; `coopwatch search` prints ids)", highlight=False, markup=False)
        return 1
    if args.json:
        print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
        return 0
    out.print(f"[bold]{inline(doc.title)}[/bold]\n{inline(doc.url)}\nid {inline(doc.id)}\nsource {inline(doc.source)}"
              f" · language {inline(doc.language)} · published {inline(doc.published)}"
              f" · fetched {inline(doc.fetched_at)}", highlight=False)
    if doc.event and doc.event.is_event_report:
        _print_event(doc.event)
    out.print("\n" + block(doc.text), highlight=False, markup=False)
    return 0


def _print_event(event) -> None:
    rows = [("type", event.event_type), ("name", event.event_name), ("theme", event.theme), ("date", event.event_date),
            ("venue", event.venue), ("organizers", "; ".join(event.organizers)), ("cities", ", ".join(event.cities)),
            ("city pairs", ", ".join("–".join(p) for p in event.city_pairs)), ("topics", ", ".join(event.topics))]
    for key, value in rows:
        if value:
            out.print(f"{key:>11}: {inline(value)}", highlight=False)
    for sp in event.speakers:
        detail = ", ".join(x for x in (sp.title, sp.affiliation) if x)
        out.print(f"{'speaker':>11}: {inline(sp.name)} ({inline(sp.role)})" + (f" — {inline(detail)}" if detail else ""),
                  highlight=False)


def cmd_sources(args: argparse.Namespace) -> int:
    from ingest.sources import load_sources

    if args.sources_command != "check":
        build_parser().parse_args(["sources", "--help"])
        return 2
    settings = load_settings(args)
    sources = load_sources(settings.sources, enabled_only=False)
    out.print(f"{inline(settings.sources)}: {len(sources)} source(s), valid", highlight=False)
    for s in sources:
        _print_plan(s, settings)
        _print_host_notes(s, settings)
        if args.discover and s.enabled:
            _print_discovery(s, settings)
    return 0


def _print_plan(source, settings: Settings) -> None:
    delay = source.min_delay if source.min_delay is not None else settings.min_delay
    state = "" if source.enabled else " (disabled)"
    cap = source.max_crawl_delay if source.max_crawl_delay is not None else settings.max_crawl_delay
    out.print(f"\n[bold]{inline(source.name)}[/bold]{state}  language={source.language or 'auto'}  delay={delay}s  "
              f"(robots.txt Crawl-delay up to {cap:g}s, Retry-After deferrals up to {settings.max_deferral:g}s)  "
              f"schedule={inline(source.schedule)}", highlight=False)
    for url in source.start_urls:
        out.print(f"  listing  {inline(url)}  (+ up to {source.max_pages - 1} next pages)", highlight=False)
    for url in source.feeds:
        out.print(f"  feed     {inline(url)}", highlight=False)
    for url in source.sitemaps:
        out.print(f"  sitemap  {inline(url)}", highlight=False)
    if source.include or source.exclude:
        out.print(f"  article links: include {inline(source.include or 'all')}; exclude {inline(source.exclude or 'none')}",
                  highlight=False)


def _print_host_notes(source, settings: Settings) -> None:
    """Print the source's hosts that are deferred (Retry-After) or whose Crawl-delay was capped, from the crawl state."""
    from coopwatch.run import host_notes_of

    for note in host_notes_of(settings, source.name):
        out.print(f"  [yellow]host:[/yellow] {inline(note)}", highlight=False)


def _print_discovery(source, settings: Settings) -> None:
    import tempfile

    from ingest.pipeline import discover_stage, make_fetcher, read_jsonl, source_settings

    with tempfile.TemporaryDirectory() as tmp:
        fetcher = make_fetcher(source_settings(settings, source))
        try:
            found = discover_stage(source.name, settings.model_copy(update={"archive_dir": tmp}), tmp, fetcher=fetcher)
            urls = [(row["url"], fetcher.robots_allows(row["url"])) for row in read_jsonl(found["path"])]
        finally:
            fetcher.close()
        capped = fetcher.capped_crawl_delays()
    out.print(f"  would fetch {sum(ok for _, ok in urls)} article URL(s):", highlight=False)
    for url, allowed in urls:
        out.print(f"    {inline(url)}" + ("" if allowed else "   (disallowed by robots.txt: skipped)"), highlight=False)
    for reason, count in found["discovery_failures"].items():
        out.print(f"  [yellow]discovery problem:[/yellow] {inline(reason)} ({count})", highlight=False)
    for note in capped:
        out.print(f"  [yellow]robots.txt:[/yellow] {inline(note.host)} asks Crawl-delay {note.asked:g}s; capped at "
                  f"{note.used:g}s (max_crawl_delay)", highlight=False)


def cmd_reprocess(args: argparse.Namespace) -> int:
    from coopwatch.run import reprocess

    settings = load_settings(args)
    counts = reprocess(settings, args.source)
    table = Table(title="reprocess summary")
    for key in counts:
        table.add_column(key, justify="right")
    table.add_row(*(str(v) for v in counts.values()))
    out.print(table)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from coopwatch.run import host_notes_of, source_figures
    from ingest.state import state_target
    from search import open_backend

    settings = load_settings(args)
    with open_backend(settings.store) as backend:
        rows = source_figures(backend, state_target(settings))
    table = Table(title=f"sources ({inline(settings.store)})")
    for col in ("source", "last success", "last run", "documents", "last run: fetched", "new",
                "event reports new/changed", "failures by reason", "hosts", "warning"):
        table.add_column(col)
    for row in rows:
        last = (row["last_run"] or {}).get("counts", {})
        table.add_row(inline(row["source"]), row["last_success"] or "never", _last_run_cell(row), str(row["documents"]),
                      str(last.get("fetched", "")), str(last.get("new", "")), str(last.get("events_changed", "")),
                      _failures_cell(row), "\n".join(inline(n) for n in host_notes_of(settings, row["source"])) or "-",
                      inline(row["warning"] or ""))
    out.print(table)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from coopwatch.serve import serve

    serve(load_settings(args), args.host, args.port)  # uvicorn prints the address; Ctrl-C stops
    return 0


def _last_run_cell(health: dict) -> str:
    if not health.get("last_run"):
        return "-"
    failure = health.get("last_run_failure")
    return f"[red]failed: {inline(failure)}[/red]" if failure else "ok"


def _failures_cell(health: dict) -> str:
    examples = health.get("failure_examples") or {}
    parts = []
    for kind, count in (health.get("failures") or {}).items():
        example = examples.get(kind.split(" (", 1)[0])
        parts.append(f"{kind} {count}" + (f" (e.g. {example})" if example and example != kind else ""))
    return inline("; ".join(parts)) or "-"


def cmd_structure(args: argparse.Namespace) -> int:
    from ingest.extract import ExtractionError
    from ingest.structure import structure_page

    path = Path(args.file)
    if not path.exists():
        console.print(f"[red]error:[/red] {inline(path)}: no such file")
        return 2
    try:  # the crawl's own path: decode as the fetcher does, extract_article, parse_event_report
        report = structure_page(path.read_bytes(), url=args.url, language=args.lang)
    except ExtractionError as exc:
        console.print(f"[red]error:[/red] {path}: no article to structure ({exc}); the crawl would record it as failed")
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for key, value in report.items():
        if key == "speakers":
            for sp in value:
                out.print(block(f"{'speaker':>18}: {sp['name']} ({sp['role']}) — {sp.get('title') or ''}, "
                                f"{sp.get('affiliation') or ''}"), highlight=False, markup=False)
        elif value not in (None, [], ""):
            out.print(block(f"{key:>18}: {value}"), highlight=False, markup=False)
    return 0


def _group_copied(target) -> None:
    """Give copied event reports that came without an event id theirs (events and ids come with the copy)."""
    from coopwatch.grouping import group_stored, has_events

    if has_events(target):
        outcome = group_stored(target)
        if outcome.started or outcome.joined:
            out.print(f"grouped reports without an event: {outcome.started} new events, {outcome.joined} joined",
                      highlight=False)


def cmd_reindex(args: argparse.Namespace) -> int:
    from search import open_backend
    from search.reindex import reindex

    settings = load_settings(args)
    with open_backend(settings.store) as target:
        if args.from_store:
            with open_backend(args.from_store) as source:
                stats = reindex(source, target, progress=lambda s: console.print(
                    f"  copied {s.new + s.updated + s.unchanged} ...", highlight=False))
            out.print(f"copied from {inline(args.from_store)}: new {stats.new}, updated {stats.updated}, "
                      f"unchanged {stats.unchanged}, failed {stats.failed}", highlight=False)
            _group_copied(target)
            return 1 if stats.failed else 0
        if not hasattr(target, "reindex_to_new_version"):
            raise ConfigError(f"{settings.store} is an embedded store: nothing to rebuild (use --from to copy "
                              "another store in)")
        index = target.reindex_to_new_version()
        out.print(f"rebuilt into {inline(index)}; aliases swapped; {target.count()} documents", highlight=False)
    return 0


def _with_store(args: argparse.Namespace, command) -> int:
    """Run a command with the configured store open."""
    from search import open_backend

    with open_backend(load_settings(args).store) as backend:
        return command(backend)


COMMANDS = {
    "alerts": lambda args: cmd_alerts(args, load_settings(args), out),
    "events": lambda args: _with_store(args, lambda backend: cmd_events(args, backend, build_query(args), out)),
    "event": lambda args: _with_store(args, lambda backend: cmd_event(args, backend, out)),
    "reindex": cmd_reindex,
    "crawl": cmd_crawl,
    "search": cmd_search,
    "show": cmd_show,
    "sources": cmd_sources,
    "reprocess": cmd_reprocess,
    "stats": cmd_stats,
    "structure": cmd_structure,
    "serve": cmd_serve,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
