"""Facet counts and the monthly histogram for the SQLite store, fast at any match-set size.

Three ways, all exact and all giving what a ``GROUP BY`` over the matching documents would:

- nothing filtered: read ``facet_counts``, documents per value kept up to date by triggers on every write;
- a few matches (up to ``SMALL_MATCH``): group the matching documents' rows in SQL;
- many matches: count on a :class:`~search.facets.FacetIndex` of per-value bitmaps, built once per process
  and rebuilt when another connection (or this one) has changed the store.

Facet semantics (the contract): ``source``, ``language`` and ``event_type`` group documents by the exact
column value; the other facets group by the case-folded ``norm`` of ``document_facets`` rows and show the
smallest spelling among the matching documents; counts descending, then value; at most ``FACET_LIMIT``.
The histogram counts documents per month (``YYYY-MM``) of their event date, oldest first.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from search.base import FACET_LIMIT, FACET_NAMES
from search.facets import FacetGroup, FacetIndex, posting

SMALL_MATCH = 5000  # at most this many matches: count in SQL, no need for the in-memory index
COLUMN_FACETS = {"source": "source", "language": "language", "event_type": "event_type"}
SIDE_FACETS = {"city": "city", "city_pair": "city_pair", "speaker": "speaker", "organization": "organization",
               "topic": "topic"}
MONTH = "substr(event_date, 1, 7)"  # the histogram key, for event dates of at least 7 characters
# facet_counts kinds for the documents columns ("doc:" keeps them apart from the document_facets kinds)
COLUMN_KINDS = {"doc:source": "source", "doc:language": "language", "doc:event_type": "event_type",
                "doc:month": f"CASE WHEN length(event_date) >= 7 THEN {MONTH} END"}


def _column_values(row: str) -> str:
    """Return a SELECT of (kind, value) for the documents columns of ``row`` (``new`` or ``old``)."""
    parts = [f"SELECT '{kind}' AS kind, {expr.replace('event_date', f'{row}.event_date')} AS v"
             if kind == "doc:month" else f"SELECT '{kind}' AS kind, {row}.{expr} AS v" for kind, expr in COLUMN_KINDS.items()]
    return " UNION ALL ".join(parts)


def _count_up(row: str) -> str:
    return (f"INSERT INTO facet_counts(kind, norm, value, n) SELECT kind, v, v, 1 FROM ({_column_values(row)})"
            " WHERE v IS NOT NULL ON CONFLICT(kind, norm, value) DO UPDATE SET n = n + 1;")


def _count_down(row: str) -> str:
    keys = f"SELECT kind, v, v FROM ({_column_values(row)}) WHERE v IS NOT NULL"
    return (f"UPDATE facet_counts SET n = n - 1 WHERE (kind, norm, value) IN ({keys});"
            f" DELETE FROM facet_counts WHERE n <= 0 AND (kind, norm, value) IN ({keys});")


FACET_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS facet_counts (
    kind TEXT NOT NULL,
    norm TEXT NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, norm, value)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS facet_rows_ai AFTER INSERT ON document_facets BEGIN
    INSERT INTO facet_counts(kind, norm, value, n) VALUES (new.kind, new.norm, new.value, 1)
    ON CONFLICT(kind, norm, value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS facet_rows_ad AFTER DELETE ON document_facets BEGIN
    UPDATE facet_counts SET n = n - 1 WHERE kind = old.kind AND norm = old.norm AND value = old.value;
    DELETE FROM facet_counts WHERE kind = old.kind AND norm = old.norm AND value = old.value AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS documents_counts_ai AFTER INSERT ON documents BEGIN
    {_count_up("new")}
END;
CREATE TRIGGER IF NOT EXISTS documents_counts_ad AFTER DELETE ON documents BEGIN
    {_count_down("old")}
END;
CREATE TRIGGER IF NOT EXISTS documents_counts_au AFTER UPDATE OF source, language, event_type, event_date
ON documents BEGIN
    {_count_down("old")}
    {_count_up("new")}
END;
"""


def rebuild_facet_counts(conn: sqlite3.Connection) -> None:
    """Recount ``facet_counts`` from the documents and their facet rows (schema upgrade; inside a transaction)."""
    conn.execute("DELETE FROM facet_counts")
    conn.execute("INSERT INTO facet_counts SELECT kind, norm, value, count(*) FROM document_facets"
                 " GROUP BY kind, norm, value")
    for kind, expr in COLUMN_KINDS.items():
        conn.execute(f"INSERT INTO facet_counts SELECT '{kind}', v, v, count(*) FROM"
                     f" (SELECT {expr} AS v FROM documents) WHERE v IS NOT NULL GROUP BY v")


# ---------------------------------------------------------------------------------------------- nothing filtered

def unfiltered_facets(conn: sqlite3.Connection) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]]]:
    """Return every facet and the histogram over the whole store, from the kept counts."""
    facets = {}
    for name in FACET_NAMES:
        kind = f"doc:{COLUMN_FACETS[name]}" if name in COLUMN_FACETS else SIDE_FACETS[name]
        rows = conn.execute("SELECT min(value), sum(n) AS total FROM facet_counts WHERE kind = ? GROUP BY norm"
                            " ORDER BY total DESC, min(value) LIMIT ?", (kind, FACET_LIMIT))
        facets[name] = [(value, int(n)) for value, n in rows]
    months = conn.execute("SELECT norm, n FROM facet_counts WHERE kind = 'doc:month' ORDER BY norm")
    return facets, [(month, int(n)) for month, n in months]


