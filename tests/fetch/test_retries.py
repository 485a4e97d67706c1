"""Rules 4 and 5: Retry-After honoured or the host deferred; bounded exponential backoff for 5xx/timeouts."""

from __future__ import annotations

import re
import time
from email.utils import formatdate

from tests.fetch.conftest import free_port, gaps
from tests.support.httpd import LocalServer, RecordedRequest, Response

HTML = {"Content-Type": "text/html"}


def flaky(*answers: Response):
    """Return a route handler giving the answers in turn, then repeating the last one."""
    queue = list(answers)

    def handler(_request: RecordedRequest) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_r4_retry_after_seconds_waited_then_retried(server: LocalServer, make_fetcher) -> None:
    server.route("/busy", flaky(Response(503, "busy", {"Retry-After": "1"}), Response(200, "<p>ok</p>", HTML)))
    page = make_fetcher(retries=2).fetch(server.url("/busy"))
    assert page.ok and page.text == "<p>ok</p>"
    attempts = server.requests_for("/busy")
    assert len(attempts) == 2
    assert attempts[1].arrived_at - attempts[0].responded_at >= 0.9


def test_r4_429_retry_after_honoured(server: LocalServer, make_fetcher) -> None:
    server.route("/rate", flaky(Response(429, "slow down", {"Retry-After": "0"}), Response(200, "<p>ok</p>", HTML)))
    assert make_fetcher(retries=1).fetch(server.url("/rate")).ok
    assert len(server.requests_for("/rate")) == 2


def test_r4_retry_after_http_date_too_long_defers_the_host(server: LocalServer, make_fetcher) -> None:
    later = formatdate(time.time() + 3600, usegmt=True)
    server.route("/a", Response(503, "maintenance", {"Retry-After": later}))
    server.route("/b", Response(200, "<p>b</p>", HTML))
    fetcher = make_fetcher(retries=2, max_retry_after=300)
    first = fetcher.fetch(server.url("/a"))
    assert re.fullmatch(r"deferred: host asked to wait 3\d{3}s \(Retry-After\); not contacted before \S+Z",
                        first.error or "")
    assert first.status == 503
    second = fetcher.fetch(server.url("/b"))
    assert second.error == first.error and second.status == 0
    assert [r.path for r in server.requests] == ["/robots.txt", "/a"]  # no wait, no retry, nothing after
    assert fetcher.is_deferred(server.url("/c"))


def test_r4_retry_after_seconds_over_limit_defers(server: LocalServer, make_fetcher) -> None:
    server.route("/a", Response(429, "later", {"Retry-After": "120"}))
    page = make_fetcher(retries=2, max_retry_after=60).fetch(server.url("/a"))
    assert page.error.startswith("deferred: host asked to wait 120s (Retry-After); not contacted before ")
    assert len(server.requests_for("/a")) == 1


def test_r4_retry_after_still_asked_when_retries_run_out_defers(server: LocalServer, make_fetcher) -> None:
    server.route("/a", Response(503, "busy", {"Retry-After": "0"}))
    fetcher = make_fetcher(retries=1)
    assert fetcher.fetch(server.url("/a")).error.startswith("deferred: host asked to wait 0s (Retry-After)")
    assert len(server.requests_for("/a")) == 2
    assert fetcher.fetch(server.url("/other")).error.startswith("deferred: ")
    assert fetcher.stats[server.netloc] == 3


def test_r4_deferral_is_per_host(make_fetcher) -> None:
    with LocalServer({"/": Response(503, "x", {"Retry-After": "9999"})}) as busy, \
         LocalServer({"/": Response(200, "<p>fine</p>", HTML)}) as calm:
        fetcher = make_fetcher()
        assert fetcher.fetch(busy.url("/")).error.startswith("deferred: ")
        assert fetcher.fetch(calm.url("/")).ok


def test_r5_5xx_retried_with_exponential_backoff(server: LocalServer, make_fetcher) -> None:
    server.route("/err", Response(500, "boom"))
    page = make_fetcher(retries=2, backoff=0.1).fetch(server.url("/err"), check_robots=False)
    assert page.error == "http: 500" and page.status == 500
    attempts = server.requests_for("/err")
    assert len(attempts) == 3
    first_gap, second_gap = gaps(attempts)
    assert first_gap >= 0.1 * 0.9 and second_gap >= 0.2 * 0.9


def test_r5_recovers_after_transient_5xx(server: LocalServer, make_fetcher) -> None:
    server.route("/x", flaky(Response(502, "bad gateway"), Response(200, "<p>x</p>", HTML)))
    assert make_fetcher(retries=2, backoff=0.01).fetch(server.url("/x")).ok
    assert len(server.requests_for("/x")) == 2


def test_r5_4xx_not_retried(server: LocalServer, make_fetcher) -> None:
    server.route("/gone", Response(410, "gone"))
    page = make_fetcher(retries=3, backoff=0.01).fetch(server.url("/gone"))
    assert page.error == "http: 410" and page.status == 410 and not page.ok
    assert len(server.requests_for("/gone")) == 1
    assert make_fetcher(retries=3).fetch(server.url("/missing")).error == "http: 404"


def test_r5_timeouts_retried(server: LocalServer, make_fetcher) -> None:
    server.route("/slow", Response(200, "<p>late</p>", HTML, delay=0.6))
    page = make_fetcher(retries=1, backoff=0.01, read_timeout=0.2).fetch(server.url("/slow"), check_robots=False)
    assert page.error == "timeout: read took longer than 0.2s"
    assert len(server.requests_for("/slow")) == 2


def test_r5_connection_errors_retried(make_fetcher) -> None:
    port = free_port()
    fetcher = make_fetcher(retries=2, backoff=0.01)
    page = fetcher.fetch(f"http://127.0.0.1:{port}/", check_robots=False)
    assert page.error.startswith("connection: ") and "refused" in page.error.lower()
    assert fetcher.stats[f"127.0.0.1:{port}"] == 3
