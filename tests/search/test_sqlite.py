"""SQLite backend: the shared contract plus SQLite-specific behaviour."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from ingest.models import Document, doc_id
from search.base import Query
from search.sqlite import SCHEMA_VERSION, SchemaVersionError, SQLiteBackend
from tests.search.contract import BackendContract, corpus_documents, make_doc


class TestSQLite(BackendContract):
    @pytest.fixture
    def backend(self, tmp_path):
        with SQLiteBackend(str(tmp_path / "store.sqlite")) as store:
            yield store

    @pytest.fixture
    def second_backend(self, tmp_path):
        with SQLiteBackend(str(tmp_path / "second.sqlite")) as store:
            yield store


def fts_rowids(path, expression: str) -> set[int]:
    """Return the rowids the FTS index itself holds for an expression (bypassing the backend)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", (expression,))
        return {row[0] for row in rows}


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "store.sqlite")


def test_wal_mode_is_on(store_path):
    with SQLiteBackend(store_path):
        with sqlite3.connect(store_path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_version_is_recorded_and_creation_is_idempotent(store_path):
    with SQLiteBackend(store_path) as store:
        store.upsert(corpus_documents().values())
    with SQLiteBackend(store_path) as store:
        assert store.count() == 5
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused_with_a_clear_error(store_path):
    with sqlite3.connect(store_path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="upgrade coopwatch"):
        SQLiteBackend(store_path)


def test_reopened_file_keeps_documents_and_index(store_path):
    docs = corpus_documents()
    with SQLiteBackend(store_path) as store:
        store.upsert(docs.values())
    with SQLiteBackend(store_path) as store:
        assert store.count() == 5
        assert store.get(docs["zh_forum"].id).title == docs["zh_forum"].title
        assert [h.id for h in store.search(Query(text="樊纲")).hits] == [docs["zh_forum"].id]


def test_triggers_keep_fts_in_sync_on_update_and_delete(store_path):
    doc = make_doc("k", "Ningbo port", "Ningbo and Zhoushan share a port.")
    with SQLiteBackend(store_path) as store:
        store.upsert([doc])
        assert len(fts_rowids(store_path, '"zhoushan"')) == 1
        store.upsert([make_doc("k", "Ningbo port", "Ningbo and Taizhou share a port.")])
        assert fts_rowids(store_path, '"zhoushan"') == set()
        assert len(fts_rowids(store_path, '"taizhou"')) == 1
        assert store.delete(doc.id)
        assert fts_rowids(store_path, '"ningbo"') == set()


def test_fts_integrity_check_passes_after_writes(store_path):
    with SQLiteBackend(store_path) as store:
        docs = corpus_documents()
        store.upsert(docs.values())
        store.upsert([make_doc("en_news", "Changed", "Changed text.", published="2023-12-01")])
        store.delete(docs["zh_news"].id)
    with sqlite3.connect(store_path) as conn:
        conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")


def test_unchanged_document_is_not_rewritten(store_path):
    doc = make_doc("k", "Ningbo port", "Ningbo and Zhoushan share a port.")
    with SQLiteBackend(store_path) as store:
        store.upsert([doc])
        with sqlite3.connect(store_path) as conn:
            conn.execute("CREATE TABLE writes(n)")
            conn.execute(
                "CREATE TRIGGER count_writes AFTER UPDATE ON documents BEGIN INSERT INTO writes VALUES (1); END"
            )
        assert store.upsert([doc]).unchanged == 1
        with sqlite3.connect(store_path) as conn:
            assert conn.execute("SELECT count(*) FROM writes").fetchone()[0] == 0


def test_facet_rows_follow_updates_and_deletes(store_path):
    with SQLiteBackend(store_path) as store:
        doc = make_doc("k", "Forum", "A forum.", event_type="forum", cities=["Ningbo"])
        store.upsert([doc])
        store.upsert([make_doc("k", "Forum", "A forum.", event_type="forum", cities=["Wenzhou"])])
        assert store.search(Query(cities=["Ningbo"])).total == 0
        assert store.search(Query(cities=["Wenzhou"])).total == 1
        store.delete(doc.id)
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT count(*) FROM document_facets").fetchone()[0] == 0


def test_bad_document_is_counted_failed_and_others_are_stored(store_path):
    good = make_doc("good", "Fine", "Fine text.")
    bad = make_doc("bad", "Broken", "Broken text.")
    bad.title = object()  # type: ignore[assignment]
    with SQLiteBackend(store_path) as store:
        stats = store.upsert([bad, good])
        assert (stats.new, stats.failed) == (1, 1)
        assert stats.failures[0][0] == bad.id
        assert store.count() == 1


def test_memory_database_works():
    with SQLiteBackend(":memory:") as store:
        store.upsert(corpus_documents().values())
        assert store.search(Query(text="沪港")).total == 1


def test_threads_can_share_one_backend(store_path):
    import threading

    errors: list[BaseException] = []
    with SQLiteBackend(store_path) as store:

        def write(prefix: str) -> None:
            try:
                for i in range(20):
                    store.upsert([make_doc(f"{prefix}{i}", "Harbour", f"Harbour note {i}.")])
                    store.search(Query(text="harbour", facets=True))
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(p,)) for p in "abc"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and store.count() == 60


