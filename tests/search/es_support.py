"""Helpers for tests that need a real Elasticsearch node: find it (or skip, or fail in CI), start a private one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from search.elastic import ElasticsearchBackend

REPO = Path(__file__).resolve().parents[2]
ES_SCRIPT = REPO / "scripts" / "es.sh"
START_HINT = ("start one with `scripts/es.sh start && scripts/es.sh wait` and export "
              "COOPWATCH_TEST_ES=http://127.0.0.1:9201")


def skip_or_fail(reason: str) -> None:
    """Skip with the reason, except in CI (CI=true), where a missing node is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the Elasticsearch tests must run)", pytrace=False)
    pytest.skip(reason)


def node_health(url: str, timeout: float = 5.0) -> str | None:
    """Return the node's cluster health status, or None when it does not answer."""
    client = Elasticsearch(url, request_timeout=timeout, max_retries=0)
    try:
        return str(client.cluster.health()["status"])
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return None
    finally:
        client.close()


def require_test_node() -> str:
    """Return COOPWATCH_TEST_ES when it names a reachable node; otherwise skip (or fail in CI)."""
    url = os.environ.get("COOPWATCH_TEST_ES", "").strip()
    if not url:
        skip_or_fail(f"COOPWATCH_TEST_ES is not set: {START_HINT}")
    if node_health(url) not in ("green", "yellow"):
        skip_or_fail(f"no healthy Elasticsearch node at COOPWATCH_TEST_ES={url}: {START_HINT}")
    return url


def unique_prefix() -> str:
    """Return an index prefix no other test uses."""
    return f"cwtest-{uuid.uuid4().hex[:12]}"


def backend_factory(url: str, deadletter_path: str) -> tuple[Callable[..., ElasticsearchBackend], Callable[[], None]]:
    """Return (make, cleanup): make() opens a backend on a fresh prefix; cleanup() drops them all."""
    made: list[ElasticsearchBackend] = []

    def make(prefix: str | None = None, **options) -> ElasticsearchBackend:
        client = Elasticsearch(url, request_timeout=30, max_retries=options.pop("max_retries", 2),
                               retry_on_timeout=True)
        options.setdefault("retries", 2)
        options.setdefault("backoff", 0.1)
        backend = ElasticsearchBackend(client, index_prefix=prefix or unique_prefix(),
                                       deadletter_path=deadletter_path, **options)
        made.append(backend)
        return backend

    def cleanup() -> None:
        for backend in made:
            try:
                backend.drop()
            except Exception:  # noqa: BLE001 - the node may be gone (failover tests)
                pass
            backend.close()

    return make, cleanup


def free_base_port() -> int:
    """Return a base port whose HTTP (+1) and transport (+101) ports are both free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            http = probe.getsockname()[1]
        if http + 101 < 65535 and _port_free(http + 100) and _port_free(http):
            return http - 1
    raise RuntimeError("no free pair of ports found for a private Elasticsearch node")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PrivateNode:
    """A separate Elasticsearch node of a test's own, run through scripts/es.sh."""

    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "ES_BASE_PORT": str(free_base_port()), "ES_HOME": str(home)}
        self.url = f"http://127.0.0.1:{int(self.env['ES_BASE_PORT']) + 1}"
        self.home = home

    def run(self, command: str) -> None:
        """Run one es.sh subcommand; fail the test with its output when it fails."""
        done = subprocess.run(["bash", str(ES_SCRIPT), command], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"scripts/es.sh {command} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)

    def start(self) -> None:
        self.run("start")
        self.run("wait")

    def pid(self) -> int:
        return int((self.home / "es.pid").read_text())

    def stop(self) -> None:
        self.run("stop")


def private_node(home: Path) -> Iterator[PrivateNode]:
    """Start a private node (skip, or fail in CI, without java and Maven); stop it afterwards.

    Runs when the Elasticsearch tests are opted into (COOPWATCH_TEST_ES set) or in CI, so a plain
    ``make test`` on a machine without a node does not start a JVM or call Maven.
    """
    if not os.environ.get("COOPWATCH_TEST_ES") and os.environ.get("CI", "").lower() != "true":
        pytest.skip("the failover test starts its own node; it runs when COOPWATCH_TEST_ES is set or CI=true")
    for tool in ("java", "mvn", "curl"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed: the private-node test needs java 17+, Maven and curl")
    node = PrivateNode(home)
    node.start()
    try:
        yield node
    finally:
        node.stop()
