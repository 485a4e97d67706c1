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
  speaker keys, organisers, speaker affiliations and topics (one row per document and folded value);
  filters and facet counts read it.
- ``facet_counts``: documents per facet value, kept by triggers (see ``search.sqlite_facets``).
- Two covering indexes over the small columns: ``documents_narrow`` (by rowid, for joins from the
  full-text index) and ``documents_by_date`` (newest first listings), so searches never read long rows
  except for the page of hits they return.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ingest.models import Document, EventReport, store_stamp
from search.base import (
    FIELD_WEIGHTS,
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
from search.facets import FacetIndex
from search.sqlite_facets import (
    FACET_SCHEMA,
    SMALL_MATCH,
    index_facets,
    load_facet_index,
    parse_rowids,
    rebuild_facet_counts,
    small_match_facets,
    unfiltered_facets,
)
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

SCHEMA_VERSION = 5  # 2: speaker_words facet rows (word-subset speaker filter); 3: event id, store timestamps;
# 4: event fields in their own full-text columns; 5: facet_counts, one facet row per folded value, covering indexes
BATCH_SIZE = 500
MAX_ROWID = 2**63 - 1
READ_PAGE = 200  # documents read at a time when iterating over the store
CACHE_KIB = 65536  # page cache per connection: the covering indexes and facet rows of ~500,000 documents
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
DROP INDEX IF EXISTS documents_date;
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
# indexes on columns added by schema 3 (created after the upgrade has added the columns); the two covering
# indexes hold every column a filter, a sort or a facet reads, so searches never touch the long rows for them
SMALL_COLUMNS = "source, language, event_type, is_event_report, event_date, event_id, indexed_at, changed_at"
INDEXES_V3 = f"""
CREATE INDEX IF NOT EXISTS documents_event_id ON documents(event_id);
CREATE INDEX IF NOT EXISTS documents_indexed_at ON documents(indexed_at);
CREATE INDEX IF NOT EXISTS documents_changed_at ON documents(changed_at);
CREATE INDEX IF NOT EXISTS documents_narrow ON documents(doc_rowid, date, {SMALL_COLUMNS});
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date, doc_rowid, {SMALL_COLUMNS});
"""

NARROW = "documents d INDEXED BY documents_narrow"  # a document's small columns, looked up by rowid


class SchemaVersionError(RuntimeError):
    """The store was written by a newer coopwatch than this one."""


class SQLiteBackend(SQLiteEvents, SearchBackend):
    """Search backend on one SQLite file (WAL mode, FTS5); safe to share between threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._facet_index: FacetIndex | None = None
        self._facet_version: tuple[int, int] | None = None  # (data_version, own writes) it was built at
        self._writes = 0
        self._side: SideReader | InlineReader | None = None  # opened by the first search that uses it
        self._configure()
        self._ensure_schema()

    def _configure(self) -> None:
        """Turn on WAL, foreign keys, a busy timeout and in-memory temporary tables."""
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        self._conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

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
            self._conn.executescript(SCHEMA + FACET_SCHEMA)
            if 0 < version < 4:
                self._conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
        if 0 < version < 3:
            self._add_stamp_columns()
        if 0 < version < 5:
            with self._transaction():
                self._rebuild_facets()
                rebuild_facet_counts(self._conn)
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
        """Recompute every document's facet rows from its stored event (a schema upgrade changes the rows)."""
        last = 0
        while rows := self._conn.execute("SELECT doc_rowid, event FROM documents WHERE doc_rowid > ?"
                                         " AND event IS NOT NULL ORDER BY doc_rowid LIMIT ?", (last, BATCH_SIZE)).fetchall():
            for rowid, event in rows:
                self._write_facets(rowid, facet_rows(EventReport.from_dict(json.loads(event))))
            last = rows[-1][0]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run the block in one write transaction under the lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._writes += 1  # facet bitmaps built before this write are stale
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connections."""
        with self._lock:
            if self._side is not None:
                self._side.close()
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
        """Yield every stored document in insertion order, reading a page at a time (memory stays flat)."""
        last = 0
        while True:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT doc_rowid, {DOCUMENT_COLUMNS} FROM documents WHERE doc_rowid > ? ORDER BY doc_rowid"
                    " LIMIT ?", (last, READ_PAGE)).fetchall()
            if not rows:
                return
            for row in rows:
                yield row_to_document(row)
            last = rows[-1]["doc_rowid"]

    # searching ---------------------------------------------------------------------------------------------

    def search(self, query: Query) -> SearchResult:
        """Run a query: FTS5 match ranked by field points and bm25 when there is text, else newest date first.

        Counting (or listing, for facets) the matches runs on a second connection while this one ranks.
        """
        matched = MatchedSet.for_query(query)
        if query.collapse:
            return self._collapsed_search(matched, query)  # one row per event (search/events_sqlite.py)
        with self._lock, self._snapshot():
            side = None if matched.is_everything else self._side_job(
                partial(matching_rowids if query.facets else count_matches, matched=matched))
            match = query_match(query)
            hits = [row_to_hit(row, match, score) for row, score in self._page_rows(matched, query)]
            if not query.facets:
                return SearchResult(total=side.result() if side else self.count(), hits=hits)
            total, facets, histogram = self._facet_counts(matched, side.result() if side else None)
        return SearchResult(total=total, hits=hits, facets=facets, histogram=histogram)

    def _facet_counts(self, matched: MatchedSet, rowids: list[int] | None = None) -> tuple[int, dict, list]:
        """Return (matches, facets, histogram) of a query's matching documents (``rowids`` if already listed)."""
        if matched.is_everything:
            return self.count(), *unfiltered_facets(self._conn)
        rowids = matching_rowids(self._conn, matched) if rowids is None else rowids
        return len(rowids), *self._facets_of(rowids)

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Read everything one search needs from one consistent snapshot of the store."""
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def _side_job(self, job: Callable[[sqlite3.Connection], Any]) -> Future:
        """Run ``job(connection)`` on the second connection, in the background when there is a second CPU."""
        if self._side is None:
            in_memory = self.path in ("", ":memory:") or "mode=memory" in self.path  # another connection sees nothing
            parallel = (os.cpu_count() or 1) > 1 and not in_memory
            self._side = SideReader(self.path) if parallel else InlineReader(self._conn)
        return self._side.submit(job)

    def _facets_of(self, rowids: list[int]) -> tuple[dict, list[tuple[str, int]]]:
        """Count facets of the matching documents on the in-memory bitmaps (built if need be, unless few match)."""
        version = (int(self._conn.execute("PRAGMA data_version").fetchone()[0]), self._writes)
        if self._facet_version != version:
            if len(rowids) <= SMALL_MATCH:
                return small_match_facets(self._conn, rowids)  # cheaper than building the bitmaps
            self._facet_index, self._facet_version = load_facet_index(self._conn), version
        assert self._facet_index is not None
        return index_facets(self._facet_index, rowids)

    def _page_rows(self, matched: MatchedSet, query: Query) -> list[tuple[sqlite3.Row, float]]:
        """Return the rows of the requested page, best first: rank on the small columns, then read the hits."""
        limit, offset = max(0, int(query.limit)), max(0, int(query.offset))
        ranked = self._rank(matched, query, limit, offset)
        if not ranked:
            return []
        rows = self._conn.execute(
            "SELECT doc_rowid, id, url, title, source, language, date, text, event_type, is_event_report, event,"
            f" event_id, indexed_at FROM documents WHERE doc_rowid IN ({','.join('?' * len(ranked))})", [r[0] for r in ranked])
        by_rowid = {row["doc_rowid"]: row for row in rows}
        return [(by_rowid[rowid], score) for rowid, score in ranked]

    def _rank(self, matched: MatchedSet, query: Query, limit: int, offset: int) -> list[tuple[int, float]]:
        """Return (rowid, score) of one page: field points then bm25 first (unless by date), then newest."""
        score, score_params = ranking_score(matched, query)
        if matched.has_text and query.sort != "date":
            order = "score DESC, d.date DESC, d.doc_rowid DESC"
        else:
            order = "d.date DESC, d.doc_rowid DESC"  # SQLite sorts NULL dates last when descending
        sql = f"SELECT d.doc_rowid, {score} AS score {matched.sql} ORDER BY {order} LIMIT ? OFFSET ?"
        return [tuple(row) for row in self._conn.execute(sql, [*score_params, *matched.params, limit, offset])]


def count_matches(conn: sqlite3.Connection, matched: MatchedSet) -> int:
    """Return how many documents match (the full-text index alone counts a text-only query)."""
    if matched.text_only:
        sql, params = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [matched.expression]
    else:
        sql, params = f"SELECT count(*) {matched.sql}", matched.params
    return int(conn.execute(sql, params).fetchone()[0])


def matching_rowids(conn: sqlite3.Connection, matched: MatchedSet) -> list[int]:
    """Return the rowids of every matching document (one string from SQLite, cheaper than rows)."""
    if matched.text_only:
        sql, params = "SELECT group_concat(rowid) FROM documents_fts WHERE documents_fts MATCH ?", [matched.expression]
    else:
        sql, params = f"SELECT group_concat(d.doc_rowid) {matched.sql}", matched.params
    return parse_rowids(conn.execute(sql, params).fetchone()[0])


class SideReader:
    """A second read connection with its own thread: part of a search runs there while the first does the rest.

    It reads its own snapshot, taken as the search starts.
    """

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-side")

    def submit(self, job: Callable[[sqlite3.Connection], Any]) -> Future:
        """Run the job on this connection's thread, in a read snapshot of its own."""
        return self.pool.submit(self._in_snapshot, job)

    def _in_snapshot(self, job: Callable[[sqlite3.Connection], Any]) -> Any:
        self.conn.execute("BEGIN")
        try:
            return job(self.conn)
        finally:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        """Stop the thread and close the connection."""
        self.pool.shutdown()
        self.conn.close()


class InlineReader:
    """The one-CPU stand-in for SideReader: run the job at once on the search's own connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def submit(self, job: Callable[[sqlite3.Connection], Any]) -> Future:
        """Run the job now; return its outcome as a finished future."""
        future: Future = Future()
        try:
            future.set_result(job(self.conn))
        except Exception as exc:  # noqa: BLE001 - raised again by result()
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Nothing to close: the connection is the backend's."""


class MatchedSet:
    """The FROM ... WHERE ... clause selecting the documents a query matches (alias ``d``)."""

    def __init__(self, sql: str, params: list[Any], expression: str | None, filtered: bool) -> None:
        self.sql, self.params, self.expression, self.filtered = sql, params, expression, filtered

    @property
    def has_text(self) -> bool:
        return self.expression is not None

    @property
    def text_only(self) -> bool:
        """Text and no filter: the full-text index alone knows the matches."""
        return self.has_text and not self.filtered

    @property
    def is_everything(self) -> bool:
        """No text and no filter: every document matches."""
        return not self.has_text and not self.filtered

    @classmethod
    def for_query(cls, query: Query) -> MatchedSet:
        """Build the clause for a query's text and filters."""
        clauses, params = filter_clauses(query)
        filtered = bool(clauses)
        expression = fts_expression(query_match(query))
        if expression is None:
            source = "FROM documents d"
        else:
            source = f"FROM documents_fts JOIN {NARROW} ON d.doc_rowid = documents_fts.rowid"
            clauses.insert(0, "documents_fts MATCH ?")
            params.insert(0, expression)
        where = " AND ".join(clauses) or "1"
        return cls(f"{source} WHERE {where}", params, expression, filtered)


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


def facet_value_condition(kinds: tuple[str, ...], test: str) -> str:
    """Like facet_condition, but the test (on ``f.norm``) runs once per distinct value, not once per row.

    The distinct values come from ``facet_counts``; their documents are then looked up by (kind, value).
    """
    marks = ",".join("?" * len(kinds))
    return ("d.doc_rowid IN (SELECT r.doc_rowid FROM facet_counts f CROSS JOIN document_facets r"
            f" ON r.kind = f.kind AND r.norm = f.norm WHERE f.kind IN ({marks}) AND {test})")


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
        kinds = ("organization", "affiliation")
        where.add(facet_value_condition(kinds, "f.norm LIKE ? ESCAPE '\\'"),
                  *kinds, "%" + escape_like(fold(query.org)) + "%")
    if query.topic:
        where.add(facet_condition(("topic",), "f.norm = ?"), "topic", fold(query.topic))


def add_speaker_filter(where: Conditions, speaker: str, speaker_key: str | None = None,
                       speaker_keys: list[str] | tuple[str, ...] = ()) -> None:
    """Match a speaker whose name has every word of the query (in any order), or whose registry key is one given."""
    words, keys = speaker_terms(speaker, speaker_key, speaker_keys)
    tests = " AND ".join("(' ' || f.norm || ' ') LIKE ? ESCAPE '\\'" for _ in words)
    patterns = ["% " + escape_like(w) + " %" for w in words]
    key_test = f"f.norm IN ({','.join('?' * len(keys))})"
    where.add(f"({facet_value_condition(('speaker_words',), tests)} OR {facet_condition(('speaker_key',), key_test)})",
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
    return one_row_per_norm(row for row in rows if row[2])


def one_row_per_norm(rows: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Keep one row per (kind, folded value), the smallest spelling, so counting rows counts documents."""
    kept: dict[tuple[str, str], tuple[str, str, str]] = {}
    for row in rows:
        key = (row[0], row[2])
        if key not in kept or row[1] < kept[key][1]:
            kept[key] = row
    return list(kept.values())


DOCUMENT_COLUMNS = ("id, url, source, title, text, language, published, fetched_at, event, content_hash, event_id,"
                    " indexed_at, changed_at")  # what row_to_document reads (not the search columns)


def row_to_document(row: sqlite3.Row) -> Document:
    """Rebuild a Document from its stored row."""
    event = EventReport.from_dict(json.loads(row["event"])) if row["event"] else None
    return Document(
        id=row["id"], url=row["url"], source=row["source"], title=row["title"], text=row["text"],
        language=row["language"], published=row["published"], fetched_at=row["fetched_at"] or "",
        event=event, content_hash=row["content_hash"], event_id=row["event_id"],
        indexed_at=row["indexed_at"] or "", changed_at=row["changed_at"] or "",
    )


def row_to_hit(row: sqlite3.Row, match: TextMatch | None, score: float | None = None) -> Hit:
    """Build a search hit (with its HTML snippet) from a result row and its score (else the row's ``score``)."""
    score = row["score"] if score is None else score
    return Hit(
        id=row["id"], url=row["url"], title=row["title"], source=row["source"], language=row["language"],
        date=row["date"], score=float(score), snippet=make_snippet(row["text"], match),
        event_type=row["event_type"], is_event_report=bool(row["is_event_report"]),
        event_id=row["event_id"], indexed_at=row["indexed_at"],
        **event_hit_fields(json.loads(row["event"]) if row["event"] else None),
    )
