"""Faults in politeness and crawl state: robots.txt, Retry-After across runs, host locks, failures that look like success."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email.utils import formatdate

import pytest

from coopwatch.cli import main
from coopwatch.run import run_crawl
from ingest.fetch.throttle import lock_file_name
from tests.faults.support import (
    HTML,
    ROOT,
    TlsServer,
    crawl_settings,
    env_for,
    health,
    last_run,
    make_certificate,
    make_site,
    shows,
    start_cli,
    stored_urls,
)
from tests.support.httpd import Response


def run_cli(args, settings, monkeypatch, capsys) -> tuple[int, str]:
    """Run the CLI in this process with the settings' environment; return (exit status, stdout + stderr)."""
    for key, value in env_for(settings).items():
        if key.startswith("COOPWATCH_"):
            monkeypatch.setenv(key, value)
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_robots_txt_503_is_a_failed_run_with_its_reason(fault, server, tmp_path, monkeypatch, capsys):
    """robots.txt answering 503: nothing fetched, the run is failed with 'robots: unavailable (503)' in the record and stats."""
    fault.expect("run ok=False, failure names 'robots: unavailable (503)'; stats: last success never, last run failed")
    site = make_site(server, count=2, robots=Response(503, "busy"))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    [summary] = run_crawl(settings)
    run = last_run(settings, "site")
    status, printed = run_cli(["stats"], settings, monkeypatch, capsys)
    fault.saw(f"run ok={run['ok']}, failure={run['counts']['failure']!r}; failures {summary.failures}")
    assert not run["ok"] and "robots: unavailable (503)" in run["counts"]["failure"]
    assert summary.failures == {"robots": 1} and site.article_requests() == []
    assert health(settings, "site")["last_success"] is None
    assert status == 0 and shows(printed, "failed: no start page could be read") and shows(printed, "robots: unavailable (503)")


def test_robots_txt_404_allows_everything(fault, server, tmp_path):
    """robots.txt answering 404 means no rules: every page is fetched."""
    fault.expect("all pages stored, run ok")
    site = make_site(server, count=2, robots=Response(404, "no"))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    [summary] = run_crawl(settings)
    fault.saw(f"new {summary.new}, ok={summary.ok}")
    assert summary.new == 2 and summary.ok


def test_robots_txt_that_never_answers(fault, server, tmp_path):
    """robots.txt that times out: the host is not crawled and the run is failed with a timeout reason."""
    fault.expect("run failed; reason 'robots: unavailable (timeout: ...)'; no article requested")
    site = make_site(server, count=1, robots=Response(200, "User-agent: *\n", {"Content-Type": "text/plain"}, delay=3))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], read_timeout=0.5,
                              total_timeout=1)
    run_crawl(settings)
    run = last_run(settings, "site")
    fault.saw(f"ok={run['ok']}, failure={run['counts']['failure']!r}")
    assert not run["ok"] and "robots: unavailable (timeout: " in run["counts"]["failure"]
    assert site.article_requests() == []


def test_huge_robots_txt_is_read_up_to_500_kib(fault, server, tmp_path):
    """A 1 MB robots.txt: rules in the first 500 KiB apply, rules past it are ignored (RFC 9309)."""
    fault.expect("a0 (disallowed early) not fetched; a1 (disallowed after 1 MB of comments) fetched")
    body = "User-agent: *\nDisallow: /news/a0.html\n" + "# padding\n" * 100_000 + "Disallow: /news/a1.html\n"
    site = make_site(server, count=2, robots=Response(200, body, {"Content-Type": "text/plain"}))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    fetched = sorted(r.bare_path for r in site.article_requests())
    fault.saw(f"fetched {fetched}")
    assert fetched == ["/news/a1.html"]


def test_crawl_delay_above_the_cap_is_reported(fault, server, tmp_path, monkeypatch, capsys):
    """A robots.txt Crawl-delay of 120 s is capped at max_crawl_delay, and `stats` and `sources check` say so."""
    fault.expect("'asks Crawl-delay 120s; capped at 0.2s' in stats and in sources check")
    robots = Response(200, "User-agent: *\nCrawl-delay: 120\n", {"Content-Type": "text/plain"})
    site = make_site(server, count=1, robots=robots)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], max_crawl_delay=0.2)
    run_crawl(settings)
    _, stats = run_cli(["stats"], settings, monkeypatch, capsys)
    _, check = run_cli(["sources", "check"], settings, monkeypatch, capsys)
    note = "asks Crawl-delay 120s; capped at 0.2s"
    fault.saw(f"stats: {shows(stats, note)}; sources check: {shows(check, note)}")
    assert shows(stats, note) and shows(check, note)


