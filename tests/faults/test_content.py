"""Faults in what pages, feeds and sitemaps contain: huge or odd HTML, mislabelled text, hostile XML."""

from __future__ import annotations

import gzip
import os
import signal
import threading
import time

from coopwatch.run import run_crawl
from ingest.extract import ExtractionError
from ingest.worker import PageWorker
from tests.faults.support import HTML, article_html, crawl_settings, last_run, make_site, stored_urls
from tests.support.httpd import Response

XML = {"Content-Type": "application/xml"}


def many_paragraphs(count: int) -> str:
    return "<html><body><article>" + "".join(f"<p>word {i} here</p>" for i in range(count)) + "</article></body></html>"


def big_table(rows: int) -> str:
    cells = "".join(f"<tr><td>{i}</td><td>cell {i}</td><td>more {i}</td></tr>" for i in range(rows))
    return f"<html><body><table>{cells}</table></body></html>"


def test_page_that_holds_the_extractor_is_stopped_and_the_crawl_goes_on(fault, server, tmp_path):
    """A page of 60,000 short paragraphs (trafilatura: minutes) is stopped at the extraction deadline; the next page is stored."""
    fault.expect("'extract: timeout ...' for the huge page; every other page stored; run ok")
    site = make_site(server, count=3)
    server.route("/news/a1.html", Response(200, many_paragraphs(60_000), HTML))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], extract_timeout=1.5)
    [summary] = run_crawl(settings)
    stored = stored_urls(settings.store)
    from ingest.state import CrawlState

    with CrawlState(settings.state_path) as state:
        reason = state.get(server.url("/news/a1.html")).reason
    fault.saw(f"reason {reason!r}; stored {len(stored)}; failures {summary.failures}; ok={summary.ok}")
    assert reason.startswith("extract: timeout")
    assert sorted(stored) == [server.url("/news/a0.html"), server.url("/news/a2.html")] and summary.ok


def test_page_that_needs_too_much_memory_is_refused(fault, tmp_path):
    """A 60,000-row table past the worker's memory cap gives 'extract: too large' and the worker serves the next page."""
    fault.expect("'too large: ...' for the table; the next page extracted by a replacement worker")
    with PageWorker(timeout=120, memory_mb=100) as worker:
        try:
            worker.extract(big_table(60_000), "http://t.example/table", "t")
            outcome = "extracted"
        except ExtractionError as exc:
            outcome = str(exc)
        article = worker.extract(article_html("After"), "http://t.example/after", "t")
        restarts = worker.restarts
    fault.saw(f"{outcome!r}; next page title {article.title!r}; worker restarts {restarts}")
    assert outcome.startswith("too large") and article.title == "After" and restarts == 1


def test_worker_killed_from_outside_is_replaced(fault):
    """An extraction process killed by the system mid-page is reported for that page and replaced for the next."""
    fault.expect("the page in progress fails with a reason; the next page is extracted")
    with PageWorker(timeout=60, memory_mb=512) as worker:
        worker.extract(article_html("Warm"), "http://t.example/w", "t")
        pid = worker._proc.pid
        threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
        try:
            worker.extract(many_paragraphs(40_000), "http://t.example/slow", "t")
            outcome = "extracted"
        except ExtractionError as exc:
            outcome = str(exc)
        article = worker.extract(article_html("Next"), "http://t.example/n", "t")
    fault.saw(f"{outcome!r}; next: {article.title!r}")
    assert "SIGKILL" in outcome and article.title == "Next"


def test_empty_and_binary_looking_pages_get_reasons(fault, server, tmp_path):
    """An empty 200 page and a page of NUL bytes labelled text/html are recorded with reasons, not stored."""
    fault.expect("'extract: ...' reasons for both; the good page stored")
    site = make_site(server, count=3)
    server.route("/news/a0.html", Response(200, b"", HTML))
    server.route("/news/a1.html", Response(200, b"<html>\x00\x00\x00" + b"\xff" * 500, HTML))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    from ingest.state import CrawlState

    with CrawlState(settings.state_path) as state:
        reasons = [state.get(server.url(p)).reason for p in ("/news/a0.html", "/news/a1.html")]
    fault.saw(f"reasons {reasons}; stored {stored_urls(settings.store)}")
    assert all(r and r.startswith(("extract: ", "content-type: ")) for r in reasons)
    assert stored_urls(settings.store) == [server.url("/news/a2.html")]


def test_deeply_nested_html(fault, server, tmp_path):
    """HTML nested 50,000 elements deep neither crashes the crawl nor hangs it."""
    fault.expect("a reason or an article for the nested page; the other pages stored; run finishes")
    site = make_site(server, count=2)
    server.route("/news/a0.html", Response(200, "<div>" * 50_000 + "deep" + "</div>" * 50_000, HTML))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], extract_timeout=10)
    [summary] = run_crawl(settings)
    fault.saw(f"error={summary.error}; failures {summary.failures}; stored {len(stored_urls(settings.store))}")
    assert summary.error is None and server.url("/news/a1.html") in stored_urls(settings.store)


def test_cp1252_text_labelled_utf8(fault, server, tmp_path):
    """A page in Windows-1252 whose header says UTF-8 is stored as 'naïve café', not 'naďve'."""
    fault.expect("stored text contains 'naïve café' and 'déjà vu'")
    site = make_site(server, count=1)
    body = article_html("Naïve café", 0, "<p>A naïve café owner spoke of déjà vu at the façade.</p>").encode("cp1252")
    server.route("/news/a0.html", Response(200, body, {"Content-Type": "text/html; charset=utf-8"}))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    from search import open_backend

    with open_backend(settings.store) as backend:
        doc = next(iter(backend.iter_documents()))
    fault.saw(f"title {doc.title!r}; text has naïve café: {'naïve café' in doc.text}")
    assert "naïve café" in doc.text and "déjà vu" in doc.text and "ď" not in doc.text


