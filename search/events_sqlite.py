"""Event records in the embedded SQLite store, beside the documents (``SQLiteBackend`` mixes this in).

Tables (created when missing, so older stores gain them when opened; older coopwatch versions ignore them):

- ``events``: one row per event, the record as JSON plus the columns filters and sorting use, and two
  search columns (jieba-segmented text and Han bigrams) indexed by ``events_fts`` (FTS5, external content).
- ``event_terms``: (event, kind, folded value) rows: its reports (``member``), ids merged into it
  (``merged``), grouping keys (``key``), and the filter values of ``search.events.event_facets``.
- ``event_rules``: pairs of documents a split keeps in different events, for good.

Also here: ``Query.collapse`` for document searches (one row per event, by a window function).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.models import Event, store_stamp
from search.base import EventSearchResult, Query
from search.events import EVENTS_LIMIT, event_facets, event_search_text
from search.text import cjk_bigrams, fold, pair_key, segment_for_index, speaker_terms

EVENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    event_date TEXT,
    event_type TEXT,
    first_seen TEXT,
    last_updated TEXT,
    report_count INTEGER NOT NULL,
    record TEXT NOT NULL,
    search_text TEXT NOT NULL,
    search_text_cjk TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_date ON events(event_date);
CREATE TABLE IF NOT EXISTS event_terms (
    event_rowid INTEGER NOT NULL REFERENCES events(event_rowid) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    norm TEXT NOT NULL,
    PRIMARY KEY (kind, norm, event_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_terms_event ON event_terms(event_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    search_text, search_text_cjk, content='events', content_rowid='event_rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS events_ai AFTER INSERT ON events BEGIN
    INSERT INTO events_fts(rowid, search_text, search_text_cjk) VALUES (new.event_rowid, new.search_text, new.search_text_cjk);
END;
CREATE TRIGGER IF NOT EXISTS events_ad AFTER DELETE ON events BEGIN
    INSERT INTO events_fts(events_fts, rowid, search_text, search_text_cjk)
    VALUES ('delete', old.event_rowid, old.search_text, old.search_text_cjk);
END;
CREATE TRIGGER IF NOT EXISTS events_au AFTER UPDATE ON events BEGIN
    INSERT INTO events_fts(events_fts, rowid, search_text, search_text_cjk)
    VALUES ('delete', old.event_rowid, old.search_text, old.search_text_cjk);
    INSERT INTO events_fts(rowid, search_text, search_text_cjk) VALUES (new.event_rowid, new.search_text, new.search_text_cjk);
END;
CREATE TABLE IF NOT EXISTS event_rules (
    doc_a TEXT NOT NULL,
    doc_b TEXT NOT NULL,
    reason TEXT,
    created_at TEXT,
    PRIMARY KEY (doc_a, doc_b)
);
CREATE INDEX IF NOT EXISTS event_rules_b ON event_rules(doc_b);
"""
CHUNK = 400  # ids per IN (...) list
LOCK_TIMEOUT = 600  # seconds a grouping waits for another one on the same store


