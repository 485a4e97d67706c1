"""The crawl end to end against a real local server: seed report, re-crawl cost, failures, crash safety."""

from __future__ import annotations

import hashlib
from pathlib import Path

from coopwatch.run import index_stage, reprocess, run_crawl
from ingest.pipeline import discover_stage, fetch_stage, structure_stage
from ingest.settings import Settings
from ingest.state import CrawlState
from search import open_backend
from search.base import Query
from tests.support.httpd import LocalServer, Response
from tests.support.shared_data import require_shared

SEED = "seed/sass-shanghai-hong-kong-symposium-2025.html"

ARTICLE = """<html><head><title>{title}</title></head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main><h1>{title}</h1><p>Date: 2025-10-{day:02d}</p>{paras}</main><footer>Copyright Example Institute</footer></body></html>"""


def article_html(title: str, day: int, words: str) -> str:
    paras = "".join(f"<p>{words} Paragraph {i} adds detail on cooperation between the two cities, "
                    f"the people who spoke and what they proposed for next year.</p>" for i in range(4))
    return ARTICLE.format(title=title, day=day, paras=paras)


def etag_route(body: str, content_type: str = "text/html; charset=utf-8"):
    """A route answering conditional GETs with 304 when the ETag matches."""
    data = body.encode("utf-8")
    etag = '"' + hashlib.sha1(data).hexdigest() + '"'

    def handler(request):
        if request.header("If-None-Match") == etag:
            return Response(304, b"", {"ETag": etag})
        return Response(200, data, {"Content-Type": content_type, "ETag": etag})

    return handler


def make_site(extra: dict | None = None) -> dict:
    links = "".join(f'<li><a href="/news/{n}.html">Story {n}</a></li>' for n in range(1, 4))
    routes = {
        "/robots.txt": Response(200, "User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}),
        "/news/": etag_route(f'<html><body><ul>{links}<li><a href="/private/x.html">secret</a></li>'
                             f'<li><a href="/news/missing.html">gone</a></li><li><a href="/news/gallery.html">pics</a></li>'
                             f'</ul><a href="/news/?page=2">Next</a></body></html>'),
        "/news/?page=2": etag_route('<html><body><a href="/news/4.html">Story 4</a></body></html>'),
        "/news/gallery.html": etag_route("<html><body><img src='a.jpg'><img src='b.jpg'></body></html>"),
    }
    for n in range(1, 5):
        routes[f"/news/{n}.html"] = etag_route(article_html(f"Hong Kong and Shenzhen story {n}", n, "Shenzhen Hong Kong."))
    routes.update(extra or {})
    return routes


def stored_count(store: str) -> int:
    """Return how many documents the store at ``store`` holds."""
    with open_backend(store) as backend:
        return backend.count()


def settings_for(tmp_path: Path, server: LocalServer, **kw) -> Settings:
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: site\n    start_urls: [{server.url('/news/')}]\n"
                       f"    include: ['/(news|private)/']\n", encoding="utf-8")
    return Settings.load(env={}, sources=str(sources), store=str(tmp_path / "store.sqlite"),
                         state_path=str(tmp_path / "state.sqlite"), archive_dir=str(tmp_path / "warc"),
                         allow_hosts=["127.0.0.1"], min_delay=0.0, retries=0, **kw)


