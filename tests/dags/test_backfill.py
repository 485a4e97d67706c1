"""Backfill of a source's archive pages: a run with a higher ``max_pages`` follows the listing further back."""

from __future__ import annotations

import pytest

from tests.dags.conftest import coopwatch_env
from tests.dags.harness import new_home

pytestmark = pytest.mark.airflow

LISTING_ONLY = """
  - name: donghai-listing
    start_urls: ["{origin}/xwdt/"]
    include: ['/xwdt/\\d{{6}}/t\\d{{8}}_\\d+\\.html$']
    max_pages: 1
    language: zh
    min_delay: 0.05
"""
DAG_ID = "coopwatch_crawl_donghai-listing"


def test_backfill_run_with_more_listing_pages_finds_older_reports(airflow_template_db, demo_sites, tmp_path):
    from search import open_backend

    env = coopwatch_env(tmp_path, demo_sites)
    with open(env["COOPWATCH_SOURCES"], "a", encoding="utf-8") as sources:
        sources.write(LISTING_ONLY.format(origin=demo_sites.origins["donghai"]))
    home = new_home(airflow_template_db, tmp_path / "airflow", env)

    results, output = home.run_dags(DAG_ID)
    assert results and results[0]["state"] == "success", output[-5000:]
    with open_backend(env["COOPWATCH_STORE"]) as backend:
        recent = backend.count()
    listings_before = {r.path for r in demo_sites.requests_for("donghai") if "index" in r.path or r.path == "/xwdt/"}

    results, output = home.run_dags(DAG_ID, confs={DAG_ID: {"max_pages": 10}})
    assert results and results[0]["state"] == "success", output[-5000:]
    with open_backend(env["COOPWATCH_STORE"]) as backend:
        everything = backend.count()
    listings_after = {r.path for r in demo_sites.requests_for("donghai") if "index" in r.path or r.path == "/xwdt/"}
    assert listings_before == {"/xwdt/"}
    assert {"/xwdt/index_1.html", "/xwdt/index_2.html"} <= listings_after
    assert 0 < recent < everything
