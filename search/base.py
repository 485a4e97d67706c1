"""The one search interface every backend implements, and the query model they share.

Semantics every backend must honour (the contract suite in ``tests/search/contract.py`` checks them):

- ``upsert`` is idempotent by ``Document.id``; a document whose ``content_hash`` equals the stored one
  is counted ``unchanged`` and not rewritten.
- ``Query.text`` is user input: it is escaped, never interpreted as backend syntax. Words are ANDed.
  Chinese text matches by word/character sequence (``合作`` and ``沪港`` find Chinese reports).
  ``Query.text_match``, when set (``search.normalise.normalise_query`` sets it), replaces the words as
  typed: a tree of AllOf/AnyOf over terms, each term matched as a phrase exactly as a typed term is.
  Call ``normalise_query`` on user input: it maps places, people and event types through the
  vocabularies (上海 = Shanghai, 滬 = 沪, 研讨会 = symposium) in text and filters alike.
- Filters are ANDed. List filters (``sources``, ``cities``) match any of their values.
  ``pair`` matches a document whose ``event.city_pairs`` contains that pair (order-insensitive).
  ``speaker`` matches a speaker whose name contains every word of it, in any order, case-insensitively
  (or whose registry key equals it); ``speaker_key`` and ``speaker_keys`` also match those registry keys
  (so 梁振英 finds "Leung Chun-ying" when the structurer's registry knows both); ``org`` on an organiser
  or speaker affiliation (substring, case-insensitive). ``since``/``until`` are inclusive ISO dates on
  ``Document.date`` (event date, else publication date).
- Results: best match first when there is text, else newest ``date`` first; ``Query.sort == "date"`` puts
  the newest first even with text. ``total`` counts all matches.
  Best match: most ranking points first, where every query term (the first ``MAX_RANKED_TERMS``) earns the
  ``FIELD_WEIGHTS`` of the fields it occurs in: title 4, event fields (speakers, affiliations, organisers,
  cities) 2, body 1; a name's other names (上海 for Shanghai) count as the term. Equal points: BM25, then
  newest. So a report naming the term in its title and its event fields outranks one naming it in its
  title and body only, which outranks one that only mentions it in the body.
- ``Hit.snippet`` is HTML: the matched words wrapped in ``<mark>``, everything else HTML-escaped.
- ``facets`` (when ``Query.facets`` is true) maps facet name -> list of (value, count), counts descending,
  for: source, language, event_type, city, city_pair ("A|B"), speaker, organization, topic; plus
  ``histogram``: list of (YYYY-MM, count) of event dates, ascending.
- Every stored document carries two store timestamps (``Document.indexed_at``, ``changed_at``; ISO 8601 UTC
  with milliseconds, see ``ingest.models.store_stamp``): ``indexed_at`` is set when the store first sees the
  id and never changes; ``changed_at`` is set whenever the content hash changes. A document that brings its own
  stamps (copied from another store by ``reindex``, or restored) keeps them, so a copy is never "new".
  ``indexed_since`` / ``changed_since`` filter on them (inclusive); ``event_ids`` matches any of the ids.
- ``collapse`` returns one hit per event (the best-matching report; documents without an event id are their
  own row); ``total`` then counts rows, and ``Hit.group_size`` says how many matching reports a row stands for.
- Events (``search/events.py``): ``get_event(id)`` also finds an event by an id merged into it;
  ``search_events(query)`` applies the same text and filters to event records (see ``search.events``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.models import Document, Event, store_stamp
from search.text import TextMatch

class BackendConfigError(ValueError):
    """A store setting a user can fix (bad URL, credentials, index name); the message says how."""


MIN_PREFIX = 8  # shortest id prefix ``get`` resolves
# Ranking points: every query term earns the weights of the fields it occurs in, so a match in the title counts
# most, one in the event fields (speaker names and affiliations, organisers, cities) next, one in the body least.
FIELD_WEIGHTS = {"title": 4, "event": 2, "body": 1}
FACET_LIMIT = 50  # most values returned per facet
SORTS = ("relevance", "date")
FACET_NAMES = ("source", "language", "event_type", "city", "city_pair", "speaker", "organization", "topic")


@dataclass
class Query:
    """A search: free text plus filters and paging."""

    text: str = ""
    sources: list[str] = field(default_factory=list)
    language: str | None = None
    since: str | None = None  # YYYY-MM-DD inclusive
    until: str | None = None  # YYYY-MM-DD inclusive
    cities: list[str] = field(default_factory=list)
    pair: tuple[str, str] | None = None
    speaker: str | None = None
    speaker_key: str | None = None  # registry key of the same person, matched as an alternative to ``speaker``
    speaker_keys: list[str] = field(default_factory=list)  # registry keys of the person's other names, likewise
    org: str | None = None
    event_type: str | None = None
    topic: str | None = None
    events_only: bool = False
    event_ids: list[str] = field(default_factory=list)  # documents of any of these events
    indexed_since: str | None = None  # ISO 8601 timestamp: first indexed at or after it
    changed_since: str | None = None  # ISO 8601 timestamp: content last changed at or after it
    limit: int = 20
    offset: int = 0
    facets: bool = False
    collapse: bool = False  # one hit per event (see the module docstring)
    event_status: str | None = None  # search_events only: "held" or "announced"
    sort: str = "relevance"  # "relevance" (best match first when there is text, else newest) or "date" (newest)
    text_match: TextMatch | None = None  # ``text`` as search.normalise rewrote it; None: the words as typed


@dataclass
class Hit:
    """One search result."""

    id: str
    url: str
    title: str
    source: str
    language: str | None
    date: str | None
    score: float
    snippet: str  # HTML with <mark> around matches
    event_type: str | None = None
    is_event_report: bool = False
    cities: list[str] = field(default_factory=list)
    city_pairs: list[list[str]] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)
    event_id: str | None = None
    indexed_at: str | None = None
    group_size: int = 1  # with Query.collapse: matching reports of this event


def event_hit_fields(event: dict[str, Any] | None) -> dict[str, Any]:
    """Return the Hit fields taken from a stored event report (its ``to_dict`` form): cities, pairs, speakers."""
    event = event or {}
    return {
        "cities": list(event.get("cities") or []),
        "city_pairs": [list(p) for p in event.get("city_pairs") or []],
        "speakers": [s["name"] for s in event.get("speakers") or [] if s.get("name")],
    }


def write_stamps(doc: Document, stored: bool, now: str) -> dict[str, str]:
    """Return the store timestamps to write for a new or changed document (``indexed_at`` only when new).

    A document that carries its own stamps (a copy from another store) keeps them; a fresh one gets ``now``.
    """
    carried = doc.carries_stamps
    changed = store_stamp(doc.changed_at) if carried and doc.changed_at else now
    if stored:
        return {"changed_at": changed}
    indexed = store_stamp(doc.indexed_at) if carried else now
    return {"indexed_at": indexed, "changed_at": changed if carried else indexed}


def legacy_stamp(fetched_at: str | None) -> str:
    """Return the first-indexed stamp of a document stored before stamps existed: its fetch time, else now."""
    try:
        return store_stamp(fetched_at or None)
    except ValueError:
        return store_stamp()


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    histogram: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class EventSearchResult:
    """Events matching a query (``SearchBackend.search_events``)."""

    total: int
    events: list[Event]


@dataclass
class UpsertStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (doc id, reason)

    def add(self, other: UpsertStats) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.failures.extend(other.failures)


class SearchBackend(abc.ABC):
    """A document store with full-text and faceted search."""

    @abc.abstractmethod
    def upsert(self, docs: Iterable[Document]) -> UpsertStats:
        """Insert or update documents by id; unchanged content is not rewritten."""

    @abc.abstractmethod
    def get(self, doc_id: str) -> Document | None:
        """Return the stored document with this id (a unique id prefix of 8+ chars also works)."""

    @abc.abstractmethod
    def search(self, query: Query) -> SearchResult:
        """Run a query."""

    @abc.abstractmethod
    def delete(self, doc_id: str) -> bool:
        """Delete one document; return whether it existed."""

    @abc.abstractmethod
    def count(self) -> int:
        """Number of stored documents."""

    @abc.abstractmethod
    def iter_documents(self) -> Iterator[Document]:
        """Yield every stored document (for reindexing and export)."""

    def content_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        """Return {id: content_hash} for the ids that are stored."""
        out = {}
        for i in ids:
            doc = self.get(i)
            if doc is not None:
                out[i] = doc.content_hash
        return out

    # events (implemented in search/events_sqlite.py and search/events_elastic.py; protocol: ingest.events.store)

    def get_event(self, event_id: str) -> Event | None:
        """Return an event by id, or the event that id was merged into."""
        raise NotImplementedError(f"{type(self).__name__} stores no events")

    def search_events(self, query: Query) -> EventSearchResult:
        """Return the events matching a query's text and filters (``search.events`` has the semantics)."""
        raise NotImplementedError(f"{type(self).__name__} stores no events")

    def set_document_events(self, moves: dict[str, str | None]) -> int:
        """Give stored documents a new event id (after a merge or split); return how many were rewritten."""
        docs = []
        for doc_id, event_id in moves.items():
            doc = self.get(doc_id)
            if doc is not None and doc.event_id != event_id:
                doc.event_id = event_id
                doc.content_hash = doc.compute_hash()
                docs.append(doc)
        if docs:
            self.upsert(docs)
        return len(docs)

    def close(self) -> None:
        """Release resources."""

    def __enter__(self) -> SearchBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
