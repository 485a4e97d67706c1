"""
### coopwatch alerts: tell staff about new cooperation events, once per event

Runs whenever a crawl DAG updates the Asset `coopwatch://event-reports` (new or changed event reports were
indexed) and every day at 07:00 UTC, so that daily and weekly digests go out even on days without news.

**Task:** `run_alerts` runs every watch rule (the rules file `alerts.yaml` beside the sources file, and the
rules saved in the alerts database): it finds the reports first indexed since the rule's last successful run,
groups them into events, queues one message per new event (or the digest) in the outbox and delivers what is
due, retrying failed deliveries with backoff on later runs. What was sent is recorded per (rule, event), so a
retried or repeated run never sends a message twice. Channel URLs come from `COOPWATCH_CHANNEL_*` variables.

The task fails when a rule cannot run (a channel not configured or refused), after running the others, so the
problem shows in the UI; a delivery that keeps failing is dead-lettered and listed by `coopwatch alerts status`.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from coopwatch.dag_support import EVENT_REPORTS

log = logging.getLogger(__name__)

DIGEST_CRON = os.environ.get("COOPWATCH_ALERTS_CRON", "0 7 * * *")


@dag(
    dag_id="coopwatch_alerts",
    description="Tell staff about new cooperation events by email, chat or webhook, once per event",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable(DIGEST_CRON, timezone="UTC"), assets=[EVENT_REPORTS]),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "coopwatch",
        "retries": 2,
        "retry_delay": timedelta(seconds=float(os.environ.get("COOPWATCH_RETRY_DELAY_SECONDS", "120"))),
        "retry_exponential_backoff": 2.0,
        "execution_timeout": timedelta(minutes=30),
    },
    doc_md=__doc__,
    tags=["coopwatch", "alerts"],
)
def coopwatch_alerts():
    run_alerts()


@task
def run_alerts() -> dict:
    """Run every watch rule and deliver due messages; fail when a rule could not run."""
    from coopwatch.alerting import open_runner
    from ingest.settings import Settings

    with open_runner(Settings.load()) as runner:
        report = runner.run()
    for rule in report.rules:
        (log.error if rule.problem else log.info)(
            "rule %s: %d new, %d updated, %d message(s) queued%s", rule.rule, rule.new, rule.updated, rule.messages,
            f"; cannot run: {rule.problem}" if rule.problem else "")
    for failure in report.failures:
        log.warning("delivery: %s", failure)
    counts = {"sent": report.sent, "retrying": report.retrying, "dead": report.dead,
              "new": sum(r.new for r in report.rules), "updated": sum(r.updated for r in report.rules)}
    log.info("alert cycle: %s", counts)
    problems = [r.rule for r in report.rules if r.problem]
    if problems:
        raise RuntimeError(f"rules that could not run: {', '.join(problems)} (see the log above)")
    return counts


coopwatch_alerts()
