"""Crawled text as terminal markup: hostile titles, snippets and facet values print as plain text everywhere."""

from __future__ import annotations

import re

import pytest

from coopwatch.cli import main
from coopwatch.run import run_crawl
from ingest.models import Document, EventReport, Speaker, doc_id
from search.sqlite import SQLiteBackend
from tests.faults.support import HTML, cli, crawl_settings, env_for, listing_html
from tests.support.httpd import LocalServer, Response

HOSTILE_TITLES = [
    "Shanghai [/bold] Hong Kong symposium",
    "Click [link=http://evil.example/]here[/link] for the forum",
    "[blink red]Urgent[/blink red] Greater Bay Area seminar",
    "Terminal \x1b]8;;http://evil.example/\x1b\\hidden link\x1b]8;;\x1b\\ and \x1b[5mblink\x1b[0m cooperation",
]
ESCAPES = ("\x1b]8;", "\x1b[5m", "\x1b[6m")  # hyperlink and blink sequences; our own bold is allowed


def hostile_page(title: str, n: int) -> str:
    body = "".join(f"<p>Paragraph {i} on Shanghai–Hong Kong cooperation in trade and talent, [bold]{n}[/bold] item "
                   f"{i}, with a [link=http://evil.example/]link[/link] in the text.</p>" for i in range(6))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """Crawl a local site whose page titles and texts are rich markup and escape sequences; add a document whose
    speakers and organisers (facet values) are markup too."""
    folder = tmp_path_factory.mktemp("hostile")
    paths = [f"/news/h{n}.html" for n in range(len(HOSTILE_TITLES))]
    routes = {"/robots.txt": Response(200, "", {"Content-Type": "text/plain"}),
              "/news/": Response(200, listing_html(paths), HTML)}
    routes |= {p: Response(200, hostile_page(t, n).encode(), HTML) for n, (p, t) in enumerate(zip(paths, HOSTILE_TITLES))}
    with LocalServer(routes) as server:
        settings = crawl_settings(folder, [{"name": "hostile", "start_urls": [server.url("/news/")]}])
        [summary] = run_crawl(settings)
    assert summary.new == len(HOSTILE_TITLES), summary
    url = "https://facets.example.org/news/x.html"
    event = EventReport(is_event_report=True, event_type="forum", event_date="2025-05-01", cities=["Shanghai", "Hong Kong"],
                        city_pairs=[["Hong Kong", "Shanghai"]], organizers=["[blink]Evil Institute[/blink]"],
                        speakers=[Speaker("[/bold]Mallory", role="speaker", affiliation="[link=http://evil/]X[/link]")])
    with SQLiteBackend(settings.store) as backend:
        backend.upsert([Document(id=doc_id(url), url=url, source="hostile",
                                 title="[/] facet [/red] test \x1b]8;;http://evil.example/\x07hidden\x1b[5m",
                                 text="Shanghai Hong Kong forum facet test text. " * 10, language="en",
                                 published="2025-05-02", event=event)])
    return settings


def run(args, settings, monkeypatch, capsys) -> tuple[int, str]:
    for key, value in env_for(settings).items():
        if key.startswith("COOPWATCH_"):
            monkeypatch.setenv(key, value)
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_markup_in_titles_does_not_crash_search(fault, hostile_store, monkeypatch, capsys):
    """A title with [/bold] does not crash `search`; every hostile title prints literally."""
    fault.expect("status 0; '[/bold]', '[link=...]', '[blink red]' printed as text")
    status, printed = run(["search", "cooperation", "--limit", "20"], hostile_store, monkeypatch, capsys)
    found = [t for t in ("[/bold] Hong Kong", "[link=http://evil.example/]here[/link]", "[blink red]Urgent")
             if t in printed]
    fault.saw(f"status {status}; literal titles found: {found}")
    assert status == 0 and len(found) == 3


def test_markup_in_a_document_does_not_crash_show(fault, hostile_store, monkeypatch, capsys):
    """`show` of a document whose title, text, speakers and organisers are markup prints them literally."""
    fault.expect("status 0; title, speaker '[/bold]Mallory' and organiser '[blink]Evil Institute[/blink]' literal")
    doc_ids = []
    with SQLiteBackend(hostile_store.store) as backend:
        doc_ids = [d.id for d in backend.iter_documents()]
    outputs = [run(["show", doc_id], hostile_store, monkeypatch, capsys) for doc_id in doc_ids]
    printed = "\n".join(text for _, text in outputs)
    fault.saw(f"statuses {[s for s, _ in outputs]}; speaker literal: {'[/bold]Mallory' in printed}")
    assert all(s == 0 for s, _ in outputs)
    assert "[/bold]Mallory" in printed and "[blink]Evil Institute[/blink]" in printed and "[/] facet [/red]" in printed


def test_markup_in_facet_values(fault, hostile_store, monkeypatch, capsys):
    """Facet values (speakers, organisations) that are markup print literally in `search --facets`."""
    fault.expect("status 0; facet values '[/bold]Mallory' and '[blink]Evil Institute[/blink]' literal")
    status, printed = run(["search", "", "--facets"], hostile_store, monkeypatch, capsys)
    fault.saw(f"status {status}; '[/bold]Mallory' shown: {'[/bold]Mallory' in printed}")
    assert status == 0 and "[/bold]Mallory" in printed and "[blink]Evil Institute[/blink]" in printed


