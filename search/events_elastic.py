"""Event records in Elasticsearch, in their own index beside the documents (``ElasticsearchBackend`` mixes this in).

The index ``P-events`` (for an index prefix ``P``) holds three kinds of records, told apart by ``kind``:
``event`` (the record as an unindexed object plus the fields searches and grouping use), ``rule`` (two
documents a split keeps apart) and one ``lock`` while a grouping runs. Writes refresh the index, so the next
batch's grouping sees them; events are few next to documents.

Also here: ``Query.collapse`` for document searches (``collapse`` on ``group_key``, the event id or else the
document id, with a cardinality count of the rows).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import ConflictError, NotFoundError, helpers

from ingest.models import Event, store_stamp
from search.base import EventSearchResult, Query
from search.events import EVENTS_LIMIT, event_facets, event_search_text
from search.text import fold, pair_key, speaker_terms

KEYWORD = {"type": "keyword", "ignore_above": 1024}
EVENT_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": KEYWORD, "id": KEYWORD, "status": KEYWORD, "event_type": KEYWORD,
        "event_date": {"type": "date", "format": "strict_date_optional_time||yyyy-MM-dd||yyyy-MM||yyyy",
                       "ignore_malformed": True},
        "first_seen": {"type": "date"}, "last_updated": {"type": "date"}, "report_count": {"type": "integer"},
        "text": {"type": "text", "index": False, "fields": {"en": {"type": "text", "analyzer": "english"},
                                                            "cjk": {"type": "text", "analyzer": "cjk"}}},
        "terms": KEYWORD,  # "kind:value" rows of search.events.event_facets
        "speakers": {"type": "nested", "properties": {"words": {"type": "text", "analyzer": "whitespace"}}},
        "record": {"type": "object", "enabled": False},
        "doc_a": KEYWORD, "doc_b": KEYWORD, "reason": {"type": "keyword", "index": False},
        "created_at": {"type": "date"},
        "holder": {"type": "keyword", "index": False},  # the grouping lock's host:pid
    },
}
ADDED_FIELDS = ("holder",)  # put on an events index created before them
LOCK_ID = "grouping-lock"
LOCK_STALE = timedelta(minutes=10)  # a lock older than this was left by a crashed grouping
LOCK_WAIT = 600  # seconds


class ElasticsearchEvents:
    """Event storage and search for ``ElasticsearchBackend`` (uses its ``client`` and ``prefix``)."""

    client: Any
    prefix: str

    @property
    def events_index(self) -> str:
        return f"{self.prefix}-events"

    def ensure_events_index(self) -> None:
        """Create the events index when missing (tolerating a racing twin)."""
        if self.client.indices.exists(index=self.events_index):
            if not getattr(self, "_events_fields_added", False):
                self.client.indices.put_mapping(index=self.events_index, properties={
                    name: EVENT_MAPPINGS["properties"][name] for name in ADDED_FIELDS})
                self._events_fields_added = True
            return
        try:
            self.client.indices.create(index=self.events_index, mappings=EVENT_MAPPINGS,
                                       settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"})
        except Exception as exc:  # noqa: BLE001 - another process created it first
            if getattr(exc, "error", "") != "resource_already_exists_exception":
                raise

    def drop_events_index(self) -> None:
        """Delete the events index (tests and teardown)."""
        self.client.indices.delete(index=self.events_index, ignore_unavailable=True)

    # the EventStore protocol (ingest.events.store) ------------------------------------------------------------

    def event_candidates(self, keys: list[str], limit: int = 200) -> list[Event]:
        """Return stored events sharing any grouping key, most recently updated first."""
        if not keys:
            return []
        query = _events({"terms": {"terms": [f"key:{k}" for k in keys]}})
        return self._search_records(query, size=limit, sort=[{"last_updated": "desc"}])

    def get_event(self, event_id: str) -> Event | None:
        """Return an event by id, or the event that id was merged into."""
        self.ensure_events_index()
        query = _events({"bool": {"should": [{"term": {"id": event_id}}, {"term": {"terms": f"merged:{event_id}"}}],
                                  "minimum_should_match": 1}})
        found = self._search_records(query, size=2, sort=[{"first_seen": "asc"}])
        exact = [e for e in found if e.id == event_id]
        return (exact or found or [None])[0]

    def events_of_documents(self, doc_ids: list[str]) -> dict[str, str]:
        """Return {document id: event id} for documents that belong to a stored event."""
        found: dict[str, str] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start:start + 500]
            query = _events({"terms": {"terms": [f"member:{d}" for d in chunk]}})
            for event in self._search_records(query, size=len(chunk)):
                found.update({m.doc_id: event.id for m in event.reports if m.doc_id in chunk})
        return found

    def save_events(self, events: list[Event]) -> None:
        """Insert or replace event records by id."""
        self.ensure_events_index()
        actions = [{"_op_type": "index", "_index": self.events_index, "_id": f"event:{e.id}",
                    "_source": _event_source(e)} for e in events]
        helpers.bulk(self.client, actions, refresh=True)

    def delete_events(self, event_ids: list[str]) -> None:
        """Delete event records by id."""
        actions = [{"_op_type": "delete", "_index": self.events_index, "_id": f"event:{i}"} for i in event_ids]
        helpers.bulk(self.client, actions, refresh=True, raise_on_error=False)

    def event_rules(self, doc_ids: list[str]) -> list[tuple[str, str]]:
        """Return the pairs of documents kept apart that involve these documents."""
        self.ensure_events_index()
        query = {"bool": {"filter": [{"term": {"kind": "rule"}}],
                          "should": [{"terms": {"doc_a": doc_ids}}, {"terms": {"doc_b": doc_ids}}],
                          "minimum_should_match": 1}}
        hits = self.client.search(index=self.events_index, query=query, size=10_000)["hits"]["hits"]
        return sorted({(h["_source"]["doc_a"], h["_source"]["doc_b"]) for h in hits})

    def add_event_rules(self, pairs: list[tuple[str, str]], reason: str) -> None:
        """Record pairs of documents that must never share an event."""
        self.ensure_events_index()
        now = store_stamp()
        actions = []
        for pair in pairs:
            a, b = sorted(pair)
            if a != b:
                actions.append({"_op_type": "index", "_index": self.events_index, "_id": f"rule:{a}:{b}",
                                "_source": {"kind": "rule", "doc_a": a, "doc_b": b, "reason": reason,
                                            "created_at": now}})
        helpers.bulk(self.client, actions, refresh=True)

    def iter_events(self) -> Iterator[Event]:
        """Yield every stored event."""
        self.ensure_events_index()
        for hit in helpers.scan(self.client, index=self.events_index, query={"query": _events({"match_all": {}})}):
            yield Event.from_dict(hit["_source"]["record"])

    def iter_event_rules(self) -> Iterator[tuple[str, str, str]]:
        """Yield every (document, document, reason) rule."""
        self.ensure_events_index()
        for hit in helpers.scan(self.client, index=self.events_index, query={"query": {"term": {"kind": "rule"}}}):
            source = hit["_source"]
            yield source["doc_a"], source["doc_b"], source.get("reason") or ""

    @contextmanager
    def event_lock(self) -> Iterator[None]:
        """Hold the grouping lock: a lock record created only when absent (a stale one is taken over)."""
        self.ensure_events_index()
        deadline = time.monotonic() + LOCK_WAIT
        while not self._take_lock():
            if time.monotonic() > deadline:
                raise TimeoutError(f"another event grouping holds {self.events_index}/{LOCK_ID}")
            time.sleep(0.5)
        try:
            yield
        finally:
            self.client.options(ignore_status=404).delete(index=self.events_index, id=LOCK_ID, refresh=True)

    def _take_lock(self) -> bool:
        """Create the lock record; remove it first when it is stale. Return whether this process holds it."""
        try:
            self.client.create(index=self.events_index, id=LOCK_ID, refresh=True,
                               document={"kind": "lock", "created_at": store_stamp(), "holder": lock_holder()})
            return True
        except ConflictError:
            try:
                lock = self.client.get(index=self.events_index, id=LOCK_ID)["_source"]
            except NotFoundError:
                return False
            stale = datetime.fromisoformat(lock["created_at"]) < datetime.now(timezone.utc) - LOCK_STALE
            if stale or holder_is_gone(lock.get("holder")):
                self.client.options(ignore_status=404).delete(index=self.events_index, id=LOCK_ID, refresh=True)
            return False

    # searching ------------------------------------------------------------------------------------------------

    def search_events(self, query: Query) -> EventSearchResult:
        """Return the events matching a query (semantics in ``search.events``)."""
        from search.elastic import text_clauses, whole_period

        self.ensure_events_index()
        must = _event_text_clauses(text_clauses(query)) or [{"match_all": {}}]
        filters = [{"term": {"kind": "event"}}, *_event_filters(query, whole_period)]
        limit, offset = min(max(0, int(query.limit)), EVENTS_LIMIT), max(0, int(query.offset))
        newest = [{"event_date": {"order": "desc", "missing": "_last"}}, {"last_updated": "desc"}, {"id": "desc"}]
        sort = (["_score"] if query.text.strip() else []) + newest
        response = self.client.search(index=self.events_index, query={"bool": {"must": must, "filter": filters}},
                                      from_=offset, size=limit, sort=sort, track_total_hits=True)
        events = [Event.from_dict(h["_source"]["record"]) for h in response["hits"]["hits"]]
        return EventSearchResult(total=int(response["hits"]["total"]["value"]), events=events)

    def _search_records(self, query: dict[str, Any], size: int, sort: list[Any] | None = None) -> list[Event]:
        """Return the event records a query finds."""
        self.ensure_events_index()
        response = self.client.search(index=self.events_index, query=query, size=min(size, 10_000),
                                      sort=sort or [{"id": "asc"}])
        return [Event.from_dict(h["_source"]["record"]) for h in response["hits"]["hits"]]


def _events(query: dict[str, Any]) -> dict[str, Any]:
    """Restrict a query to event records."""
    return {"bool": {"must": [query], "filter": [{"term": {"kind": "event"}}]}}


def _event_source(event: Event) -> dict[str, Any]:
    """Return the Elasticsearch source of an event record."""
    names = [s.name for s in event.speakers if s.name] + [n for ns in event.aka.values() for n in ns]
    return {
        "kind": "event", "id": event.id, "status": event.status, "event_type": event.event_type,
        "event_date": event.event_date, "first_seen": event.first_seen or None,
        "last_updated": event.last_updated or None, "report_count": len(event.reports),
        "text": event_search_text(event), "terms": [f"{kind}:{value}" for kind, value in event_facets(event)],
        "speakers": [{"words": " ".join(fold(n).split())} for n in names], "record": event.to_dict(),
    }


def _event_text_clauses(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Point the document text clauses (title/text/extra fields) at the event's one text field."""
    import json

    rewritten = json.dumps(clauses)
    for old, new in (('"title.en^4"', '"text.en"'), ('"extra.en^2"', '"text.en"'), ('"text.en^1"', '"text.en"'),
                     ('"extra.cjk^2"', '"text.cjk"'), ('"extra.en"', '"text.en"'), ('"title.cjk^4"', '"text.cjk"'),
                     ('"extra.cjk^1"', '"text.cjk"'), ('"text.cjk^1"', '"text.cjk"'), ('"title.cjk"', '"text.cjk"'),
                     ('"extra.cjk"', '"text.cjk"')):
        rewritten = rewritten.replace(old, new)
    return json.loads(rewritten)


