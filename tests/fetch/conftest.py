"""Fixtures for fetch tests: a live local HTTP server and a Fetcher factory with fast test settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ingest.fetch import Fetcher
from tests.support.httpd import LocalServer

TEST_UA = "coopwatch-test/1.0 (+https://example.invalid/coopwatch; tests)"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """Yield a started LocalServer on 127.0.0.1 with no routes (add them with ``server.route``)."""
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    """Yield a factory for Fetchers allowed to reach 127.0.0.1, with no delay and no retries by default."""
    made: list[Fetcher] = []

    def factory(**overrides: object) -> Fetcher:
        options: dict[str, object] = {"allow_hosts": ["127.0.0.1"], "min_delay": 0, "retries": 0, "backoff": 0}
        options.update(overrides)
        user_agent = str(options.pop("user_agent", TEST_UA))
        fetcher = Fetcher(user_agent, **options)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield factory
    for fetcher in made:
        fetcher.close()


def free_port() -> int:
    """Return a loopback port that nothing listens on (bound then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gaps(requests: list) -> list[float]:
    """Return, for consecutive recorded requests, arrival time minus the previous answer time."""
    ordered = sorted(requests, key=lambda r: r.arrived_at)
    return [b.arrived_at - a.responded_at for a, b in zip(ordered, ordered[1:], strict=False)]
