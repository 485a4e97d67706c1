"""Load the DAG folder into a DagBag and print a JSON report; run in a subprocess by the integrity tests.

Usage: ``python tests/dags/inspect_dags.py DAGS_FOLDER`` (with AIRFLOW_HOME and COOPWATCH_* set).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HEAVY_MODULES = ("trafilatura", "requests", "elasticsearch", "lxml", "jieba", "warcio", "search",
                 "ingest.pipeline", "ingest.fetch", "ingest.state", "coopwatch.run")


def parse_each_file(folder: Path) -> dict[str, float]:
    """Return seconds to parse each DAG file on its own, measured after Airflow is imported."""
    from airflow.dag_processing.dagbag import DagBag

    seconds = {}
    for path in sorted(folder.glob("*.py")):
        started = time.perf_counter()
        DagBag(str(path))
        seconds[path.name] = round(time.perf_counter() - started, 3)
    return seconds


def describe_task(task) -> dict:
    """Return the attributes the integrity test checks on every task."""
    timeout = task.execution_timeout
    return {"task_id": task.task_id, "owner": task.owner, "retries": task.retries,
            "retry_exponential_backoff": task.retry_exponential_backoff,
            "execution_timeout": timeout.total_seconds() if timeout else None,
            "trigger_rule": str(task.trigger_rule), "outlets": [getattr(o, "uri", str(o)) for o in task.outlets]}


def describe_dag(dag) -> dict:
    """Return the attributes the integrity test checks on every DAG."""
    timetable = dag.timetable
    return {"dag_id": dag.dag_id, "fileloc": Path(dag.fileloc).name, "tags": sorted(dag.tags),
            "catchup": dag.catchup, "max_active_runs": dag.max_active_runs, "doc_md": dag.doc_md or "",
            "schedule": dag.schedule if isinstance(dag.schedule, str) or dag.schedule is None else str(dag.schedule),
            "timetable": type(timetable).__name__,
            "params": sorted(dag.params.keys()), "tasks": [describe_task(t) for t in dag.tasks]}


def main(folder: str) -> None:
    started = time.perf_counter()
    import airflow  # noqa: F401 - measured apart from the DAG files

    airflow_import = time.perf_counter() - started
    before = set(sys.modules)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(folder)
    loaded_by_dags = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("ingest", "search", "coopwatch")
                            or m in HEAVY_MODULES)
    report = {
        "import_errors": {Path(k).name: v for k, v in bag.import_errors.items()},
        "dags": [describe_dag(d) for d in bag.dags.values()],
        "stats": [{"file": Path(s.file).name, "seconds": s.duration.total_seconds(), "dags": s.dag_num}
                  for s in bag.dagbag_stats],
        "parse_each_file": parse_each_file(Path(folder)),
        "airflow_import_seconds": round(airflow_import, 3),
        "modules_loaded_by_dag_files": loaded_by_dags,
        "heavy_modules_loaded": sorted(m for m in HEAVY_MODULES if m in sys.modules and m not in before),
    }
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
