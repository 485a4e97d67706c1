"""Kill a real Elasticsearch node in the middle of indexing; the next run writes everything that was missed.

The test starts a private node of its own (scripts/es.sh on free ports, data under tmp_path), so the shared
COOPWATCH_TEST_ES node is never disturbed. It needs java 17+ and Maven; without them it skips (CI=true: fails).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from ingest.models import Document
from search.base import Query
from search.elastic import ElasticsearchBackend
from tests.search.contract import make_doc
from tests.search.es_support import private_node

pytestmark = pytest.mark.es

BATCH = 1200
KILL_AFTER = 700  # documents handed to upsert before the node dies (the batch size is 500)


@pytest.fixture
def node(tmp_path):
    yield from private_node(tmp_path / "node")


def crawl_batch() -> list[Document]:
    """Return a batch with repeated URLs (as a crawl produces): BATCH items, fewer distinct documents."""
    docs = [make_doc(f"r{i:05d}", f"Report {i}", f"City cooperation report number {i}.") for i in range(1000)]
    return docs + docs[:BATCH - 1000]


def open_backend(url: str, deadletter: str) -> ElasticsearchBackend:
    client = Elasticsearch(url, request_timeout=10, max_retries=0)
    return ElasticsearchBackend(client, index_prefix="failover", deadletter_path=deadletter, retries=2, backoff=0.2)


def kill_midway(docs: list[Document], pid: int) -> Iterator[Document]:
    """Yield the documents, killing the node's JVM (SIGKILL) once KILL_AFTER of them have been handed over."""
    for n, doc in enumerate(docs, start=1):
        yield doc
        if n == KILL_AFTER:
            os.kill(pid, signal.SIGKILL)


def test_killed_node_then_next_run_indexes_everything_missed(node, tmp_path):
    deadletter = str(tmp_path / "deadletter.sqlite")
    batch = crawl_batch()
    distinct = len({doc.url for doc in batch})

    backend = open_backend(node.url, deadletter)
    first = backend.upsert(kill_midway(batch, node.pid()))
    backend.close()

    assert first.failed > 0, "the kill should have failed part of the run"
    assert first.new + first.updated + first.unchanged + first.failed == BATCH
    letters = backend.deadletters.entries("failover")
    assert {e["id"] for e in letters} == {doc_id for doc_id, _ in first.failures}
    assert all("unavailable" in e["reason"] or "Connection" in e["reason"] for e in letters)

    node.start()  # same data directory: what was acknowledged before the kill is still there
    backend = open_backend(node.url, deadletter)
    try:
        second = backend.upsert([])  # nothing new: the run retries the dead letters only
        backend.refresh()
        # every dead letter is written now; those whose content reached the node before the kill are unchanged
        assert second.failed == 0 and second.new + second.updated + second.unchanged == len(letters)
        assert second.new > 0
        assert backend.count() == distinct
        assert backend.deadletters.entries("failover") == []
        again = backend.upsert(batch)
        assert (again.new, again.updated, again.failed) == (0, 0, 0) and again.unchanged == BATCH
        assert backend.search(Query(text="cooperation report", limit=0)).total == distinct
    finally:
        backend.drop()
        backend.close()
