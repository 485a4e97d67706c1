"""The bundled demo sites: served for real on 127.0.0.1 ephemeral ports and checked with requests."""

from __future__ import annotations

import gzip
import importlib.util
import io
import re
import socket
import sys
import xml.etree.ElementTree as ET
from collections import deque
from contextlib import redirect_stdout
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import yaml
from protego import Protego

from coopwatch.demo import DEMO_DIR, SITE_NAMES, DemoSites, main, render_sources

MISSING = {("pearl", "/en/news/2026/annual-report-2025.html")}
PRIVATE = ("harbour", "/private/2025/board-retreat-notes.html")
GBK_PAGE = ("donghai", "/xwdt/202412/t20241210_4052.html")
LISTINGS = {"harbour": ["/news/"], "donghai": ["/xwdt/"], "pearl": ["/en/news/", "/zh/news/"]}
NEXT_LINK = re.compile(r'<a[^>]*href="([^"]+)"[^>]*>\s*(?:Next|下一页)', re.I)
HREF = re.compile(r'<(?:a|link)\b[^>]*\bhref="([^"]+)"', re.I)
SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"', re.I)
NS = {"rss_atom": "http://www.w3.org/2005/Atom", "sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def load_builder():
    """Import demo/build_sites.py (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("demo_build_sites", DEMO_DIR / "build_sites.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sites():
    with DemoSites() as served:
        yield served


@pytest.fixture()
def http():
    session = requests.Session()
    session.trust_env = False  # never route 127.0.0.1 through an environment proxy
    yield session
    session.close()


@pytest.fixture(scope="module")
def content():
    builder = load_builder()
    return builder, builder.load_sites()


def listing_pages(http, sites, site: str, start: str) -> list[str]:
    """Follow Next/下一页 links from a listing's first page; return the pages' paths."""
    pages, path = [], start
    while path and len(pages) < 10:
        pages.append(path)
        html = http.get(sites.url(site, path)).text
        match = NEXT_LINK.search(html)
        path = match.group(1) if match else None
    return pages


def article_links(html: str) -> set[str]:
    main = html.split('class="news-list"')[-1].split('class="list"')[-1].split('class="cards"')[-1]
    main = re.split(r'class="(?:pagination|page|pager)"', main)[0]
    return {h for h in HREF.findall(main) if re.search(r"/\d{4}/|/\d{6}/", h)}


def crawl_internal_links(http, sites, site: str) -> dict[str, int]:
    """Visit every root-relative link reachable from the home and listing pages; return path -> status."""
    seen: dict[str, int] = {}
    queue = deque(["/", *LISTINGS[site]])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        response = http.get(sites.url(site, path))
        seen[path] = response.status_code
        if response.ok and response.headers["Content-Type"].startswith("text/html"):
            for ref in HREF.findall(response.content.decode("utf-8", "replace")) + SRC.findall(response.text):
                absolute = urljoin(sites.url(site, path), ref.replace("&amp;", "&"))
                parts = urlsplit(absolute)
                if absolute.startswith(sites.origins[site]) and not ref.startswith(("mailto:", "javascript:")):
                    queue.append(parts.path)
    return seen


# ------------------------------------------------------------------ listings and links


@pytest.mark.parametrize("site", SITE_NAMES)
def test_listing_pages_paginate_with_next_links(http, sites, site):
    for start in LISTINGS[site]:
        pages = listing_pages(http, sites, site, start)
        assert 2 <= len(pages) <= 3, pages
        for page in pages:
            assert http.get(sites.url(site, page)).status_code == 200


@pytest.mark.parametrize("site", SITE_NAMES)
def test_every_listed_article_resolves_except_the_intentional_404(http, sites, site):
    listed: set[str] = set()
    for start in LISTINGS[site]:
        for page in listing_pages(http, sites, site, start):
            listed |= article_links(http.get(sites.url(site, page)).text)
    assert listed
    for path in sorted(listed):
        status = http.get(sites.url(site, path)).status_code
        assert status == (404 if (site, path) in MISSING else 200), path


def test_listings_hold_all_articles_including_private_and_missing(http, sites, content):
    _, loaded = content
    for site in loaded:
        listed: set[str] = set()
        for start in LISTINGS[site.name]:
            for page in listing_pages(http, sites, site.name, start):
                listed |= article_links(http.get(sites.url(site.name, page)).text)
        assert listed == {i.path for i in site.items}
    harbour = set().union(*(article_links(http.get(sites.url("harbour", p)).text) for p in listing_pages(http, sites, "harbour", "/news/")))
    assert PRIVATE[1] in harbour


@pytest.mark.parametrize("site", SITE_NAMES)
def test_all_internal_links_resolve(http, sites, site):
    statuses = crawl_internal_links(http, sites, site)
    broken = {p: s for p, s in statuses.items() if s != 200 and (site, p) not in MISSING}
    assert not broken
    assert len(statuses) > 8


# ------------------------------------------------------------------ feeds, sitemaps, robots


def assert_served_urls(http, sites, site: str, urls: list[str]) -> None:
    assert urls
    for url in urls:
        assert url.startswith(sites.origins[site] + "/"), url
        assert http.get(url).status_code == 200, url


def test_harbour_rss_feed_is_rss2_with_absolute_urls(http, sites):
    response = http.get(sites.url("harbour", "/feed.xml"))
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    links = [item.findtext("link") for item in root.iter("item")]
    assert len(links) == 8 and PRIVATE[1] not in " ".join(links)
    assert all(item.findtext("pubDate") for item in root.iter("item"))
    assert_served_urls(http, sites, "harbour", links)


def test_pearl_atom_feed_has_both_languages_with_absolute_urls(http, sites):
    response = http.get(sites.url("pearl", "/atom.xml"))
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    entries = root.findall(f"{atom}entry")
    links = [e.find(f"{atom}link").get("href") for e in entries]
    langs = {e.get("{http://www.w3.org/XML/1998/namespace}lang") for e in entries}
    assert langs == {"en", "zh"}
    assert_served_urls(http, sites, "pearl", links)


def sitemap_locs(http, url: str) -> list[str]:
    """Return page URLs of a sitemap, following a sitemap index one level."""
    root = ET.fromstring(http.get(url).content)
    locs = [el.text for el in root.iter(f"{{{NS['sm']}}}loc")]
    if root.tag.endswith("sitemapindex"):
        return [page for child in locs for page in sitemap_locs(http, child)]
    return locs


@pytest.mark.parametrize("site", ["harbour", "donghai"])
def test_sitemaps_list_served_absolute_urls(http, sites, site):
    locs = sitemap_locs(http, sites.url(site, "/sitemap.xml"))
    assert len(locs) >= 12
    assert_served_urls(http, sites, site, locs)
    assert not any("/private/" in loc for loc in locs)


def test_robots_txt_on_every_site(http, sites):
    for site in SITE_NAMES:
        response = http.get(sites.url(site, "/robots.txt"))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "{{ORIGIN}}" not in response.text
    harbour = Protego.parse(http.get(sites.url("harbour", "/robots.txt")).text)
    assert not harbour.can_fetch(sites.url(*PRIVATE), "coopwatch")
    assert harbour.can_fetch(sites.url("harbour", "/news/"), "coopwatch")
    assert list(harbour.sitemaps) == [sites.url("harbour", "/sitemap.xml")]
    donghai = Protego.parse(http.get(sites.url("donghai", "/robots.txt")).text)
    assert donghai.crawl_delay("coopwatch") == 1


# ------------------------------------------------------------------ HTTP behaviour


def test_conditional_get_answers_304_for_etag_and_last_modified(http, sites):
    url = sites.url("harbour", "/news/")
    first = http.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    sites.clear_log()
    by_etag = http.get(url, headers={"If-None-Match": etag})
    by_date = http.get(url, headers={"If-Modified-Since": modified})
    stale = http.get(url, headers={"If-None-Match": '"something-else"'})
    assert (by_etag.status_code, by_date.status_code, stale.status_code) == (304, 304, 200)
    assert by_etag.content == b"" and by_etag.headers["ETag"] == etag
    log = sites.requests_for("harbour", "/news/")
    assert [(r.status, r.conditional) for r in log] == [(304, True), (304, True), (200, True)]


def test_etag_is_stable_and_depends_on_the_serving_origin(http, sites):
    one = http.get(sites.url("pearl", "/atom.xml")).headers["ETag"]
    assert http.get(sites.url("pearl", "/atom.xml")).headers["ETag"] == one
    with DemoSites(sites=["pearl"]) as other:
        assert http.get(other.url("pearl", "/atom.xml")).headers["ETag"] != one


def test_gzip_when_accepted_and_identity_otherwise(http, sites):
    url = sites.url("donghai", "/xwdt/")
    raw = http.get(url, headers={"Accept-Encoding": "gzip"}, stream=True).raw
    zipped = raw.read(decode_content=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    plain = http.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped) == plain.content
    assert len(zipped) < len(plain.content)
    assert http.get(url, headers={"Accept-Encoding": "gzip;q=0"}).headers.get("Content-Encoding") is None


def test_gbk_page_is_gbk_bytes_with_no_charset_header(http, sites):
    response = http.get(sites.url(*GBK_PAGE), headers={"Accept-Encoding": "identity"})
    assert response.headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("gbk")
    assert "沪澳文化交流座谈会" in text and "梁慧琪" in text
    assert b'<meta charset="gbk">' in response.content[:1024]
    utf8_page = http.get(sites.url("donghai", "/xwdt/202511/t20251119_4188.html"))
    assert utf8_page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "沪港" in utf8_page.text


def test_missing_paths_redirects_and_traversal(http, sites):
    assert http.get(sites.url("pearl", "/en/news/2026/annual-report-2025.html")).status_code == 404
    assert http.get(sites.url("harbour", "/../donghai/robots.txt")).status_code in (400, 404)
    redirect = http.get(sites.url("pearl", "/en/news"), allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"] == "/en/news/"
    head = http.head(sites.url("harbour", "/"))
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 0


def test_request_log_records_method_path_status_and_user_agent(http, sites):
    sites.clear_log()
    http.get(sites.url("donghai", "/nope.html"), headers={"User-Agent": "probe/1"})
    http.head(sites.url("donghai", "/robots.txt"))
    records = sites.requests_for("donghai")
    assert [(r.method, r.path, r.status, r.conditional) for r in records] == [
        ("GET", "/nope.html", 404, False),
        ("HEAD", "/robots.txt", 200, False),
    ]
    assert records[0].user_agent == "probe/1" and records[0].at > 0


def test_injected_failure_is_used_up(http, sites):
    sites.fail("harbour", "/feed.xml", 503, times=1, headers={"Retry-After": "2"})
    first = http.get(sites.url("harbour", "/feed.xml"))
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    assert http.get(sites.url("harbour", "/feed.xml")).status_code == 200


def test_busy_port_raises_oserror_at_construction():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            DemoSites(ports={"harbour": busy.getsockname()[1]})


def test_origins_are_distinct_loopback_urls(sites):
    origins = sites.origins
    assert list(origins) == list(SITE_NAMES)
    assert len(set(origins.values())) == 3
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+", o) for o in origins.values())


# ------------------------------------------------------------------ sources YAML


def test_render_sources_fills_every_origin(sites):
    data = yaml.safe_load(render_sources(sites.origins))
    names = [s["name"] for s in data["sources"]]
    assert names == list(SITE_NAMES)
    for source in data["sources"]:
        origin = sites.origins[source["name"]]
        for key in ("start_urls", "feeds", "sitemaps"):
            assert all(url.startswith(origin + "/") for url in source.get(key, []))
        for pattern in source.get("include", []):
            re.compile(pattern)
    with pytest.raises(ValueError, match="pearl"):
        render_sources({"harbour": "http://a", "donghai": "http://b"})


def test_include_patterns_keep_articles_and_drop_listings(content, sites):
    _, loaded = content
    data = {s["name"]: s for s in yaml.safe_load(render_sources(sites.origins))["sources"]}
    for site in loaded:
        patterns = [re.compile(p) for p in data[site.name]["include"]]
        assert all(any(p.search(i.path) for p in patterns) for i in site.items)
        assert not any(p.search(path) for p in patterns for path in ["/", *LISTINGS[site.name], "/about.html"])


def test_cli_sources_prints_yaml_for_port_base():
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["sources", "--port-base", "8701"]) == 0
    data = yaml.safe_load(out.getvalue())
    assert data["sources"][1]["start_urls"] == ["http://127.0.0.1:8702/xwdt/"]


# ------------------------------------------------------------------ content


def test_built_sites_are_up_to_date_with_content(content):
    builder, loaded = content
    expected = builder.render_all(loaded)
    on_disk = {
        p.relative_to(DEMO_DIR / "sites").as_posix(): p.read_bytes() for p in (DEMO_DIR / "sites").rglob("*") if p.is_file()
    }
    assert set(on_disk) == set(expected), "run: .venv/bin/python demo/build_sites.py"
    stale = [k for k in expected if expected[k] != on_disk[k]]
    assert not stale, f"stale demo pages {stale[:3]}; run: .venv/bin/python demo/build_sites.py"
    assert (DEMO_DIR / "articles.json").read_text(encoding="utf-8") == builder.manifest(loaded)
    assert (DEMO_DIR / "README.md").read_text(encoding="utf-8") == builder.readme(loaded)


def test_content_shape(content):
    _, loaded = content
    items = [i for s in loaded for i in s.items]
    pages = [i for i in items if i.kind != "missing"]
    assert 24 <= len(pages) <= 30
    events = [i for i in items if i.kind == "event"]
    assert len(events) >= 12
    for item in events:
        assert 3 <= len(item.paragraphs) <= 6, item.path
        assert 2 <= len(item.facts["speakers"]) <= 6, item.path
        assert item.facts["event_date"] <= item.published
    for item in items:
        if item.kind not in ("missing", "gallery"):
            assert len(item.paragraphs) >= 3, item.path
    assert {i.language for i in items} == {"en", "zh"}
    assert sum(i.kind == "future-event" for i in items) == 2


def test_demo_sources_load_with_the_project_loader(sites, tmp_path):
    from ingest.sources import load_sources

    path = tmp_path / "demo-sources.yaml"
    path.write_text(sites.sources_yaml(), encoding="utf-8")
    loaded = {s.name: s for s in load_sources(path)}
    assert list(loaded) == list(SITE_NAMES)
    assert loaded["harbour"].wants(sites.url(*PRIVATE))  # robots.txt, not include, must stop it
    assert not loaded["pearl"].wants(sites.url("pearl", "/en/news/page2.html"))


def test_starter_thinktank_sources_load_and_are_marked_unchecked():
    from ingest.sources import load_sources

    path = DEMO_DIR.parent / "sources" / "thinktanks.yaml"
    text = path.read_text(encoding="utf-8")
    sources = load_sources(path, enabled_only=False)
    assert 8 <= len(sources) <= 12
    assert "STARTING POINT" in text
    start_lines = [line for line in text.splitlines() if "http" in line and not line.lstrip().startswith("#")]
    assert all("# unchecked" in line for line in start_lines)


def test_edited_copy_serves_new_content_to_conditional_get(http, tmp_path):
    import shutil

    shutil.copytree(DEMO_DIR / "sites" / "harbour", tmp_path / "harbour")
    with DemoSites(root=tmp_path, sites=["harbour"]) as copy:
        url = copy.url("harbour", "/news/2025/hong-kong-macao-heritage-seminar.html")
        etag = http.get(url).headers["ETag"]
        page = tmp_path / "harbour" / "news/2025/hong-kong-macao-heritage-seminar.html"
        page.write_text(page.read_text(encoding="utf-8").replace("eighty", "ninety"), encoding="utf-8")
        changed = http.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag and "ninety" in changed.text
