"""The crawl and maintenance DAGs into Elasticsearch (COOPWATCH_TEST_ES; skipped without it, required in CI)."""

from __future__ import annotations

import pytest

from tests.dags.conftest import TIMINGS

pytestmark = [pytest.mark.airflow, pytest.mark.es]

SOURCES = ("harbour", "donghai", "pearl")


def test_crawl_dags_index_into_elasticsearch(es_home):
    from search.base import Query

    home, backend = es_home
    results, output = home.run_dags(*(f"coopwatch_crawl_{s}" for s in SOURCES), "coopwatch_maintenance")
    TIMINGS["3 crawl DAGs + maintenance into ES"] = round(sum(r["seconds"] for r in results), 1)
    assert [r["state"] for r in results] == ["success"] * 4, output[-5000:]
    backend.refresh()
    assert backend.search(Query(text="Hong Kong")).total > 0
    assert set(dict(backend.search(Query(limit=0, facets=True)).facets["source"])) == set(SOURCES)
    states = {task: state for task, state, _ in home.latest_task_instances("coopwatch_maintenance")}
    assert states["retry_dead_letters"] == "success"
    again, output = home.run_dags("coopwatch_crawl_harbour")
    assert again[0]["state"] == "success", output[-5000:]
    assert "'new': 0, 'updated': 0" in output  # nothing re-indexed on the second run
