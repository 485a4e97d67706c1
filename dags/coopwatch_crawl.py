"""
### coopwatch crawl: one DAG per watched source

Generated from the sources file (`COOPWATCH_SOURCES`, else `sources` in the coopwatch settings): one DAG
`coopwatch_crawl_<source>` per enabled source, on that source's own `schedule` (default `@daily`).

**Tasks:** `discover` (listing pages, feeds, sitemaps) -> `fetch_and_extract` (mapped, one task per batch
of URLs) -> `structure` (mapped, one per batch) -> `index` (upsert into the store) -> `announce_reports`
(updates the `coopwatch://event-reports` Asset when new or changed event reports were indexed).
`record_run` always runs and writes the run's counts to the crawl state; `report_health` logs the
source's health and warns when it has yielded nothing for `empty_runs_warning` runs in a row.

**Idempotent:** stages write files under a per-run work directory and re-running a task rewrites the
same file; the store upserts by document id; crawl validators are committed only once a document is
indexed, so a task killed mid-way and retried leaves no duplicate and no gap. The crawl window comes
from the stored crawl state (conditional requests against committed validators), never from
`data_interval_*`, so `catchup` is off and a missed run is simply caught up by the next one.

**Politeness:** the fetcher takes a cross-process per-host lock (`lock_dir`), so at most one request is in
flight per host even across overlapping DAG runs, DAGs of two sources on one host, and CLI crawls.
`max_active_runs=1` keeps a source's runs from queueing behind each other.

**Backfill of archive pages:** trigger with a higher listing pagination limit, e.g.
`airflow dags trigger coopwatch_crawl_<source> --conf '{"max_pages": 50}'`; the discovery follows up to
50 listing pages per start URL (older reports) for that run only.

XCom carries only paths and counts. A sources file that does not load makes this file fail to import
with the file:line error shown in the Airflow UI; DAGs in other files are not affected.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG, Param, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from coopwatch.dag_support import EVENT_REPORTS

log = logging.getLogger(__name__)
DEFAULT_ARGS = {
    "owner": "coopwatch",
    "retries": 3,
    "retry_delay": timedelta(seconds=float(os.environ.get("COOPWATCH_RETRY_DELAY_SECONDS", "120"))),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(minutes=30),
}
FETCH_TIMEOUT = timedelta(hours=2)  # one batch of 50 pages at a polite delay, with Retry-After waits
FETCH_POOL = os.environ.get("COOPWATCH_AIRFLOW_POOL", "default_pool")  # optional cap on concurrent fetch tasks


def build_crawl_dags() -> dict[str, DAG]:
    """Build one crawl DAG per enabled source of the sources file (a local YAML read, no network)."""
    from ingest.settings import ConfigError, Settings
    from ingest.sources import load_sources

    path = Settings.load().sources
    dags = {}
    for source in load_sources(path):
        try:
            built = build_crawl_dag(source)
            built.validate()  # a bad schedule fails here, naming its source, not later in the DagBag
        except Exception as exc:  # noqa: BLE001 - re-raised with the file and source named
            raise ConfigError(f"{path}: source {source.name!r}: cannot build its DAG ({type(exc).__name__}: {exc});"
                              " 'schedule' must be a cron expression such as '0 6 * * *' or a preset such as"
                              " '@daily'") from None
        dags[f"crawl_{source.name.replace('-', '_')}"] = built
    return dags


def run_settings():
    """Return the crawl settings for a task (environment and config file, as for the CLI)."""
    from ingest.settings import Settings

    return Settings.load()


def run_workdir(settings, dag_id: str, run_id: str) -> str:
    """Return this DAG run's work directory (beside the crawl state, shared by all its tasks)."""
    from coopwatch.run import work_root

    safe_run = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return str(work_root(settings) / dag_id / safe_run)


def build_crawl_dag(source) -> DAG:
    """Return the crawl DAG of one source."""

    @dag(
        dag_id=f"coopwatch_crawl_{source.name}",
        description=f"Crawl {source.name}: discover, fetch and extract, structure, index",
        schedule=source.schedule,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        dagrun_timeout=timedelta(hours=12),
        doc_md=__doc__,
        tags=["coopwatch", "crawl", f"source:{source.name}"],
        params={
            "max_pages": Param(None, type=["null", "integer"], minimum=1, maximum=1000,
                               description="listing pages to follow per start URL for this run (backfill)"),
            "empty_runs_warning": Param(3, type="integer", minimum=1,
                                        description="warn when a source yields nothing this many runs in a row"),
        },
    )
    def crawl():
        found = discover(source_name=source.name)
        fetched = fetch_and_extract.partial(source_name=source.name).expand(batch=found)
        structured = structure.expand(fetched=fetched)
        indexed = index(structured)
        recorded = record_run(source.name, fetched, structured, indexed)
        announce_reports(source.name, indexed)
        report_health(source.name) << recorded
        cleanup_workdir() << [indexed, recorded]

    return crawl()


