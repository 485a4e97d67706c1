"""The fault suite: every case names what it expects and records what it observed (bench/faults.py prints both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.httpd import LocalServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/faults with the ``faults`` marker (``pytest -m faults``)."""
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


class Fault:
    """What one fault case expects and what it observed, recorded as test properties for the matrix."""

    def __init__(self, record) -> None:
        self._record = record

    def expect(self, text: str) -> None:
        self._record("expected", text)

    def saw(self, text: object) -> None:
        self._record("observed", str(text))


@pytest.fixture
def fault(record_property, request) -> Fault:
    doc = (request.node.function.__doc__ or request.node.name).strip().splitlines()[0]
    record_property("case", doc)
    return Fault(record_property)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv
