"""Real DAG runs: a crawl DAG finds new events, updates the Asset, the alerts DAG mails staff once per event."""

from __future__ import annotations

import time

import pytest

from tests.dags.conftest import TIMINGS, coopwatch_env, started_demo
from tests.dags.harness import new_home
from tests.support.receivers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.airflow

ASSET_URI = "coopwatch://event-reports/"
RULES = """\
rules:
  - name: shanghai-hong-kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [mail]
  - name: greater-bay-area
    search: {text: Greater Bay Area, events_only: true}
    channels: [mail]
"""
EXPECTED = {
    "[coopwatch] New: Shanghai–Hong Kong Symposium Explores Shared Paths to Urban Renewal (2025-03-12)",
    "[coopwatch] New: Greater Bay Area Forum Examines Cross-boundary Mobility (2025-04-18)",
}


def alert_env(folder, smtp: SmtpReceiver) -> dict[str, str]:
    rules = folder / "alerts.yaml"
    rules.write_text(RULES, encoding="utf-8")
    return {"COOPWATCH_ALERTS": str(rules), "COOPWATCH_ALERTS_DB": str(folder / "alerts.sqlite"),
            "COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()}


def crawl_then_alert(home, smtp: SmtpReceiver, label: str) -> None:
    """Run the harbour crawl DAG and then the alerts DAG; check one mail per event, and none on a rerun."""
    started = time.monotonic()
    results, output = home.run_dags("coopwatch_crawl_harbour", "coopwatch_alerts")
    assert [r["state"] for r in results] == ["success", "success"], output[-5000:]
    mails = smtp.wait_for(len(EXPECTED))
    TIMINGS[f"crawl DAG run to alert mail received ({label})"] = round(time.monotonic() - started, 1)
    assert home.asset_events(ASSET_URI), "the crawl found event reports but updated no Asset"
    assert {m["Subject"] for m in mails} == EXPECTED
    again, output = home.run_dags("coopwatch_crawl_harbour", "coopwatch_alerts")
    assert [r["state"] for r in again] == ["success", "success"], output[-5000:]
    time.sleep(0.5)
    assert len(smtp.messages) == len(EXPECTED)  # nothing new, nothing sent twice


def test_crawl_dag_then_alerts_dag_mails_each_new_event_once(airflow_template_db, tmp_path):
    with started_demo() as sites, SmtpReceiver() as smtp:
        env = coopwatch_env(tmp_path, sites) | alert_env(tmp_path, smtp)
        crawl_then_alert(new_home(airflow_template_db, tmp_path / "airflow", env), smtp, "SQLite")


@pytest.mark.es
def test_crawl_dag_then_alerts_dag_on_elasticsearch(es_home, tmp_path):
    home, _backend = es_home
    with SmtpReceiver() as smtp:
        home.coopwatch_env.update(alert_env(tmp_path, smtp))
        crawl_then_alert(home, smtp, "Elasticsearch")


def test_a_source_gone_quiet_is_told_to_the_operators_once(airflow_template_db, tmp_path):
    with started_demo() as sites, WebhookReceiver() as hook:
        sources = tmp_path / "quiet-sources.yaml"
        # the listing answers but no link matches any more (a changed layout): quiet, not failed
        sources.write_text(f"sources:\n  - name: quiet\n    start_urls: [{sites.origins['harbour']}/news/]\n"
                           "    include: ['/no-such-section/']\n", encoding="utf-8")
        env = coopwatch_env(tmp_path, sites) | {
            "COOPWATCH_SOURCES": str(sources), "COOPWATCH_ALERTS_DB": str(tmp_path / "alerts.sqlite"),
            "COOPWATCH_CHANNEL_OPERATORS": hook.apprise_url()}
        home = new_home(airflow_template_db, tmp_path / "airflow", env)
        confs = {"coopwatch_crawl_quiet": {"empty_runs_warning": 1}}
        first, output = home.run_dags("coopwatch_crawl_quiet", confs=confs)
        second, _ = home.run_dags("coopwatch_crawl_quiet", confs=confs)
    assert first[0]["state"] == "success", output[-4000:]
    assert [body["title"] for _, body in hook.received] == ["[coopwatch] source went quiet: quiet"]
    assert "sources check --discover" in hook.received[0][1]["message"]
