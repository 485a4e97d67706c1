"""Where events live: the small protocol the grouper needs, and an in-memory store for tests and tools.

The search backends (``search.sqlite``, ``search.elastic``) implement ``EventStore`` next to their documents, so
that events are stored, searched, copied (``reindex --from``) and backed up with the reports they group.
``ingest`` declares the protocol and never imports ``search``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from ingest.models import Event


@runtime_checkable
class EventStore(Protocol):
    """Storage for event records, the documents' event ids and the rules that keep reports apart."""

    def event_candidates(self, keys: list[str], limit: int = 200) -> list[Event]:
        """Return stored events sharing any blocking key (``Event.keys``), most recently updated first."""

    def get_event(self, event_id: str) -> Event | None:
        """Return an event by id, or the event an id was merged into."""

    def events_of_documents(self, doc_ids: list[str]) -> dict[str, str]:
        """Return {document id: event id} for the documents that belong to a stored event."""

    def save_events(self, events: list[Event]) -> None:
        """Insert or replace event records by id."""

    def delete_events(self, event_ids: list[str]) -> None:
        """Delete event records (merged away, or left without reports)."""

    def event_rules(self, doc_ids: list[str]) -> list[tuple[str, str]]:
        """Return the (document, document) pairs that must stay in different events, for these documents."""

    def add_event_rules(self, pairs: list[tuple[str, str]], reason: str) -> None:
        """Record pairs of documents that must never share an event (a split)."""

    def set_document_events(self, moves: dict[str, str | None]) -> int:
        """Give stored documents a new event id (after a merge or split); return how many were rewritten."""

    def iter_events(self) -> Iterator[Event]:
        """Yield every stored event."""


class MemoryEventStore:
    """An EventStore in memory (unit tests, the benchmark's dry runs); documents' event ids in a dict."""

    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.rules: set[tuple[str, str]] = set()
        self.document_events: dict[str, str | None] = {}

    def event_candidates(self, keys: list[str], limit: int = 200) -> list[Event]:
        wanted = set(keys)
        found = [e for e in self.events.values() if wanted & set(e.keys)]
        found.sort(key=lambda e: e.last_updated, reverse=True)
        return [copy.deepcopy(e) for e in found[:limit]]

    def get_event(self, event_id: str) -> Event | None:
        event = self.events.get(event_id) or next(
            (e for e in self.events.values() if event_id in e.merged_from), None)
        return copy.deepcopy(event) if event else None

    def events_of_documents(self, doc_ids: list[str]) -> dict[str, str]:
        wanted = set(doc_ids)
        return {m.doc_id: e.id for e in self.events.values() for m in e.reports if m.doc_id in wanted}

    def save_events(self, events: list[Event]) -> None:
        for event in events:
            self.events[event.id] = copy.deepcopy(event)

    def delete_events(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self.events.pop(event_id, None)

    def event_rules(self, doc_ids: list[str]) -> list[tuple[str, str]]:
        wanted = set(doc_ids)
        return sorted(r for r in self.rules if wanted & set(r))

    def add_event_rules(self, pairs: list[tuple[str, str]], reason: str) -> None:
        self.rules |= {tuple(sorted(p)) for p in pairs if p[0] != p[1]}

    def set_document_events(self, moves: dict[str, str | None]) -> int:
        self.document_events.update(moves)
        return len(moves)

    def iter_events(self) -> Iterator[Event]:
        yield from (copy.deepcopy(e) for e in self.events.values())
