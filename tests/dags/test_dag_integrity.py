"""DAG integrity: every file imports, every DAG and task carries the settings operators rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.conftest import TIMINGS
from tests.dags.harness import DAGS_FOLDER, AirflowHome, require_airflow

pytestmark = pytest.mark.airflow

SOURCES = """\
sources:
  - name: alpha
    start_urls: [http://127.0.0.1:9/news/]
    schedule: "0 6 * * *"
  - name: beta-zh
    start_urls: [http://127.0.0.1:9/zh/]
  - name: manual-only
    start_urls: [http://127.0.0.1:9/m/]
    schedule: null
  - name: retired
    start_urls: [http://127.0.0.1:9/r/]
    enabled: false
"""
EXPECTED_SCHEDULES = {"coopwatch_crawl_alpha": "0 6 * * *", "coopwatch_crawl_beta-zh": "@daily",
                      "coopwatch_crawl_manual-only": None, "coopwatch_maintenance": "0 3 * * *"}


def inspect_dags(tmp_path: Path, sources_text: str) -> dict:
    """Load dags/ in a fresh interpreter with the given sources file; return the JSON report."""
    require_airflow()
    sources = tmp_path / "sources.yaml"
    sources.write_text(sources_text, encoding="utf-8")
    home = AirflowHome(tmp_path / "airflow", {"COOPWATCH_SOURCES": str(sources),
                                              "COOPWATCH_STATE_PATH": str(tmp_path / "state.sqlite")})
    home.path.mkdir()
    script = Path(__file__).with_name("inspect_dags.py")
    done = subprocess.run([sys.executable, str(script), str(DAGS_FOLDER)], env=home.env(), capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert done.returncode == 0 and lines, f"inspect_dags failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("REPORT "))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return inspect_dags(tmp_path_factory.mktemp("integrity"), SOURCES)


def test_every_dag_file_imports_without_errors(report):
    assert report["import_errors"] == {}
    files = {p.name for p in DAGS_FOLDER.glob("*.py")}
    assert {s["file"] for s in report["stats"]} == files


def test_one_crawl_dag_per_enabled_source_with_its_schedule(report):
    schedules = {d["dag_id"]: d["schedule"] for d in report["dags"] if d["dag_id"] != "coopwatch_alerts"}
    assert schedules == EXPECTED_SCHEDULES


def test_alerts_dag_runs_on_the_event_reports_asset_and_a_daily_cron(report):
    alerts = next(d for d in report["dags"] if d["dag_id"] == "coopwatch_alerts")
    assert alerts["timetable"] == "AssetOrTimeSchedule"
    assert "coopwatch://event-reports" in alerts["schedule"] and "0 7 * * *" in alerts["schedule"]
    assert [t["task_id"] for t in alerts["tasks"]] == ["run_alerts"]


def test_every_dag_has_tags_docs_no_catchup_and_one_active_run(report):
    for dag in report["dags"]:
        assert "coopwatch" in dag["tags"], dag["dag_id"]
        assert dag["doc_md"].strip().startswith("###"), dag["dag_id"]
        assert dag["catchup"] is False, dag["dag_id"]
        assert dag["max_active_runs"] == 1, dag["dag_id"]


def test_every_task_has_owner_retries_backoff_and_timeout(report):
    tasks = [(d["dag_id"], t) for d in report["dags"] for t in d["tasks"]]
    assert tasks
    for dag_id, task in tasks:
        where = f"{dag_id}.{task['task_id']}"
        assert task["owner"] == "coopwatch", where
        assert task["retries"] >= 1, where
        assert task["retry_exponential_backoff"], where
        assert task["execution_timeout"] and task["execution_timeout"] > 0, where


def test_crawl_dag_shape_and_asset(report):
    crawl = next(d for d in report["dags"] if d["dag_id"] == "coopwatch_crawl_alpha")
    tasks = {t["task_id"]: t for t in crawl["tasks"]}
    assert set(tasks) == {"discover", "fetch_and_extract", "structure", "index", "record_run",
                          "announce_reports", "report_health", "cleanup_workdir"}
    assert tasks["announce_reports"]["outlets"] == ["coopwatch://event-reports/"]
    assert "ALL_DONE" in tasks["record_run"]["trigger_rule"]
    assert {"max_pages", "empty_runs_warning"} <= set(crawl["params"])


def test_dag_files_do_no_heavy_imports_at_parse_time(report):
    assert report["heavy_modules_loaded"] == []
    assert set(report["modules_loaded_by_dag_files"]) <= {"ingest", "ingest.settings", "ingest.sources",
                                                          "ingest.config_files", "ingest.schedule",
                                                          "coopwatch", "coopwatch.dag_support"}
    for stat in report["stats"]:
        TIMINGS[f"DagBag parse {stat['file']} (cold)"] = round(stat["seconds"], 3)
    for name, seconds in report["parse_each_file"].items():
        TIMINGS[f"DagBag parse {name} (warm)"] = seconds
    TIMINGS["import airflow"] = report["airflow_import_seconds"]


def test_bad_sources_file_breaks_only_the_crawl_file(tmp_path):
    report = inspect_dags(tmp_path, "sources:\n  - name: Bad Name\n    start_urls: [http://x/]\n")
    assert list(report["import_errors"]) == ["coopwatch_crawl.py"]
    assert "sources.yaml:2" in report["import_errors"]["coopwatch_crawl.py"]
    assert sorted(d["dag_id"] for d in report["dags"]) == ["coopwatch_alerts", "coopwatch_maintenance"]


def test_bad_schedule_names_the_source(tmp_path):
    report = inspect_dags(tmp_path, "sources:\n  - name: alpha\n    start_urls: [http://x/]\n    schedule: every day\n")
    error = report["import_errors"]["coopwatch_crawl.py"]
    assert "source 'alpha'" in error and "'schedule' must be a cron expression" in error
