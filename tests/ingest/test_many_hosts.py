"""Many hosts at once, for real: local servers on distinct loopback addresses record when each request
arrived and when its answer went out (as tests/dags/conftest.py's InFlightRecorder does). Whatever the
crawl does concurrently, no host may ever have two requests in flight, delays hold, and every page is
fetched exactly once."""

from __future__ import annotations

import json
from contextlib import ExitStack, contextmanager
from pathlib import Path

from coopwatch.run import CrawlEvents, run_crawl
from ingest.pipeline import fetch_stage
from ingest.settings import Settings
from search import open_backend
from tests.ingest.test_pipeline import article_html
from tests.support.httpd import LocalServer, RecordedRequest, Response

HOSTS = [f"127.0.0.{n}" for n in range(2, 7)]  # each address its own politeness domain
PAGES = 5
HOLD = 0.02  # each answer is held this long, so a second request in flight would overlap visibly
HTML = {"Content-Type": "text/html; charset=utf-8"}


def site_routes(site: int, section: str = "news", pages: int = PAGES) -> dict:
    links = "".join(f'<li><a href="/{section}/{n}.html">Report {n}</a></li>' for n in range(pages))
    routes = {"/robots.txt": Response(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}),
              f"/{section}/": Response(200, f"<html><body><ul>{links}</ul></body></html>", HTML, delay=HOLD)}
    for n in range(pages):
        routes[f"/{section}/{n}.html"] = Response(
            200, article_html(f"Site {site} {section} report {n} on Shenzhen and Hong Kong", n + 1, "Shenzhen."),
            HTML, delay=HOLD)
    return routes


@contextmanager
def many_sites():
    with ExitStack() as stack:
        servers = []
        for n, host in enumerate(HOSTS):
            routes = site_routes(n)
            if n == 0:  # a second source on the first host: the per-host rule spans sources
                routes.update(site_routes(n, "events"))
            servers.append(stack.enter_context(LocalServer(routes, host=host)))
        yield servers


def overlapping(requests: list[RecordedRequest]) -> list[tuple[str, str]]:
    """Return pairs of requests to one server where the second arrived before the first was answered."""
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    pairs, busy_until, busy_path = [], 0.0, ""
    for request in ordered:
        if request.arrived_at < busy_until:
            pairs.append((busy_path, request.path))
        if request.responded_at >= busy_until:
            busy_until, busy_path = request.responded_at, request.path
    return pairs


def shortest_gap(requests: list[RecordedRequest]) -> float:
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    return min(b.arrived_at - a.responded_at for a, b in zip(ordered, ordered[1:]))


def hosts_overlapped(servers: list[LocalServer]) -> bool:
    """Tell whether requests to two different hosts were ever in flight at the same time."""
    windows = sorted((r.arrived_at, r.responded_at, s.host) for s in servers for r in s.requests)
    return any(b[0] < a[1] and a[2] != b[2] for a, b in zip(windows, windows[1:]))


def crawl_settings(tmp_path: Path, servers: list[LocalServer], **kw) -> Settings:
    lines = ["sources:"]
    for n, server in enumerate(servers):
        lines += [f"  - name: site{n}", f"    start_urls: [{server.url('/news/')}]"]
    lines += ["  - name: site0-events", f"    start_urls: [{servers[0].url('/events/')}]"]
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Settings.load(env={}, sources=str(sources), store=str(tmp_path / "store.sqlite"),
                         state_path=str(tmp_path / "state" / "state.sqlite"), archive_dir=str(tmp_path / "warc"),
                         allow_hosts=["127.0.0.0/8"], **{"retries": 0, **kw})


