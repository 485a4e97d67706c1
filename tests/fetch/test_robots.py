"""Rule 2: robots.txt per RFC 9309, parsed with protego, cached per origin per Fetcher."""

from __future__ import annotations

from ingest.fetch.robots import product_token
from tests.fetch.conftest import TEST_UA, free_port
from tests.support.httpd import LocalServer, Response

HTML = {"Content-Type": "text/html"}
ROBOTS = """\
User-agent: *
Disallow: /private
Allow: /private/open

User-agent: github
Disallow: /
"""


def pages(server: LocalServer, *paths: str) -> None:
    for path in paths:
        server.route(path, Response(200, f"<p>{path}</p>", HTML))


def test_r2_disallowed_path_refused_without_request(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, ROBOTS, {"Content-Type": "text/plain"}))
    pages(server, "/public", "/private/doc", "/private/open/doc")
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/public")).ok
    refused = fetcher.fetch(server.url("/private/doc"))
    assert refused.error == "robots: disallowed" and refused.status == 0
    assert fetcher.fetch(server.url("/private/open/doc")).ok
    assert server.requests_for("/private/doc") == []
    assert fetcher.robots_allows(server.url("/public"))
    assert not fetcher.robots_allows(server.url("/private/x"))


def test_r2_groups_match_the_crawler_name_not_words_of_its_contact_url(server: LocalServer, make_fetcher) -> None:
    assert product_token(TEST_UA) == "coopwatch-test"
    server.route("/robots.txt", Response(200, "User-agent: coopwatch-test\nDisallow: /only-us\n\n" + ROBOTS))
    pages(server, "/only-us", "/private/doc", "/open")
    fetcher = make_fetcher(user_agent="coopwatch-test/1.0 (+https://github.com/coopwatch/coopwatch)")
    assert fetcher.fetch(server.url("/open")).ok  # the "github" group does not apply to us
    assert fetcher.fetch(server.url("/only-us")).error == "robots: disallowed"
    assert fetcher.fetch(server.url("/private/doc")).ok  # our own group replaces the * group


def test_r2_robots_fetched_once_per_origin_and_counted(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, ROBOTS))
    pages(server, "/a", "/b", "/c")
    fetcher = make_fetcher()
    for path in ("/a", "/b", "/c", "/private/x"):
        fetcher.fetch(server.url(path))
    assert len(server.requests_for("/robots.txt")) == 1
    assert fetcher.stats[server.netloc] == 4  # robots.txt + 3 pages


def test_r2_robots_cached_per_scheme_and_netloc(make_fetcher) -> None:
    with LocalServer({"/robots.txt": Response(200, "User-agent: *\nDisallow: /x")}) as one, LocalServer() as two:
        pages(two, "/x")
        fetcher = make_fetcher()
        assert fetcher.fetch(one.url("/x")).error == "robots: disallowed"
        assert fetcher.fetch(two.url("/x")).ok
        assert len(one.requests_for("/robots.txt")) == len(two.requests_for("/robots.txt")) == 1


def test_r2_robots_4xx_means_allow_all(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(403, "forbidden"))
    pages(server, "/anything")
    assert make_fetcher().fetch(server.url("/anything")).ok
    with LocalServer() as missing:  # no route: 404
        pages(missing, "/y")
        assert make_fetcher().fetch(missing.url("/y")).ok


def test_r2_robots_5xx_means_nothing_from_that_host(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(503, "down"))
    pages(server, "/a", "/b")
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/a")).error == "robots: unavailable (503)"
    assert fetcher.fetch(server.url("/b")).error == "robots: unavailable (503)"
    assert [r.path for r in server.requests] == ["/robots.txt"]
    assert fetcher.stats[server.netloc] == 1


def test_r2_robots_5xx_is_retried_before_giving_up(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(500, "oops"))
    page = make_fetcher(retries=2, backoff=0.01).fetch(server.url("/a"))
    assert page.error == "robots: unavailable (500)"
    assert len(server.requests_for("/robots.txt")) == 3


def test_r2_robots_network_failure_means_nothing_from_that_host(make_fetcher) -> None:
    port = free_port()
    fetcher = make_fetcher()
    first = fetcher.fetch(f"http://127.0.0.1:{port}/a")
    assert first.error.startswith("robots: unavailable (connection: ")
    assert fetcher.fetch(f"http://127.0.0.1:{port}/b").error == first.error
    assert fetcher.stats[f"127.0.0.1:{port}"] == 1


def test_r2_robots_redirects_followed(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(301, "", {"Location": "/r1"}))
    server.route("/r1", Response(302, "", {"Location": "/real-robots.txt"}))
    server.route("/real-robots.txt", Response(200, "User-agent: *\nDisallow: /secret\n"))
    pages(server, "/secret", "/open")
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/secret")).error == "robots: disallowed"
    assert fetcher.fetch(server.url("/open")).ok


def test_r2_robots_more_than_five_redirects_counts_as_no_robots(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(302, "", {"Location": "/loop"}))
    server.route("/loop", Response(302, "", {"Location": "/loop"}))
    pages(server, "/page")
    assert make_fetcher().fetch(server.url("/page")).ok
    assert len(server.requests_for("/loop")) == 5


def test_r2_robots_redirect_to_guarded_address_is_unavailable(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(302, "", {"Location": "http://169.254.169.254/robots.txt"}))
    pages(server, "/page")
    page = make_fetcher().fetch(server.url("/page"))
    assert page.error == "robots: unavailable (blocked: 169.254.169.254 is cloud metadata)"


def test_r2_page_redirect_into_disallowed_path_is_refused(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, "User-agent: *\nDisallow: /private\n"))
    server.route("/go", Response(302, "", {"Location": "/private/page"}))
    pages(server, "/private/page")
    page = make_fetcher().fetch(server.url("/go"))
    assert page.error == "robots: disallowed"
    assert page.final_url == server.url("/private/page")
    assert server.requests_for("/private/page") == []


def test_r2_check_robots_false_skips_robots(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, "User-agent: *\nDisallow: /\n"))
    pages(server, "/feed")
    assert make_fetcher().fetch(server.url("/feed"), check_robots=False).ok
    assert server.requests_for("/robots.txt") == []


def test_r2_r4_robots_retry_after_too_long_defers_the_host(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(503, "later", {"Retry-After": "3600"}))
    pages(server, "/a", "/b")
    fetcher = make_fetcher(retries=2)
    first = fetcher.fetch(server.url("/a"))
    assert first.error.startswith("deferred: host asked to wait 3600s (Retry-After); not contacted before ")
    assert first.final_url == server.url("/a")
    assert fetcher.fetch(server.url("/b")).error == first.error
    assert [r.path for r in server.requests] == ["/robots.txt"]
