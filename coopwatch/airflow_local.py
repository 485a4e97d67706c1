"""`make airflow` / `make airflow-stop`: a local Airflow 3 that crawls the demo sites, and stopping all of it.

``python -m coopwatch.airflow_local start`` serves the demo sites (like ``make run``; or crawls ``--sources
FILE``), migrates the metadata database, starts the api-server, scheduler, dag-processor and triggerer in
the background, bound to 127.0.0.1 and with a parallelism fit for a small machine, waits until the API
reports every component healthy, and prints where to log in. The crawl DAGs start unpaused, so each
source is crawled at once and then on its schedule, into the same store as the CLI's.

``stop`` stops every process ``start`` started and every process those started: each was started in a
session of its own, and carries a marker in its environment, so a worker is found even when it lost its
parent or left the session (and the api-server, whose process title overwrites its environment, by its
session). SIGTERM first, SIGKILL after a grace period. ``status`` says what runs.

Everything lives in the Airflow home (default ``var/airflow``): airflow.cfg, airflow.db, logs/, the
generated admin password, run.json (what runs) and env.sh (``. var/airflow/env.sh`` sets up a shell for
the ``airflow`` CLI on this installation).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from coopwatch.demo import REGISTRY_ENV, use_demo_registry

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
MARKER = "COOPWATCH_AIRFLOW_RUN"  # in the environment of every process a start launched
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
DEFAULT_PORT = 8080
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL


class LaunchError(RuntimeError):
    """Airflow could not be started; the message says why and where the log is."""


# ---------------------------------------------------------------------------------------------- settings


def parallelism() -> int:
    """Return how many tasks run at once: the cores, at least 2 and at most 4 (Airflow's default is 32)."""
    return min(4, max(2, os.cpu_count() or 2))


def free_port(preferred: int) -> int:
    """Return the preferred port when nothing listens on it, else a free one."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise LaunchError("no free port on 127.0.0.1")


def airflow_env(home: Path, port: int, sources: Path, demo: bool, marker: str) -> dict[str, str]:
    """Return the environment of every Airflow process: its configuration and coopwatch's settings."""
    var = ROOT / "var"
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism()),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # the components start `airflow` by name
        "COOPWATCH_SOURCES": str(sources),
        "COOPWATCH_STORE": os.environ.get("COOPWATCH_STORE") or str(var / "coopwatch.sqlite"),
        "COOPWATCH_STATE_PATH": os.environ.get("COOPWATCH_STATE_PATH") or str(var / "crawl-state.sqlite"),
        "COOPWATCH_ARCHIVE_DIR": os.environ.get("COOPWATCH_ARCHIVE_DIR") or str(var / "warc"),
        "COOPWATCH_ALERTS_DB": os.environ.get("COOPWATCH_ALERTS_DB") or str(var / "alerts.sqlite"),
        MARKER: marker,
    }
    if demo:  # the demo sites listen on 127.0.0.1, which the private-address guard refuses unless allowed
        env |= {"COOPWATCH_ALLOW_HOSTS": "127.0.0.1", "COOPWATCH_MIN_DELAY": "0.05"}
        registry = {k: v for k, v in os.environ.items() if k == REGISTRY_ENV}
        use_demo_registry(registry)  # the user's registry folder, else the demo's
        env |= registry
    return env


def write_env_file(home: Path, env: dict[str, str]) -> Path:
    """Write env.sh: the settings a shell needs to run the `airflow` CLI against this installation."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items() if name != MARKER]
    path = home / "env.sh"
    path.write_text("# . this file, then: airflow dags list\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- processes


def spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> int:
    """Start a background process in its own session, output to logs/<name>.log; return its pid."""
    log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it open
    try:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=ROOT, start_new_session=True)
    finally:
        log.close()
    return process.pid


def our_processes(state: dict) -> list[int]:
    """Return the live processes of a run: in the session of a process it started, or carrying its marker."""
    sessions = set(state["pids"].values())  # each was started as the leader of a new session
    needle = f"{MARKER}={state['marker']}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if is_zombie(entry):
                continue
            if session_of(entry) in sessions or needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


def proc_stat(proc: Path) -> list[str]:
    """Return the fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, session, ...)."""
    return (proc / "stat").read_text().rsplit(")", 1)[1].split()


def session_of(proc: Path) -> int | None:
    """Return the session id of a process, or None when it is gone."""
    try:
        return int(proc_stat(proc)[3])
    except (OSError, IndexError, ValueError):
        return None


def is_zombie(proc: Path) -> bool:
    """Tell whether a /proc entry is a process that has exited but not been reaped."""
    return proc_stat(proc)[0] == "Z"


def signal_all(pids: list[int], signum: int) -> None:
    """Send a signal to each process, skipping those already gone."""
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def reap_children() -> None:
    """Collect exited children of this process, so they do not linger as zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------------------------------------- start


