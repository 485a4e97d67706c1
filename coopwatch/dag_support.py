"""What several Airflow DAG files share: the event-reports Asset (crawl DAGs update it, the alerts DAG waits on it)."""

from __future__ import annotations

from airflow.sdk import Asset

EVENT_REPORTS = Asset(name="coopwatch_event_reports", uri="coopwatch://event-reports")
