"""The crawl and maintenance DAGs into Elasticsearch (COOPWATCH_TEST_ES; skipped without it, required in CI)."""

from __future__ import annotations

import pytest

from tests.dags.conftest import TIMINGS, coopwatch_env
from tests.dags.harness import new_home, require_es_client

pytestmark = [pytest.mark.airflow, pytest.mark.es]

SOURCES = ("harbour", "donghai", "pearl")



def test_crawl_dags_index_into_elasticsearch(airflow_template_db, demo_sites, tmp_path):
    require_es_client()
    from search.elastic import ElasticsearchBackend
    from search.base import Query
    from tests.search.es_support import require_test_node, unique_prefix

    url = require_test_node()
    env = coopwatch_env(tmp_path, demo_sites, store=url) | {
        "COOPWATCH_ES_INDEX": unique_prefix(), "COOPWATCH_ES_DEADLETTER": str(tmp_path / "deadletters.sqlite")}
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    backend = ElasticsearchBackend.from_url(url, env=env)
    try:
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
    finally:
        backend.drop()
        backend.close()