def start(home: Path, port: int, sources: Path | None, timeout: float) -> int:
    """Start everything (unless it runs already), wait until it is healthy, print where to log in."""
    state = read_state(home)
    if state and our_processes(state):
        print(f"Airflow already runs from {home} (make airflow-stop stops it)")
        print_welcome(home, state)
        return 0
    home.mkdir(parents=True, exist_ok=True)
    logs = home / "logs"
    logs.mkdir(exist_ok=True)
    marker = f"{home}#{uuid.uuid4().hex[:12]}"
    state = {"marker": marker, "home": str(home), "pids": {}, "port": free_port(port)}
    write_state(home, state)  # before anything starts, so that a stop always finds what did
    try:
        launch(home, state, sources, logs, timeout)
    except (LaunchError, OSError, ValueError, KeyError, KeyboardInterrupt) as exc:  # stop whatever did start
        print("interrupted" if isinstance(exc, KeyboardInterrupt) else f"error: {exc}", file=sys.stderr)
        stop(home, quiet=True)
        return 1
    print_welcome(home, state)
    return 0


def launch(home: Path, state: dict, sources: Path | None, logs: Path, timeout: float) -> None:
    """Serve the demo sites when no sources are given, migrate the database, start the four components."""
    demo = sources is None
    if demo:
        sources = home / "demo-sources.yaml"
        sources.unlink(missing_ok=True)
        from coopwatch.demo import DEMO_DIR  # the demo's watch rules, beside its sources: console channel only

        (home / "alerts.yaml").write_text((DEMO_DIR / "alerts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        env = {**os.environ, **airflow_env(home, state["port"], sources, True, state["marker"])}
        state["pids"]["demo-sites"] = spawn("demo-sites", [sys.executable, "-m", "coopwatch.demo", "serve",
                                                           "--port-base", "auto", "--write-sources", str(sources)],
                                            env, logs)
        write_state(home, state)
        wait_for(lambda: sources.exists(), 30, "the demo sites to start", logs / "demo-sites.log")
        state["demo_sites"] = [line.split()[1] for line in (logs / "demo-sites.log").read_text().splitlines()
                               if line.startswith(("harbour", "donghai", "pearl"))][-3:]
    settings = airflow_env(home, state["port"], sources, demo, state["marker"])
    env = {**os.environ, **settings}
    state["sources"] = str(sources)
    write_env_file(home, settings)
    print(f"Airflow home {home}: migrating the metadata database ...", flush=True)
    migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, cwd=ROOT, capture_output=True,
                             text=True)
    (logs / "db-migrate.log").write_text(migrate.stdout + migrate.stderr, encoding="utf-8")
    if migrate.returncode != 0:
        raise LaunchError(f"airflow db migrate failed; see {logs / 'db-migrate.log'}:\n{tail(migrate.stderr)}")
    for name in COMPONENTS:
        state["pids"][name] = spawn(name, [str(BIN / "airflow"), name], env, logs)
    write_state(home, state)
    print(f"starting {', '.join(COMPONENTS)} on 127.0.0.1:{state['port']} ...", flush=True)
    deadline = time.monotonic() + timeout
    wait_until_healthy(state, timeout, logs)
    state["dags"] = wait_for_dags(home, state, crawl_dag_ids(sources), deadline - time.monotonic(), logs)
    write_state(home, state)


def wait_until_healthy(state: dict, timeout: float, logs: Path) -> None:
    """Wait until the API answers and reports every component healthy; fail early when a component exits."""
    url = f"http://127.0.0.1:{state['port']}/api/v2/monitor/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap_children()
        for name, pid in state["pids"].items():
            if not alive(pid):
                raise LaunchError(f"the {name} exited; last lines of {logs / (name + '.log')}:\n"
                                  f"{tail((logs / (name + '.log')).read_text(errors='replace'))}")
        if all_healthy(url):
            return
        time.sleep(2)
    raise LaunchError(f"Airflow did not report healthy within {timeout:.0f} s; see the logs in {logs}")


def crawl_dag_ids(sources: Path) -> list[str]:
    """Return the ids of the crawl DAGs the sources file makes (one per enabled source)."""
    from ingest.sources import load_sources

    return [f"coopwatch_crawl_{source.name}" for source in load_sources(str(sources))]


def wait_for_dags(home: Path, state: dict, expected: list[str], timeout: float, logs: Path) -> list[str]:
    """Log in as admin and wait until the API lists the expected DAGs; return every DAG id it lists."""
    base = f"http://127.0.0.1:{state['port']}"
    password = json.loads((home / PASSWORD_FILE).read_text(encoding="utf-8"))["admin"]
    token = api_call(base, "POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
    deadline = time.monotonic() + max(timeout, 30)
    while time.monotonic() < deadline:
        dags = [d["dag_id"] for d in api_call(base, "GET", "/api/v2/dags?limit=100", token=token)["dags"]]
        if set(expected) <= set(dags):
            return sorted(dags)
        time.sleep(2)
    raise LaunchError(f"the DAGs {', '.join(sorted(set(expected) - set(dags)))} did not appear; see "
                      f"{logs / 'dag-processor.log'} (and the import errors in the UI)")


def api_call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    """Call the Airflow REST API and return its JSON answer."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def all_healthy(url: str) -> bool:
    """Tell whether the health endpoint reports every component healthy."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return False
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((health.get(part) or {}).get("status") == "healthy" for part in parts)


def wait_for(condition, timeout: float, what: str, log: Path) -> None:
    """Wait until condition() holds, or fail naming what did not happen and its log."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise LaunchError(f"timed out waiting for {what}; see {log}:\n{tail(log.read_text(errors='replace'))}")
        time.sleep(0.2)


def alive(pid: int) -> bool:
    """Tell whether a process runs (and is not a zombie)."""
    try:
        return not is_zombie(Path("/proc") / str(pid))
    except (OSError, IndexError):
        return False


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.splitlines()[-lines:])


def print_welcome(home: Path, state: dict) -> None:
    """Print where to log in, what runs and how to stop it."""
    base = f"http://127.0.0.1:{state['port']}"
    dags = state.get("dags") or []
    print(f"\nAirflow is running: {base}  (api-server, scheduler, dag-processor, triggerer; "
          f"{parallelism()} tasks at a time; bound to 127.0.0.1)")
    print(f"  log in as admin; the password is in {home / PASSWORD_FILE}")
    print(f"  DAGs, unpaused (each runs now, then on its schedule): {', '.join(dags)}")
    if state.get("demo_sites"):
        print(f"  demo sites: {', '.join(state['demo_sites'])}; sources {state['sources']}")
    print(f"  the airflow CLI here: . {home / 'env.sh'} && airflow dags list")
    print(f"  logs: {home / 'logs'}/   stop all of it: make airflow-stop")


# ---------------------------------------------------------------------------------------------- stop


def stop(home: Path, quiet: bool = False) -> int:
    """Stop every process of the run recorded in the home: SIGTERM, then SIGKILL what is left."""
    state = read_state(home)
    if state is None:
        if not quiet:
            print(f"Airflow is not running from {home}")
        return 0
    pids = our_processes(state)
    if pids:
        signal_all(pids, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and our_processes(state):
            reap_children()
            time.sleep(0.5)
        signal_all(our_processes(state), signal.SIGKILL)
        time.sleep(0.5)
        reap_children()
    left = our_processes(state)
    if not left:
        (home / "run.json").unlink(missing_ok=True)
    if left:
        print(f"error: processes {left} did not stop", file=sys.stderr)
        return 1
    if not quiet:
        print(f"stopped Airflow and the demo sites ({len(pids)} processes)")
    return 0


def status(home: Path) -> int:
    """Print what runs; exit 3 when nothing does."""
    state = read_state(home)
    pids = our_processes(state) if state else []
    if not pids:
        print(f"Airflow is not running from {home}")
        return 3
    running = [name for name, pid in state["pids"].items() if alive(pid)]
    print(f"Airflow runs from {home}: {', '.join(running)} ({len(pids)} processes) at http://127.0.0.1:{state['port']}")
    return 0


def read_state(home: Path) -> dict | None:
    path = home / "run.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_state(home: Path, state: dict) -> None:
    path = home / "run.json"
    path.with_suffix(".tmp").write_text(json.dumps(state, indent=2), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


# ---------------------------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coopwatch.airflow_local", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--home", default=os.environ.get("COOPWATCH_AIRFLOW_HOME", str(ROOT / "var" / "airflow")),
                        help="the Airflow home (default var/airflow, or COOPWATCH_AIRFLOW_HOME)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("COOPWATCH_AIRFLOW_PORT", DEFAULT_PORT)),
                        help="API server port (default 8080, or a free one when 8080 is taken)")
    parser.add_argument("--sources", help="crawl this sources file instead of serving the demo sites")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for a healthy Airflow (300)")
    args = parser.parse_args(argv)
    home = Path(args.home).resolve()
    if args.command == "start":
        if not (BIN / "airflow").exists():
            print("error: Airflow is not installed in this environment: make airflow installs it "
                  "(pip install -e '.[airflow]')", file=sys.stderr)
            return 2
        sources = Path(args.sources).resolve() if args.sources else None
        return start(home, args.port, sources, args.timeout)
    return stop(home) if args.command == "stop" else status(home)


if __name__ == "__main__":
    sys.exit(main())
