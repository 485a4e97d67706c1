"""Elasticsearch backend on a real node (COOPWATCH_TEST_ES): the shared contract plus what only ES has.

Without COOPWATCH_TEST_ES (or with an unreachable node) these tests skip with the reason; with CI=true
they fail instead. Each test works under its own index prefix and drops it afterwards.
"""

from __future__ import annotations

import threading

import pytest
from elasticsearch import Elasticsearch

from search.base import BackendConfigError as ConfigError
from search.base import Query
from search.elastic import ConnectionSettings, ElasticsearchBackend
from tests.search.contract import BackendContract, corpus_documents, make_doc
from tests.search.es_support import backend_factory, require_test_node

pytestmark = pytest.mark.es


@pytest.fixture(scope="module")
def es_url() -> str:
    return require_test_node()


@pytest.fixture
def make_backend(es_url, tmp_path):
    make, cleanup = backend_factory(es_url, str(tmp_path / "deadletter.sqlite"))
    yield make
    cleanup()


class TestElasticsearch(BackendContract):
    @pytest.fixture
    def backend(self, make_backend):
        return make_backend()

    @pytest.fixture
    def second_backend(self, make_backend):
        return make_backend()


def harbour_docs(n: int) -> list:
    return [make_doc(f"h{i:04d}", f"Harbour note {i}", f"Harbour report number {i}.",
                     published=f"2024-01-{i % 28 + 1:02d}") for i in range(n)]


def test_mapping_is_explicit_with_english_cjk_and_nested_speakers(make_backend):
    backend = make_backend()
    index = backend.alias_index(backend.write_alias)
    mapping = backend.client.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["dynamic"] == "strict"
    props = mapping["properties"]
    assert props["text"]["fields"]["en"]["analyzer"] == "english"
    assert props["title"]["fields"]["cjk"]["analyzer"] == "cjk"
    assert props["speakers"]["type"] == "nested"
    assert props["city_pairs"]["type"] == "keyword" and props["event_date"]["type"] == "date"
    assert props["ingested_at"]["type"] == "date"
    tokens = backend.client.indices.analyze(index=index, field="text.cjk", text="沪港合作")["tokens"]
    assert [t["token"] for t in tokens] == ["沪港", "港合", "合作"]
    tokens = backend.client.indices.analyze(index=index, field="text.en", text="cities cooperating")["tokens"]
    assert [t["token"] for t in tokens] == ["citi", "cooper"]


def test_versioned_index_behind_read_and_write_aliases(make_backend):
    backend = make_backend()
    assert backend.alias_index(backend.read_alias) == f"{backend.prefix}-v1"
    assert backend.alias_index(backend.write_alias) == f"{backend.prefix}-v1"
    backend.upsert(corpus_documents().values())
    assert backend.reindex_to_new_version() == f"{backend.prefix}-v2"
    assert backend.alias_index(backend.read_alias) == f"{backend.prefix}-v2"
    assert backend.alias_index(backend.write_alias) == f"{backend.prefix}-v2"
    assert not backend.client.indices.exists(index=f"{backend.prefix}-v1")
    assert backend.count() == 5 and backend.search(Query(text="樊纲")).total == 1


def test_alias_swap_under_concurrent_searches_never_fails_or_empties(make_backend):
    backend = make_backend()
    backend.upsert(harbour_docs(300))
    backend.refresh()
    errors: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search(Query(text="harbour", facets=True)).total)
                totals.append(backend.search(Query()).total)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    searchers = [threading.Thread(target=search_loop) for _ in range(2)]
    for thread in searchers:
        thread.start()
    try:
        for _ in range(3):
            backend.reindex_to_new_version()
    finally:
        stop.set()
        for thread in searchers:
            thread.join()
    assert errors == []
    assert len(totals) > 0 and set(totals) == {300}
    assert backend.alias_index(backend.read_alias) == f"{backend.prefix}-v4"


