"""The maintenance DAG on a real store and crawl state: retention, optimisation, dead letters, quiet sources."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.dags.conftest import TIMINGS, coopwatch_env
from tests.dags.harness import new_home

pytestmark = pytest.mark.airflow

QUIET_SOURCE = """
  - name: quiet
    start_urls: ["{origin}/about.html"]
    include: ['/no-such-section/']
    min_delay: 0.05
"""

BLOCKED_SOURCE = """
  - name: blocked
    start_urls: ["http://10.255.255.1/news/"]
"""


def aged_warc(archive: Path, name: str, days: float) -> Path:
    """Create an empty WARC file whose modification time is ``days`` ago."""
    archive.mkdir(parents=True, exist_ok=True)
    warc = archive / name
    warc.write_bytes(b"")
    os.utime(warc, (time.time() - days * 86400,) * 2)
    return warc


def aged_workdir(env: dict[str, str], run: str, days: float) -> Path:
    """Create a crawl run's work directory, as a failed run leaves it, last modified ``days`` ago."""
    folder = Path(env["COOPWATCH_STATE_PATH"]).parent / "work" / "coopwatch_crawl_harbour" / run
    folder.mkdir(parents=True)
    (folder / "urls.jsonl").write_text("{}\n", encoding="utf-8")
    os.utime(folder, (time.time() - days * 86400,) * 2)
    return folder


def task_states(home, dag_id: str) -> dict[str, str]:
    """Return {task_id: state} of the DAG's latest run."""
    return {task: state for task, state, _ in home.latest_task_instances(dag_id)}


def test_maintenance_prunes_by_retention_and_warns_about_a_quiet_source(airflow_template_db, demo_sites, tmp_path):
    env = coopwatch_env(tmp_path, demo_sites) | {"COOPWATCH_RETENTION_DAYS": "1000"}  # the run's param wins
    with open(env["COOPWATCH_SOURCES"], "a", encoding="utf-8") as sources:
        sources.write(QUIET_SOURCE.format(origin=demo_sites.origins["harbour"]) + BLOCKED_SOURCE)
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    archive = Path(env["COOPWATCH_ARCHIVE_DIR"]) / "harbour"
    old_warc = aged_warc(archive, "20200101T000000-1.warc.gz", days=10)

    results, output = home.run_dags(
        "coopwatch_crawl_harbour", "coopwatch_crawl_quiet", "coopwatch_crawl_quiet", "coopwatch_crawl_blocked",
        "coopwatch_maintenance",
        confs={"coopwatch_crawl_quiet": {"empty_runs_warning": 2},
               "coopwatch_maintenance": {"retention_days": 5, "empty_runs_warning": 2}})
    TIMINGS["maintenance DAG"] = results[-1]["seconds"] if results else None
    assert [r["state"] for r in results] == ["success"] * 3 + ["failed", "success"], output[-5000:]
    # a source whose start pages all fail fails its run, at once and saying why and how to fix it
    blocked = task_states(home, "coopwatch_crawl_blocked")
    assert blocked["discover"] == "failed" and blocked["record_run"] == "success"
    assert "no start page could be read (listing: blocked: 10.255.255.1 is private" in output
    assert "COOPWATCH_ALLOW_HOSTS=10.255.255.1" in output
    states = task_states(home, "coopwatch_maintenance")
    assert states["prune_crawl_state"] == states["prune_warcs"] == states["report_source_health"] == "success"
    assert states["retry_dead_letters"] == "skipped"  # the SQLite store has no dead-letter queue
    assert states["optimize_store"] == "success"
    assert not old_warc.exists()
    assert "deleted 1 WARC files older than 5 days" in output
    assert any(p.name != old_warc.name for p in archive.glob("*.warc.gz"))  # this run's WARC is kept
    warnings = [line for line in output.splitlines() if "source=quiet" in line and "WARNING" in line]
    assert len(warnings) == 2  # second quiet crawl run, and the maintenance health report
    assert "no links discovered in the last 2 runs" in warnings[-1]
    assert any("source=harbour" in line and "WARNING" not in line for line in output.splitlines())


def test_retention_defaults_to_the_setting(airflow_template_db, demo_sites, tmp_path):
    env = coopwatch_env(tmp_path, demo_sites) | {"COOPWATCH_RETENTION_DAYS": "5"}
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    archive = Path(env["COOPWATCH_ARCHIVE_DIR"]) / "harbour"
    expired = aged_warc(archive, "20200101T000000-1.warc.gz", days=10)
    kept = aged_warc(archive, "20200101T000000-2.warc.gz", days=2)
    stale_work, recent_work = aged_workdir(env, "failed_run_1", days=10), aged_workdir(env, "failed_run_2", days=2)

    results, output = home.run_dags("coopwatch_maintenance")
    assert [r["state"] for r in results] == ["success"], output[-5000:]
    assert not expired.exists() and kept.exists()
    assert "deleted 1 WARC files older than 5 days" in output
    assert not stale_work.exists() and recent_work.exists()
    assert "removed 1 work directories older than 5 days" in output
    assert task_states(home, "coopwatch_maintenance")["optimize_store"] == "success"
    assert Path(env["COOPWATCH_STORE"]).exists()


@pytest.mark.es
def test_maintenance_retries_dead_letters_and_optimises_elasticsearch(es_home):
    from tests.search.contract import corpus_documents

    home, backend = es_home
    index = backend.alias_index(backend.write_alias)
    backend.client.indices.put_settings(index=index, settings={"index.blocks.write": True})
    try:
        refused = backend.upsert(corpus_documents().values())
    finally:
        backend.client.indices.put_settings(index=index, settings={"index.blocks.write": False})
    assert refused.failed == 5 and len(backend.deadletters.entries(backend.prefix)) == 5

    results, output = home.run_dags("coopwatch_maintenance")
    TIMINGS["maintenance DAG on ES"] = results[-1]["seconds"] if results else None
    assert [r["state"] for r in results] == ["success"], output[-5000:]
    states = task_states(home, "coopwatch_maintenance")
    assert states["retry_dead_letters"] == states["optimize_store"] == "success"
    backend.refresh()
    retried = [line for line in output.splitlines() if "dead letters:" in line or "still not indexed" in line]
    assert backend.count() == 5 and backend.deadletters.entries(backend.prefix) == [], retried
    assert any("dead letters: 5 waiting, 5 written, 0 still failing" in line for line in retried), retried