def test_retry_after_is_honoured_by_the_next_run_and_capped(fault, server, tmp_path, monkeypatch, capsys):
    """Retry-After: 999999 defers the host across runs, capped at max_deferral, shown in stats and sources check."""
    fault.expect("second run sends no request to the host; stats/sources check show 'asked to wait 999999s ... capped at 3600s'")
    site = make_site(server, count=2)
    server.route("/news/a0.html", Response(503, "later", {"Retry-After": "999999"}))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], max_deferral=3600)
    run_crawl(settings)
    before = len(server.requests)
    [second] = run_crawl(settings)
    after = len(server.requests) - before
    _, stats = run_cli(["stats"], settings, monkeypatch, capsys)
    _, check = run_cli(["sources", "check"], settings, monkeypatch, capsys)
    note = "host asked to wait 999999s (Retry-After), capped at 3600s (max_deferral)"
    fault.saw(f"requests in the second run: {after}; second run failures {second.failures}; "
              f"shown in stats: {shows(stats, note)}, in sources check: {shows(check, note)}")
    assert after == 0 and shows(stats, note) and shows(check, note)
    from ingest.state import HostState

    [deferral] = HostState(settings.state_path).deferrals()
    assert 3500 < deferral.remaining() <= 3600 and deferral.capped


def test_retry_after_in_the_past_or_garbage(fault, server, tmp_path):
    """A Retry-After date in the past retries at once; a garbage Retry-After is ignored (ordinary backoff)."""
    fault.expect("both pages fetched on the second attempt, quickly")
    answers = {"/news/a0.html": [Response(503, "x", {"Retry-After": formatdate(time.time() - 3600, usegmt=True)})],
               "/news/a1.html": [Response(503, "x", {"Retry-After": "soon, honestly"})]}
    site = make_site(server, count=2)
    for path, queue in answers.items():
        good = Response(200, f"<html><body><article>{'<p>Shanghai and Hong Kong cooperate. ' * 20}{path}</p>"
                             "</article></body></html>", HTML)
        server.route(path, lambda request, queue=queue, good=good: queue.pop(0) if queue else good)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], retries=1, backoff=0.1)
    started = time.monotonic()
    [summary] = run_crawl(settings)
    took = time.monotonic() - started
    fault.saw(f"new {summary.new}, failed {summary.failed}, {took:.1f} s")
    assert summary.new == 2 and summary.failed == 0


def tls_server_with_bad_certificate(tmp_path):
    cert, key, *_ = make_certificate(tmp_path, "self", ["127.0.0.1"])
    return TlsServer({"/news/": Response(200, "<a href='/news/a0.html'>a</a>", HTML)}, cert, key)


@pytest.mark.parametrize("kind", ["dns", "blocked", "timeout", "tls"])
def test_a_start_page_failure_is_a_failed_run_with_its_reason(fault, server, tmp_path, kind):
    """A start page that fails (DNS, address guard, timeout, TLS) makes a failed run that keeps the reason."""
    fault.expect(f"run ok=False; the failure and the run record name '{kind}'; last success stays never")
    server.route("/robots.txt", Response(200, "", {"Content-Type": "text/plain"}))
    server.route("/news/", Response(200, "<html>late</html>", HTML, delay=3))
    tls = tls_server_with_bad_certificate(tmp_path).start() if kind == "tls" else None
    url = {"dns": "http://no-such-host.invalid/news/", "blocked": "http://10.255.255.1/news/",
           "timeout": server.url("/news/"), "tls": tls.url("/news/") if tls else ""}[kind]
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [url]}], read_timeout=0.5, total_timeout=1)
    try:
        [summary] = run_crawl(settings)
    finally:
        if tls:
            tls.stop()
    run = last_run(settings, "site")
    fault.saw(f"ok={run['ok']}; failure={run['counts']['failure']!r}")
    assert not run["ok"] and f"{kind}: " in run["counts"]["failure"] and kind in summary.failures
    assert health(settings, "site")["last_success"] is None


def test_every_article_failing_is_a_failed_run(fault, server, tmp_path):
    """Listing fine but every article answering 500: the run is failed, naming 'http: 500'."""
    fault.expect("run ok=False, failure 'every page failed: http: 500 (2)'")
    site = make_site(server, count=2)
    for path in site.articles:
        server.route(path, Response(500, "boom"))
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    run = last_run(settings, "site")
    fault.saw(f"ok={run['ok']}, failure={run['counts']['failure']!r}")
    assert not run["ok"] and run["counts"]["failure"] == "every page failed: http: 500 (2)"


def in_flight_overlaps(requests) -> list:
    """Return pairs of requests where the second arrived before the first was answered."""
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    return [(a.path, b.path) for a, b in zip(ordered, ordered[1:]) if b.arrived_at < a.responded_at]