def test_no_hidden_link_no_blink_and_no_raw_escape_in_a_real_terminal(fault, hostile_store):
    """With colour forced on (as in a terminal), hostile text emits no hyperlink, no blink and no raw ESC of its own."""
    fault.expect("no OSC 8 hyperlink, no blink SGR in `search` and `show` output; ESC shown as \\x1b")
    env = env_for(hostile_store, FORCE_COLOR="1", COLUMNS="200")
    searched = cli(["search", "", "--limit", "20"], env)
    ids = re.findall(r"\b([0-9a-f]{12})\b", re.sub(r"\x1b\[[0-9;]*m", "", searched.stdout))
    shown = [cli(["show", i], env) for i in ids]
    text = searched.stdout + "".join(s.stdout for s in shown)
    bad = [e for e in ESCAPES if e in text]
    visible = "\\x1b" in text
    fault.saw(f"status {searched.returncode}; {len(ids)} hits; escape sequences found: {bad}; visible ESC: {visible}")
    assert searched.returncode == 0 and all(s.returncode == 0 for s in shown) and bad == []
    assert visible  # the stored ESC characters are there, made visible (extraction already drops those of pages)


def test_markup_in_stats_and_sources_check(fault, tmp_path, monkeypatch, capsys):
    """A failure reason and a source's URL patterns containing markup print literally in `stats` and `sources check`."""
    fault.expect("status 0 for both; '[a-z]+' pattern and '[/bold]' reason literal")
    from ingest.state import CrawlState

    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": ["https://example.org/news/"],
                                          "include": ["/news/[a-z]+/[/bold]"]}])
    with CrawlState(settings.state_path) as state:
        state.record_failure("https://example.org/news/x", "site", "http: [/bold][blink]418")
        state.finish_run(state.start_run("site"), {"failure": "every page failed: [/red] [link=x]y"}, ok=False)
    s1, stats = run(["stats"], settings, monkeypatch, capsys)
    s2, check = run(["sources", "check"], settings, monkeypatch, capsys)
    fault.saw(f"stats status {s1}, sources check status {s2}")
    assert (s1, s2) == (0, 0) and "[a-z]+/[/bold]" in check
    assert "[/red]" in stats.replace("\n", "") or "[/red]" in "".join(stats.split())


def test_alerts_commands_print_hostile_titles_literally(fault, tmp_path, monkeypatch, capsys):
    """`alerts test`, `run`, `history` and `status` print a hostile event title and a receiver's error literally."""
    fault.expect("status 0/1 (delivery failed) but no crash; '[/bold]' and the error text printed literally")
    from tests.support.receivers import WebhookReceiver

    store = tmp_path / "store.sqlite"
    url = "https://harbour.example.org/news/x.html"
    event = EventReport(is_event_report=True, event_type="symposium", event_date="2025-03-12",
                        cities=["Shanghai", "Hong Kong"], city_pairs=[["Hong Kong", "Shanghai"]])
    with SQLiteBackend(str(store)) as backend:
        backend.upsert([Document(id=doc_id(url), url=url, source="harbour", title="Shanghai [/bold] Hong Kong \x1b[5m",
                                 text="Shanghai–Hong Kong symposium text. " * 5, language="en", published="2025-03-14",
                                 event=event)])
    rules = tmp_path / "alerts.yaml"
    rules.write_text("rules:\n  - name: pair\n    search: {pair: [Shanghai, Hong Kong], events_only: true}\n"
                     "    channels: [hook]\n", encoding="utf-8")
    with WebhookReceiver(script=[500]) as hook:
        for key, value in {"COOPWATCH_STORE": str(store), "COOPWATCH_ALERTS": str(rules),
                           "COOPWATCH_ALERTS_DB": str(tmp_path / "alerts.sqlite"),
                           "COOPWATCH_CHANNEL_HOOK": hook.apprise_url(), "COOPWATCH_CONFIG": "/dev/null"}.items():
            monkeypatch.setenv(key, value)
        results = [(args, main(["alerts", *args]), capsys.readouterr()) for args in
                   (["test", "pair"], ["run"], ["history"], ["status"], ["list"])]
    printed = "".join(c.out + c.err for _, _, c in results)
    fault.saw(f"statuses {[s for _, s, _ in results]}; '[/bold]' literal: {'[/bold]' in printed}; raw ESC: {chr(27) in printed}")
    assert all(status in (0, 1) for _, status, _ in results)
    assert "[/bold]" in printed and "\x1b" not in printed


def test_markup_in_event_names_and_reports(fault, hostile_store, monkeypatch, capsys):
    """`events` and `event ID` print hostile event names, report titles and a hostile query literally."""
    fault.expect("status 0 for `events` and every `event ID`; '[/bold]' and '[/red]' literal; no raw ESC")
    import json

    status, listed = run(["events", "--group", "--limit", "20"], hostile_store, monkeypatch, capsys)
    _, searched = run(["events", "[/bold] forum"], hostile_store, monkeypatch, capsys)
    _, as_json = run(["events", "--json", "--limit", "20"], hostile_store, monkeypatch, capsys)
    ids = [e["id"] for e in json.loads(as_json)["events"]]
    shown = [run(["event", event_id], hostile_store, monkeypatch, capsys) for event_id in ids]
    printed = listed + searched + "".join(text for _, text in shown)
    fault.saw(f"events status {status}; {len(ids)} events shown with statuses {sorted({s for s, _ in shown})}; "
              f"raw ESC: {chr(27) in printed}")
    assert status == 0 and ids and all(s == 0 for s, _ in shown)
    assert "[/bold]" in printed and "[/red]" in printed and "\x1b" not in printed