def test_writes_during_reindex_are_kept(make_backend):
    backend = make_backend()
    backend.upsert(harbour_docs(200))
    done = threading.Event()

    def write_while_reindexing() -> None:
        i = 0
        while not done.is_set():
            backend.upsert([make_doc(f"late{i}", "Late note", "Written during the reindex.")])
            i += 1
        backend.upsert([make_doc("last", "Late note", "Written during the reindex.")])

    writer = threading.Thread(target=write_while_reindexing)
    writer.start()
    try:
        backend.reindex_to_new_version()
    finally:
        done.set()
        writer.join()
    backend.refresh()
    late = backend.search(Query(text="late note", limit=0)).total
    assert late >= 1 and backend.count() == 200 + late


def test_concurrent_double_indexing_leaves_one_copy(make_backend):
    first = make_backend()
    second = make_backend(prefix=first.prefix)
    batch = harbour_docs(400) + list(corpus_documents().values())
    results = []
    threads = [threading.Thread(target=lambda b=b: results.append(b.upsert(batch))) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.refresh()
    assert first.count() == len(batch)
    assert all(s.failed == 0 and s.new + s.updated + s.unchanged == len(batch) for s in results)
    assert first.search(Query(text="Shanghai")).total == 1
    assert first.upsert(batch).unchanged == len(batch)


def test_refused_writes_go_to_dead_letters_and_are_retried_next_run(make_backend):
    backend = make_backend()
    docs = list(corpus_documents().values())
    index = backend.alias_index(backend.write_alias)
    backend.client.indices.put_settings(index=index, settings={"index.blocks.write": True})
    try:
        stats = backend.upsert(docs)
    finally:
        backend.client.indices.put_settings(index=index, settings={"index.blocks.write": False})
    assert (stats.new, stats.failed) == (0, 5)
    letters = backend.deadletters.entries(backend.prefix)
    assert {e["id"] for e in letters} == {d.id for d in docs}
    assert all("cluster_block_exception" in e["reason"] for e in letters)
    retried = backend.upsert([])
    backend.refresh()
    assert (retried.new, retried.failed) == (5, 0)
    assert backend.count() == 5 and backend.deadletters.entries(backend.prefix) == []


def test_invalid_document_is_counted_failed_and_others_are_stored(make_backend):
    backend = make_backend()
    good, bad = make_doc("good", "Fine", "Fine text."), make_doc("bad", "Broken", "Broken text.")
    bad.title = object()  # type: ignore[assignment]
    stats = backend.upsert([bad, good])
    backend.refresh()
    assert (stats.new, stats.failed) == (1, 1) and stats.failures[0][0] == bad.id
    assert backend.count() == 1
    assert [e["id"] for e in backend.deadletters.entries(backend.prefix)] == [bad.id]


def test_unreachable_node_gives_a_clear_error(tmp_path):
    client = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    with pytest.raises(ConnectionError, match="cannot reach Elasticsearch"):
        ElasticsearchBackend(client, index_prefix="cwtest-unreachable", deadletter_path=str(tmp_path / "d.sqlite"))


def test_from_url_reads_the_environment(es_url, tmp_path):
    env = {"COOPWATCH_ES_INDEX": "cwtest-fromurl", "COOPWATCH_ES_DEADLETTER": str(tmp_path / "dl.sqlite"),
           "COOPWATCH_ES_TIMEOUT": "12"}
    backend = ElasticsearchBackend.from_url(es_url, env=env)
    try:
        assert backend.prefix == "cwtest-fromurl" and backend.count() == 0
        assert (tmp_path / "dl.sqlite").exists()
    finally:
        backend.drop()
        backend.close()


# connection settings (no node needed) ---------------------------------------------------------------------


def test_credentials_come_from_the_environment_and_stay_hidden():
    settings = ConnectionSettings.from_env("https://es.example:9200", {
        "COOPWATCH_ES_API_KEY": "c2VjcmV0LWtleQ==", "COOPWATCH_ES_CA_CERTS": "/certs/ca.crt"})
    assert "c2VjcmV0" not in repr(settings) and "api_key" in repr(settings)
    client = settings.client()
    assert client._headers["authorization"] == "ApiKey c2VjcmV0LWtleQ=="
    assert "c2VjcmV0" not in repr(client._headers)
    basic = ConnectionSettings.from_env("https://es.example:9200", {
        "COOPWATCH_ES_USERNAME": "elastic", "COOPWATCH_ES_PASSWORD": "hunter2", "COOPWATCH_ES_TIMEOUT": "7"})
    assert "hunter2" not in repr(basic) and basic.timeout == 7.0 and basic.verify is True


def test_credentials_in_the_url_are_refused():
    with pytest.raises(ConfigError, match="COOPWATCH_ES_USERNAME"):
        ConnectionSettings.from_env("https://elastic:pw@es.example:9200", {})


@pytest.mark.parametrize("env, message", [
    ({"COOPWATCH_ES_VERIFY": "maybe"}, "COOPWATCH_ES_VERIFY"),
    ({"COOPWATCH_ES_TIMEOUT": "soon"}, "COOPWATCH_ES_TIMEOUT"),
])
def test_bad_connection_settings_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        ConnectionSettings.from_env("https://es.example:9200", env)


def test_verify_can_be_turned_off_for_https():
    settings = ConnectionSettings.from_env("https://es.example:9200", {"COOPWATCH_ES_VERIFY": "false"})
    assert settings.verify is False
    with pytest.warns(Warning):
        settings.client()


def test_optimize_refreshes_and_merges_the_write_index_without_losing_documents(make_backend):
    backend = make_backend()
    docs = corpus_documents()
    backend.upsert(docs.values())
    backend.delete(docs["en_news"].id)
    changed = make_doc("zh_news", "Changed", "Changed text.", source="thinktank-c", language="zh")
    assert backend.upsert([changed]).updated == 1  # an update leaves a deleted copy in its segment
    index = backend.alias_index(backend.write_alias)
    backend.optimize()  # no refresh() before: optimize makes the writes visible itself
    assert backend.count() == 4
    assert backend.search(Query(text="Changed")).total == 1
    segments = backend.client.cat.segments(index=index, format="json")
    assert segments and all(s["committed"] == "true" for s in segments)  # the merge flushed to disk
    backend.optimize()  # again: nothing left to merge, still no error
    assert backend.count() == 4


def test_index_made_before_event_ids_and_stamps_gains_the_fields_when_opened(make_backend, es_url):
    """An index created by an older coopwatch (no event_id, indexed_at, changed_at) is upgraded in place."""
    from search.elastic import INDEX_SETTINGS, MAPPINGS
    from tests.search.es_support import unique_prefix

    prefix = unique_prefix()
    old_props = {k: v for k, v in MAPPINGS["properties"].items() if k not in ("event_id", "indexed_at", "changed_at")}
    client = Elasticsearch(es_url)
    client.indices.create(index=f"{prefix}-v1", settings=INDEX_SETTINGS,
                          mappings={**MAPPINGS, "properties": old_props},
                          aliases={prefix: {}, f"{prefix}-write": {"is_write_index": True}})
    client.index(index=f"{prefix}-write", id="old", refresh=True, document={
        "id": "old", "url": "https://h.example.org/old", "source": "h", "title": "Old", "text": "Old text.",
        "content_hash": "x", "fetched_at": "2024-05-06T07:08:09+00:00", "is_event_report": False})
    backend = make_backend(prefix)
    assert backend.get("old").indexed_at == ""  # a document of the old index has no stamps until rewritten
    doc = make_doc("new", "New", "New text.")
    doc.event_id = "evt-1"
    doc.content_hash = doc.compute_hash()
    backend.upsert([doc])
    backend.refresh()
    assert [h.event_id for h in backend.search(Query(event_ids=["evt-1"])).hits] == ["evt-1"]
    props = client.indices.get_mapping(index=f"{prefix}-v1")[f"{prefix}-v1"]["mappings"]["properties"]
    assert props["indexed_at"]["type"] == "date" and props["event_id"]["type"] == "keyword"
    client.close()
