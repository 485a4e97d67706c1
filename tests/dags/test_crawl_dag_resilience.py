"""Politeness across overlapping runs, and no duplicate and no gap after a killed or failed task."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.dags.conftest import TIMINGS, Gate, coopwatch_env
from tests.dags.harness import AirflowHome, new_home

pytestmark = pytest.mark.airflow

DAG_ID = "coopwatch_crawl_harbour"
ARTICLE = "/news/20"  # harbour article paths look like /news/2026/<slug>.html
PATIENT = {"COOPWATCH_READ_TIMEOUT": "600", "COOPWATCH_TOTAL_TIMEOUT": "600"}  # a held request must not time out
WAIT = 300  # seconds; generous upper bounds for slow machines, never expected to be reached


def wait_for(condition, what: str, procs=()) -> None:
    """Poll until condition() is true; fail naming what we waited for (with output of exited processes)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"process exited while waiting for {what}:\n{proc.stdout.read()[-5000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def reference_urls(sites, folder: Path) -> set[str]:
    """Crawl harbour once with the plain pipeline (no Airflow) into a separate store; return its URLs."""
    from coopwatch.run import run_crawl
    from ingest.settings import Settings
    from search import open_backend

    env = coopwatch_env(folder, sites, store=str(folder / "reference.sqlite"))
    env["COOPWATCH_STATE_PATH"] = str(folder / "reference-state.sqlite")
    settings = Settings.load(env=env, config_path=os.devnull)
    run_crawl(settings, ["harbour"])
    with open_backend(settings.store) as backend:
        return {d.url for d in backend.iter_documents()}


def stored_urls(store: str) -> list[str]:
    from search import open_backend

    with open_backend(store) as backend:
        return [d.url for d in backend.iter_documents()]


def blocked_waiters(lock_file: Path) -> int:
    """Return how many processes wait for a flock on this file (from /proc/locks)."""
    if not lock_file.exists():
        return 0
    inode = str(lock_file.stat().st_ino)
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and line.split()[-3].split(":")[-1] == inode)


def harbour_lock(env: dict[str, str], sites) -> Path:
    netloc = urlsplit(sites.origins["harbour"]).netloc.replace(":", "_")
    return Path(env["COOPWATCH_LOCK_DIR"]) / f"{netloc}.lock"


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks to see a waiting flock")
def test_overlapping_runs_never_have_two_requests_in_flight_to_one_host(airflow_template_db, demo_sites, tmp_path):
    base = coopwatch_env(tmp_path, demo_sites) | PATIENT
    homes = {name: new_home(airflow_template_db, tmp_path / f"airflow-{name}",
                            base | {"COOPWATCH_USER_AGENT": f"coopwatch-test (run-{name})"}) for name in "AB"}
    gate = demo_sites.in_flight.gate = Gate("harbour", ARTICLE, "run-A")
    run_a = homes["A"].start_dags_test(DAG_ID)
    wait_for(gate.held.is_set, "run A to send an article request", [run_a])
    run_b = homes["B"].start_dags_test(DAG_ID)
    wait_for(lambda: blocked_waiters(harbour_lock(base, demo_sites)) > 0, "run B to wait for the host lock", [run_b])
    gate.released.set()
    outputs = [run.communicate(timeout=600)[0] for run in (run_a, run_b)]
    for run, output in zip((run_a, run_b), outputs):
        assert run.returncode == 0 and re.search(r"Marking run <DagRun .*> successful", output), output[-5000:]
    assert demo_sites.in_flight.agents("harbour") == {"coopwatch-test (run-A)", "coopwatch-test (run-B)"}
    assert all(pairs == [] for pairs in demo_sites.in_flight.overlaps().values()), demo_sites.in_flight.overlaps()
    urls = stored_urls(base["COOPWATCH_STORE"])
    assert urls and len(urls) == len(set(urls))


def test_killed_run_then_rerun_leaves_no_duplicate_and_no_gap(airflow_template_db, demo_sites, tmp_path):
    expected = reference_urls(demo_sites, tmp_path)
    env = coopwatch_env(tmp_path, demo_sites) | PATIENT
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    gate = demo_sites.in_flight.gate = Gate("harbour", ARTICLE, "", skip=3)
    demo_sites.clear_log()
    killed = home.start_dags_test(DAG_ID)
    wait_for(gate.held.is_set, "the fourth article request", [killed])
    os.killpg(killed.pid, signal.SIGKILL)  # the whole `airflow dags test` process group, mid-fetch
    killed.wait(timeout=60)
    demo_sites.in_flight.gate = None
    gate.released.set()
    fetched_before_kill = {r.path for r in demo_sites.request_log if ARTICLE in r.path and r.status == 200}
    assert len(fetched_before_kill) == 3
    demo_sites.clear_log()

    rerun = home.dags_test(DAG_ID)
    TIMINGS["airflow dags test (rerun after kill)"] = round(rerun.seconds, 1)
    assert rerun.ok, rerun.output[-5000:]
    refetched = {r.path: r for r in demo_sites.request_log if ARTICLE in r.path}
    assert all(refetched[p].status == 200 for p in fetched_before_kill)  # pending validators: fetched in full
    urls = stored_urls(env["COOPWATCH_STORE"])
    assert len(urls) == len(set(urls))
    assert set(urls) == expected


def task_state(home: AirflowHome, task_id: str) -> str | None:
    try:
        with sqlite3.connect(home.db_path, timeout=5) as db:
            row = db.execute("SELECT state FROM task_instance WHERE task_id = ? ORDER BY start_date DESC LIMIT 1",
                             (task_id,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def test_failed_index_task_is_retried_with_no_duplicate_and_no_gap(airflow_template_db, demo_sites, tmp_path):
    expected = reference_urls(demo_sites, tmp_path)
    blocker = tmp_path / "store-dir"
    blocker.write_text("a file where the store's folder should be: the first index attempt fails\n")
    env = coopwatch_env(tmp_path, demo_sites, store=str(blocker / "store.sqlite"))
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    run = home.start_dags_test(DAG_ID)
    wait_for(lambda: task_state(home, "index") == "up_for_retry", "the index task to fail once", [run])
    blocker.unlink()
    blocker.mkdir()
    output, _ = run.communicate(timeout=600)
    result = home.result(DAG_ID, run.returncode, output, 0.0)
    assert result.ok, output[-5000:]
    assert result.tries["index"] >= 2 and result.states["index"] == ["success"]
    urls = stored_urls(env["COOPWATCH_STORE"])
    assert len(urls) == len(set(urls))
    assert set(urls) == expected