def test_crawl_indexes_articles_and_records_failures_with_reasons(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        [summary] = run_crawl(settings)
        assert summary.error is None
        assert summary.discovered == 7  # 4 stories, private, missing, gallery
        assert summary.new == 4 and summary.fetched == 4
        assert summary.failures == {"robots": 1, "http": 1, "extract": 1}
        assert not server.requests_for("/private/x.html")  # disallowed by robots.txt: never requested
        missing, gallery = server.url("/news/missing.html"), server.url("/news/gallery.html")
    with open_backend(settings.store) as backend:
        assert backend.count() == 4
        assert backend.search(Query(text="Shenzhen")).total == 4
    with CrawlState(settings.state_path) as state:
        assert state.get(missing).reason.startswith("http: 404")
        assert state.get(gallery).reason.startswith("extract: ")


def test_recrawl_sends_only_conditional_requests_and_writes_no_duplicates(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        server.clear()
        [again] = run_crawl(settings)
        article_requests = [r for r in server.requests if r.bare_path.startswith("/news/") and r.bare_path.endswith(".html")
                            and "missing" not in r.path]
        assert article_requests and all(r.header("If-None-Match") for r in article_requests)
        assert again.fetched == 0 and again.new == 0 and again.not_modified == 5  # 4 stories + gallery
    assert stored_count(settings.store) == 4


def test_changed_page_is_updated_not_duplicated(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        server.route("/news/2.html", etag_route(article_html("Hong Kong and Shenzhen story 2", 2, "Revised text.")))
        [again] = run_crawl(settings)
        assert again.fetched == 1 and again.updated == 1 and again.new == 0
    with open_backend(settings.store) as backend:
        assert backend.count() == 4 and backend.search(Query(text="Revised")).total == 1


def test_crash_between_fetch_and_index_loses_nothing(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        work = tmp_path / "work"
        found = discover_stage("site", settings, work)
        fetch_stage("site", found["path"], settings, work, 0, found["count"])
        # the process dies here: nothing indexed. The next full run must fetch and index everything.
        [summary] = run_crawl(settings)
        assert summary.fetched == 4 and summary.new == 4
    assert stored_count(settings.store) == 4


def test_rerunning_a_stage_is_idempotent(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        work = tmp_path / "work"
        found = discover_stage("site", settings, work)
        fetched = fetch_stage("site", found["path"], settings, work, 0, found["count"])
        docs = structure_stage(fetched["path"])
        first = index_stage([docs["path"]], settings.store, settings.state_path)
        second = index_stage([docs["path"]], settings.store, settings.state_path)  # a retried task
        assert (first["new"], second["new"], second["unchanged"]) == (4, 0, 4)
    assert stored_count(settings.store) == 4


def test_reprocess_reads_the_archive_without_fetching(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        server.clear()
        Path(settings.store).unlink()
        counts = reprocess(settings)
        assert server.requests == []
    assert counts["new"] == 4 and counts["no_article"] == 1
    assert stored_count(settings.store) == 4


def test_one_failing_source_does_not_stop_the_others(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        sources = Path(settings.sources)
        sources.write_text(sources.read_text() + "  - name: down\n    start_urls: [http://127.0.0.1:9/news/]\n")
        summaries = {s.source: s for s in run_crawl(settings)}
    assert summaries["site"].new == 4
    down = summaries["down"]  # nothing answers there: the run failed (not ok), and the summary says why
    assert down.discovered == 0 and down.failed == 1
    assert "no start page could be read (listing: robots: unavailable (connection:" in down.failure
    assert "is the site up" in down.failure


def test_seed_report_is_indexed_and_found_by_speaker(tmp_path):
    seed = require_shared(SEED, "the seed report test")
    routes = {"/robots.txt": Response(404, "", {}),
              "/news/": Response(200, '<html><body><a href="/news/2025-11/symposium.html">Symposium</a></body></html>',
                                 {"Content-Type": "text/html"}),
              "/news/2025-11/symposium.html": etag_route(seed.read_text(encoding="utf-8"))}
    with LocalServer(routes) as server:
        settings = settings_for(tmp_path, server)
        [summary] = run_crawl(settings)
        assert summary.new == 1
    with open_backend(settings.store) as backend:
        result = backend.search(Query(text="Fan Gang"))
        assert result.total == 1 and "Symposium" in result.hits[0].title


def test_crawl_into_a_new_store_fetches_in_full_and_indexes_everything(tmp_path):
    """Validators belong to the store the documents went into: a fresh store gets every document."""
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        fresh = settings.model_copy(update={"store": str(tmp_path / "fresh.sqlite")})
        [summary] = run_crawl(fresh)
        assert summary.fetched == 4 and summary.new == 4
        [again] = run_crawl(fresh)  # and then that store is current: conditional requests only
        assert again.fetched == 0 and again.not_modified == 5
    assert stored_count(fresh.store) == 4


def test_refetch_ignores_stored_validators(tmp_path):
    with LocalServer(make_site()) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        server.clear()
        [summary] = run_crawl(settings, refetch=True)
        assert len(server.requests_for("/news/1.html")) == 1  # pages were asked for again, in full
        assert not any(r.header("If-None-Match") for r in server.requests)
        assert summary.new == 0 and summary.unchanged == 4  # fetched in full, nothing rewritten


def test_reprocess_keys_redirected_pages_by_the_url_that_was_asked_for(tmp_path):
    """A page reached through a redirect is stored under the discovered URL; reprocess must not add a second copy."""
    site = make_site({"/news/3.html": Response(301, "", {"Location": "/moved/3.html"}),
                      "/moved/3.html": etag_route(article_html("Hong Kong and Shenzhen story 3", 3, "Moved."))})
    with LocalServer(site) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        counts = reprocess(settings)
    assert counts["new"] == 0 and counts["unchanged"] == 4
    assert stored_count(settings.store) == 4


def test_unchanged_page_without_validators_is_recognised_by_its_body_hash(tmp_path):
    plain = Response(200, article_html("Hong Kong and Shenzhen story 1", 1, "Shenzhen Hong Kong."),
                     {"Content-Type": "text/html; charset=utf-8"})  # no ETag, no Last-Modified
    with LocalServer(make_site({"/news/1.html": plain})) as server:
        settings = settings_for(tmp_path, server)
        run_crawl(settings)
        server.clear()
        [again] = run_crawl(settings)
        [request] = server.requests_for("/news/1.html")
        assert request.header("If-None-Match") is None and request.header("If-Modified-Since") is None
        assert again.fetched == 0 and again.new == 0 and again.not_modified == 5
        url = server.url("/news/1.html")
    with CrawlState(settings.state_path) as state:
        assert state.get(url).status == "not_modified"
    assert stored_count(settings.store) == 4