class SQLiteEvents:
    """Event storage and search for ``SQLiteBackend`` (uses its ``_conn``, ``_lock``, ``_transaction``)."""

    _conn: sqlite3.Connection
    path: str

    def _ensure_event_schema(self) -> None:
        """Create the event tables when missing."""
        with self._lock:
            self._conn.executescript(EVENT_SCHEMA)

    # the EventStore protocol (ingest.events.store) ------------------------------------------------------------

    def event_candidates(self, keys: list[str], limit: int = 200) -> list[Event]:
        """Return stored events sharing any grouping key, most recently updated first."""
        rowids: set[int] = set()
        with self._lock:
            for chunk in _chunks(keys):
                sql = f"SELECT event_rowid FROM event_terms WHERE kind='key' AND norm IN ({_marks(chunk)})"
                rowids |= {row[0] for row in self._conn.execute(sql, chunk)}
            return self._events_by_rowid(sorted(rowids), order="last_updated DESC", limit=limit)

    def get_event(self, event_id: str) -> Event | None:
        """Return an event by id, or the event that id was merged into."""
        with self._lock:
            row = self._conn.execute("SELECT record FROM events WHERE id=?", (event_id,)).fetchone()
            if row is None:
                row = self._conn.execute(
                    "SELECT e.record FROM events e JOIN event_terms t ON t.event_rowid=e.event_rowid"
                    " WHERE t.kind='merged' AND t.norm=? LIMIT 1", (event_id,)).fetchone()
        return Event.from_dict(json.loads(row[0])) if row else None

    def events_of_documents(self, doc_ids: list[str]) -> dict[str, str]:
        """Return {document id: event id} for documents that belong to a stored event."""
        found: dict[str, str] = {}
        with self._lock:
            for chunk in _chunks(doc_ids):
                sql = (f"SELECT t.norm, e.id FROM event_terms t JOIN events e ON e.event_rowid=t.event_rowid"
                       f" WHERE t.kind='member' AND t.norm IN ({_marks(chunk)})")
                found.update({row[0]: row[1] for row in self._conn.execute(sql, chunk)})
        return found

    def save_events(self, events: list[Event]) -> None:
        """Insert or replace event records by id (search text and filter rows with them)."""
        rows = [(event, _event_row(event), event_facets(event)) for event in events]
        with self._transaction():
            for event, row, facets in rows:
                stored = self._conn.execute("SELECT event_rowid FROM events WHERE id=?", (event.id,)).fetchone()
                if stored is None:
                    cursor = self._conn.execute(f"INSERT INTO events ({','.join(row)}) VALUES ({_marks(row)})",
                                                list(row.values()))
                    rowid = cursor.lastrowid
                else:
                    rowid = stored[0]
                    self._conn.execute(f"UPDATE events SET {','.join(f'{k}=?' for k in row)} WHERE event_rowid=?",
                                       [*row.values(), rowid])
                self._conn.execute("DELETE FROM event_terms WHERE event_rowid=?", (rowid,))
                self._conn.executemany("INSERT INTO event_terms (event_rowid, kind, norm) VALUES (?,?,?)",
                                       [(rowid, kind, norm) for kind, norm in facets])

    def delete_events(self, event_ids: list[str]) -> None:
        """Delete event records by id."""
        with self._transaction():
            for chunk in _chunks(event_ids):
                self._conn.execute(f"DELETE FROM events WHERE id IN ({_marks(chunk)})", chunk)

    def event_rules(self, doc_ids: list[str]) -> list[tuple[str, str]]:
        """Return the pairs of documents kept apart that involve these documents."""
        found: set[tuple[str, str]] = set()
        with self._lock:
            for chunk in _chunks(doc_ids):
                marks = _marks(chunk)
                sql = f"SELECT doc_a, doc_b FROM event_rules WHERE doc_a IN ({marks}) OR doc_b IN ({marks})"
                found |= {(row[0], row[1]) for row in self._conn.execute(sql, [*chunk, *chunk])}
        return sorted(found)

    def add_event_rules(self, pairs: list[tuple[str, str]], reason: str) -> None:
        """Record pairs of documents that must never share an event."""
        rows = [(*sorted(pair), reason, store_stamp()) for pair in pairs if pair[0] != pair[1]]
        with self._transaction():
            self._conn.executemany("INSERT OR IGNORE INTO event_rules VALUES (?,?,?,?)", rows)

    def iter_events(self) -> Iterator[Event]:
        """Yield every stored event, oldest first."""
        last = 0
        while True:
            with self._lock:
                rows = self._conn.execute("SELECT event_rowid, record FROM events WHERE event_rowid > ?"
                                          " ORDER BY event_rowid LIMIT 500", (last,)).fetchall()
            if not rows:
                return
            yield from (Event.from_dict(json.loads(row[1])) for row in rows)
            last = rows[-1][0]

    def iter_event_rules(self) -> Iterator[tuple[str, str, str]]:
        """Yield every (document, document, reason) rule."""
        with self._lock:
            rows = self._conn.execute("SELECT doc_a, doc_b, reason FROM event_rules ORDER BY doc_a, doc_b").fetchall()
        yield from ((row[0], row[1], row[2] or "") for row in rows)

    @contextmanager
    def event_lock(self) -> Iterator[None]:
        """Hold the store's grouping lock (a file lock beside the store), so two groupings never interleave."""
        path = Path(self.path + ".events.lock") if self.path != ":memory:" else None
        if path is None:
            yield
            return
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # searching ------------------------------------------------------------------------------------------------

    def search_events(self, query: Query) -> EventSearchResult:
        """Return the events matching a query (semantics in ``search.events``)."""
        from search.sqlite import fts_expression
        from search.text import query_match

        clauses, params = _event_filters(query)
        expression = fts_expression(query_match(query))
        source = "FROM events e"
        order = "e.event_date IS NULL, e.event_date DESC, e.last_updated DESC, e.event_rowid DESC"
        if expression is not None:
            source = "FROM events_fts JOIN events e ON e.event_rowid = events_fts.rowid"
            clauses.insert(0, "events_fts MATCH ?")
            params.insert(0, expression)
            order = "bm25(events_fts), " + order
        where = " AND ".join(clauses) or "1"
        limit, offset = min(max(0, int(query.limit)), EVENTS_LIMIT), max(0, int(query.offset))
        with self._lock:
            total = int(self._conn.execute(f"SELECT count(*) {source} WHERE {where}", params).fetchone()[0])
            rows = self._conn.execute(f"SELECT e.record {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                      [*params, limit, offset]).fetchall()
        return EventSearchResult(total=total, events=[Event.from_dict(json.loads(r[0])) for r in rows])

    def _events_by_rowid(self, rowids: list[int], order: str, limit: int) -> list[Event]:
        """Return the events with these rowids, in the given order, at most limit.

        Each chunk keeps only its first ``limit`` rows in SQL, so no more records are parsed than can be kept.
        """
        descending = "DESC" in order
        rows: list[tuple[str, str]] = []
        for chunk in _chunks(rowids):
            sql = (f"SELECT coalesce(last_updated, ''), record FROM events WHERE event_rowid IN ({_marks(chunk)})"
                   f" ORDER BY 1 {'DESC' if descending else 'ASC'}, event_rowid LIMIT ?")  # ties: oldest first, as before
            rows += self._conn.execute(sql, [*chunk, limit]).fetchall()
        rows.sort(key=lambda row: row[0], reverse=descending)
        return [Event.from_dict(json.loads(record)) for _, record in rows[:limit]]

    def _collapsed_search(self, matched: Any, query: Query) -> Any:
        """Run a document search with one row per event: the best report of each, and how many matched."""
        from search.base import SearchResult
        from search.sqlite import ranking_score, row_to_hit
        from search.text import query_match

        score, score_params = ranking_score(matched, query)
        inner = (f"SELECT d.doc_rowid AS doc_rowid, coalesce(d.event_id, d.id) AS grp, {score} AS score,"
                 f" d.date AS date {matched.sql}")
        ranked = (f"SELECT doc_rowid, grp, score, date, row_number() OVER (PARTITION BY grp ORDER BY score DESC,"
                  f" date IS NULL, date DESC, doc_rowid DESC) AS rank, count(*) OVER (PARTITION BY grp) AS n"
                  f" FROM ({inner})")
        order = "r.score DESC, r.date IS NULL, r.date DESC, r.doc_rowid DESC"
        if query.sort == "date":  # newest first even with text, as for uncollapsed searches
            order = "r.date IS NULL, r.date DESC, r.score DESC, r.doc_rowid DESC"
        sql = (f"SELECT d.id, d.url, d.title, d.source, d.language, d.date, d.text, d.event_type, d.is_event_report,"
               f" d.event, d.event_id, d.indexed_at, r.score AS score, r.n AS n FROM ({ranked}) r"
               f" JOIN documents d ON d.doc_rowid = r.doc_rowid WHERE r.rank = 1 ORDER BY {order} LIMIT ? OFFSET ?")
        limit, offset = max(0, int(query.limit)), max(0, int(query.offset))
        with self._lock:
            total = int(self._conn.execute(f"SELECT count(DISTINCT coalesce(d.event_id, d.id)) {matched.sql}",
                                           matched.params).fetchone()[0])
            rows = self._conn.execute(sql, [*score_params, *matched.params, limit, offset]).fetchall()
            result = SearchResult(total=total, hits=[])
            for row in rows:
                hit = row_to_hit(row, query_match(query))
                hit.group_size = int(row["n"])
                result.hits.append(hit)
            if query.facets:
                _, result.facets, result.histogram = self._facet_counts(matched)
        return result


def _event_row(event: Event) -> dict[str, Any]:
    """Return the events-table row of an event."""
    text = event_search_text(event)
    return {
        "id": event.id, "status": event.status, "event_date": event.event_date, "event_type": event.event_type,
        "first_seen": event.first_seen, "last_updated": event.last_updated, "report_count": len(event.reports),
        "record": json.dumps(event.to_dict(), ensure_ascii=False),
        "search_text": segment_for_index(text), "search_text_cjk": cjk_bigrams(text),
    }


def _event_filters(query: Query) -> tuple[list[str], list[Any]]:
    """Return the SQL conditions and parameters of a query's filters, on events (alias ``e``)."""
    from search.sqlite import end_of_period, escape_like

    clauses: list[str] = []
    params: list[Any] = []

    def term(kind: str, test: str, *values: Any) -> None:
        clauses.append(f"e.event_rowid IN (SELECT t.event_rowid FROM event_terms t WHERE t.kind=? AND {test})")
        params.extend([kind, *values])

    if query.sources:
        term("source", f"t.norm IN ({_marks(query.sources)})", *query.sources)
    if query.language:
        term("language", "t.norm = ?", fold(query.language))
    if query.since:
        clauses.append("e.event_date >= ?")
        params.append(query.since)
    if query.until:
        clauses.append("e.event_date <= ?")
        params.append(end_of_period(query.until))
    if query.event_type:
        clauses.append("lower(e.event_type) = ?")
        params.append(query.event_type.lower())
    if query.event_status:
        clauses.append("e.status = ?")
        params.append(query.event_status)
    if query.event_ids:
        marks = _marks(query.event_ids)
        clauses.append(f"(e.id IN ({marks}) OR e.event_rowid IN (SELECT t.event_rowid FROM event_terms t"
                       f" WHERE t.kind='merged' AND t.norm IN ({marks})))")
        params.extend([*query.event_ids, *query.event_ids])
    if query.indexed_since:
        clauses.append("e.first_seen >= ?")
        params.append(store_stamp(query.indexed_since))
    if query.changed_since:
        clauses.append("e.last_updated >= ?")
        params.append(store_stamp(query.changed_since))
    if query.cities:
        term("city", f"t.norm IN ({_marks(query.cities)})", *[fold(c) for c in query.cities])
    if query.pair:
        term("city_pair", "t.norm = ?", pair_key(query.pair))
    if query.speaker:
        words, keys = speaker_terms(query.speaker, query.speaker_key)
        by_words = " AND ".join("(' ' || t2.norm || ' ') LIKE ? ESCAPE '\\'" for _ in words)
        clauses.append(
            "(e.event_rowid IN (SELECT t2.event_rowid FROM event_terms t2 WHERE t2.kind='speaker_words' AND "
            f"{by_words}) OR e.event_rowid IN (SELECT t.event_rowid FROM event_terms t WHERE t.kind='speaker_key'"
            f" AND t.norm IN ({_marks(keys)})))")
        params.extend(["% " + escape_like(w) + " %" for w in words] + keys)
    if query.org:
        term("organization", "t.norm LIKE ? ESCAPE '\\'", "%" + escape_like(fold(query.org)) + "%")
    if query.topic:
        term("topic", "t.norm = ?", fold(query.topic))
    return clauses, params


def _marks(values: Any) -> str:
    return ",".join("?" * len(values))


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]
