"""Real DAG runs: every demo source's crawl DAG end to end into the embedded store, then a second run."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.dags.conftest import TIMINGS, coopwatch_env, started_demo
from tests.dags.harness import AirflowHome, clean_env, new_home

pytestmark = pytest.mark.airflow

SOURCES = ("harbour", "donghai", "pearl")
DAG_IDS = tuple(f"coopwatch_crawl_{s}" for s in SOURCES)
ASSET_URI = "coopwatch://event-reports/"


@dataclass
class TwoRuns:
    """What the module's two rounds of DAG runs did."""

    home: AirflowHome
    store: str
    first: list[dict]
    second: list[dict]
    first_log: list = field(default_factory=list)
    second_log: list = field(default_factory=list)
    output: str = ""
    asset_events_after_first: list = field(default_factory=list)
    asset_events_after_second: list = field(default_factory=list)


@pytest.fixture(scope="module")
def two_runs(airflow_template_db, tmp_path_factory) -> TwoRuns:
    folder = tmp_path_factory.mktemp("crawl-run")
    with started_demo() as sites:
        home = new_home(airflow_template_db, folder / "airflow", coopwatch_env(folder, sites))
        first, out1 = home.run_dags(*DAG_IDS)
        first_log = sites.request_log
        events1 = home.asset_events(ASSET_URI)
        sites.clear_log()
        second, out2 = home.run_dags(*DAG_IDS)
        runs = TwoRuns(home, home.coopwatch_env["COOPWATCH_STORE"], first, second, first_log, sites.request_log,
                       out1 + out2, events1, home.asset_events(ASSET_URI))
    TIMINGS["first round (3 DAGs, one process)"] = round(sum(r["seconds"] for r in first), 1)
    TIMINGS["second round"] = round(sum(r["seconds"] for r in second), 1)
    for result in first + second:
        TIMINGS.setdefault(f"dag.test {result['dag_id']} (first)", result["seconds"])
    return runs


def stored_documents(store: str) -> list:
    from search import open_backend

    with open_backend(store) as backend:
        return list(backend.iter_documents())


def test_every_crawl_dag_run_succeeds_twice(two_runs):
    assert [r["state"] for r in two_runs.first] == ["success"] * 3, two_runs.output[-5000:]
    assert [r["state"] for r in two_runs.second] == ["success"] * 3, two_runs.output[-5000:]


def test_documents_of_every_source_are_searchable(two_runs):
    from search import open_backend
    from search.base import Query

    with open_backend(two_runs.store) as backend:
        hits = backend.search(Query(text="Hong Kong", limit=50))
        assert hits.total > 0
        sources = dict(backend.search(Query(limit=0, facets=True)).facets["source"])
    assert set(sources) == set(SOURCES)


def test_second_run_refetches_nothing_unchanged(two_runs):
    article_paths = {urlsplit(d.url).path for d in stored_documents(two_runs.store)}
    first = [r for r in two_runs.first_log if urlsplit(r.path).path in article_paths]
    second = [r for r in two_runs.second_log if urlsplit(r.path).path in article_paths]
    assert first and all(r.status == 200 for r in first)
    assert {urlsplit(r.path).path for r in second} == article_paths
    assert all(r.conditional and r.status == 304 for r in second), [(r.path, r.status) for r in second if r.status != 304]


def test_asset_updated_only_when_event_reports_changed(two_runs):
    from search import open_backend
    from search.base import Query

    with open_backend(two_runs.store) as backend:
        event_reports = backend.search(Query(events_only=True, limit=0)).total
    assert event_reports > 0, "the demo sites hold event reports; none was indexed"
    assert two_runs.asset_events_after_first, "event reports were indexed but no Asset event was emitted"
    assert all(e["extra"]["events_changed"] > 0 for e in two_runs.asset_events_after_first)
    assert sum(e["extra"]["events_changed"] for e in two_runs.asset_events_after_first) == event_reports
    assert two_runs.asset_events_after_second == two_runs.asset_events_after_first  # nothing changed


def test_runs_are_recorded_and_health_is_reported(two_runs):
    from ingest.state import CrawlState

    with CrawlState(two_runs.home.coopwatch_env["COOPWATCH_STATE_PATH"]) as state:
        health = {h["source"]: h for h in state.source_health()}
        runs = {s: state.runs(s) for s in SOURCES}
    assert set(health) == set(SOURCES)
    for source in SOURCES:
        assert [r["ok"] for r in runs[source]] == [True, True]
        assert runs[source][1]["counts"]["new"] > 0 and runs[source][0]["counts"]["fetched"] == 0
        assert health[source]["last_success"] and health[source]["warning"] is None
    first_failures = {s: runs[s][1]["counts"]["failures"] for s in SOURCES}
    assert first_failures == {"harbour": {"robots": 1}, "donghai": {}, "pearl": {"http": 1, "extract": 1}}
    assert two_runs.output.count("source=harbour last_success=") == 2


def test_stats_cli_shows_per_source_health(two_runs):
    env = clean_env() | two_runs.home.coopwatch_env | {"COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "coopwatch.cli", "stats"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    print("\n" + done.stdout)
    for source in SOURCES:
        assert source in done.stdout


def test_work_directories_are_removed_after_success(two_runs):
    work = Path(two_runs.home.coopwatch_env["COOPWATCH_STATE_PATH"]).parent / "work"
    assert {p.name for p in work.iterdir()} == set(DAG_IDS)  # the runs did work there
    assert [p for p in work.glob("*/*")] == []
