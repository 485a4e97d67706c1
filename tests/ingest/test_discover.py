"""Discovery: canonical URLs, listing links and pagination, feeds and sitemaps parsed safely."""

import pytest

from ingest.discover.feeds import FeedError, feed_links, sitemap_links
from ingest.discover.links import extract_links, find_next_page
from ingest.discover.urls import canonicalize_url


@pytest.mark.parametrize("raw, expected", [
    ("HTTP://Example.COM:80/a/b?utm_source=x&id=3&fbclid=1#frag", "http://example.com/a/b?id=3"),
    ("https://ex.org:443/News/?b=2&a=1", "https://ex.org/News/?a=1&b=2"),
    ("https://ex.org/a/../b/./c.html", "https://ex.org/b/c.html"),
    ("https://ex.org/list/#top", "https://ex.org/list/"),
])
def test_canonical_form_drops_tracking_fragment_default_port_and_case(raw, expected):
    assert canonicalize_url(raw) == expected


def test_relative_links_resolve_and_non_http_is_refused():
    assert canonicalize_url("../x.html", "http://h.org:8080/news/p/") == "http://h.org:8080/news/x.html"
    for bad in ("mailto:a@b.org", "javascript:void(0)", "ftp://h.org/file", "data:text/html,hi"):
        assert canonicalize_url(bad, "http://h.org/") is None


LISTING = """<html><head><base href="/news/"></head><body>
<nav><a href="/">Home</a><a href="/about/">About</a></nav>
<ul><li><a href="2025/a.html?utm_medium=rss">A</a></li><li><a href="2025/a.html#comments">A again</a></li>
<li><a href="http://other.org/b.html">elsewhere</a></li><li><a href="/files/report.pdf">PDF</a></li></ul>
<div class="pager"><a href="?page=2">下一页</a></div></body></html>"""


def test_listing_links_are_canonical_same_host_and_unique():
    links = extract_links(LISTING, "http://h.org/news/")
    assert "http://h.org/news/2025/a.html" in links
    assert links.count("http://h.org/news/2025/a.html") == 1
    assert not any("other.org" in u or u.endswith(".pdf") for u in links)
    assert links == ["http://h.org/", "http://h.org/about/", "http://h.org/news/2025/a.html",
                     "http://h.org/news/?page=2"]  # document order, relative links resolved against <base>


def test_next_page_by_rel_text_or_selector():
    assert find_next_page(LISTING, "http://h.org/news/") == "http://h.org/news/?page=2"
    rel = '<html><head><link rel="next" href="/news/p3"></head><body><a href="/news/p3">3</a></body></html>'
    assert find_next_page(rel, "http://h.org/news/p2") == "http://h.org/news/p3"
    custom = '<html><body><a class="more" href="/older">Load</a></body></html>'
    assert find_next_page(custom, "http://h.org/", "a.more") == "http://h.org/older"
    assert find_next_page("<html><body>no pager</body></html>", "http://h.org/") is None


def test_rss_and_atom_entries():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>http://h.org/news/a.html?utm_source=rss</link></item>
      <item><guid isPermaLink="true">http://h.org/news/b.html</guid></item></channel></rss>"""
    assert feed_links(rss, "http://h.org/feed.xml") == ["http://h.org/news/a.html", "http://h.org/news/b.html"]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="self" href="/api/1"/>
      <link rel="alternate" href="/news/c.html"/></entry></feed>"""
    assert feed_links(atom, "http://h.org/atom.xml") == ["http://h.org/news/c.html"]


def test_sitemap_and_sitemap_index():
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://h.org/news/a.html</loc></url><url><loc> http://h.org/news/b.html </loc></url></urlset>"""
    assert sitemap_links(urlset, "http://h.org/sitemap.xml").pages == ["http://h.org/news/a.html", "http://h.org/news/b.html"]
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://h.org/s1.xml</loc></sitemap></sitemapindex>"""
    links = sitemap_links(index, "http://h.org/sitemap.xml")
    assert links.sitemaps == ["http://h.org/s1.xml"] and links.pages == []


def test_entity_expansion_is_refused():
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
      <rss><channel><item><link>&lol2;</link></item></channel></rss>"""
    with pytest.raises(FeedError, match="unsafe XML refused"):
        feed_links(laughs, "http://h.org/feed")
    external = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><urlset>&xxe;</urlset>"""
    with pytest.raises(FeedError):
        sitemap_links(external, "http://h.org/s.xml")


def test_broken_xml_is_a_clear_error():
    with pytest.raises(FeedError, match="not well-formed"):
        feed_links(b"<rss><channel>", "http://h.org/feed")
