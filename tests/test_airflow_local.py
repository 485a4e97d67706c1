"""`make airflow` and `make airflow-stop` as a user runs them: a local Airflow crawls the demo sites, then stops.

A subprocess starts it, the test waits for the API, logs in with the generated password, triggers a crawl
DAG through the REST API, sees the run succeed, stops everything and checks that no process is left.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dags.harness import clean_env, require_airflow

ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "coopwatch_crawl_harbour"

pytestmark = pytest.mark.airflow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make(target: str, env: dict[str, str], timeout: float = 420) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method), timeout=30) as r:
        return json.load(r)


def stat_fields(pid: int) -> list[str]:
    """Return /proc/<pid>/stat after the name: state, ppid, pgrp, session, ... ([] when gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def running(pid: int) -> bool:
    fields = stat_fields(pid)
    return bool(fields) and fields[0] != "Z"


def processes_of(roots: set[int]) -> set[int]:
    """Return the live processes descending from the given ones or in their sessions (an independent look)."""
    table = {int(p.name): stat_fields(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    found = {pid for pid, f in table.items() if f and f[0] != "Z" and (pid in roots or int(f[3]) in roots)}
    while True:
        children = {pid for pid, f in table.items() if f and f[0] != "Z" and int(f[1]) in found} - found
        if not children:
            return found
        found |= children


def listen_addresses(port: int) -> set[str]:
    """Return the IPv4 addresses something listens on at this TCP port."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host, hexport = local.split(":")
        if state == "0A" and int(hexport, 16) == port:
            addresses.add(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
    return addresses


def wait_for_run(base: str, token: str, run_id: str, timeout: float = 360) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(base, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}", token=token)
        if run["state"] in ("success", "failed"):
            return run
        time.sleep(3)
    pytest.fail(f"{DAG_ID} run {run_id} did not finish within {timeout} s")


def test_make_airflow_crawls_the_demo_and_make_airflow_stop_leaves_nothing(tmp_path):
    require_airflow()
    home, port = tmp_path / "airflow", free_port()
    env = clean_env() | {"COOPWATCH_AIRFLOW_HOME": str(home), "COOPWATCH_AIRFLOW_PORT": str(port),
                         "COOPWATCH_STORE": str(tmp_path / "store.sqlite"),
                         "COOPWATCH_STATE_PATH": str(tmp_path / "crawl-state.sqlite"),
                         "COOPWATCH_ARCHIVE_DIR": str(tmp_path / "warc")}
    started = make("airflow", env)
    state = json.loads((home / "run.json").read_text()) if (home / "run.json").exists() else {"pids": {}}
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        base = f"http://127.0.0.1:{port}"
        assert f"Airflow is running: {base}" in started.stdout
        password_file = home / "simple_auth_manager_passwords.json.generated"
        assert f"the password is in {password_file}" in started.stdout
        assert listen_addresses(port) == {"127.0.0.1"}  # not 0.0.0.0

        token = api(base, "POST", "/auth/token", {"username": "admin",
                                                  "password": json.loads(password_file.read_text())["admin"]})["access_token"]
        run = api(base, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None}, token)
        assert wait_for_run(base, token, run["dag_run_id"])["state"] == "success"
        runs = api(base, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns", token=token)["dag_runs"]
        assert {r["run_type"] for r in runs} == {"scheduled", "manual"}  # unpaused: it crawled on its own first
        assert all(r["state"] == "success" for r in runs)

        processes = processes_of(set(state["pids"].values()))
        workers = [p for p in processes if Path(f"/proc/{p}/cmdline").read_bytes().startswith(b"airflow worker")]
        assert 1 <= len(workers) <= 4  # a parallelism for a small machine, not 32 idle workers
    finally:
        stopped = make("airflow-stop", env, timeout=120)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "stopped Airflow and the demo sites" in stopped.stdout
    assert not [p for p in processes if running(p)], "processes left behind"
    assert not processes_of(set(state["pids"].values()))
    assert listen_addresses(port) == set()
    assert make("airflow-stop", env).stdout.startswith("Airflow is not running")

    from search import open_backend

    with open_backend(env["COOPWATCH_STORE"]) as store:  # the DAG runs crawled into the configured store
        assert store.count() > 0
