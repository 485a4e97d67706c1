"""Run DAGs one after another with ``dag.test()`` in one interpreter; run in a subprocess by the tests.

Usage: ``python tests/dags/run_dags.py DAGS_FOLDER DAG_ID [DAG_ID ...]`` with AIRFLOW_HOME (migrated
metadata DB) and COOPWATCH_* set; ``RUN_CONF`` may hold JSON ``{dag_id: run conf}``. Prints one
``RESULT {json}`` line per run: dag_id, state, seconds. Exits 1 when a run did not succeed.
"""

from __future__ import annotations

import json
import os
import sys
import time


def run_one(bag, dag_id: str, conf: dict | None) -> dict:
    """Run one DAG to the end; return its final state and duration."""
    started = time.perf_counter()
    dag_run = bag.get_dag(dag_id).test(run_conf=conf)
    return {"dag_id": dag_id, "run_id": dag_run.run_id, "state": str(dag_run.state),
            "seconds": round(time.perf_counter() - started, 2)}


def main(folder: str, dag_ids: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(folder)
    if bag.import_errors:
        print("IMPORT_ERRORS " + json.dumps(bag.import_errors), flush=True)
        return 2
    confs = json.loads(os.environ.get("RUN_CONF") or "{}")
    failed = 0
    for dag_id in dag_ids:
        result = run_one(bag, dag_id, confs.get(dag_id))
        failed += result["state"] != "success"
        print("RESULT " + json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