def _event_filters(query: Query, whole_period: Any) -> list[dict[str, Any]]:
    """Return the filters of a query on event records (same meaning as the SQLite store's)."""
    filters: list[dict[str, Any]] = []

    def any_of(kind: str, values: list[str]) -> None:
        filters.append({"terms": {"terms": [f"{kind}:{v}" for v in values]}})

    if query.sources:
        any_of("source", list(query.sources))
    if query.language:
        any_of("language", [fold(query.language)])
    if query.since or query.until:
        bounds = {"gte": query.since, "lte": query.until}
        filters.append({"range": {"event_date": {k: whole_period(v) for k, v in bounds.items() if v}}})
    if query.event_type:
        filters.append({"term": {"event_type": {"value": query.event_type, "case_insensitive": True}}})
    if query.event_status:
        filters.append({"term": {"status": query.event_status}})
    if query.event_ids:
        filters.append({"bool": {"should": [{"terms": {"id": list(query.event_ids)}},
                                            {"terms": {"terms": [f"merged:{i}" for i in query.event_ids]}}],
                                 "minimum_should_match": 1}})
    for field, since in (("first_seen", query.indexed_since), ("last_updated", query.changed_since)):
        if since:
            filters.append({"range": {field: {"gte": store_stamp(since)}}})
    if query.cities:
        any_of("city", [fold(c) for c in query.cities])
    if query.pair:
        any_of("city_pair", [pair_key(query.pair)])
    if query.speaker:
        words, keys = speaker_terms(query.speaker, query.speaker_key)
        by_words = {"nested": {"path": "speakers", "query": {"match": {"speakers.words": {
            "query": " ".join(words), "operator": "and"}}}}}
        by_key = {"terms": {"terms": [f"speaker_key:{k}" for k in keys]}}
        filters.append({"bool": {"should": [by_words, by_key], "minimum_should_match": 1}})
    if query.org:
        escaped = fold(query.org).replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
        filters.append({"wildcard": {"terms": {"value": f"organization:*{escaped}*"}}})
    if query.topic:
        any_of("topic", [fold(query.topic)])
    return filters


def lock_holder() -> str:
    """Return this process as a lock holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str | None) -> bool:
    """Return whether a lock holder was a process of this machine that no longer runs (killed mid-grouping).

    A holder on another machine cannot be checked from here; its lock is taken over only once stale.
    """
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False
