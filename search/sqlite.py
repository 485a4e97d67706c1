"""The embedded default backend: one SQLite file, FTS5 full-text index, facet side table.

Layout (schema version in ``PRAGMA user_version``):

- ``documents``: one row per document, the stored fields plus six search columns: title, body and event
  fields (speaker names and affiliations, organisers, cities) with Han runs segmented by jieba, and the
  Han character bigrams of each. Small columns come first, so filters, sorting and facet counts never
  walk the overflow pages of long texts.
- ``documents_fts``: FTS5 external-content index over the six search columns (porter + unicode61),
  kept in sync by triggers, so a write to ``documents`` is all the code ever does. Ranking is bm25 with
  the contract's field weights (``search.base.FIELD_WEIGHTS``).
- ``document_facets``: (document, kind, value, folded value) rows for cities, city pairs, speakers,
  speaker keys, organisers, speaker affiliations and topics; filters and facet counts read it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ingest.models import Document, EventReport, store_stamp
from search.base import (
    FACET_LIMIT,
    FIELD_WEIGHTS,
    FACET_NAMES,
    MIN_PREFIX,
    Hit,
    Query,
    SearchBackend,
    SearchResult,
    UpsertStats,
    event_hit_fields,
    legacy_stamp,
    write_stamps,
)
from search.events_sqlite import SQLiteEvents
from search.text import (
    AllOf,
    QueryTerm,
    TextMatch,
    cjk_bigrams,
    extra_search_text,
    fold,
    han_bigrams,
    make_snippet,
    name_words,
    pair_key,
    plain_match,
    query_match,
    quote_fts5,
    ranked_terms,
    segment_for_index,
    segment_query_run,
    speaker_terms,
)

SCHEMA_VERSION = 4  # 2: speaker_words facet rows (word-subset speaker filter); 3: event id, store timestamps;
# 4: event fields in their own full-text columns
BATCH_SIZE = 500
SEARCH_COLUMNS = ("search_title", "search_body", "search_extra", "search_title_cjk", "search_body_cjk",
                  "search_extra_cjk")
COLUMN_FIELDS = ("title", "body", "event") * 2  # the contract field each search column holds
BM25 = f"bm25(documents_fts, {', '.join(str(FIELD_WEIGHTS[f]) for f in COLUMN_FIELDS)})"

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    language TEXT,
    published TEXT,
    date TEXT,
    event_date TEXT,
    event_type TEXT,
    is_event_report INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT,
    event_id TEXT,
    indexed_at TEXT,
    changed_at TEXT,
    content_hash TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    event TEXT,
    text TEXT NOT NULL,
    search_title TEXT NOT NULL,
    search_body TEXT NOT NULL,
    search_title_cjk TEXT NOT NULL,
    search_body_cjk TEXT NOT NULL,
    search_extra TEXT NOT NULL DEFAULT '',
    search_extra_cjk TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS document_facets (
    doc_rowid INTEGER NOT NULL REFERENCES documents(doc_rowid) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    norm TEXT NOT NULL,
    PRIMARY KEY (kind, norm, doc_rowid, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS document_facets_doc ON document_facets(doc_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    {columns},
    content='documents', content_rowid='doc_rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS documents_ai AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, {columns}) VALUES (new.doc_rowid, {new});
END;
CREATE TRIGGER IF NOT EXISTS documents_ad AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, {columns}) VALUES ('delete', old.doc_rowid, {old});
END;
CREATE TRIGGER IF NOT EXISTS documents_au AFTER UPDATE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, {columns}) VALUES ('delete', old.doc_rowid, {old});
    INSERT INTO documents_fts(rowid, {columns}) VALUES (new.doc_rowid, {new});
END;
""".format(columns=", ".join(SEARCH_COLUMNS), new=", ".join(f"new.{c}" for c in SEARCH_COLUMNS),
           old=", ".join(f"old.{c}" for c in SEARCH_COLUMNS))
