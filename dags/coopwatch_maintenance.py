"""
### coopwatch maintenance: store housekeeping, dead letters, retention, source health

Runs daily at 03:00 UTC. The tasks are independent; a failure in one does not stop the others.

- `optimize_store`: compacts the search store (SQLite: FTS5 merge, `PRAGMA optimize`, WAL truncation;
  Elasticsearch: refresh and a force-merge that only expunges deleted documents); skipped for a backend
  without `optimize()`.
- `retry_dead_letters`: re-sends documents the Elasticsearch backend could not index; skipped for
  backends without a dead-letter queue.
- `prune_crawl_state`: forgets failure logs, run records and URLs not seen for the retention period.
- `prune_warcs`: deletes WARC files older than the retention period (the reprocess command reads them).
- `prune_workdirs`: removes work directories that failed crawl runs left behind.
- `report_source_health`: logs one line per source (last success, pages, new reports, failures by
  reason) and a warning for each source that yielded nothing for `empty_runs_warning` runs in a row.

The retention period is the coopwatch setting `retention_days` (`COOPWATCH_RETENTION_DAYS`, default 90).
Trigger with `--conf '{"retention_days": 30}'` to apply another retention once.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowSkipException

log = logging.getLogger(__name__)

DEFAULT_ARGS = {
    "owner": "coopwatch",
    "retries": 2,
    "retry_delay": timedelta(seconds=float(os.environ.get("COOPWATCH_RETRY_DELAY_SECONDS", "300"))),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(hours=1),
    "execution_timeout": timedelta(hours=1),
}


def run_settings():
    """Return the coopwatch settings (environment and config file, as for the CLI)."""
    from ingest.settings import Settings

    return Settings.load()


def retention_days(params, settings) -> float:
    """Return this run's retention in days: the run's ``retention_days`` param, else the setting."""
    override = (params or {}).get("retention_days")
    return settings.retention_days if override is None else override


@dag(
    dag_id="coopwatch_maintenance",
    description="Store optimisation, dead-letter retries, retention of crawl state and WARCs, source health",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["coopwatch", "maintenance"],
    params={
        "retention_days": Param(None, type=["null", "number"], minimum=1,
                                description="keep crawl state, WARC files and work directories this many days"
                                            " (default: the retention_days setting, COOPWATCH_RETENTION_DAYS)"),
        "empty_runs_warning": Param(3, type="integer", minimum=1,
                                    description="warn when a source yields nothing this many runs in a row"),
    },
)
def coopwatch_maintenance():
    optimize_store()
    retry_dead_letters()
    prune_crawl_state()
    prune_warcs()
    prune_workdirs()
    report_source_health()


@task
def optimize_store() -> dict:
    """Compact the search store when its backend supports it."""
    from search import open_backend

    store = run_settings().store
    with open_backend(store) as backend:
        if not hasattr(backend, "optimize"):
            raise AirflowSkipException(f"{type(backend).__name__} has no optimize()")
        backend.optimize()
        documents = backend.count()
    log.info("optimised %s (%d documents)", store, documents)
    return {"documents": documents}


@task
def retry_dead_letters() -> dict:
    """Re-send documents the store could not index earlier (Elasticsearch dead letters)."""
    from search import open_backend

    with open_backend(run_settings().store) as backend:
        if not hasattr(backend, "retry_dead_letters"):
            raise AirflowSkipException(f"{type(backend).__name__} has no dead-letter queue")
        waiting = len(backend.deadletters.entries(backend.prefix))
        stats = backend.retry_dead_letters()
    for doc_id, reason in stats.failures:
        log.warning("still not indexed: %s: %s", doc_id, reason)
    written = stats.new + stats.updated + stats.unchanged
    log.info("dead letters: %d waiting, %d written, %d still failing", waiting, written, stats.failed)
    return {"waiting": waiting, "written": written, "failed": stats.failed}


def apply_retention(params, prune, message: str) -> dict:
    """Call ``prune(settings, days)`` with this run's retention; log ``message % (deleted, days)``."""
    settings = run_settings()
    days = retention_days(params, settings)
    deleted = prune(settings, days)
    log.info(message, deleted, days)
    return {"deleted": deleted, "retention_days": days}


@task
def prune_crawl_state(params=None) -> dict:
    """Forget crawl-state rows older than the retention period."""
    from ingest.state import open_state, state_target

    def prune(settings, days: float) -> int:
        with open_state(state_target(settings)) as state:
            return state.prune(older_than_days=days)

    return apply_retention(params, prune, "pruned %d crawl-state rows older than %s days")


@task
def prune_warcs(params=None) -> dict:
    """Delete WARC files older than the retention period."""
    from ingest.archive import prune_warcs as prune

    return apply_retention(params, lambda settings, days: prune(settings.archive_dir, older_than_days=days),
                           "deleted %d WARC files older than %s days")


@task
def prune_workdirs(params=None) -> dict:
    """Remove crawl work directories left by failed runs once older than the retention period."""
    from coopwatch.run import prune_workdirs as prune

    return apply_retention(params, prune, "removed %d work directories older than %s days")


@task(trigger_rule="all_done")
def report_source_health(params=None) -> list[dict]:
    """Log every source's health; warn for sources that yielded nothing for several runs."""
    from coopwatch.run import log_source_health
    from ingest.state import state_target

    return log_source_health(state_target(run_settings()), params["empty_runs_warning"], log)


coopwatch_maintenance()
