"""Politeness and crawl state shared through a real PostgreSQL server, as crawlers on several machines share them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from coopwatch.run import run_crawl
from ingest.state import open_state
from ingest.state_pg import PgHostLeases
from tests.faults.support import HTML, ROOT, crawl_settings, env_for, make_site, start_cli, stored_urls
from tests.faults.test_politeness import in_flight_overlaps
from tests.support.httpd import Response
from tests.support.postgres import pg_server, pg_url  # noqa: F401 - fixtures


def test_two_crawls_sharing_a_postgres_state_never_overlap_on_a_host(fault, server, tmp_path, pg_url):  # noqa: F811
    """Two crawl processes with one PostgreSQL state, separate work folders and lock directories: one request in flight, the delay kept."""
    fault.expect("no overlapping requests; every gap >= the 0.3 s delay; both runs in the shared state; no SQLite state")
    site = make_site(server, count=4)
    for n, path in enumerate(site.articles):
        server.route(path, Response(200, f"<html><body><article>{'<p>Shanghai Hong Kong talks. ' * 20}{n}</p>"
                                         "</article></body></html>", HTML, delay=0.1))
    processes, folders = [], []
    for name in ("one", "two"):
        settings = crawl_settings(tmp_path / name, [{"name": "site", "start_urls": [site.listing]}], min_delay=0.3)
        folders.append(settings)
        # each its own lock directory: only the leases in PostgreSQL can keep the two apart
        processes.append(start_cli(["crawl"], env_for(settings, COOPWATCH_STATE_URL=pg_url)))
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    requests = server.requests
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    gaps = [b.arrived_at - a.responded_at for a, b in zip(ordered, ordered[1:])]
    with open_state(pg_url) as state:
        runs = state.runs("site")
    leases = PgHostLeases(pg_url)
    holder, _, _ = leases.lease_of(server.netloc)
    leases.close()
    fault.saw(f"{len(requests)} requests, overlaps {in_flight_overlaps(requests)}, smallest gap {min(gaps):.2f} s, "
              f"{len(runs)} runs in PostgreSQL, lease holder after {holder}")
    assert all(p.returncode == 0 for p in processes), outputs
    assert in_flight_overlaps(requests) == [] and min(gaps) >= 0.3 * 0.9
    assert len(runs) == 2 and all(r["ok"] for r in runs)
    assert holder is None  # the host's lease row exists and was given back
    for settings in folders:
        assert not Path(settings.state_path).exists() and not Path(settings.lock_dir).exists()
        assert len(stored_urls(settings.store)) == 4


def test_unchanged_recrawl_with_a_postgres_state_sends_only_conditional_requests(fault, server, tmp_path, pg_url):  # noqa: F811
    """Validators committed in PostgreSQL: an unchanged second run sends If-None-Match everywhere and stores nothing twice."""
    fault.expect("second run: If-None-Match on every article, 0 new, 0 updated, no duplicate document")
    site = make_site(server, count=3)
    for n, path in enumerate(site.articles):
        body = f"<html><body><article>{'<p>Shanghai and Hong Kong met again. ' * 20}{n}</p></article></body></html>"

        def answer(request, body=body, n=n):
            if request.header("If-None-Match") == f'"v1-{n}"':
                return Response(304, "", {"ETag": f'"v1-{n}"'})
            return Response(200, body, {**HTML, "ETag": f'"v1-{n}"'})

        server.route(path, answer)
    settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.listing]}], state_url=pg_url)
    run_crawl(settings)
    server.clear()
    [second] = run_crawl(settings)
    conditional = [r.header("If-None-Match") for r in site.article_requests()]
    urls = stored_urls(settings.store)
    fault.saw(f"conditional {conditional}; new {second.new}, updated {second.updated}; stored {len(urls)}")
    assert all(conditional) and len(conditional) == 3 and (second.new, second.updated) == (0, 0)
    assert len(urls) == len(set(urls)) == 3 and not Path(settings.state_path).exists()


def test_lease_of_a_killed_holder_expires(fault, server, pg_url):  # noqa: F811
    """A process killed (SIGKILL) while holding a host's lease blocks that host until the lease expires, not longer."""
    fault.expect("the dead holder keeps the host until its lease expires; then the next worker takes it")
    code = ("import time; from ingest.state_pg import PgHostLeases\n"
            f"with PgHostLeases({pg_url!r}, lease_seconds=5).slot({server.netloc!r}, 0):\n"
            "    print('held', flush=True); time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    leases = PgHostLeases(pg_url, lease_seconds=30)
    try:
        dead, expires, now = leases.lease_of(server.netloc)
        blocked = leases.try_acquire(server.netloc, 0, "test-early")
        with leases.slot(server.netloc, 0):
            ours, _, taken_at = leases.lease_of(server.netloc)
        after, _, _ = leases.lease_of(server.netloc)
    finally:
        leases.close()
    fault.saw(f"dead holder {dead} until +{expires - now:.1f} s; taken {taken_at - expires:+.1f} s after expiry by {ours}")
    assert dead and dead.split(":")[1] == str(holder.pid) and expires > now and blocked is None
    assert taken_at >= expires and taken_at - expires < 10  # waited for the expiry, and no longer than a few polls
    assert ours and ours.split(":")[1] == str(os.getpid()) and after is None