def test_two_crawls_with_different_state_share_the_host_lock(fault, server, tmp_path):
    """Two crawl processes with different COOPWATCH_STATE_PATH never have two requests in flight to one host."""
    fault.expect("no overlapping requests; every gap between requests >= the 0.3 s delay")
    site = make_site(server, count=4)
    for n, path in enumerate(site.articles):
        server.route(path, Response(200, f"<html><body><article>{'<p>Shanghai Hong Kong talks. ' * 20}{n}</p>"
                                         "</article></body></html>", HTML, delay=0.1))
    processes = []
    for name in ("one", "two"):
        settings = crawl_settings(tmp_path / name, [{"name": "site", "start_urls": [site.listing]}], min_delay=0.3)
        env = env_for(settings)
        del env["COOPWATCH_LOCK_DIR"]  # the default: one machine-wide directory, whatever the state path
        processes.append(start_cli(["crawl"], env))
    for process in processes:
        process.communicate(timeout=180)
    requests = server.requests
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    gaps = [b.arrived_at - a.responded_at for a, b in zip(ordered, ordered[1:])]
    fault.saw(f"{len(requests)} requests, overlaps {in_flight_overlaps(requests)}, smallest gap {min(gaps):.2f} s")
    assert all(p.returncode == 0 for p in processes)
    assert in_flight_overlaps(requests) == [] and min(gaps) >= 0.3 * 0.9


def test_host_lock_of_a_killed_process_is_released(fault, server, tmp_path):
    """A process killed (SIGKILL) while holding a host lock does not block the next crawl."""
    fault.expect("the lock is free as soon as the holder dies; the next fetch completes at once")
    lock_dir = tmp_path / "locks"
    code = ("import sys, time; from ingest.fetch.throttle import HostThrottle\n"
            f"with HostThrottle({str(lock_dir)!r}).slot({server.netloc!r}, 0):\n"
            "    print('held', flush=True); time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    site = make_site(server, count=1)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], lock_dir=str(lock_dir))
    started = time.monotonic()
    [summary] = run_crawl(settings)
    took = time.monotonic() - started
    fault.saw(f"lock file {lock_file_name(server.netloc)} left behind; next crawl new={summary.new} in {took:.1f} s")
    assert summary.new == 1 and took < 60


def test_unchanged_recrawl_sends_only_conditional_requests(fault, server, tmp_path):
    """Crawling an unchanged site again: every article request is conditional and answered 304; nothing doubled."""
    fault.expect("second run: If-None-Match on every article, 0 new, 0 updated, no duplicate document")
    site = make_site(server, count=3)
    for n, path in enumerate(site.articles):
        body = f"<html><body><article>{'<p>Shanghai and Hong Kong met again. ' * 20}{n}</p></article></body></html>"

        def answer(request, body=body, n=n):
            if request.header("If-None-Match") == f'"v1-{n}"':
                return Response(304, "", {"ETag": f'"v1-{n}"'})
            return Response(200, body, {**HTML, "ETag": f'"v1-{n}"'})

        server.route(path, answer)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    server.clear()
    [second] = run_crawl(settings)
    conditional = [r.header("If-None-Match") for r in site.article_requests()]
    urls = stored_urls(settings.store)
    fault.saw(f"conditional {conditional}; new {second.new}, updated {second.updated}; stored {len(urls)}")
    assert all(conditional) and len(conditional) == 3 and (second.new, second.updated) == (0, 0)
    assert len(urls) == len(set(urls)) == 3


def test_changed_page_is_updated_not_doubled(fault, server, tmp_path):
    """A page that changes between runs is updated in place, never stored twice."""
    fault.expect("second run: 1 updated, 0 new; 2 documents; the new text stored")
    site = make_site(server, count=2)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}])
    run_crawl(settings)
    server.route("/news/a0.html", Response(200, "<html><body><article>" + "".join(
        f"<p>Revised paragraph {i}: the Shenzhen delegation joined the Shanghai–Hong Kong talks.</p>"
        for i in range(6)) + "</article></body></html>", {**HTML, "ETag": '"v2-0"'}))
    [second] = run_crawl(settings)
    from search import open_backend

    with open_backend(settings.store) as backend:
        docs = list(backend.iter_documents())
    fault.saw(f"new {second.new}, updated {second.updated}; {len(docs)} documents")
    assert (second.new, second.updated) == (0, 1) and len(docs) == 2
    assert any("Shenzhen delegation" in d.text for d in docs)


def test_page_that_failed_is_fetched_again_next_run(fault, server, tmp_path):
    """A page that timed out in one run is fetched in full and stored by the next, once."""
    fault.expect("first run: a0 failed (timeout); second run: a0 stored; 2 documents, no duplicate")
    site = make_site(server, count=2)
    slow = Response(200, "late", HTML, delay=2)
    good = server.routes["/news/a0.html"]
    server.route("/news/a0.html", slow)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], read_timeout=0.5,
                              total_timeout=1)
    [first] = run_crawl(settings)
    server.route("/news/a0.html", good)
    [second] = run_crawl(settings)
    urls = stored_urls(settings.store)
    fault.saw(f"first failures {first.failures}; second new {second.new}; stored {len(urls)}")
    assert first.failures == {"timeout": 1} and second.new == 1 and sorted(urls) == sorted(set(urls)) and len(urls) == 2