def article_gets(server: LocalServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in server.requests:
        if request.path.endswith(".html"):
            counts[request.path] = counts.get(request.path, 0) + 1
    return counts


def test_cli_crawl_fetches_hosts_at_once_with_one_request_in_flight_per_host(tmp_path):
    seen_pages: list[tuple[str, str]] = []
    events = CrawlEvents(page_done=lambda source, url, outcome: seen_pages.append((source, url)))
    with many_sites() as servers:
        settings = crawl_settings(tmp_path, servers, min_delay=0.05, crawl_workers=3, cpu_workers=2)
        summaries = {s.source: s for s in run_crawl(settings, events=events)}
    for server in servers:
        assert overlapping(server.requests) == [], f"{server.host} had two requests in flight"
        assert shortest_gap(server.requests) >= 0.05
        sections = ("news", "events") if server is servers[0] else ("news",)
        assert article_gets(server) == {f"/{s}/{n}.html": 1 for s in sections for n in range(PAGES)}
    assert hosts_overlapped(servers)  # the hosts really were crawled at once
    assert all(s.error is None and s.fetched == s.new == PAGES and s.failed == 0 for s in summaries.values())
    assert len(seen_pages) == len(set(seen_pages)) == PAGES * (len(HOSTS) + 1)
    with open_backend(settings.store) as backend:
        assert backend.count() == PAGES * (len(HOSTS) + 1)


def test_retry_after_on_one_host_holds_only_that_host(tmp_path):
    with many_sites() as servers:
        slow = servers[1]
        answers = iter([Response(503, "busy", {"Retry-After": "1"}), slow.routes["/news/2.html"]])
        slow.route("/news/2.html", lambda request: next(answers))
        settings = crawl_settings(tmp_path, servers, min_delay=0.0, crawl_workers=4, cpu_workers=1, retries=1)
        summaries = {s.source: s for s in run_crawl(settings)}
    statuses = [r.path for r in slow.requests if r.path == "/news/2.html"]
    assert len(statuses) == 2  # the 503, then the page after waiting
    for server in servers:
        assert overlapping(server.requests) == []
    assert summaries["site1"].fetched == PAGES and summaries["site1"].failed == 0


def test_a_fetch_batch_spanning_hosts_fetches_them_at_once(tmp_path):
    with many_sites() as servers:
        settings = crawl_settings(tmp_path, servers, min_delay=0.0, crawl_workers=4)
        urls = [server.url(f"/news/{n}.html") for server in servers for n in range(PAGES)]  # host by host
        urls_path = tmp_path / "work" / "urls.jsonl"
        urls_path.parent.mkdir()
        urls_path.write_text("".join(json.dumps({"url": u}) + "\n" for u in urls), encoding="utf-8")
        out = fetch_stage("site0", urls_path, settings, tmp_path / "work")
    for server in servers:
        assert overlapping(server.requests) == []
        assert article_gets(server) == {f"/news/{n}.html": 1 for n in range(PAGES)}
    assert hosts_overlapped(servers)
    assert out["fetched"] == len(urls) and out["failed"] == 0
    articles = [json.loads(line)["url"] for line in Path(out["path"]).read_text(encoding="utf-8").splitlines()]
    assert articles == urls  # the batch file keeps the URLs' order


def test_a_broken_registry_stops_the_crawl_before_anything_is_indexed(tmp_path, monkeypatch):
    """The extraction workers run under the registries in use: a broken one fails the source (file:line)."""
    from ingest.structure.registry import reload_registries

    with many_sites() as servers:
        settings = crawl_settings(tmp_path, servers[:1], min_delay=0.0, cpu_workers=2)
        run_crawl(settings, ["site0"])  # starts the shared extraction workers with the shipped registries
        staff = tmp_path / "registries"
        staff.mkdir()
        (staff / "people.yaml").write_text("- key: a-one\n  names: [Chan Tai Man]\n- key: a-two\n  names: [Tai Man Chan]\n",
                                           encoding="utf-8")
        monkeypatch.setenv("COOPWATCH_REGISTRY_DIR", str(staff))
        fresh = settings.model_copy(update={"store": str(tmp_path / "fresh.sqlite")})
        try:
            [summary] = run_crawl(fresh, ["site0"], refetch=True)
        finally:
            monkeypatch.delenv("COOPWATCH_REGISTRY_DIR")
            reload_registries()
    assert "people.yaml:3" in (summary.error or ""), summary.error
    with open_backend(fresh.store) as backend:
        assert backend.count() == 0