def test_second_connection_sees_writes(store_path):
    with SQLiteBackend(store_path) as writer, SQLiteBackend(store_path) as reader:
        writer.upsert(corpus_documents().values())
        assert reader.search(Query(text="合作")).total == 1


# shared text helpers (search/text.py) -------------------------------------------------------------------


def test_segmentation_leaves_english_alone_and_splits_chinese():
    from search.text import cjk_bigrams, segment_for_index

    assert segment_for_index("Shanghai and Hong Kong") == "Shanghai and Hong Kong"
    assert "合作" in segment_for_index("沪港合作论坛").split()
    assert cjk_bigrams("樊纲 and 沪港") == "樊纲 纲 沪港 港"
    assert cjk_bigrams("English only") == ""


def test_query_terms_drop_syntax_and_split_han():
    from search.text import QueryTerm, query_terms, quote_fts5

    assert query_terms('"  ( ) * \' -') == []
    assert query_terms("上海Shanghai") == [QueryTerm("上海", True), QueryTerm("Shanghai", False)]
    assert quote_fts5('say "hi"') == '"say ""hi"""'


def test_snippet_picks_the_matching_window_and_escapes():
    from search.text import make_snippet

    text = "filler words here. " * 40 + "The <b>Ningbo</b> ports cooperate. " + "more filler. " * 40
    snippet = make_snippet(text, "ningbo cooperation", size=120)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "&lt;b&gt;<mark>Ningbo</mark>&lt;/b&gt;" in snippet and "<mark>cooperate</mark>" in snippet
    assert make_snippet("a < b", "") == "a &lt; b"


def test_jieba_loads_silently(tmp_path):
    import subprocess
    import sys

    code = "from search.text import segment_for_index; print(segment_for_index('沪港合作'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stderr == "" and "合作" in out.stdout