# ---------------------------------------------------------------------------------------------- a few matches

def small_match_facets(conn: sqlite3.Connection, rowids: list[int]) -> tuple[dict, list[tuple[str, int]]]:
    """Return every facet and the histogram of a small match set, grouped in SQL."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS matched_docs (doc_rowid INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.matched_docs")
    conn.executemany("INSERT INTO temp.matched_docs VALUES (?)", ((r,) for r in rowids))
    # "IN temp.matched_docs" with the index named: look up each match, never scan the store
    matched = "FROM documents d INDEXED BY documents_narrow WHERE d.doc_rowid IN temp.matched_docs"
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, column in COLUMN_FACETS.items():
        rows = conn.execute(f"SELECT d.{column}, count(*) AS n {matched} AND d.{column} IS NOT NULL"
                            f" GROUP BY d.{column} ORDER BY n DESC, d.{column} LIMIT ?", (FACET_LIMIT,))
        facets[name] = [(value, int(n)) for value, n in rows]
    facets.update(_side_facets_of_matched(conn))
    months = conn.execute(f"SELECT substr(d.event_date, 1, 7) AS month, count(*) {matched}"
                          " AND length(d.event_date) >= 7 GROUP BY month ORDER BY month")
    return {name: facets[name] for name in FACET_NAMES}, [(month, int(n)) for month, n in months]


def _side_facets_of_matched(conn: sqlite3.Connection) -> dict[str, list[tuple[str, int]]]:
    kinds = {kind: name for name, kind in SIDE_FACETS.items()}
    marks = ",".join("?" * len(kinds))
    rows = conn.execute(
        "SELECT f.kind, min(f.value), count(*) FROM document_facets f INDEXED BY document_facets_doc"
        f" WHERE f.doc_rowid IN temp.matched_docs AND f.kind IN ({marks}) GROUP BY f.kind, f.norm", list(kinds))
    grouped: dict[str, list[tuple[str, int]]] = {name: [] for name in SIDE_FACETS}
    for kind, value, n in rows:
        grouped[kinds[kind]].append((value, int(n)))
    return {name: sorted(values, key=lambda vc: (-vc[1], vc[0]))[:FACET_LIMIT] for name, values in grouped.items()}


# ---------------------------------------------------------------------------------------------- many matches

def index_facets(index: FacetIndex, rowids: Iterable[int]) -> tuple[dict, list[tuple[str, int]]]:
    """Return every facet and the histogram of a large match set, counted on the bitmaps."""
    match = index.match_set(rowids)
    facets = {name: index.top(name, match, FACET_LIMIT) for name in FACET_NAMES}
    return facets, sorted(index.all_counts("month", match))


def load_facet_index(conn: sqlite3.Connection) -> FacetIndex:
    """Build the bitmaps of every facet value from the store (inside the caller's read transaction)."""
    size = int(conn.execute("SELECT coalesce(max(doc_rowid), 0) + 1 FROM documents").fetchone()[0])
    facets = _column_groups(conn, size)
    facets.update(_side_groups(conn, size))
    return FacetIndex(size, facets)


def _column_groups(conn: sqlite3.Connection, size: int) -> dict[str, list[FacetGroup]]:
    """Group documents by each column facet and by event month, with one sort for all but the source."""
    by_value: dict[str, dict[str, list[int]]] = {"language": {}, "event_type": {}, "month": {}}
    rows = conn.execute(f"SELECT language, event_type, CASE WHEN length(event_date) >= 7 THEN {MONTH} END AS month,"
                        " group_concat(doc_rowid) FROM documents INDEXED BY documents_narrow"
                        " GROUP BY language, event_type, month")
    for language, event_type, month, ids in rows:
        rowids = parse_rowids(ids)
        for name, value in (("language", language), ("event_type", event_type), ("month", month)):
            if value is not None:
                by_value[name].setdefault(value, []).extend(rowids)
    sources = conn.execute("SELECT source, group_concat(doc_rowid) FROM documents WHERE source IS NOT NULL"
                           " GROUP BY source")
    by_value["source"] = {source: parse_rowids(ids) for source, ids in sources}
    return {name: [FacetGroup([posting(value, rowids, size)]) for value, rowids in values.items()]
            for name, values in by_value.items()}


def _side_groups(conn: sqlite3.Connection, size: int) -> dict[str, list[FacetGroup]]:
    """Group facet rows by (kind, norm); a norm written several ways keeps one posting per spelling."""
    kinds = {kind: name for name, kind in SIDE_FACETS.items()}
    marks = ",".join("?" * len(kinds))
    groups: dict[str, list[FacetGroup]] = {name: [] for name in SIDE_FACETS}
    rows = conn.execute(f"SELECT kind, norm, min(value), max(value), group_concat(doc_rowid) FROM document_facets"
                        f" WHERE kind IN ({marks}) GROUP BY kind, norm", list(kinds)).fetchall()
    for kind, norm, first, last, ids in rows:
        if first == last:
            postings = [posting(first, parse_rowids(ids), size)]
        else:
            postings = [posting(value, parse_rowids(each), size) for value, each in conn.execute(
                "SELECT value, group_concat(doc_rowid) FROM document_facets WHERE kind = ? AND norm = ?"
                " GROUP BY value", (kind, norm))]
        groups[kinds[kind]].append(FacetGroup(postings))
    return groups


def parse_rowids(joined: str | None) -> list[int]:
    """Return the rowids of a ``group_concat`` (JSON parsing is the quickest way to read many numbers)."""
    return json.loads(f"[{joined}]") if joined else []
