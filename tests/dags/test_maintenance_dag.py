"""The maintenance DAG on a real store and crawl state, and the quiet-source warning."""

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


def test_maintenance_prunes_by_retention_and_warns_about_a_quiet_source(airflow_template_db, demo_sites, tmp_path):
    env = coopwatch_env(tmp_path, demo_sites)
    with open(env["COOPWATCH_SOURCES"], "a", encoding="utf-8") as sources:
        sources.write(QUIET_SOURCE.format(origin=demo_sites.origins["harbour"]))
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    archive = Path(env["COOPWATCH_ARCHIVE_DIR"]) / "harbour"
    archive.mkdir(parents=True)
    old_warc = archive / "20200101T000000-1.warc.gz"
    old_warc.write_bytes(b"")
    os.utime(old_warc, (time.time() - 10 * 86400,) * 2)

    results, output = home.run_dags(
        "coopwatch_crawl_harbour", "coopwatch_crawl_quiet", "coopwatch_crawl_quiet", "coopwatch_maintenance",
        confs={"coopwatch_crawl_quiet": {"empty_runs_warning": 2},
               "coopwatch_maintenance": {"retention_days": 5, "empty_runs_warning": 2}})
    TIMINGS["maintenance DAG"] = results[-1]["seconds"] if results else None
    assert [r["state"] for r in results] == ["success"] * 4, output[-5000:]
    states = dict((task, state) for task, state, _ in home.latest_task_instances("coopwatch_maintenance"))
    assert states["prune_crawl_state"] == states["prune_warcs"] == states["report_source_health"] == "success"
    assert states["retry_dead_letters"] == "skipped"  # the SQLite store has no dead-letter queue
    assert states["optimize_store"] in ("success", "skipped")
    assert not old_warc.exists()
    assert any(p.name != old_warc.name for p in archive.glob("*.warc.gz"))  # this run's WARC is kept
    warnings = [line for line in output.splitlines() if "source=quiet" in line and "WARNING" in line]
    assert len(warnings) == 2  # second quiet crawl run, and the maintenance health report
    assert "no links discovered in the last 2 runs" in warnings[-1]
    assert any("source=harbour" in line and "WARNING" not in line for line in output.splitlines())
