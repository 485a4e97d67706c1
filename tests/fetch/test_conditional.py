"""Rule 11: conditional GET with If-None-Match / If-Modified-Since; 304 is a successful not-modified Page."""

from __future__ import annotations

from datetime import datetime

from tests.support.httpd import LocalServer, RecordedRequest, Response

ETAG = '"v42"'
LAST_MODIFIED = "Tue, 03 Nov 2026 10:00:00 GMT"


def validating_route(request: RecordedRequest) -> Response:
    """Answer 304 when the client already holds the current version, else the page with validators."""
    if request.header("If-None-Match") == ETAG or request.header("If-Modified-Since") == LAST_MODIFIED:
        return Response(304, "", {"ETag": ETAG})
    return Response(200, "<p>report</p>", {"Content-Type": "text/html", "ETag": ETAG, "Last-Modified": LAST_MODIFIED})


def test_r11_first_fetch_returns_validators_and_sends_none(server: LocalServer, make_fetcher) -> None:
    server.route("/report", validating_route)
    page = make_fetcher().fetch(server.url("/report"))
    assert page.ok and page.status == 200 and not page.not_modified
    assert (page.etag, page.last_modified) == (ETAG, LAST_MODIFIED)
    request = server.requests_for("/report")[0]
    assert request.header("If-None-Match") is None and request.header("If-Modified-Since") is None


def test_r11_conditional_headers_sent_and_304_is_not_modified(server: LocalServer, make_fetcher) -> None:
    server.route("/report", validating_route)
    page = make_fetcher().fetch(server.url("/report"), etag=ETAG, last_modified=LAST_MODIFIED)
    assert page.not_modified and page.status == 304 and page.ok and page.error is None
    assert page.body == b"" and page.text is None
    assert (page.etag, page.last_modified) == (ETAG, LAST_MODIFIED)  # kept when the 304 omits one
    request = server.requests_for("/report")[0]
    assert request.header("If-None-Match") == ETAG
    assert request.header("If-Modified-Since") == LAST_MODIFIED


def test_r11_only_last_modified_known(server: LocalServer, make_fetcher) -> None:
    server.route("/report", validating_route)
    page = make_fetcher().fetch(server.url("/report"), last_modified=LAST_MODIFIED)
    assert page.not_modified and page.etag == ETAG
    assert server.requests_for("/report")[0].header("If-None-Match") is None


def test_r11_changed_page_answers_200(server: LocalServer, make_fetcher) -> None:
    server.route("/report", validating_route)
    page = make_fetcher().fetch(server.url("/report"), etag='"old"')
    assert page.status == 200 and not page.not_modified and page.etag == ETAG


def test_page_fields_filled(server: LocalServer, make_fetcher) -> None:
    server.route("/old", Response(301, "", {"Location": "/new"}))
    server.route("/new", Response(200, "<p>new</p>", {"Content-Type": "text/html; charset=utf-8", "X-Extra": "1"}))
    page = make_fetcher().fetch(server.url("/old"))
    assert page.url == server.url("/old") and page.final_url == server.url("/new")
    assert page.status == 200 and page.content_type == "text/html" and page.encoding == "utf-8"
    assert page.body == b"<p>new</p>" and page.text == "<p>new</p>" and page.headers["X-Extra"] == "1"
    stamp = datetime.fromisoformat(page.fetched_at)
    assert stamp.utcoffset().total_seconds() == 0


def test_error_page_fields(server: LocalServer, make_fetcher) -> None:
    server.route("/gone", Response(404, "missing", {"Content-Type": "text/plain"}))
    page = make_fetcher().fetch(server.url("/gone"))
    assert (page.status, page.error, page.ok) == (404, "http: 404", False)
    assert page.headers["Content-Type"] == "text/plain" and page.fetched_at


def test_too_many_redirects(server: LocalServer, make_fetcher) -> None:
    server.route("/loop", Response(302, "", {"Location": "/loop"}))
    page = make_fetcher().fetch(server.url("/loop"))
    assert page.error == "redirect: more than 5 redirects"
    assert len(server.requests_for("/loop")) == 6  # the first request and five redirects followed