DROP_FTS = """
DROP TRIGGER IF EXISTS documents_ai;
DROP TRIGGER IF EXISTS documents_ad;
DROP TRIGGER IF EXISTS documents_au;
DROP TABLE IF EXISTS documents_fts;
"""
# indexes on columns added by schema 3 (created after the upgrade has added the columns)
INDEXES_V3 = """
CREATE INDEX IF NOT EXISTS documents_event_id ON documents(event_id);
CREATE INDEX IF NOT EXISTS documents_indexed_at ON documents(indexed_at);
CREATE INDEX IF NOT EXISTS documents_changed_at ON documents(changed_at);
"""

# facet name -> the documents column, or the document_facets kind, that it counts
COLUMN_FACETS = {"source": "source", "language": "language", "event_type": "event_type"}
SIDE_FACETS = {"city": "city", "city_pair": "city_pair", "speaker": "speaker", "organization": "organization",
               "topic": "topic"}


class SchemaVersionError(RuntimeError):
    """The store was written by a newer coopwatch than this one."""


class SQLiteBackend(SQLiteEvents, SearchBackend):
    """Search backend on one SQLite file (WAL mode, FTS5); safe to share between threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._configure()
        self._ensure_schema()

    def _configure(self) -> None:
        """Turn on WAL, foreign keys, a busy timeout and in-memory temporary tables."""
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.execute("PRAGMA temp_store=MEMORY")

    def _ensure_schema(self) -> None:
        """Create tables, index and triggers when missing; refuse a store from a newer version."""
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} uses search schema {version}, this coopwatch knows {SCHEMA_VERSION}: upgrade coopwatch"
            )
        with self._lock:
            if 0 < version < 4:
                self._move_event_fields_to_own_columns()
            self._conn.executescript(SCHEMA)
            if 0 < version < 4:
                self._conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
        if 0 < version < 2:
            self._rebuild_facets()
        if 0 < version < 3:
            self._add_stamp_columns()
        with self._lock:
            self._conn.executescript(INDEXES_V3)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._ensure_event_schema()  # event records (search/events_sqlite.py)

    def _add_stamp_columns(self) -> None:
        """Add the event id and store timestamps (schema 3); an existing document counts as indexed when fetched."""
        with self._transaction():
            present = {row[1] for row in self._conn.execute("PRAGMA table_info(documents)")}
            for column in ("event_id", "indexed_at", "changed_at"):
                if column not in present:
                    self._conn.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
            rows = self._conn.execute("SELECT doc_rowid, fetched_at FROM documents WHERE indexed_at IS NULL").fetchall()
            self._conn.executemany("UPDATE documents SET indexed_at=?, changed_at=? WHERE doc_rowid=?",
                                   [(*[legacy_stamp(fetched)] * 2, rowid) for rowid, fetched in rows])

    def _move_event_fields_to_own_columns(self) -> None:
        """Upgrade a version 1-3 store: event fields leave the body for their own columns (index rebuilt after)."""
        self._conn.executescript(DROP_FTS)
        present = {row["name"] for row in self._conn.execute("PRAGMA table_info(documents)")}
        for column in ("search_extra", "search_extra_cjk"):
            if column not in present:
                self._conn.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
        rows = self._conn.execute("SELECT doc_rowid, title, text, event FROM documents").fetchall()
        with self._transaction():
            for row in rows:
                event = EventReport.from_dict(json.loads(row["event"])) if row["event"] else None
                columns = search_columns(row["title"], row["text"], event)
                assignments = ",".join(f"{name}=?" for name in columns)
                self._conn.execute(f"UPDATE documents SET {assignments} WHERE doc_rowid=?",
                                   [*columns.values(), row["doc_rowid"]])

    def _rebuild_facets(self) -> None:
        """Recompute every document's facet rows from its stored event (a schema upgrade adds new kinds)."""
        rows = self._conn.execute("SELECT doc_rowid, event FROM documents WHERE event IS NOT NULL").fetchall()
        with self._transaction():
            for rowid, event in rows:
                self._write_facets(rowid, facet_rows(EventReport.from_dict(json.loads(event))))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run the block in one write transaction under the lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # writing -----------------------------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Document]) -> UpsertStats:
        """Insert or update documents by id, one transaction per batch; unchanged content is not rewritten."""
        stats = UpsertStats()
        iterator = iter(docs)
        while batch := list(islice(iterator, BATCH_SIZE)):
            stats.add(self._upsert_batch(batch))
        return stats

    def _upsert_batch(self, batch: list[Document]) -> UpsertStats:
        """Write one batch in a transaction; a document that fails is recorded and skipped.

        The costly part (segmenting text) runs before the write transaction, so the store stays free
        for others meanwhile; hashes are read again inside the transaction to decide what to write.
        """
        ids = [getattr(doc, "id", None) for doc in batch]
        with self._lock:
            before = self._stored_hashes(ids)
        prepared = [prepare_document(doc, before) for doc in batch]
        stats = UpsertStats()
        with self._transaction():
            known = self._stored_hashes(ids)
            for doc, ready in zip(batch, prepared):
                count_outcome(stats, doc, self._upsert_one(doc, ready, known))
        return stats

    def _stored_hashes(self, ids: list[Any]) -> dict[str, tuple[int, str]]:
        """Return {id: (rowid, content_hash)} for the stored ones among ids."""
        wanted = [i for i in ids if isinstance(i, str)]
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, doc_rowid, content_hash FROM documents WHERE id IN ({marks})"
            for row in self._conn.execute(sql, chunk):
                found[row["id"]] = (row["doc_rowid"], row["content_hash"])
        return found

    def _upsert_one(self, doc: Document, ready: Prepared | str, known: dict[str, tuple[int, str]]) -> str:
        """Write one prepared document inside a savepoint; return new/updated/unchanged or why it failed."""
        if isinstance(ready, str):
            return ready
        if doc.id in known and known[doc.id][1] == ready.digest:
            return "unchanged"
        if ready.row is None:  # looked unchanged before the transaction, changed since
            ready = prepare_document(doc, {})
            if isinstance(ready, str):
                return ready
        row = {**ready.row, **write_stamps(doc, doc.id in known, store_stamp())}
        self._conn.execute("SAVEPOINT upsert_doc")
        try:
            rowid = self._write_row(row, known.get(doc.id))
            self._write_facets(rowid, ready.facets)
        except sqlite3.Error as exc:
            self._conn.execute("ROLLBACK TO upsert_doc")
            self._conn.execute("RELEASE upsert_doc")
            return f"sqlite error: {exc}"
        self._conn.execute("RELEASE upsert_doc")
        outcome = "updated" if doc.id in known else "new"
        known[doc.id] = (rowid, ready.digest)
        return outcome

    def _write_row(self, row: dict[str, Any], stored: tuple[int, str] | None) -> int:
        """Insert or update the documents row (triggers update the FTS index); return its rowid."""
        if stored is None:
            columns = ",".join(row)
            marks = ",".join("?" * len(row))
            cursor = self._conn.execute(f"INSERT INTO documents ({columns}) VALUES ({marks})", list(row.values()))
            return int(cursor.lastrowid)
        assignments = ",".join(f"{name}=?" for name in row)
        self._conn.execute(f"UPDATE documents SET {assignments} WHERE doc_rowid=?", [*row.values(), stored[0]])
        return stored[0]

    def _write_facets(self, rowid: int, facets: list[tuple[str, str, str]]) -> None:
        """Replace the facet rows of one document."""
        self._conn.execute("DELETE FROM document_facets WHERE doc_rowid=?", (rowid,))
        self._conn.executemany(
            "INSERT INTO document_facets (doc_rowid, kind, value, norm) VALUES (?,?,?,?)",
            [(rowid, *facet) for facet in facets],
        )

    def delete(self, doc_id: str) -> bool:
        """Delete one document (its index entries and facet rows go with it); return whether it existed."""
        with self._transaction():
            cursor = self._conn.execute("DELETE FROM documents WHERE id=?", (doc_id,))
        return cursor.rowcount > 0

    def optimize(self) -> None:
        """Merge the full-text index into one b-tree, refresh planner statistics and truncate the WAL file."""
        with self._lock:
            self._conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')")
            self._conn.execute("PRAGMA optimize")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # reading -----------------------------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        """Return the document with this id, or the only one whose id starts with it (8+ characters)."""
        select = "SELECT * FROM documents"
        with self._lock:
            row = self._conn.execute(f"{select} WHERE id=?", (doc_id,)).fetchone()
            if row is None and len(doc_id or "") >= MIN_PREFIX:
                rows = self._conn.execute(
                    f"{select} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", (doc_id, doc_id + "\U0010ffff")
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return row_to_document(row) if row is not None else None

    def content_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        """Return {id: content_hash} for the ids that are stored."""
        with self._lock:
            return {i: digest for i, (_, digest) in self._stored_hashes(list(ids)).items()}

    def count(self) -> int:
        """Number of stored documents."""
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def iter_documents(self) -> Iterator[Document]:
        """Yield every stored document in insertion order, reading a page at a time."""
        last = 0
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT * FROM documents WHERE doc_rowid > ? ORDER BY doc_rowid LIMIT ?", (last, BATCH_SIZE)
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield row_to_document(row)
            last = rows[-1]["doc_rowid"]

    # searching ---------------------------------------------------------------------------------------------

    def search(self, query: Query) -> SearchResult:
        """Run a query: FTS5 match ranked by bm25 when there is text, else newest date first."""
        matched = MatchedSet.for_query(query)
        if query.collapse:
            return self._collapsed_search(matched, query)  # one row per event (search/events_sqlite.py)
        with self._lock:
            counted = self._materialized(matched) if query.facets else matched
            total = int(self._conn.execute(f"SELECT count(*) {counted.sql}", counted.params).fetchone()[0])
            rows = self._page_rows(matched, query)
            result = SearchResult(total=total, hits=[row_to_hit(row, query_match(query)) for row in rows])
            if query.facets:
                result.facets = self._facets(counted)
                result.histogram = self._histogram(counted)
        return result

    def _materialized(self, matched: MatchedSet) -> MatchedSet:
        """Store the matching rowids in a temporary table, so facet counts do not rerun the text match."""
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS matched_docs (doc_rowid INTEGER PRIMARY KEY)")
        self._conn.execute("DELETE FROM temp.matched_docs")
        self._conn.execute(f"INSERT INTO temp.matched_docs SELECT d.doc_rowid {matched.sql}", matched.params)
        return MatchedSet("FROM temp.matched_docs m JOIN documents d ON d.doc_rowid = m.doc_rowid WHERE 1", [], False)

    def _page_rows(self, matched: MatchedSet, query: Query) -> list[sqlite3.Row]:
        """Return the rows of the requested page, best first (field points, then bm25, then newest)."""
        score, score_params = ranking_score(matched, query)
        if matched.has_text and query.sort != "date":
            order = "score DESC, d.date DESC, d.doc_rowid DESC"
        else:
            order = "d.date IS NULL, d.date DESC, d.doc_rowid DESC"
        sql = (
            f"SELECT d.id, d.url, d.title, d.source, d.language, d.date, d.text, d.event_type,"
            f" d.is_event_report, d.event, d.event_id, d.indexed_at, {score} AS score {matched.sql} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        limit, offset = max(0, int(query.limit)), max(0, int(query.offset))
        return self._conn.execute(sql, [*score_params, *matched.params, limit, offset]).fetchall()

    def _facets(self, matched: MatchedSet) -> dict[str, list[tuple[str, int]]]:
        """Count the matching documents per value of every facet."""
        facets = {}
        for name in FACET_NAMES:
            if name in COLUMN_FACETS:
                facets[name] = self._column_facet(COLUMN_FACETS[name], matched)
            else:
                facets[name] = self._side_facet(SIDE_FACETS[name], matched)
        return facets

    def _column_facet(self, column: str, matched: MatchedSet) -> list[tuple[str, int]]:
        """Count matching documents per value of a documents column."""
        sql = (
            f"SELECT d.{column} AS value, count(*) AS n {matched.sql} AND d.{column} IS NOT NULL"
            f" GROUP BY d.{column} ORDER BY n DESC, value LIMIT ?"
        )
        return [(r["value"], r["n"]) for r in self._conn.execute(sql, [*matched.params, FACET_LIMIT])]

    def _side_facet(self, kind: str, matched: MatchedSet) -> list[tuple[str, int]]:
        """Count matching documents per (case-folded) value of one kind of facet row."""
        sql = (
            "SELECT min(f.value) AS value, count(DISTINCT f.doc_rowid) AS n FROM document_facets f"
            f" WHERE f.kind=? AND f.doc_rowid IN (SELECT d.doc_rowid {matched.sql})"
            " GROUP BY f.norm ORDER BY n DESC, value LIMIT ?"
        )
        return [(r["value"], r["n"]) for r in self._conn.execute(sql, [kind, *matched.params, FACET_LIMIT])]

    def _histogram(self, matched: MatchedSet) -> list[tuple[str, int]]:
        """Count matching documents per month of their event date, oldest month first."""
        sql = (
            f"SELECT substr(d.event_date, 1, 7) AS month, count(*) AS n {matched.sql}"
            " AND length(d.event_date) >= 7 GROUP BY month ORDER BY month"
        )
        return [(r["month"], r["n"]) for r in self._conn.execute(sql, matched.params)]


class MatchedSet:
    """The FROM ... WHERE ... clause selecting the documents a query matches (alias ``d``)."""

    def __init__(self, sql: str, params: list[Any], has_text: bool) -> None:
        self.sql, self.params, self.has_text = sql, params, has_text

    @classmethod
    def for_query(cls, query: Query) -> MatchedSet:
        """Build the clause for a query's text and filters."""
        clauses, params = filter_clauses(query)
        expression = fts_expression(query_match(query))
        if expression is None:
            source = "FROM documents d"
        else:
            source = "FROM documents_fts JOIN documents d ON d.doc_rowid = documents_fts.rowid"
            clauses.insert(0, "documents_fts MATCH ?")
            params.insert(0, expression)
        where = " AND ".join(clauses) or "1"
        return cls(f"{source} WHERE {where}", params, expression is not None)


# query building ------------------------------------------------------------------------------------------


def ranking_score(matched: MatchedSet, query: Query) -> tuple[str, list[str]]:
    """Return the SQL of a hit's score and its parameters: ranking points plus bm25 squeezed below one point."""
    if not matched.has_text:
        return "0.0", []
    points, params = field_points(query_match(query))
    return f"{points} + (-{BM25}) / (1.0 - {BM25})", params


def fts_expression(match: TextMatch | str | None) -> str | None:
    """Turn a query's text match (or user text) into an FTS5 expression: terms quoted, AND/OR as the match says."""
    if isinstance(match, str):
        match = plain_match(match)
    if match is None:
        return None
    if isinstance(match, QueryTerm):
        if match.is_han:
            return han_sequence_expression(match.text) if match.exact else han_expression(match.text)
        return quote_fts5(match.text)
    parts = [part for part in map(fts_expression, match.items) if part]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + (" AND " if isinstance(match, AllOf) else " OR ").join(parts) + ")"


def field_points(match: TextMatch | None) -> tuple[str, list[str]]:
    """Return the SQL of a document's ranking points and its parameters: per query term, the weights of the
    fields (title, event fields, body) in which it occurs, added up (the contract's ranking rule)."""
    parts, params = [], []
    for term in ranked_terms(match):
        expression = fts_expression(term)
        for field, weight in FIELD_WEIGHTS.items():
            columns = " ".join(c for c, f in zip(SEARCH_COLUMNS, COLUMN_FIELDS) if f == field)
            parts.append(f"(CASE WHEN d.doc_rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)"
                         f" THEN {weight:g} ELSE 0 END)")
            params.append(f"{{{columns}}} : ({expression})")
    return "(" + (" + ".join(parts) or "0") + ")", params


def han_expression(run: str) -> str:
    """Match a Han run by its jieba words (all of them) or, as a fallback, by its character sequence."""
    words = segment_query_run(run) or [run]
    by_words = "(" + " AND ".join(quote_fts5(w) for w in words) + ")"
    if words == [run] and len(run) == 2:
        return quote_fts5(run)  # the word is its own single bigram
    return f"({by_words} OR {han_sequence_expression(run)})"


def han_sequence_expression(run: str) -> str:
    """Match a Han run as its character sequence: a phrase of its bigrams (one character: any bigram it starts)."""
    if len(run) == 1:
        return quote_fts5(run) + "*"
    return quote_fts5(" ".join(han_bigrams(run)[:-1]))


def facet_condition(kinds: tuple[str, ...], test: str) -> str:
    """Return a condition selecting documents with a facet row that passes the test (uses the kind index)."""
    marks = ",".join("?" * len(kinds))
    return f"d.doc_rowid IN (SELECT f.doc_rowid FROM document_facets f WHERE f.kind IN ({marks}) AND {test})"


class Conditions:
    """SQL conditions (ANDed) with their parameters, built up one filter at a time."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *values: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(values)


def filter_clauses(query: Query) -> tuple[list[str], list[Any]]:
    """Return the SQL conditions and parameters for a query's filters (ANDed)."""
    where = Conditions()
    add_column_filters(where, query)
    add_facet_filters(where, query)
    return where.clauses, where.params


def add_column_filters(where: Conditions, query: Query) -> None:
    """Add the filters on documents columns: sources, language, dates, event type, events only."""
    if query.sources:
        where.add(f"d.source IN ({','.join('?' * len(query.sources))})", *query.sources)
    if query.language:
        where.add("lower(d.language) = ?", query.language.lower())
    if query.since:
        where.add("d.date >= ?", query.since)
    if query.until:
        where.add("d.date <= ?", end_of_period(query.until))
    if query.event_type:
        where.add("lower(d.event_type) = ?", query.event_type.lower())
    if query.events_only:
        where.add("d.is_event_report = 1")
    if query.event_ids:
        where.add(f"d.event_id IN ({','.join('?' * len(query.event_ids))})", *query.event_ids)
    if query.indexed_since:
        where.add("d.indexed_at >= ?", store_stamp(query.indexed_since))
    if query.changed_since:
        where.add("d.changed_at >= ?", store_stamp(query.changed_since))


def add_facet_filters(where: Conditions, query: Query) -> None:
    """Add the filters on facet rows: cities, pair, speaker, organisation, topic."""
    if query.cities:
        cities = [fold(c) for c in query.cities]
        where.add(facet_condition(("city",), f"f.norm IN ({','.join('?' * len(cities))})"), "city", *cities)
    if query.pair:
        where.add(facet_condition(("city_pair",), "f.norm = ?"), "city_pair", pair_key(query.pair))
    if query.speaker:
        add_speaker_filter(where, query.speaker, query.speaker_key, query.speaker_keys)
    if query.org:
        where.add(facet_condition(("organization", "affiliation"), "f.norm LIKE ? ESCAPE '\\'"),
                  "organization", "affiliation", "%" + escape_like(fold(query.org)) + "%")
    if query.topic:
        where.add(facet_condition(("topic",), "f.norm = ?"), "topic", fold(query.topic))


def add_speaker_filter(where: Conditions, speaker: str, speaker_key: str | None = None,
                       speaker_keys: list[str] | tuple[str, ...] = ()) -> None:
    """Match a speaker whose name has every word of the query (in any order), or whose registry key is one given."""
    words, keys = speaker_terms(speaker, speaker_key, speaker_keys)
    tests = " AND ".join("(' ' || f.norm || ' ') LIKE ? ESCAPE '\\'" for _ in words)
    patterns = ["% " + escape_like(w) + " %" for w in words]
    key_test = f"f.norm IN ({','.join('?' * len(keys))})"
    where.add(f"({facet_condition(('speaker_words',), tests)} OR {facet_condition(('speaker_key',), key_test)})",
              "speaker_words", *patterns, "speaker_key", *keys)


def end_of_period(until: str) -> str:
    """Return the last day a partial date (YYYY or YYYY-MM) covers, so ``until`` stays inclusive."""
    if len(until) == 4:
        return until + "-12-31"
    if len(until) == 7:
        return until + "-31"
    return until


def escape_like(value: str) -> str:
    """Escape LIKE wildcards so user input matches literally."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# rows <-> records ----------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A document ready to write: its content hash, table row and facet rows (row None: looked unchanged)."""

    digest: str
    row: dict[str, Any] | None = None
    facets: list[tuple[str, str, str]] = field(default_factory=list)


def prepare_document(doc: Document, stored: dict[str, tuple[int, str]]) -> Prepared | str:
    """Build the rows of a document unless its stored hash says it is unchanged; a str says why it is invalid."""
    try:
        digest = doc.content_hash or doc.compute_hash()
        if doc.id in stored and stored[doc.id][1] == digest:
            return Prepared(digest)
        return Prepared(digest, document_row(doc, digest), facet_rows(doc.event))
    except (AttributeError, TypeError, ValueError) as exc:
        return f"invalid document: {type(exc).__name__}: {exc}"


def count_outcome(stats: UpsertStats, doc: Document, outcome: str) -> None:
    """Add one document's outcome (new/updated/unchanged, else a failure reason) to the stats."""
    if outcome in ("new", "updated", "unchanged"):
        setattr(stats, outcome, getattr(stats, outcome) + 1)
    else:
        stats.failed += 1
        stats.failures.append((str(getattr(doc, "id", "?")), outcome))


def document_row(doc: Document, digest: str) -> dict[str, Any]:
    """Return the documents-table row for a document, search columns included."""
    event = doc.event
    return {
        "id": doc.id, "url": doc.url, "source": doc.source, "title": doc.title or "", "text": doc.text or "",
        "language": doc.language, "published": doc.published, "date": doc.date,
        "event_date": event.event_date if event else None, "fetched_at": doc.fetched_at,
        "content_hash": digest, "event_type": event.event_type if event else None, "event_id": doc.event_id,
        "is_event_report": int(bool(event and event.is_event_report)),
        "event": json.dumps(event.to_dict(), ensure_ascii=False) if event else None,
        **search_columns(doc.title, doc.text, event),
    }


def search_columns(title: str | None, text: str | None, event: EventReport | None) -> dict[str, str]:
    """Return the full-text columns of a document: title, body and event fields, segmented and as bigrams."""
    extra = "\n".join(extra_search_text(event))
    return {
        "search_title": segment_for_index(title or ""), "search_body": segment_for_index(text or ""),
        "search_extra": segment_for_index(extra), "search_title_cjk": cjk_bigrams(title or ""),
        "search_body_cjk": cjk_bigrams(text or ""), "search_extra_cjk": cjk_bigrams(extra),
    }


def facet_rows(event: EventReport | None) -> list[tuple[str, str, str]]:
    """Return the distinct (kind, value, folded value) facet rows of an event."""
    if event is None:
        return []
    rows: list[tuple[str, str, str]] = []
    rows += [("city", c, fold(c)) for c in event.cities]
    rows += [("city_pair", "|".join(sorted(p)), pair_key(p)) for p in event.city_pairs if len(p) == 2]
    rows += [("speaker", s.name, fold(s.name)) for s in event.speakers if s.name]
    rows += [("speaker_key", s.key, fold(s.key)) for s in event.speakers if s.key]
    rows += [("speaker_words", s.name, name_words(s.name)) for s in event.speakers if s.name]
    rows += [("affiliation", s.affiliation, fold(s.affiliation)) for s in event.speakers if s.affiliation]
    rows += [("organization", o, fold(o)) for o in event.organizers]
    rows += [("topic", t, fold(t)) for t in event.topics]
    return list(dict.fromkeys(row for row in rows if row[2]))


def row_to_document(row: sqlite3.Row) -> Document:
    """Rebuild a Document from its stored row."""
    event = EventReport.from_dict(json.loads(row["event"])) if row["event"] else None
    return Document(
        id=row["id"], url=row["url"], source=row["source"], title=row["title"], text=row["text"],
        language=row["language"], published=row["published"], fetched_at=row["fetched_at"] or "",
        event=event, content_hash=row["content_hash"], event_id=row["event_id"],
        indexed_at=row["indexed_at"] or "", changed_at=row["changed_at"] or "",
    )


def row_to_hit(row: sqlite3.Row, match: TextMatch | None) -> Hit:
    """Build a search hit (with its HTML snippet) from a result row."""
    return Hit(
        id=row["id"], url=row["url"], title=row["title"], source=row["source"], language=row["language"],
        date=row["date"], score=float(row["score"]), snippet=make_snippet(row["text"], match),
        event_type=row["event_type"], is_event_report=bool(row["is_event_report"]),
        event_id=row["event_id"], indexed_at=row["indexed_at"],
        **event_hit_fields(json.loads(row["event"]) if row["event"] else None),
    )
