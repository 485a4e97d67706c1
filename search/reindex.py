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
    copy_events(source, target, batch_size)
    return total


def copy_events(source: SearchBackend, target: SearchBackend, batch_size: int = 500) -> int:
    """Copy every event record and split rule of ``source`` into ``target`` (ids kept); return the events copied.

    Documents keep their event ids in a copy, so the events they point to come along with them.
    """
    if not all(hasattr(b, "iter_events") for b in (source, target)):
        return 0
    copied = 0
    events = source.iter_events()
    while batch := list(islice(events, batch_size)):
        target.save_events(batch)
        copied += len(batch)
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for doc_a, doc_b, reason in source.iter_event_rules():
        by_reason.setdefault(reason, []).append((doc_a, doc_b))
    for reason, pairs in by_reason.items():
        target.add_event_rules(pairs, reason)
    return copied