def test_gzipped_sitemap_is_read(fault, server, tmp_path):
    """A sitemap served as .xml.gz with application/x-gzip gives its URLs."""
    fault.expect("the three article URLs discovered and stored")
    site = make_site(server, count=3)
    urls = "".join(f"<url><loc>{server.url(p)}</loc></url>" for p in site.articles)
    xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    server.route("/sitemap.xml.gz", Response(200, gzip.compress(xml.encode()), {"Content-Type": "application/x-gzip"}))
    server.route("/empty/", Response(200, "<html><body>nothing</body></html>", HTML))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [server.url("/empty/")],
                                          "sitemaps": [server.url("/sitemap.xml.gz")]}])
    [summary] = run_crawl(settings)
    fault.saw(f"discovered {summary.discovered}, new {summary.new}, failures {summary.failures}")
    assert summary.discovered == 3 and summary.new == 3


def test_gzipped_sitemap_bomb(fault, server, tmp_path):
    """A gzipped sitemap that inflates past 50 MB is refused with a reason; the crawl goes on."""
    fault.expect("discovery failure 'sitemap: gzipped sitemap inflates to more than ...'; run finishes")
    bomb = gzip.compress(b"<urlset>" + b" " * 60_000_000, compresslevel=9)
    server.route("/bomb.xml.gz", Response(200, bomb, {"Content-Type": "application/gzip"}))
    site = make_site(server, count=1)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing],
                                          "sitemaps": [server.url("/bomb.xml.gz")]}])
    [summary] = run_crawl(settings)
    fault.saw(summary.discovery_failures)
    assert any("inflates to more than" in r for r in summary.discovery_failures) and summary.new == 1


def test_feed_with_an_entity_expansion_bomb(fault, server, tmp_path):
    """An RSS feed with a billion-laughs DTD is refused unparsed, with the reason in the run record."""
    fault.expect("discovery failure 'feed: unsafe XML refused ...' in the run record")
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
           '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><rss><channel><item><link>&lol3;</link></item></channel></rss>')
    server.route("/feed.xml", Response(200, lol, {"Content-Type": "application/rss+xml"}))
    site = make_site(server, count=1)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing],
                                          "feeds": [server.url("/feed.xml")]}])
    run_crawl(settings)
    recorded = last_run(settings, "site")["counts"]["discovery_failures"]
    fault.saw(recorded)
    assert any(r.startswith("feed: unsafe XML refused") for r in recorded)


def test_sitemap_with_an_external_entity(fault, server, tmp_path):
    """A sitemap that tries to read /etc/passwd through an external entity is refused."""
    fault.expect("'sitemap: unsafe XML refused ...'; nothing discovered from it")
    xxe = ('<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<urlset><url><loc>&x;</loc></url></urlset>')
    server.route("/sitemap.xml", Response(200, xxe, XML))
    server.route("/empty/", Response(200, "<html><body>nothing</body></html>", HTML))
    server.route("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [server.url("/empty/")],
                                          "sitemaps": [server.url("/sitemap.xml")]}])
    [summary] = run_crawl(settings)
    fault.saw(summary.discovery_failures)
    assert any(r.startswith("sitemap: unsafe XML refused") for r in summary.discovery_failures)
    assert summary.discovered == 0


def test_sitemap_index_that_points_at_itself(fault, server, tmp_path):
    """A sitemap index listing itself and endless children stops after a bounded number of sitemaps."""
    fault.expect("at most 20 sitemap requests; the crawl finishes")

    def index(request):
        n = int(request.path.rsplit("-", 1)[-1].split(".")[0]) if "-" in request.path else 0
        children = "".join(f"<sitemap><loc>{server.url(f'/sm-{n * 3 + k}.xml')}</loc></sitemap>" for k in range(1, 4))
        return Response(200, f"<sitemapindex><sitemap><loc>{server.url(request.path)}</loc></sitemap>{children}"
                             "</sitemapindex>", XML)

    server.route("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}))
    server.route("/empty/", Response(200, "<html><body>nothing</body></html>", HTML))
    for n in range(200):
        server.route(f"/sm-{n}.xml", index)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [server.url("/empty/")],
                                          "sitemaps": [server.url("/sm-0.xml")]}])
    started = time.monotonic()
    run_crawl(settings)
    sitemap_requests = len([r for r in server.requests if r.path.startswith("/sm-")])
    fault.saw(f"{sitemap_requests} sitemap requests in {time.monotonic() - started:.1f} s")
    assert sitemap_requests <= 20


def test_malformed_feed(fault, server, tmp_path):
    """A feed that is not well-formed XML is a named discovery failure; listing pages still work."""
    fault.expect("'feed: not well-formed XML ...' recorded; the listing's article stored")
    server.route("/feed.xml", Response(200, "<rss><channel><item><link>http://x/</link></item>", XML))
    site = make_site(server, count=1)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing],
                                          "feeds": [server.url("/feed.xml")]}])
    [summary] = run_crawl(settings)
    fault.saw(f"{summary.discovery_failures}; new {summary.new}")
    assert any(r.startswith("feed: not well-formed XML") for r in summary.discovery_failures) and summary.new == 1
