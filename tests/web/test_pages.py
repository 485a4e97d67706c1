"""Server-rendered pages over both backends: what they show, crawled text always inert, safety headers."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.usefixtures("web_backend")


class Markup(HTMLParser):
    """Collect the elements of a page: tags with their attributes, and link targets."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def event_handlers(self) -> list[tuple[str, str]]:
        return [(tag, attr) for tag, attrs in self.tags for attr in attrs if attr.lower().startswith("on")]


def page(client, url: str, status: int = 200) -> Markup:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Markup(response.text)


def assert_inert(markup: Markup) -> None:
    """Only our own script, no event-handler attribute, no frame, no javascript: link."""
    assert markup.named("script") == [{"src": "/static/app.js", "defer": None}]
    assert markup.event_handlers() == []
    assert not markup.named("iframe") and not markup.named("img")
    assert not [a for a in markup.named("a") if (a.get("href") or "").lower().startswith("javascript:")]


def test_search_page_has_results_facets_chart_and_paging(client, web_docs):
    response = client.get("/", params={"q": "Hong Kong"})
    markup = Markup(response.text)
    assert response.status_code == 200 and "<mark>Hong</mark>" in response.text
    links = [a["href"] for a in markup.named("a")]
    assert f"/documents/{web_docs['en_forum'].id}" in links
    facet = next(h for h in links if "type=forum" in h)
    assert parse_qs(urlsplit(facet).query) == {"q": ["Hong Kong"], "type": ["forum"]}  # the URL carries the query
    assert len(markup.named("rect")) == 2  # chart bars: event reports of 2024-03 and 2025-01
    assert_inert(markup)


def test_active_facet_link_removes_the_filter(client):
    markup = page(client, "/?q=Hong+Kong&type=forum")
    active = [a for a in markup.named("a") if a.get("aria-pressed") == "true"]
    assert len(active) == 1 and parse_qs(urlsplit(active[0]["href"]).query) == {"q": ["Hong Kong"]}


def test_chinese_search_page(client):
    response = client.get("/", params={"q": "沪港"})
    assert response.status_code == 200 and "<mark>沪港</mark>" in response.text
    assert 'lang="zh"' in response.text and "第五届沪港合作论坛在上海举行" in response.text


def test_event_page_shows_fields_speakers_and_archive(client, web_docs):
    doc = web_docs["en_forum"]
    response = client.get(f"/documents/{doc.id}")
    text = response.text
    assert response.status_code == 200
    for value in ("Shanghai Exhibition Centre", "A new chapter", "Finance panel", "Shanghai Institutes for International Studies",
                  "It was held on 2024-03-08.", "President", "China Development Institute", "keynote", "moderator"):
        assert value in text, value
    markup = Markup(text)
    hrefs = [a.get("href") for a in markup.named("a")]
    assert "/people/person%3Afan-gang" in hrefs and f"/api/documents/{doc.id}/archive" in hrefs
    assert f"/documents/{web_docs['zh_forum'].id}" in hrefs  # the other report of the same event
    assert doc.url in hrefs and all(a.get("rel") == "noopener noreferrer nofollow"
                                    for a in markup.named("a") if a.get("href") == doc.url)
    assert_inert(markup)


def test_person_page_lists_events_in_time_order(client):
    text = client.get("/people/person:fan-gang").text
    assert text.index("2024-03-08") < text.index("2025-05-20")
    assert "副会长" in text and "Professor" in text and "Peking University" in text


def test_cooperation_page_draws_the_pair_matrix(client):
    markup = page(client, "/cooperation")
    circles = markup.named("circle")
    assert len(circles) == 2 * 3  # three pairs in the corpus, each drawn on both sides of the diagonal
    assert page(client, "/cooperation?since=2025&until=2025").named("circle")
    assert_inert(markup)


def test_sources_page_warns_about_quiet_sources(client):
    text = client.get("/sources").text
    assert "went quiet" in text and "thinktank-c" in text and "http 404 1" in text


@pytest.mark.parametrize("key", ["en_forum", "hostile"])
def test_crawled_text_is_escaped_on_every_page(client, web_docs, key):
    doc = web_docs[key]
    speaker_key = doc.event.speakers[0].key
    for url in (f"/documents/{doc.id}", "/?q=Hong+Kong", "/?q=hostile", f"/people/{speaker_key}", "/cooperation",
                "/?city=%3Cscript%3Ealert(6)%3C%2Fscript%3E"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.text and "<svg onload" not in response.text, url
        assert_inert(Markup(response.text))
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in client.get(f"/documents/{web_docs['hostile'].id}").text


def test_pages_send_a_csp_without_inline_script(client):
    for url in ("/", "/cooperation", "/sources", "/api/search", "/nowhere"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and headers["x-content-type-options"] == "nosniff"


def test_page_errors_are_pages_with_the_message(client):
    response = client.get("/?since=2024-99")
    assert response.status_code == 422 and "is not a date" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert client.get("/documents/zz").status_code == 422
    assert "no document with id" in client.get("/documents/" + "a" * 64).text