@task
def discover(source_name: str, params=None, ti=None, dag=None, run_id=None) -> list[dict]:
    """Find the source's candidate URLs; return one small dict per batch (path and range)."""
    from ingest.pipeline import discover_stage

    settings = run_settings()
    workdir = run_workdir(settings, dag.dag_id, run_id)
    found = discover_stage(source_name, settings, workdir, max_pages=params.get("max_pages"))
    ti.xcom_push(key="summary", value={"count": found["count"], "failures": found["discovery_failures"]})
    log.info("discovered %d URLs of %s in %d batches", found["count"], source_name, len(found["batches"]))
    fail_when_no_start_page_was_read(found)
    return [{"urls_path": found["path"], "start": start, "end": end} for start, end in found["batches"]]


def fail_when_no_start_page_was_read(found: dict) -> None:
    """Fail the run, without retries, when every start page failed; the message names the reason and the fix."""
    from airflow.sdk.exceptions import AirflowFailException

    from coopwatch.explain import discovery_problem

    problem = discovery_problem(found["count"], found["discovery_failures"])
    if problem:
        raise AirflowFailException(problem)


@task(execution_timeout=FETCH_TIMEOUT, max_active_tis_per_dagrun=2, pool=FETCH_POOL)
def fetch_and_extract(source_name: str, batch: dict, dag=None, run_id=None) -> dict:
    """Fetch one batch of URLs politely and extract their articles; return the file path and counts."""
    from ingest.pipeline import fetch_stage

    settings = run_settings()
    workdir = run_workdir(settings, dag.dag_id, run_id)
    out = fetch_stage(source_name, batch["urls_path"], settings, workdir, batch["start"], batch["end"])
    return {k: out[k] for k in ("path", "urls", "fetched", "not_modified", "failed", "failures", "failure_examples")}


@task
def structure(fetched: dict) -> dict:
    """Structure one batch of articles into documents; return the file path and counts."""
    from ingest.pipeline import structure_stage

    return structure_stage(fetched["path"], settings=run_settings())


@task(trigger_rule="none_failed")
def index(structured: list[dict]) -> dict:
    """Upsert the run's documents into the store and commit their crawl validators."""
    from coopwatch.run import index_stage
    from ingest.state import state_target

    settings = run_settings()
    stats = index_stage([s["path"] for s in structured or []], settings.store, state_target(settings))
    for failure in stats.pop("failures", []):
        log.warning("not indexed: %s", failure)
    for event in stats.pop("new_events", []):
        log.info("new event report %s: %s", event["id"][:12], event["title"])
    log.info("indexed: %s", stats)
    return stats


@task(trigger_rule="all_done")
def record_run(source_name: str, fetched, structured, indexed, ti=None) -> dict:
    """Write this run's counts to the crawl state (also when a task failed, as a failed run)."""
    from ingest.state import open_state, state_target

    discovered = ti.xcom_pull(task_ids="discover", key="summary")
    counts = summarise_run(source_name, discovered, fetched, structured, indexed)
    ok = indexed is not None and not counts.get("failure")  # fetched nothing because of failures: not a success
    with open_state(state_target(run_settings())) as state:
        run_id = state.start_run(source_name)
        state.finish_run(run_id, counts, ok=ok)
    log.info("run of %s (%s): %s", source_name, "ok" if ok else "failed", counts)
    if not ok:
        from coopwatch.alerting import notify_failed_run

        log.warning("operators: %s", notify_failed_run(run_settings(), source_name, run_id, counts))
    return {k: v for k, v in counts.items() if k != "failures"}


def summarise_run(source_name: str, discovered, fetched, structured, indexed) -> dict:
    """Add up the counts the tasks returned into one run summary (as a CLI crawl records it)."""
    from coopwatch.run import SourceSummary

    summary = SourceSummary(source_name)
    summary.add_discovered((discovered or {}).get("count", 0), (discovered or {}).get("failures") or {})
    for batch in fetched or []:
        if batch:  # None for a batch whose task failed
            summary.add_fetched(batch)
    for batch in structured or []:
        if batch:
            summary.add_structured(batch)
    if indexed:
        summary.add_indexed(indexed)
    return summary.conclude().as_counts()


@task(outlets=[EVENT_REPORTS])
def announce_reports(source_name: str, indexed: dict, outlet_events=None) -> None:
    """Update the event-reports Asset when new or changed event reports were indexed; skip otherwise."""
    if not indexed.get("events_changed"):
        raise AirflowSkipException("no new or changed event reports")
    outlet_events[EVENT_REPORTS].extra = {
        "source": source_name, "events_changed": indexed["events_changed"],
        "new": indexed["new"], "updated": indexed["updated"]}


@task(trigger_rule="all_done")
def report_health(source_name: str, params=None) -> list[dict]:
    """Log the source's health; warn when it has yielded nothing for several runs in a row."""
    from coopwatch.alerting import notify_quiet_source
    from coopwatch.run import log_source_health
    from ingest.state import state_target

    rows = log_source_health(state_target(run_settings()), params["empty_runs_warning"], log, source_name)
    for row in rows:
        if row.get("warning"):
            log.warning("operators: %s", notify_quiet_source(run_settings(), row))
    return rows


@task
def cleanup_workdir(dag=None, run_id=None) -> None:
    """Remove this run's work files once everything is indexed and recorded."""
    import shutil

    shutil.rmtree(run_workdir(run_settings(), dag.dag_id, run_id), ignore_errors=True)


globals().update(build_crawl_dags())
