"""The alert cycle wired to coopwatch settings: used by `coopwatch alerts`, the quick start and the DAGs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from ingest.models import store_stamp
from ingest.settings import Settings
from search import open_backend
from search.alerts.channels import Channels
from search.alerts.runner import AlertRunner, AlertSettings, message_key
from search.alerts.store import AlertStore, Message
from search.base import Query

OPERATORS = "operators"


def alert_settings(settings: Settings) -> AlertSettings:
    """Return the alert cycle's plain settings from coopwatch settings."""
    return AlertSettings(
        rules_path=settings.alerts_path(), db_path=settings.alerts_db, env_file=settings.alerts_env_file,
        public_url=settings.public_url, lookback_days=settings.alerts_lookback_days,
        max_attempts=settings.alerts_max_attempts, backoff_seconds=settings.alerts_backoff,
    )


def with_speaker_key(query: Query) -> Query:
    """Add the registry key of the query's speaker, so a person is found under every spelling of the name."""
    if not query.speaker or query.speaker_key:
        return query
    from ingest.structure import person_key

    return replace(query, speaker_key=person_key(query.speaker) or None)


@contextmanager
def open_runner(settings: Settings) -> Iterator[AlertRunner]:
    """Open the store, the alerts database and the channels, and yield a runner over them."""
    plain = alert_settings(settings)
    channels = Channels.from_environment(plain.env_file)
    with open_backend(settings.store) as backend, AlertStore(plain.db_path) as store:
        yield AlertRunner(backend, store, channels, plain, query_hook=with_speaker_key)


def notify_operators(settings: Settings, key: str, subject: str, text: str) -> str:
    """Queue and deliver a notice to the operators' channel (once per key); return what happened.

    Crawl failures and quiet sources go through the same outbox as alerts: retried, never sent twice, and the
    channel URL (COOPWATCH_CHANNEL_OPERATORS) never logged.
    """
    plain = alert_settings(settings)
    channels = Channels.from_environment(plain.env_file)
    problem = channels.problem(OPERATORS)
    if problem:
        return f"not sent: {problem}"
    now = store_stamp()
    message = Message(message_key("operators", "ops", key), "operators", "ops", subject, text,
                      f"<pre>{_escape(text)}</pre>", text, {"key": key})
    with AlertStore(plain.db_path) as store:
        if not store.queue_message(message, [OPERATORS], now):
            return "already sent"
        runner = AlertRunner(None, store, channels, plain)  # type: ignore[arg-type] - delivery needs no store
        from search.alerts.runner import CycleReport

        report = CycleReport()
        runner.deliver_due(report, now, {"operators"})
    return "sent" if report.sent else f"queued: {'; '.join(report.failures) or 'will retry'}"


def notify_failed_run(settings: Settings, source: str, run_id: int, counts: dict) -> str:
    """Tell the operators that a crawl run of a source failed (once per run)."""
    failures = ", ".join(f"{reason} {n}" for reason, n in (counts.get("failures") or {}).items()) or "see the task log"
    text = (f"The crawl of source {source!r} failed (run {run_id}).\nFailures by reason: {failures}\n"
            f"Counts: discovered {counts.get('discovered', 0)}, fetched {counts.get('fetched', 0)}, "
            f"new {counts.get('new', 0)}.\nSee `coopwatch stats` and the Airflow task logs.")
    return notify_operators(settings, f"crawl-failed:{source}:{run_id}", f"[coopwatch] crawl failed: {source}", text)


def notify_quiet_source(settings: Settings, health: dict) -> str:
    """Tell the operators that a source has yielded nothing for several runs (once a day per source)."""
    source = health["source"]
    text = (f"Source {source!r}: {health.get('warning')}.\nLast success: {health.get('last_success') or 'never'}; "
            f"runs in a row without new pages: {health.get('empty_runs')}.\nIts listing page layout may have "
            "changed: check it with `coopwatch sources check --discover`.")
    day = store_stamp()[:10]
    return notify_operators(settings, f"quiet:{source}:{day}", f"[coopwatch] source went quiet: {source}", text)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
