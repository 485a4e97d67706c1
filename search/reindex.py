"""Copy every document from one backend into another (SQLite -> Elasticsearch, or an alias swap)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from search.base import SearchBackend, UpsertStats


def reindex(
    source: SearchBackend,
    target: SearchBackend,
    batch_size: int = 500,
    progress: Callable[[UpsertStats], None] | None = None,
) -> UpsertStats:
    """Upsert all documents of ``source`` into ``target`` in batches; return the summed stats.

    Idempotent: documents already in ``target`` with the same content hash count ``unchanged``.
    ``progress`` (when given) is called with the running totals after every batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    total = UpsertStats()
    documents = source.iter_documents()
    while batch := list(islice(documents, batch_size)):
        total.add(target.upsert(batch))
        if progress is not None:
            progress(total)
    return total