# real reports from ../shared/data ----------------------------------------------------------------------

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def dev_reports() -> list[dict]:
    """Return the annotated reports of ../shared/data/events/dev.jsonl, skipping (not in CI) when absent."""
    path = SHARED_DATA / "events" / "dev.jsonl"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing and CI=true: the shared test data must be present in CI")
        pytest.skip(f"shared test data not found at {path} (present in CI beside the checkout)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.shared
def test_every_annotated_speaker_name_finds_its_report():
    reports = dev_reports()
    docs = {}
    for report in reports:
        url = report.get("url") or f"https://dev.example.org/{report['id']}"
        docs[report["id"]] = Document(id=doc_id(url), url=url, source="dev", title="", text=report["text"],
                                      language=report.get("lang"))
    missed, checked = [], 0
    with SQLiteBackend(":memory:") as store:
        store.upsert(docs.values())
        for report in reports:
            for speaker in report["truth"].get("speakers") or []:
                name = speaker["name"] if isinstance(speaker, dict) else speaker
                found = {hit.id for hit in store.search(Query(text=name, limit=100)).hits}
                checked += 1
                if docs[report["id"]].id not in found:
                    missed.append((report["id"], name))
    assert checked >= 100, f"only {checked} annotated speakers in dev.jsonl: the check has lost its data"
    assert missed == []


def fts_data_rows(path: str) -> int:
    """Return how many rows the FTS5 index's own data table holds (fewer once segments are merged)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM documents_fts_data").fetchone()[0])
    finally:
        conn.close()


def test_optimize_merges_the_index_and_truncates_the_wal(store_path):
    docs = corpus_documents()
    with SQLiteBackend(store_path) as store:
        for n in range(3):  # one transaction each, so one index segment each
            store.upsert([make_doc(f"port-{n}", f"Ningbo port {n}", f"Ningbo and Zhoushan share port {n}.")])
        store.upsert(docs.values())
        before = fts_data_rows(store_path)
        store.optimize()
        assert fts_data_rows(store_path) < before
        assert os.path.getsize(store_path + "-wal") == 0
        assert store.count() == 8
        assert [h.id for h in store.search(Query(text="樊纲")).hits] == [docs["zh_forum"].id]
        assert store.search(Query(text="Zhoushan")).total == 3
        store.optimize()  # again, on an already merged index: a no-op, not an error
    conn = sqlite3.connect(store_path)
    try:
        conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def test_store_from_schema_1_gets_speaker_word_rows_on_open(tmp_path):
    """A store written before speaker_words rows existed is upgraded in place when opened."""
    from ingest.models import EventReport, Speaker

    path = str(tmp_path / "old.sqlite")
    event = EventReport(is_event_report=True, speakers=[Speaker("Vivian Tsang Mei-ling")])
    with SQLiteBackend(path) as backend:
        backend.upsert([Document(id="d1", url="http://h/1", source="s", title="t", text="x", event=event)])
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM document_facets WHERE kind='speaker_words'")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    with SQLiteBackend(path) as backend:
        assert backend.search(Query(speaker="Vivian Tsang")).total == 1


def test_store_from_schema_2_gets_event_id_and_stamps_on_open(tmp_path):
    """A store written before event ids and store timestamps is upgraded in place: fetch time stands in."""
    path = str(tmp_path / "old.sqlite")
    doc = Document(id="d1", url="http://h/1", source="s", title="t", text="x", fetched_at="2024-05-06T07:08:09+00:00")
    with SQLiteBackend(path) as backend:
        backend.upsert([doc])
    conn = sqlite3.connect(path)
    for index in ("documents_event_id", "documents_indexed_at", "documents_changed_at", "documents_narrow",
                  "documents_by_date"):  # as a schema 2 store has none of them
        conn.execute(f"DROP INDEX {index}")
    for column in ("event_id", "indexed_at", "changed_at"):
        conn.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    with SQLiteBackend(path) as backend:
        stored = backend.get("d1")
        assert (stored.indexed_at, stored.changed_at, stored.event_id) == (
            "2024-05-06T07:08:09.000+00:00", "2024-05-06T07:08:09.000+00:00", None)
        assert backend.search(Query(indexed_since="2024-05-06T07:08:09Z")).total == 1
        assert backend.upsert([doc]).unchanged == 1  # the hash of a document without an event id is unchanged


V3_INDEX = """
DROP TRIGGER documents_ai; DROP TRIGGER documents_ad; DROP TRIGGER documents_au; DROP TABLE documents_fts;
UPDATE documents SET search_body = search_body || ' ' || search_extra, search_body_cjk = search_body_cjk || ' ' || search_extra_cjk;
ALTER TABLE documents DROP COLUMN search_extra; ALTER TABLE documents DROP COLUMN search_extra_cjk;
CREATE VIRTUAL TABLE documents_fts USING fts5(search_title, search_body, search_title_cjk, search_body_cjk,
    content='documents', content_rowid='doc_rowid', tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO documents_fts(documents_fts) VALUES ('rebuild');
PRAGMA user_version=3;
"""


def test_store_from_schema_3_moves_event_fields_to_their_own_columns_on_open(tmp_path):
    """A store whose event fields were appended to the body is upgraded in place, ranking included."""
    from tests.search.contract import vocabulary_documents

    path = str(tmp_path / "old.sqlite")
    docs = vocabulary_documents()
    with SQLiteBackend(path) as backend:
        backend.upsert(docs.values())
    conn = sqlite3.connect(path)
    conn.executescript(V3_INDEX)  # the version 3 layout: four search columns, event fields inside the body
    conn.close()
    with SQLiteBackend(path) as backend:
        hits = backend.search(Query(text="Hong Kong")).hits
        assert [h.id for h in hits[:2]] == [docs["en_symposium"].id, docs["en_housing"].id]
        assert backend.search(Query(text="Albert Fong")).total == 1
        backend.upsert([make_doc("later", "Hong Kong later", "Later.")])  # triggers work on the new columns
        assert backend.search(Query(text="later")).total == 1
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
