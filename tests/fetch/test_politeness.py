"""Rules 1 and 3: one shared session with a clear User-Agent; per-host delay shared across processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import requests

from ingest.fetch import Fetcher
from ingest.fetch.fetcher import default_lock_dir
from ingest.settings import Settings
from tests.fetch.conftest import TEST_UA, gaps
from tests.support.httpd import LocalServer, Response

HTML = {"Content-Type": "text/html"}
DELAY = 0.2
REPO = Path(__file__).resolve().parents[2]


def html_routes(server: LocalServer, count: int, delay: float = 0.0) -> list[str]:
    urls = []
    for n in range(count):
        server.route(f"/p{n}", Response(200, f"<p>{n}</p>", HTML, delay=delay))
        urls.append(server.url(f"/p{n}"))
    return urls


def test_r1_user_agent_sent_on_every_request(server: LocalServer, make_fetcher) -> None:
    server.route("/start", Response(302, "", {"Location": "/end"}))
    server.route("/end", Response(200, "<p>end</p>", HTML))
    server.route("/gone", Response(404, "no"))
    fetcher = make_fetcher()
    fetcher.fetch(server.url("/start"))
    fetcher.fetch(server.url("/gone"))
    assert [r.path for r in server.requests] == ["/robots.txt", "/start", "/end", "/gone"]
    assert {r.header("User-Agent") for r in server.requests} == {TEST_UA}


def test_r1_one_shared_session_reuses_connections(server: LocalServer, make_fetcher) -> None:
    urls = html_routes(server, 3)
    fetcher = make_fetcher()
    assert isinstance(fetcher.session, requests.Session)
    session = fetcher.session
    for url in urls:
        assert fetcher.fetch(url).ok
    assert fetcher.session is session
    assert len({r.client for r in server.requests}) == 1  # keep-alive: one TCP connection for all


def test_r3_min_delay_between_requests_to_one_host(server: LocalServer, make_fetcher) -> None:
    urls = html_routes(server, 3)
    fetcher = make_fetcher(min_delay=DELAY)
    for url in urls:
        assert fetcher.fetch(url).ok
    assert len(server.requests) == 4  # robots.txt + 3 pages
    assert min(gaps(server.requests)) >= DELAY * 0.9


def test_r3_delay_is_per_host(make_fetcher, tmp_path: Path) -> None:
    with LocalServer() as one, LocalServer() as two:
        fetcher = make_fetcher(min_delay=DELAY, lock_dir=tmp_path)
        assert fetcher.fetch(html_routes(one, 1)[0], check_robots=False).ok
        assert fetcher.fetch(html_routes(two, 1)[0], check_robots=False).ok
        assert fetcher.crawl_delay(one.netloc) == fetcher.crawl_delay(two.netloc) == DELAY
        # each host has its own politeness slot (and last-request time), keyed host:port
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"127.0.0.1_{s.port}.lock" for s in (one, two))


def test_r3_robots_crawl_delay_honoured(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, "User-agent: *\nCrawl-delay: 0.3\n"))
    urls = html_routes(server, 2)
    fetcher = make_fetcher(min_delay=0.05)
    for url in urls:
        fetcher.fetch(url)
    assert fetcher.crawl_delay(server.netloc) == 0.3
    assert fetcher.crawl_delay(server.url("/any")) == 0.3
    page_gaps = gaps(server.requests)[1:]  # the gap after robots.txt used min_delay (delay unknown yet)
    assert min(page_gaps) >= 0.3 * 0.9


def test_r3_crawl_delay_capped_by_max_crawl_delay(server: LocalServer, make_fetcher) -> None:
    server.route("/robots.txt", Response(200, "User-agent: *\nCrawl-delay: 120\n"))
    fetcher = make_fetcher(min_delay=0.0, max_crawl_delay=0.15)
    assert fetcher.robots_allows(server.url("/"))
    assert fetcher.crawl_delay(server.netloc) == 0.15


def test_r3_threads_keep_one_request_in_flight_and_the_delay(server: LocalServer, make_fetcher) -> None:
    urls = html_routes(server, 6, delay=0.05)
    fetcher = make_fetcher(min_delay=DELAY)
    threads = [threading.Thread(target=lambda part: [fetcher.fetch(u) for u in part], args=(urls[i::2],))
               for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(server.requests) == 7
    assert min(gaps(server.requests)) >= DELAY * 0.9  # also proves no overlap


def test_r3_lock_dir_shared_by_two_fetchers(server: LocalServer, make_fetcher, tmp_path: Path) -> None:
    urls = html_routes(server, 6, delay=0.05)
    crawlers = [make_fetcher(min_delay=DELAY, lock_dir=tmp_path) for _ in range(2)]
    threads = [threading.Thread(target=lambda f, part: [f.fetch(u) for u in part], args=(crawlers[i], urls[i::2]))
               for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(server.requests) == 8  # each fetcher asked for robots.txt once
    assert min(gaps(server.requests)) >= DELAY * 0.9
    assert (tmp_path / f"127.0.0.1_{server.port}.lock").exists()


CRAWLER_SCRIPT = """
import sys
from ingest.fetch import Fetcher
from ingest.fetch.fetcher import default_lock_dir
lock_dir, *urls = sys.argv[1:]
fetcher = Fetcher("coopwatch-test/1.0", allow_hosts=["127.0.0.1"], min_delay={delay}, retries=0, lock_dir=lock_dir)
print(sum(fetcher.fetch(url).ok for url in urls))
"""


def test_r3_lock_dir_shared_by_two_processes(server: LocalServer, tmp_path: Path) -> None:
    urls = html_routes(server, 6, delay=0.05)
    script = CRAWLER_SCRIPT.format(delay=DELAY)
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), *urls[i::2]], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in (0, 1)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [out.strip() for out, _ in outputs] == ["3", "3"], outputs
    assert len(server.requests) == 8
    assert min(gaps(server.requests)) >= DELAY * 0.9


def test_from_settings_uses_settings_and_one_machine_wide_lock_dir(tmp_path: Path) -> None:
    fetchers = [Fetcher.from_settings(Settings.load(env={}, min_delay=0.5, allow_hosts=["127.0.0.1"], retries=3,
                                                    state_path=str(tmp_path / name / "crawl.sqlite")))
                for name in ("one", "two")]
    assert (fetchers[0].min_delay, fetchers[0].retries) == (0.5, 3)
    assert fetchers[0].user_agent == Settings().user_agent
    # two crawl states, one lock directory: the host lock does not depend on where the state lives
    assert fetchers[0].throttle.lock_dir == fetchers[1].throttle.lock_dir == Path(default_lock_dir())
    assert fetchers[0].guard.allowed_networks
    for fetcher in fetchers:
        fetcher.close()
