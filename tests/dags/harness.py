"""Run Airflow in subprocesses with an isolated AIRFLOW_HOME, a SQLite metadata DB and the repo's dags/.

Airflow is never imported into the test process (importing it creates ``~/airflow`` and reads global
config); every Airflow call is a subprocess with a clean environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags"
AIRFLOW = Path(sys.executable).with_name("airflow")
RUN_TIMEOUT = 600


def require_airflow() -> None:
    """Skip when Airflow is not installed; fail instead when CI=true."""
    if importlib.util.find_spec("airflow") is not None:
        return
    message = "apache-airflow is not installed: pip install -e '.[airflow]'"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required with CI=true)")
    pytest.skip(message)


def clean_env() -> dict[str, str]:
    """Return the current environment without any AIRFLOW_* or COOPWATCH_* variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "COOPWATCH_"))}


@dataclass
class DagRunResult:
    """What one ``airflow dags test`` did."""

    returncode: int
    output: str
    seconds: float
    states: dict[str, list[str]] = field(default_factory=dict)  # task_id -> state per map index
    tries: dict[str, int] = field(default_factory=dict)  # task_id -> highest try number

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and re.search(r"Marking run <DagRun .*> successful", self.output) is not None


@dataclass
class AirflowHome:
    """One isolated Airflow installation: its home folder, metadata DB and environment."""

    path: Path
    coopwatch_env: dict[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.path / "airflow.db"

    def env(self, **extra: str) -> dict[str, str]:
        """Return the environment for an Airflow subprocess."""
        env = clean_env()
        env.update({
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
            "COOPWATCH_RETRY_DELAY_SECONDS": "2",
        })
        env.update(self.coopwatch_env)
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        """Run an ``airflow`` CLI command to completion."""
        return subprocess.run([str(AIRFLOW), *args], env=self.env(), capture_output=True, text=True,
                              timeout=timeout, cwd=self.path)

    def start_dags_test(self, dag_id: str, conf: dict | None = None) -> subprocess.Popen:
        """Start ``airflow dags test DAG_ID`` in its own process group, output merged into stdout."""
        args = [str(AIRFLOW), "dags", "test", dag_id] + (["-c", json.dumps(conf)] if conf else [])
        return subprocess.Popen(args, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=self.path, start_new_session=True)

    def dags_test(self, dag_id: str, conf: dict | None = None) -> DagRunResult:
        """Run one DAG run to the end with ``airflow dags test``; return output and task states."""
        started = time.monotonic()
        proc = self.start_dags_test(dag_id, conf)
        output, _ = proc.communicate(timeout=RUN_TIMEOUT)
        return self.result(dag_id, proc.returncode, output, time.monotonic() - started)

    def run_dags(self, *dag_ids: str, confs: dict[str, dict] | None = None) -> tuple[list[dict], str]:
        """Run DAGs one after another with ``dag.test()`` in one subprocess; return per-run results and output.

        ``confs`` maps a DAG id to its run conf (params such as ``max_pages``)."""
        env = self.env(**({"RUN_CONF": json.dumps(confs)} if confs else {}))
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("run_dags.py")), str(DAGS_FOLDER), *dag_ids],
                              env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=self.path)
        output = done.stdout + done.stderr
        results = [json.loads(line.removeprefix("RESULT ")) for line in done.stdout.splitlines()
                   if line.startswith("RESULT ")]
        return results, output

    def result(self, dag_id: str, returncode: int, output: str, seconds: float) -> DagRunResult:
        """Build the result of the latest run of a DAG from the metadata DB."""
        result = DagRunResult(returncode, output, seconds)
        for task_id, state, try_number in self.latest_task_instances(dag_id):
            result.states.setdefault(task_id, []).append(state)
            result.tries[task_id] = max(result.tries.get(task_id, 0), try_number or 0)
        return result

    def latest_task_instances(self, dag_id: str) -> list[tuple[str, str, int]]:
        """Return (task_id, state, try_number) of every task instance of the DAG's latest run."""
        with sqlite3.connect(self.db_path) as db:
            return db.execute(
                "SELECT task_id, state, try_number FROM task_instance WHERE dag_id = ? AND run_id ="
                " (SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1) ORDER BY task_id, map_index",
                (dag_id, dag_id)).fetchall()

    def asset_events(self, uri: str) -> list[dict]:
        """Return the asset events recorded for an asset URI, oldest first."""
        with sqlite3.connect(self.db_path) as db:
            rows = db.execute(
                "SELECT e.source_dag_id, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id"
                " WHERE a.uri = ? ORDER BY e.id", (uri,)).fetchall()
        return [{"dag_id": dag_id, "extra": json.loads(extra or "{}")} for dag_id, extra in rows]


def migrated_template(folder: Path) -> tuple[Path, float]:
    """Create a migrated metadata DB in ``folder``; return its path and how long the migration took."""
    home = AirflowHome(folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    done = home.run("db", "migrate")
    assert done.returncode == 0, f"airflow db migrate failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return home.db_path, time.monotonic() - started


def new_home(template_db: Path, folder: Path, coopwatch_env: dict[str, str]) -> AirflowHome:
    """Return a fresh Airflow home whose metadata DB is a copy of the migrated template."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_db, folder / "airflow.db")
    return AirflowHome(folder, dict(coopwatch_env))


def require_es_client() -> None:
    """Skip without the es extra, but fail under CI=true, where it must be installed."""
    if importlib.util.find_spec("elasticsearch") is None:
        reason = "the es extra is not installed: pip install -e '.[es]'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
