"""Event grouping wired to a store: the one call the indexing paths make, and the commands behind `coopwatch event`.

``assign_events(backend, docs)`` runs before a batch is indexed (the CLI crawl and the Airflow DAG through
``coopwatch.run.index_stage``, ``reprocess``): every event report gets its event id, under the store's grouping
lock so that two crawls never group at once. ``group_stored`` groups reports already in a store that have no
event yet (a store made before grouping existed, or copied in by ``reindex --from``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ingest.events import Grouper, GroupingOutcome, is_groupable
from ingest.models import Document

GROUP_BATCH = 200


def has_events(backend) -> bool:
    """Tell whether a backend stores events."""
    return hasattr(backend, "event_lock") and hasattr(backend, "save_events")


def assign_events(backend, docs: list[Document]) -> GroupingOutcome | None:
    """Set ``event_id`` on every event report of a batch, oldest publication first, and store the events."""
    if not has_events(backend) or not docs:
        return None
    ordered = sorted(docs, key=lambda d: (d.published or "9999", d.url))
    with backend.event_lock():
        return Grouper(backend).group(ordered)


def group_stored(backend, progress: Callable[[int], None] | None = None) -> GroupingOutcome:
    """Group the stored event reports that have no event id yet, in publication order; store their ids.

    Only the order (publication date, URL, id) of the pending reports is held; each batch is read again by
    id, so memory does not grow with the store.
    """
    total = GroupingOutcome()
    pending = sorted((d.published or "9999", d.url, d.id) for d in backend.iter_documents()
                     if is_groupable(d) and not d.event_id)
    for start in range(0, len(pending), GROUP_BATCH):
        batch = [doc for *_, doc_id in pending[start:start + GROUP_BATCH] if (doc := backend.get(doc_id))]
        outcome = assign_events(backend, batch)
        backend.upsert([d for d in batch if d.event_id])
        _add(total, outcome)
        if progress:
            progress(start + len(batch))
    _refresh(backend)
    return total


def split_report(backend, event_id: str, doc_id: str) -> str:
    """Take a report out of an event for good; return the event it is in afterwards."""
    with backend.event_lock():
        new_id = Grouper(backend).split(event_id, doc_id)
    _refresh(backend)
    return new_id


def _add(total: GroupingOutcome, outcome: GroupingOutcome | None) -> None:
    if outcome is None:
        return
    for name in ("started", "joined", "kept", "removed"):
        setattr(total, name, getattr(total, name) + getattr(outcome, name))
    total.merged += outcome.merged
    total.moves.update(outcome.moves)


def _refresh(backend) -> None:
    getattr(backend, "refresh", lambda: None)()


def events_of(docs: Iterable[Document]) -> set[str]:
    """Return the event ids a set of documents carries."""
    return {d.event_id for d in docs if d.event_id}
