"""Fixtures for the DAG tests: a migrated Airflow metadata DB, the demo sites, a coopwatch environment."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.dags.harness import AirflowHome, migrated_template, new_home, require_airflow, require_es_client

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def airflow_template_db(tmp_path_factory) -> Path:
    """Migrate one Airflow metadata DB per session; tests copy it (a copy takes milliseconds)."""
    require_airflow()
    db, seconds = migrated_template(tmp_path_factory.mktemp("airflow-template"))
    TIMINGS["airflow db migrate"] = round(seconds, 1)
    return db


class Gate:
    """Hold the first request matching a site, a path fragment and a User-Agent fragment until released."""

    def __init__(self, site: str, path_part: str, agent_part: str, skip: int = 0) -> None:
        self.site, self.path_part, self.agent_part, self.skip = site, path_part, agent_part, skip
        self.held = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()

    def matches(self, site: str, path: str, agent: str) -> bool:
        return site == self.site and self.path_part in path and self.agent_part in agent

    def should_hold(self, site: str, path: str, agent: str) -> bool:
        with self._lock:
            if self.held.is_set() or not self.matches(site, path, agent):
                return False
            if self.skip > 0:
                self.skip -= 1
                return False
            self.held.set()
            return True

    def wait_if_matching(self, site: str, path: str, agent: str) -> None:
        if self.should_hold(site, path, agent):
            self.released.wait(timeout=600)


class InFlightRecorder:
    """Per site, the windows in which the demo server held a request it had not answered yet."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.windows: dict[str, list[tuple[float, float, str, str]]] = {}
        self.gate: Gate | None = None

    def record(self, site: str, arrived: float, answering: float, path: str, agent: str) -> None:
        with self.lock:
            self.windows.setdefault(site, []).append((arrived, answering, path, agent))

    def overlaps(self) -> dict[str, list[tuple[str, str]]]:
        """Return per site the pairs of requests where one arrived while the other was still unanswered."""
        out = {}
        for site, windows in self.windows.items():
            ordered = sorted(windows)
            out[site] = [(a[2], b[2]) for a, b in zip(ordered, ordered[1:]) if b[0] < a[1]]
        return out

    def agents(self, site: str) -> set[str]:
        return {w[3] for w in self.windows.get(site, [])}


def instrument(sites, recorder: InFlightRecorder) -> None:
    """Make every demo server hold each request briefly and record the window (server side only)."""
    from coopwatch.demo import DemoHandler

    class HoldingHandler(DemoHandler):
        def respond(self, send_body: bool) -> None:
            arrived = time.time()
            agent = self.headers.get("User-Agent") or ""
            if recorder.gate is not None:
                recorder.gate.wait_if_matching(self.server.site, self.path, agent)
            time.sleep(recorder.hold)
            recorder.record(self.server.site, arrived, time.time(), self.path, agent)
            super().respond(send_body)

    for server in sites.servers.values():
        server.RequestHandlerClass = HoldingHandler


@contextmanager
def started_demo(hold: float = 0.005) -> Iterator:
    """Serve the offline demo sites on ephemeral ports, with an in-flight recorder as ``.in_flight``."""
    from coopwatch.demo import DemoSites

    sites = DemoSites()
    sites.in_flight = InFlightRecorder(hold)
    instrument(sites, sites.in_flight)
    with sites:
        yield sites


@pytest.fixture
def demo_sites():
    with started_demo() as sites:
        yield sites


def coopwatch_env(folder: Path, sites, store: str | None = None) -> dict[str, str]:
    """Return the COOPWATCH_* settings for a crawl of the demo sites into files under ``folder``."""
    sources = folder / "sources.yaml"
    sources.write_text(sites.sources_yaml(), encoding="utf-8")
    return {
        "COOPWATCH_SOURCES": str(sources),
        "COOPWATCH_ALLOW_HOSTS": "127.0.0.1",
        "COOPWATCH_STORE": store or str(folder / "store.sqlite"),
        "COOPWATCH_STATE_PATH": str(folder / "state" / "crawl-state.sqlite"),
        "COOPWATCH_ARCHIVE_DIR": str(folder / "warc"),
        "COOPWATCH_LOCK_DIR": str(folder / "state" / "locks"),
        "COOPWATCH_MIN_DELAY": "0",
        "COOPWATCH_MAX_CRAWL_DELAY": "0",
        "COOPWATCH_RETRIES": "0",
    }


@pytest.fixture
def es_home(airflow_template_db, demo_sites, tmp_path) -> Iterator[tuple[AirflowHome, object]]:
    """Yield (Airflow home whose store is a fresh index prefix on the test node, a backend on that prefix)."""
    require_es_client()
    from search.elastic import ElasticsearchBackend
    from tests.search.es_support import require_test_node, unique_prefix

    url = require_test_node()
    env = coopwatch_env(tmp_path, demo_sites, store=url) | {
        "COOPWATCH_ES_INDEX": unique_prefix(), "COOPWATCH_ES_DEADLETTER": str(tmp_path / "deadletters.sqlite")}
    home = new_home(airflow_template_db, tmp_path / "airflow", env)
    backend = ElasticsearchBackend.from_url(url, env=env)
    try:
        yield home, backend
    finally:
        backend.drop()
        backend.close()


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMINGS:
        terminalreporter.write_line("DAG test timings (s): " + ", ".join(f"{k} {v}" for k, v in TIMINGS.items()))
