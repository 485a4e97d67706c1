"""Behaviour every search backend must show: one suite, inherited by each backend's test class.

Usage::

    class TestMyBackend(BackendContract):
        unsupported = {"test_name": "why this backend truly cannot do it"}

        @pytest.fixture
        def backend(self):  # a fresh, empty backend per test
            ...

        @pytest.fixture
        def second_backend(self):  # another fresh, empty backend of the same kind (reindex target)
            ...

After every write the suite calls ``backend.refresh()`` when the backend has one (Elasticsearch needs
it to make writes visible); backends without the hook need nothing. ``unsupported`` names tests by
function name (a parametrized test by its base name); each becomes a skip that shows the reason.

``search/text.py`` holds what backends should share to behave alike: ``query_terms`` (user input ->
escaped terms), ``segment_for_index`` / ``cjk_bigrams`` / ``segment_query_run`` (Chinese), ``make_snippet``
(HTML snippets), ``extra_search_text`` (event fields a text search sees), ``speaker_terms`` and ``pair_key``
(filters); ``search/base.py`` has ``event_hit_fields``, ``MIN_PREFIX`` and ``FACET_LIMIT``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.models import Document, Event, EventMember, EventReport, Speaker, doc_id, store_stamp
from search.base import FACET_NAMES, Query, SearchBackend, SearchResult, UpsertStats

# ---------------------------------------------------------------------------------------------------------
# test documents (invented texts)


def make_doc(
    key: str,
    title: str = "Untitled",
    text: str = "",
    *,
    source: str = "thinktank-a",
    language: str | None = "en",
    published: str | None = None,
    fetched_at: str = "2024-06-01T00:00:00Z",
    event: EventReport | None = None,
    **event_fields: Any,
) -> Document:
    """Build a Document whose URL (and so id) derives from ``key``; event fields build an EventReport."""
    if event_fields and event is None:
        event = make_event(**event_fields)
    url = f"https://{source}.example.org/reports/{key}"
    return Document(
        id=doc_id(url), url=url, source=source, title=title, text=text, language=language,
        published=published, fetched_at=fetched_at, event=event,
    )


def make_event(
    *,
    event_type: str | None = "forum",
    event_date: str | None = None,
    speakers: list[Speaker] | None = None,
    organizers: list[str] | None = None,
    cities: list[str] | None = None,
    pairs: list[list[str]] | None = None,
    topics: list[str] | None = None,
    is_event_report: bool = True,
) -> EventReport:
    """Build an EventReport with the fields searches filter on."""
    return EventReport(
        is_event_report=is_event_report, event_type=event_type, event_date=event_date,
        speakers=list(speakers or []), organizers=list(organizers or []), cities=list(cities or []),
        city_pairs=[sorted(p) for p in pairs or []], topics=list(topics or []),
    )


def corpus_documents() -> dict[str, Document]:
    """Return the shared five-document corpus: three English, two Chinese, events and news."""
    docs = [
        make_doc(
            "en_forum", "Shanghai-Hong Kong Cooperation Forum opens a new chapter",
            "On 8 March 2024 the Shanghai-Hong Kong Cooperation Forum brought together scholars and "
            "officials. Fan Gang, president of the China Development Institute, gave the keynote on "
            "financial cooperation between Shanghai and Hong Kong. Alice Wong moderated a panel on "
            "partnership models for river delta cities.",
            source="thinktank-a", published="2024-03-10", event_type="forum", event_date="2024-03-08",
            speakers=[Speaker("Fan Gang", affiliation="China Development Institute", role="keynote"),
                      Speaker("Alice Wong", role="moderator", key="alice-wong")],
            organizers=["Shanghai Institutes for International Studies"],
            cities=["Shanghai", "Hong Kong"], pairs=[["Shanghai", "Hong Kong"]], topics=["finance"],
        ),
        make_doc(
            "en_seminar", "Shenzhen and Guangzhou researchers discuss innovation corridors",
            "A seminar held on 20 May 2024 in Shenzhen examined how Guangzhou and Shenzhen can share "
            "laboratories. Bob Smith of the Pearl River Policy Lab argued that talent mobility matters most.",
            source="thinktank-b", published="2024-05-22", event_type="seminar", event_date="2024-05-20",
            speakers=[Speaker("Bob Smith", affiliation="Pearl River Policy Lab")],
            organizers=["Guangdong Academy of Social Sciences"],
            cities=["Shenzhen", "Guangzhou"], pairs=[["Shenzhen", "Guangzhou"]], topics=["innovation"],
        ),
        make_doc(
            "en_news", "Trade figures released for the first quarter",
            "Hong Lei, a spokesperson, commented on quarterly trade statistics and said exports grew steadily.",
            source="thinktank-a", published="2023-12-01",
        ),
        make_doc(
            "zh_forum", "第五届沪港合作论坛在上海举行",
            "2024年4月15日，第五届沪港合作论坛在上海举行。本次论坛由上海国际问题研究院主办，主题为“深化金融合作，"
            "共建国际枢纽”。中国经济体制改革研究会副会长樊纲发表主旨演讲，他表示沪港两地应在绿色金融和科技创新方面"
            "加强合作。香港大学教授龚维桢主持了圆桌讨论。",
            source="thinktank-c", language="zh", published="2024-04-16", event_type="forum",
            event_date="2024-04-15",
            speakers=[Speaker("樊纲", affiliation="中国经济体制改革研究会", role="keynote"),
                      Speaker("龚维桢", affiliation="香港大学", role="moderator")],
            organizers=["上海国际问题研究院"], cities=["上海", "香港"], pairs=[["上海", "香港"]], topics=["金融"],
        ),
        make_doc(
            "zh_news", "深圳发布一季度经济数据",
            "深圳市统计局日前发布一季度经济运行数据，全市地区生产总值同比增长百分之五点九。其中，高技术制造业增加值"
            "增长较快，消费市场保持稳定。",
            source="thinktank-c", language="zh", published="2024-01-05",
        ),
    ]
    return {doc.url.rsplit("/", 1)[-1]: doc for doc in docs}


STAMPS = ("indexed_at", "changed_at")


def content_of(doc: Document) -> dict[str, Any]:
    """Return a document's fields without the store timestamps (which the store sets)."""
    return {k: v for k, v in doc.to_dict().items() if k not in STAMPS}


def keys_of(result: SearchResult, docs: dict[str, Document]) -> set[str]:
    """Map the hits of a result back to corpus keys."""
    by_id = {doc.id: key for key, doc in docs.items()}
    return {by_id.get(hit.id, hit.id) for hit in result.hits}


def vocabulary_documents() -> dict[str, Document]:
    """Return reports whose cities, pairs, types and speaker keys are what the structurer stores.

    Places are canonical English names whatever the language; speaker keys come from the person registry.
    """
    from ingest.structure import person_key

    def speaker(name: str, role: str = "speaker") -> Speaker:
        return Speaker(name, role=role, key=person_key(name))

    docs = [
        make_doc("en_symposium", "Shanghai–Hong Kong Symposium on Urban Renewal",
                 "Planners from Shanghai and Hong Kong compared urban renewal. Fan Gang gave the keynote and "
                 "Albert Fong Chi-keung opened the symposium.",
                 source="vocab-en", published="2025-03-14", event_type="symposium", event_date="2025-03-12",
                 speakers=[speaker("Fan Gang", "keynote"), speaker("Albert Fong Chi-keung")],
                 cities=["Shanghai", "Hong Kong"], pairs=[["Hong Kong", "Shanghai"]]),
        make_doc("zh_symposium", "第五届沪港城市合作研讨会举行",
                 "研讨会在上海举行，来自上海和香港两地的专家学者参加。樊纲发表主旨演讲。",
                 source="vocab-zh", language="zh", published="2025-11-19", event_type="symposium",
                 event_date="2025-11-18", speakers=[speaker("樊纲", "keynote")],
                 cities=["Shanghai", "Hong Kong"], pairs=[["Hong Kong", "Shanghai"]]),
        make_doc("zh_macao_trad", "滬澳文化交流座談會舉行",
                 "座談會在澳門舉行，方志強致辭。", source="vocab-zh", language="zh", published="2024-12-10",
                 event_type="meeting", event_date="2024-12-09", speakers=[speaker("方志強")],
                 cities=["Shanghai", "Macao"], pairs=[["Macao", "Shanghai"]]),
        make_doc("en_housing", "Housing report: affordability in Shenzhen and Hong Kong",
                 "Rents in Hong Kong rose again. " * 6 + "Hong Kong households spend more on housing than ever.",
                 source="vocab-en", published="2026-01-20"),
    ]
    return {doc.url.rsplit("/", 1)[-1]: doc for doc in docs}


def structurer_vocabulary(people: list[tuple[str, ...]] | None = None):
    """Return the structurer's vocabulary, knowing the given people too (each a tuple of their names)."""
    from ingest.vocabulary import Vocabulary

    return Vocabulary(tuple(people or ()))


NASTY_QUERIES_FINDING_SHANGHAI = ['"Shanghai', "(Shanghai", "Shanghai)", "Shanghai*", "-Shanghai",
                                  "Shanghai AND Kong", "Shanghai:"]
NASTY_QUERIES = ['"', "(", ")", "AND", "OR", "NOT", "NEAR", "NEAR(a b)", "*", "-foo", "a:b", "'", "title:x",
                 '"unbalanced', "^Shanghai", "{title}: x", "+", "a OR b NOT c", "foo AND (bar OR", "''", "\\",
                 "%", "_", "合作 AND", "NEAR(合作 沪港)", "a\x00b", "word " * 500, "😀"]


class BackendContract:
    """Tests every SearchBackend must pass; subclasses provide ``backend`` and ``second_backend`` fixtures."""

    unsupported: dict[str, str] = {}

    @pytest.fixture(autouse=True)
    def _skip_unsupported(self, request: pytest.FixtureRequest) -> None:
        name = getattr(request.node, "originalname", None) or request.node.name
        if name in self.unsupported:
            pytest.skip(f"{type(self).__name__} does not support this: {self.unsupported[name]}")

    # helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def refresh(backend: SearchBackend) -> None:
        """Make writes visible (Elasticsearch refresh); a no-op for backends without the hook."""
        getattr(backend, "refresh", lambda: None)()

    def index(self, backend: SearchBackend, docs: list[Document]) -> UpsertStats:
        """Upsert documents and refresh."""
        stats = backend.upsert(docs)
        self.refresh(backend)
        return stats

    @pytest.fixture
    def docs(self, backend: SearchBackend) -> dict[str, Document]:
        """Index the shared corpus into the backend and return it by key."""
        corpus = corpus_documents()
        self.index(backend, list(corpus.values()))
        return corpus

    def find(self, backend: SearchBackend, docs: dict[str, Document], **query: Any) -> set[str]:
        """Run a query and return the corpus keys it found."""
        return keys_of(backend.search(Query(**query)), docs)

    # writing and reading ---------------------------------------------------------------------------------

    def test_upsert_counts_new_documents(self, backend):
        stats = self.index(backend, list(corpus_documents().values()))
        assert (stats.new, stats.updated, stats.unchanged, stats.failed) == (5, 0, 0, 0)
        assert backend.count() == 5

    def test_get_round_trips_document(self, backend, docs):
        for doc in docs.values():
            stored = backend.get(doc.id)
            assert stored is not None
            assert content_of(stored) == content_of(doc)

    def test_get_by_unique_prefix(self, backend, docs):
        doc = docs["en_forum"]
        assert backend.get(doc.id[:12]).id == doc.id

    def test_get_ambiguous_prefix_returns_none(self, backend):
        twins = [Document(id=f"abcdef0123{n}", url=f"https://t.example.org/{n}", source="t", title="Twin",
                          text=f"Twin {n}.") for n in (1, 2)]
        self.index(backend, twins)
        assert backend.get("abcdef0123") is None  # two ids start with it
        assert backend.get("abcdef01232").id == "abcdef01232"
        assert backend.get("abcdef") is None  # shorter than 8 characters

    def test_get_missing_returns_none(self, backend, docs):
        assert backend.get("0" * 64) is None
        assert backend.get("") is None

    def test_upsert_same_batch_twice_keeps_one_copy(self, backend):
        batch = list(corpus_documents().values())
        self.index(backend, batch)
        stats = self.index(backend, batch)
        assert (stats.new, stats.updated, stats.unchanged) == (0, 0, 5)
        assert backend.count() == 5
        assert len(backend.search(Query(text="Shanghai")).hits) == 1

    def test_duplicate_ids_in_one_batch_keep_one_copy(self, backend):
        doc = corpus_documents()["en_news"]
        stats = self.index(backend, [doc, doc])
        assert stats.new == 1 and stats.unchanged == 1
        assert backend.count() == 1

    def test_changed_content_counts_updated_and_replaces_text(self, backend, docs):
        old = docs["en_news"]
        new = make_doc("en_news", old.title, "Exports of porcelain rose sharply.", published=old.published)
        assert new.id == old.id
        stats = self.index(backend, [new])
        assert (stats.new, stats.updated, stats.unchanged) == (0, 1, 0)
        assert backend.count() == 5
        assert backend.get(old.id).text == "Exports of porcelain rose sharply."
        assert self.find(backend, docs, text="porcelain") == {"en_news"}
        assert self.find(backend, docs, text="spokesperson") == set()

    def test_upsert_nothing(self, backend):
        stats = self.index(backend, [])
        assert (stats.new, stats.updated, stats.unchanged, stats.failed) == (0, 0, 0, 0)
        assert backend.count() == 0
        assert backend.search(Query(text="anything", facets=True)).total == 0

    def test_accepts_any_iterable(self, backend):
        stats = backend.upsert(doc for doc in corpus_documents().values())
        self.refresh(backend)
        assert stats.new == 5 and backend.count() == 5

    def test_delete(self, backend, docs):
        assert backend.delete(docs["en_forum"].id) is True
        self.refresh(backend)
        assert backend.delete(docs["en_forum"].id) is False
        self.refresh(backend)
        assert backend.get(docs["en_forum"].id) is None
        assert backend.count() == 4
        assert self.find(backend, docs, text="keynote") == set()

    def test_count_empty_and_filled(self, backend):
        assert backend.count() == 0
        self.index(backend, list(corpus_documents().values()))
        assert backend.count() == 5

    def test_iter_documents_yields_everything(self, backend, docs):
        stored = {doc.id: content_of(doc) for doc in backend.iter_documents()}
        assert stored == {doc.id: content_of(doc) for doc in docs.values()}

    def test_content_hashes(self, backend, docs):
        ids = [docs["en_forum"].id, "f" * 64]
        assert backend.content_hashes(ids) == {docs["en_forum"].id: docs["en_forum"].content_hash}

    def test_reindex_copies_into_second_backend(self, backend, second_backend, docs):
        from search.reindex import reindex

        stats = reindex(backend, second_backend, batch_size=2)
        self.refresh(second_backend)
        assert stats.new == 5 and stats.failed == 0
        assert second_backend.count() == 5
        assert self.find(second_backend, docs, text="合作") == {"zh_forum"}
        again = reindex(backend, second_backend)
        assert again.unchanged == 5

    # store timestamps and event ids -----------------------------------------------------------------------

    def test_new_documents_get_store_stamps(self, backend):
        before = store_stamp()
        self.index(backend, list(corpus_documents().values()))
        after = store_stamp()
        for doc in backend.iter_documents():
            assert before <= doc.indexed_at <= after
            assert doc.changed_at == doc.indexed_at

    def test_update_keeps_first_indexed_and_moves_changed(self, backend):
        old = make_doc("n1", "Old title", "Old text.")
        old.indexed_at = old.changed_at = "2020-01-02T03:04:05.000+00:00"
        self.index(backend, [old])
        unchanged = make_doc("n1", "Old title", "Old text.")
        self.index(backend, [unchanged])
        assert backend.get(old.id).changed_at == "2020-01-02T03:04:05.000+00:00"  # unchanged: not rewritten
        self.index(backend, [make_doc("n1", "Old title", "Edited text.")])
        stored = backend.get(old.id)
        assert stored.indexed_at == "2020-01-02T03:04:05.000+00:00"
        assert stored.changed_at > "2025"

    def test_copied_documents_keep_their_stamps(self, backend, second_backend):
        from search.reindex import reindex

        doc = make_doc("copied", "Copied", "Copied text.")
        doc.indexed_at, doc.changed_at = "2021-05-01T00:00:00Z", "2021-06-01T12:00:00+08:00"
        self.index(backend, [doc])
        reindex(backend, second_backend)
        self.refresh(second_backend)
        copy = second_backend.get(doc.id)
        assert (copy.indexed_at, copy.changed_at) == ("2021-05-01T00:00:00.000+00:00", "2021-06-01T04:00:00.000+00:00")

    def test_filter_by_ingestion_time(self, backend):
        docs = {}
        for key, first, changed in (("a", "2024-01-01", "2024-01-01"), ("b", "2024-02-01", "2024-03-01"),
                                    ("c", "2024-03-01", "2024-03-01")):
            docs[key] = make_doc(key, f"Doc {key}", "Ingestion time test.")
            docs[key].indexed_at, docs[key].changed_at = f"{first}T00:00:00Z", f"{changed}T00:00:00Z"
        self.index(backend, list(docs.values()))
        assert self.find(backend, docs, indexed_since="2024-02-01T00:00:00Z") == {"b", "c"}
        assert self.find(backend, docs, changed_since="2024-03-01T00:00:00+00:00") == {"b", "c"}
        assert self.find(backend, docs, indexed_since="2024-02-15T00:00:00Z") == {"c"}
        assert self.find(backend, docs, changed_since="2024-03-01T00:00:00.001Z") == set()
        assert self.find(backend, docs, text="ingestion", indexed_since="2023-12-31T23:59:59Z") == {"a", "b", "c"}

    def test_event_id_round_trips_and_filters(self, backend):
        docs = {key: make_doc(key, f"Report {key}", "Event id test.", event_date="2024-01-0" + key[-1])
                for key in ("r1", "r2", "r3")}
        docs["r1"].event_id = docs["r2"].event_id = "evt-1"
        docs["r3"].event_id = "evt-2"
        for doc in docs.values():
            doc.content_hash = doc.compute_hash()
        self.index(backend, list(docs.values()))
        assert backend.get(docs["r1"].id).event_id == "evt-1"
        assert self.find(backend, docs, event_ids=["evt-1"]) == {"r1", "r2"}
        assert self.find(backend, docs, event_ids=["evt-1", "evt-2"]) == {"r1", "r2", "r3"}
        hits = backend.search(Query(event_ids=["evt-2"])).hits
        assert [(h.event_id, bool(h.indexed_at)) for h in hits] == [("evt-2", True)]

    def test_new_event_id_rewrites_the_document(self, backend):
        doc = make_doc("moved", "Moved", "Regrouped report.", event_date="2024-01-01")
        self.index(backend, [doc])
        doc.event_id = "evt-9"
        doc.content_hash = doc.compute_hash()
        assert self.index(backend, [doc]).updated == 1
        assert self.find(backend, {"moved": doc}, event_ids=["evt-9"]) == {"moved"}

    # English text ----------------------------------------------------------------------------------------

    def test_search_english_word(self, backend, docs):
        assert self.find(backend, docs, text="cooperation") == {"en_forum"}

    def test_search_is_case_insensitive(self, backend, docs):
        assert self.find(backend, docs, text="COOPERATION") == {"en_forum"}
        assert self.find(backend, docs, text="shenzhen") == {"en_seminar"}

    def test_search_stems_plurals(self, backend, docs):
        assert self.find(backend, docs, text="partnerships") == {"en_forum"}
        assert self.find(backend, docs, text="seminars") == {"en_seminar"}

    def test_search_two_words_are_anded(self, backend, docs):
        assert self.find(backend, docs, text="Hong Kong") == {"en_forum"}
        assert self.find(backend, docs, text="Hong") == {"en_forum", "en_news"}
        assert self.find(backend, docs, text="Hong porcelain") == set()

    def test_search_finds_speaker_names_and_title(self, backend, docs):
        assert self.find(backend, docs, text="Alice Wong") == {"en_forum"}
        assert self.find(backend, docs, text="corridors") == {"en_seminar"}

    def test_search_unknown_word_finds_nothing(self, backend, docs):
        result = backend.search(Query(text="zeppelin"))
        assert result.total == 0 and result.hits == []

    def test_title_match_ranks_first(self, backend):
        docs = {
            "body": make_doc("body", "Port statistics", "Trade volumes at many ports grew. " * 5
                             + "One of them was Ningbo, among others."),
            "title": make_doc("title", "Ningbo port alliance signed", "Ningbo and partners signed an alliance."),
        }
        self.index(backend, list(docs.values()))
        result = backend.search(Query(text="Ningbo"))
        assert [keys_of(SearchResult(0, [h]), docs).pop() for h in result.hits] == ["title", "body"]
        assert result.hits[0].score >= result.hits[1].score

    # ranking (search.base.FIELD_WEIGHTS: per query term, title 4, event fields 2, body 1) -----------------

    def ranked(self, backend: SearchBackend, docs: dict[str, Document], query: Query) -> list[str]:
        """Run a query and return the corpus keys of its hits, best first."""
        return [keys_of(SearchResult(0, [hit]), docs).pop() for hit in backend.search(query).hits]

    def test_ranking_title_then_event_fields_then_body(self, backend):
        docs = {
            "body": make_doc("body", "Port statistics", "Ningbo handled more containers. " * 4, published="2024-03-01"),
            "event": make_doc("event", "Port cities meet", "Delegates met in the spring.", published="2024-02-01",
                              cities=["Ningbo"]),
            "title": make_doc("title", "Ningbo port alliance signed", "Partners signed an alliance.",
                              published="2024-01-01"),
        }
        self.index(backend, list(docs.values()))
        assert self.ranked(backend, docs, Query(text="Ningbo")) == ["title", "event", "body"]

    def test_ranking_counts_every_field_a_term_occurs_in(self, backend):
        # the demo's "Hong Kong" case: an event report naming the place in its title, its cities and its text
        # ranks above a newer news item naming it in its title and, many times, in its text
        docs = vocabulary_documents()
        self.index(backend, list(docs.values()))
        ranked = self.ranked(backend, docs, Query(text="Hong Kong"))
        assert ranked[:2] == ["en_symposium", "en_housing"]
        hits = backend.search(Query(text="Hong Kong")).hits
        assert hits[0].score > hits[1].score

    def test_ranking_is_the_same_in_chinese(self, backend):
        docs = {
            "body": make_doc("body", "港口统计", "宁波港集装箱吞吐量增长。" * 4, language="zh", published="2024-03-01"),
            "event": make_doc("event", "港口城市座谈会举行", "代表们参加了座谈。", language="zh",
                              published="2024-02-01", cities=["宁波"]),
            "title": make_doc("title", "宁波港口联盟签约", "各方签署联盟协议。", language="zh", published="2024-01-01"),
        }
        self.index(backend, list(docs.values()))
        assert self.ranked(backend, docs, Query(text="宁波")) == ["title", "event", "body"]

    def test_ranking_counts_a_names_other_names_as_the_name(self, backend):
        from search.normalise import normalise_query

        docs = vocabulary_documents()
        self.index(backend, list(docs.values()))
        query = normalise_query(Query(text="上海"), structurer_vocabulary())
        # "Shanghai" in the English title and cities earns what 上海 would; the Chinese report has 上海 in its text
        # and Shanghai in its cities
        assert self.ranked(backend, docs, query)[:2] == ["en_symposium", "zh_symposium"]

    # normalised queries (search.normalise): names through the place, person and event-type vocabularies -----

    def find_normalised(self, backend: SearchBackend, docs: dict[str, Document], vocabulary=None, **query: Any) -> set[str]:
        """Normalise a query the way every front end does, run it, and return the corpus keys it found."""
        from search.normalise import normalise_query

        return keys_of(backend.search(normalise_query(Query(**query), vocabulary or structurer_vocabulary())), docs)

    @pytest.fixture
    def named(self, backend: SearchBackend) -> dict[str, Document]:
        corpus = vocabulary_documents()
        self.index(backend, list(corpus.values()))
        return corpus

    @pytest.mark.parametrize("city", ["澳门", "澳門", "Macau", "macao"])
    def test_normalised_city_in_any_language_or_script(self, backend, named, city):
        assert self.find_normalised(backend, named, cities=[city]) == {"zh_macao_trad"}

    @pytest.mark.parametrize("typed", ["上海,香港", "香港，上海", "Hong Kong|Shanghai", "Shanghai, Hong Kong", "沪港",
                                       "滬港"])
    def test_normalised_pair_in_every_written_form(self, backend, named, typed):
        from search.normalise import parse_pair

        pair = parse_pair(typed, structurer_vocabulary())
        assert self.find_normalised(backend, named, pair=pair) == {"en_symposium", "zh_symposium"}

    @pytest.mark.parametrize("word", ["研讨会", "研討會", "Symposium", "symposia"])
    def test_normalised_event_type_in_either_language(self, backend, named, word):
        assert self.find_normalised(backend, named, event_type=word) == {"en_symposium", "zh_symposium"}

    @pytest.mark.parametrize("name", ["樊纲", "樊綱", "Fan Gang", "gang fan"])
    def test_normalised_speaker_finds_every_name_the_registry_knows(self, backend, named, name):
        assert self.find_normalised(backend, named, speaker=name) == {"en_symposium", "zh_symposium"}

    def test_normalised_speaker_finds_every_name_of_a_known_person(self, backend, named):
        people = structurer_vocabulary([("Albert Fong Chi-keung", "方志强")])
        for name in ("方志强", "方志強", "Albert Fong Chi-keung"):
            assert self.find_normalised(backend, named, people, speaker=name) == {"en_symposium", "zh_macao_trad"}
        # not known to be one person, the names are two people
        assert self.find_normalised(backend, named, speaker="方志强") == {"zh_macao_trad"}

    @pytest.mark.parametrize("text", ["上海", "Shanghai"])
    def test_normalised_place_in_text_finds_both_languages(self, backend, named, text):
        assert self.find_normalised(backend, named, text=text) >= {"en_symposium", "zh_symposium"}

    def test_normalised_text_finds_the_other_script(self, backend, named):
        simplified = self.find_normalised(backend, named, text="沪港")
        assert simplified >= {"zh_symposium", "en_symposium"}
        assert self.find_normalised(backend, named, text="滬港") == simplified
        assert self.find_normalised(backend, named, text="沪澳") == {"zh_macao_trad"}  # written 滬澳
        assert self.find_normalised(backend, named, text="香港") >= {"en_housing", "zh_symposium"}

    def test_normalised_person_in_text_finds_both_languages(self, backend, named):
        assert self.find_normalised(backend, named, text="樊綱") == {"en_symposium", "zh_symposium"}

    def test_normalised_text_keeps_other_words_as_typed(self, backend, named):
        assert self.find_normalised(backend, named, text="Hong Kong rents") == {"en_housing"}
        assert self.find_normalised(backend, named, text="zeppelin") == set()

    # Chinese text ----------------------------------------------------------------------------------------

    def test_search_chinese_word(self, backend, docs):
        assert self.find(backend, docs, text="合作") == {"zh_forum"}

    def test_search_chinese_city_abbreviation(self, backend, docs):
        assert self.find(backend, docs, text="沪港") == {"zh_forum"}

    @pytest.mark.parametrize("name", ["樊纲", "龚维桢"])
    def test_search_chinese_person_name(self, backend, docs, name):
        assert self.find(backend, docs, text=name) == {"zh_forum"}

    def test_search_chinese_phrase(self, backend, docs):
        assert self.find(backend, docs, text="沪港合作论坛") == {"zh_forum"}
        assert self.find(backend, docs, text="经济数据") == {"zh_news"}

    def test_search_chinese_words_with_space_are_anded(self, backend, docs):
        assert self.find(backend, docs, text="深圳 经济") == {"zh_news"}
        assert self.find(backend, docs, text="深圳 樊纲") == set()

    def test_chinese_words_without_space_are_anded(self, backend, docs):
        # Chinese is typed without spaces: the words of a run need not be adjacent, but all must be there
        assert self.find(backend, docs, text="深圳经济") == {"zh_news"}
        assert self.find(backend, docs, text="樊纲演讲") == {"zh_forum"}
        assert self.find(backend, docs, text="深圳樊纲") == set()

    def test_search_single_chinese_character(self, backend, docs):
        assert self.find(backend, docs, text="港") == {"zh_forum"}
        assert self.find(backend, docs, text="纲") == {"zh_forum"}  # only ever the last character of a run
        assert self.find(backend, docs, text="鲸") == set()

    def test_english_query_skips_chinese_only_documents(self, backend, docs):
        # zh_forum's event type is "forum": event fields other than names, organisers and cities are not text
        assert self.find(backend, docs, text="forum") == {"en_forum"}

    def test_chinese_query_skips_english_only_documents(self, backend, docs):
        # en_forum has the city "Shanghai": a Chinese name does not find its English spelling
        assert self.find(backend, docs, text="论坛") == {"zh_forum"}
        assert self.find(backend, docs, text="上海") == {"zh_forum"}

    # filters ---------------------------------------------------------------------------------------------

    def test_empty_text_is_filter_only(self, backend, docs):
        result = backend.search(Query())
        assert result.total == 5 and len(result.hits) == 5
        assert backend.search(Query(text="   ")).total == 5

    def test_filter_sources(self, backend, docs):
        assert self.find(backend, docs, sources=["thinktank-a"]) == {"en_forum", "en_news"}
        assert self.find(backend, docs, sources=["thinktank-b", "thinktank-c"]) == {
            "en_seminar", "zh_forum", "zh_news"}

    def test_filter_language(self, backend, docs):
        assert self.find(backend, docs, language="zh") == {"zh_forum", "zh_news"}
        assert self.find(backend, docs, language="en", text="Hong") == {"en_forum", "en_news"}

    def test_filter_dates_are_inclusive(self, backend, docs):
        # Document.date is the event date when known, else the publication date
        assert self.find(backend, docs, since="2024-03-08", until="2024-03-08") == {"en_forum"}
        assert self.find(backend, docs, since="2024-03-09", until="2024-04-15") == {"zh_forum"}
        assert self.find(backend, docs, until="2024-01-05") == {"en_news", "zh_news"}
        assert self.find(backend, docs, since="2024-05-20") == {"en_seminar"}

    def test_filter_dates_accept_a_month_or_a_year(self, backend, docs):
        # a partial date covers its whole period, at either end
        assert self.find(backend, docs, since="2024-03", until="2024-03") == {"en_forum"}
        assert self.find(backend, docs, until="2024-01") == {"en_news", "zh_news"}
        assert self.find(backend, docs, since="2024", until="2024") == {"en_forum", "en_seminar", "zh_forum", "zh_news"}
        assert self.find(backend, docs, since="2024-04", until="2024-05") == {"zh_forum", "en_seminar"}

    def test_filter_since_a_month_includes_its_first_day(self, backend, many):
        assert backend.search(Query(since="2024-01", until="2024-01-01")).total == 1
        assert backend.search(Query(since="2024-01")).total == 25

    def test_filter_cities_match_any(self, backend, docs):
        assert self.find(backend, docs, cities=["Shanghai"]) == {"en_forum"}
        assert self.find(backend, docs, cities=["Shenzhen", "上海"]) == {"en_seminar", "zh_forum"}

    def test_filter_pair_is_order_insensitive(self, backend, docs):
        assert self.find(backend, docs, pair=("Shanghai", "Hong Kong")) == {"en_forum"}
        assert self.find(backend, docs, pair=("Hong Kong", "Shanghai")) == {"en_forum"}
        assert self.find(backend, docs, pair=("香港", "上海")) == {"zh_forum"}
        assert self.find(backend, docs, pair=("Shanghai", "Shenzhen")) == set()

    def test_filter_speaker_is_case_insensitive(self, backend, docs):
        assert self.find(backend, docs, speaker="Fan Gang") == {"en_forum"}
        assert self.find(backend, docs, speaker="fan gang") == {"en_forum"}
        assert self.find(backend, docs, speaker="BOB SMITH") == {"en_seminar"}
        assert self.find(backend, docs, speaker="樊纲") == {"zh_forum"}

    def test_filter_speaker_matches_every_word_in_any_order(self, backend, docs):
        assert self.find(backend, docs, speaker="Fan") == {"en_forum"}
        assert self.find(backend, docs, speaker="Gang, Fan") == {"en_forum"}
        assert self.find(backend, docs, speaker="Fan Smith") == set()
        assert self.find(backend, docs, speaker="Gan") == set()  # whole words, not prefixes

    def test_filter_speaker_by_registry_key(self, backend, docs):
        assert self.find(backend, docs, speaker="alice-wong") == {"en_forum"}
        # the same person written another way: the caller passes the registry key along with the name
        assert self.find(backend, docs, speaker="Wong A.", speaker_key="alice-wong") == {"en_forum"}
        assert self.find(backend, docs, speaker="Wong A.", speaker_key="nobody") == set()

    def test_filter_org_matches_organiser_or_affiliation_substring(self, backend, docs):
        assert self.find(backend, docs, org="international studies") == {"en_forum"}
        assert self.find(backend, docs, org="Development Institute") == {"en_forum"}
        assert self.find(backend, docs, org="pearl river") == {"en_seminar"}
        assert self.find(backend, docs, org="上海国际") == {"zh_forum"}
        assert self.find(backend, docs, org="50%_off") == set()

    def test_filter_event_type(self, backend, docs):
        assert self.find(backend, docs, event_type="seminar") == {"en_seminar"}
        assert self.find(backend, docs, event_type="forum") == {"en_forum", "zh_forum"}

    def test_filter_topic(self, backend, docs):
        assert self.find(backend, docs, topic="innovation") == {"en_seminar"}
        assert self.find(backend, docs, topic="金融") == {"zh_forum"}

    def test_filter_events_only(self, backend, docs):
        assert self.find(backend, docs, events_only=True) == {"en_forum", "en_seminar", "zh_forum"}

    def test_filters_combine_with_text(self, backend, docs):
        assert self.find(backend, docs, text="Hong", events_only=True, language="en") == {"en_forum"}
        assert self.find(backend, docs, text="Hong", sources=["thinktank-b"]) == set()
        assert self.find(backend, docs, text="合作", cities=["上海"], event_type="forum") == {"zh_forum"}

    # escaping --------------------------------------------------------------------------------------------

    @pytest.mark.parametrize("text", NASTY_QUERIES)
    def test_nasty_input_never_raises(self, backend, docs, text):
        result = backend.search(Query(text=text, facets=True))
        assert result.total >= 0 and len(result.hits) <= result.total

    @pytest.mark.parametrize("text", NASTY_QUERIES_FINDING_SHANGHAI)
    def test_nasty_input_is_not_syntax(self, backend, docs, text):
        assert self.find(backend, docs, text=text) == {"en_forum"}

    def test_operator_words_are_plain_words(self, backend):
        docs = {"ops": make_doc("ops", "Logic", "Truth tables use AND, OR and NOT; NEAR is a word too."),
                "plain": make_doc("plain", "Weather", "Sunny weather is not guaranteed tomorrow.")}
        self.index(backend, list(docs.values()))
        assert self.find(backend, docs, text="NEAR") == {"ops"}
        assert self.find(backend, docs, text="weather OR logic") == set()
        # NOT must not exclude: the plain document holds all three words (or "not" is a stop word)
        assert self.find(backend, docs, text="sunny NOT weather") == {"plain"}

    # results ---------------------------------------------------------------------------------------------

    def test_hit_fields(self, backend, docs):
        hit = backend.search(Query(text="keynote")).hits[0]
        doc = docs["en_forum"]
        assert (hit.id, hit.url, hit.title, hit.source, hit.language) == (
            doc.id, doc.url, doc.title, doc.source, "en")
        assert hit.date == "2024-03-08"
        assert hit.event_type == "forum" and hit.is_event_report is True
        assert set(hit.cities) == {"Shanghai", "Hong Kong"}
        assert [sorted(p) for p in hit.city_pairs] == [["Hong Kong", "Shanghai"]]
        assert set(hit.speakers) == {"Fan Gang", "Alice Wong"}

    def test_snippet_marks_matched_words(self, backend, docs):
        snippet = backend.search(Query(text="keynote")).hits[0].snippet
        assert "<mark>keynote</mark>" in snippet

    def test_snippet_marks_chinese_words(self, backend, docs):
        snippet = backend.search(Query(text="合作")).hits[0].snippet
        assert "<mark>合作</mark>" in snippet

    def test_snippet_escapes_page_markup(self, backend):
        doc = make_doc("markup", "Port notes", "Notes <script>alert('x')</script> on Ningbo & <b>Zhoushan</b>.")
        self.index(backend, [doc])
        snippet = backend.search(Query(text="Ningbo")).hits[0].snippet
        assert "&lt;script&gt;" in snippet and "<script>" not in snippet
        assert "<b>" not in snippet and "&amp;" in snippet
        assert "<mark>Ningbo</mark>" in snippet

    def test_snippet_without_text_is_escaped_start(self, backend):
        self.index(backend, [make_doc("markup", "Port notes", "<i>Zhoushan</i> port")])
        snippet = backend.search(Query()).hits[0].snippet
        assert snippet.startswith("&lt;i&gt;Zhoushan") and "<mark>" not in snippet

    @pytest.fixture
    def many(self, backend) -> dict[str, Document]:
        """Index 25 documents mentioning 'harbour', dated one per day in January 2024."""
        docs = {f"h{i:02d}": make_doc(f"h{i:02d}", f"Harbour note {i}", f"Harbour report number {i}.",
                                      published=f"2024-01-{i + 1:02d}") for i in range(25)}
        self.index(backend, list(docs.values()))
        return docs

    @pytest.mark.parametrize("text", ["", "harbour"])
    def test_paging_is_disjoint_and_total_stable(self, backend, many, text):
        pages = [backend.search(Query(text=text, limit=10, offset=offset)) for offset in (0, 10, 20)]
        assert [p.total for p in pages] == [25, 25, 25]
        assert [len(p.hits) for p in pages] == [10, 10, 5]
        ids = [hit.id for page in pages for hit in page.hits]
        assert len(set(ids)) == 25

    def test_limit_zero_still_counts(self, backend, many):
        result = backend.search(Query(limit=0))
        assert result.total == 25 and result.hits == []

    def test_offset_past_end_is_empty(self, backend, many):
        result = backend.search(Query(offset=100))
        assert result.total == 25 and result.hits == []

    def test_without_text_newest_date_first(self, backend, many):
        dates = [hit.date for hit in backend.search(Query(limit=25)).hits]
        assert dates == sorted(dates, reverse=True)
        assert dates[0] == "2024-01-25"

    def test_without_text_uses_event_date_over_published(self, backend, docs):
        dates = [hit.date for hit in backend.search(Query()).hits]
        assert dates == ["2024-05-20", "2024-04-15", "2024-03-08", "2024-01-05", "2023-12-01"]

    def test_sort_by_date_puts_newest_text_match_first(self, backend):
        docs = {
            "old": make_doc("old", "Ningbo port alliance", "Ningbo Ningbo Ningbo port.", published="2023-02-01"),
            "new": make_doc("new", "Port statistics", "Trade grew at many ports, one of them Ningbo.",
                            published="2024-02-01"),
        }
        self.index(backend, list(docs.values()))
        by_relevance = backend.search(Query(text="Ningbo"))
        by_date = backend.search(Query(text="Ningbo", sort="date"))
        assert [keys_of(SearchResult(0, [h]), docs).pop() for h in by_relevance.hits] == ["old", "new"]
        assert [keys_of(SearchResult(0, [h]), docs).pop() for h in by_date.hits] == ["new", "old"]
        assert by_date.total == 2

    # facets ----------------------------------------------------------------------------------------------

    def test_no_facets_unless_asked(self, backend, docs):
        result = backend.search(Query())
        assert not result.facets and not result.histogram

    def test_facet_counts(self, backend, docs):
        facets = backend.search(Query(facets=True)).facets
        as_dict = {name: dict((v, c) for v, c in values) for name, values in facets.items()}
        assert as_dict["source"] == {"thinktank-a": 2, "thinktank-b": 1, "thinktank-c": 2}
        assert as_dict["language"] == {"en": 3, "zh": 2}
        assert as_dict["event_type"] == {"forum": 2, "seminar": 1}
        assert as_dict["city"]["Shanghai"] == 1 and as_dict["city"]["上海"] == 1
        assert as_dict["city_pair"] == {"Hong Kong|Shanghai": 1, "Guangzhou|Shenzhen": 1, "上海|香港": 1}
        assert as_dict["speaker"]["Fan Gang"] == 1 and as_dict["speaker"]["樊纲"] == 1
        assert as_dict["organization"]["Guangdong Academy of Social Sciences"] == 1
        assert as_dict["topic"] == {"finance": 1, "innovation": 1, "金融": 1}

    def test_facets_are_sorted_by_count(self, backend, docs):
        facets = backend.search(Query(facets=True)).facets
        assert set(facets) == set(FACET_NAMES)
        for values in facets.values():
            counts = [c for _, c in values]
            assert counts == sorted(counts, reverse=True)

    def test_facets_follow_the_query(self, backend, docs):
        result = backend.search(Query(text="Hong", facets=True))
        assert dict((v, c) for v, c in result.facets["source"]) == {"thinktank-a": 2}
        assert dict((v, c) for v, c in result.facets["city"]) == {"Shanghai": 1, "Hong Kong": 1}

    def test_histogram_by_event_month(self, backend, docs):
        histogram = backend.search(Query(facets=True)).histogram
        assert [tuple(x) for x in histogram] == [("2024-03", 1), ("2024-04", 1), ("2024-05", 1)]
        filtered = backend.search(Query(facets=True, language="zh")).histogram
        assert [tuple(x) for x in filtered] == [("2024-04", 1)]

    # events: collapsed searches, event records (search/events.py) ---------------------------------------

    def event_docs(self, backend: SearchBackend) -> dict[str, Document]:
        """Index four reports: two of evt-a (English and Chinese), one of evt-b, one without an event."""
        docs = {
            "a_en": make_doc("a_en", "Harbour symposium on renewal", "Renewal symposium report.",
                             event_date="2024-03-12"),
            "a_zh": make_doc("a_zh", "城市更新研讨会", "研讨会报道。", language="zh", source="thinktank-c",
                             event_date="2024-03-12"),
            "b_en": make_doc("b_en", "Delta forum on renewal", "Forum on renewal.", event_date="2024-05-02"),
            "n_en": make_doc("n_en", "Renewal statistics", "Renewal figures."),
        }
        docs["a_en"].event_id = docs["a_zh"].event_id = "evt-a"
        docs["b_en"].event_id = "evt-b"
        for doc in docs.values():
            doc.content_hash = doc.compute_hash()
        self.index(backend, list(docs.values()))
        return docs

    def test_collapse_gives_one_row_per_event(self, backend):
        docs = self.event_docs(backend)
        result = backend.search(Query(collapse=True))
        assert result.total == 3
        assert sorted((h.event_id or "-", h.group_size) for h in result.hits) == [("-", 1), ("evt-a", 2), ("evt-b", 1)]
        assert backend.search(Query(text="renewal")).total == 3
        text = backend.search(Query(text="renewal", collapse=True))
        assert text.total == 3 and {h.event_id for h in text.hits} == {"evt-a", "evt-b", None}
        newest = backend.search(Query(text="renewal", collapse=True, sort="date"))
        assert [h.event_id for h in newest.hits] == ["evt-b", "evt-a", None]  # sort=date holds when collapsed
        page = backend.search(Query(collapse=True, limit=2, offset=2))
        assert page.total == 3 and len(page.hits) == 1
        assert keys_of(backend.search(Query(collapse=True, language="zh")), docs) == {"a_zh"}

    def saved_events(self, backend: SearchBackend) -> dict[str, Event]:
        """Store two invented events, one merged from another id, and return them by id."""
        speakers = [Speaker("Albert Fong", title="Chairman", affiliation="Harbour Institute", key="person:albert-fong"),
                    Speaker("Zhou Jianping", affiliation="Donghai Academy", key="person:zhou-jianping")]
        held = Event(
            id="evt-held", status="held", name="Shanghai–Hong Kong Symposium on Urban Renewal",
            names=["Shanghai–Hong Kong Symposium on Urban Renewal", "沪港城市更新研讨会"], event_type="symposium",
            event_date="2025-03-12", venue="Harbourfront Centre", theme="Renewing old neighbourhoods",
            organizers=["Harbour Institute", "Donghai Academy"], speakers=speakers,
            aka={"person:zhou-jianping": ["周建平"]}, cities=["Shanghai", "Hong Kong"],
            city_pairs=[["Hong Kong", "Shanghai"]], topics=["urban"], merged_from=["evt-old"],
            reports=[EventMember("d1", source="harbour", language="en", title="Symposium report"),
                     EventMember("d2", source="donghai", language="zh", title="沪港研讨会在港举行")],
            first_seen="2025-03-14T00:00:00.000+00:00", last_updated="2025-03-20T00:00:00.000+00:00",
            keys=["month:2025-03", "edition:5"])
        announced = Event(
            id="evt-next", status="announced", name="Delta Youth Forum", names=["Delta Youth Forum"],
            event_type="forum", event_date="2027-04-17", cities=["Shanghai", "Macao"],
            reports=[EventMember("d3", source="donghai", language="zh", title="预告：青年论坛", status="announced")],
            first_seen="2026-10-28T00:00:00.000+00:00", last_updated="2026-10-28T00:00:00.000+00:00",
            keys=["month:2027-04"])
        backend.save_events([held, announced])
        self.refresh(backend)
        return {"evt-held": held, "evt-next": announced}

    def find_events(self, backend: SearchBackend, **query: Any) -> set[str]:
        return {e.id for e in backend.search_events(Query(**query)).events}

    def test_event_round_trips_and_is_found_by_merged_id(self, backend):
        saved = self.saved_events(backend)
        assert backend.get_event("evt-held").to_dict() == saved["evt-held"].to_dict()
        assert backend.get_event("evt-old").id == "evt-held"
        assert backend.get_event("evt-none") is None
        assert sorted(e.id for e in backend.iter_events()) == ["evt-held", "evt-next"]

    def test_events_for_grouping_by_key_and_member(self, backend):
        self.saved_events(backend)
        assert [e.id for e in backend.event_candidates(["edition:5", "month:1999-01"])] == ["evt-held"]
        assert [e.id for e in backend.event_candidates(["month:2025-03", "month:2027-04"])] == ["evt-next", "evt-held"]
        assert backend.event_candidates(["edition:6"]) == []
        assert backend.events_of_documents(["d1", "d3", "d9"]) == {"d1": "evt-held", "d3": "evt-next"}

    def test_events_replace_and_delete(self, backend):
        saved = self.saved_events(backend)
        changed = saved["evt-next"]
        changed.status, changed.event_date = "held", "2027-04-18"
        backend.save_events([changed])
        self.refresh(backend)
        assert backend.get_event("evt-next").status == "held"
        assert self.find_events(backend, event_status="held") == {"evt-held", "evt-next"}
        backend.delete_events(["evt-next"])
        self.refresh(backend)
        assert backend.get_event("evt-next") is None and self.find_events(backend) == {"evt-held"}

    def test_search_events_text_in_both_languages(self, backend):
        self.saved_events(backend)
        assert self.find_events(backend, text="renewal symposium") == {"evt-held"}
        assert self.find_events(backend, text="沪港") == {"evt-held"}
        assert self.find_events(backend, text="周建平") == {"evt-held"}
        assert self.find_events(backend, text="youth") == {"evt-next"}
        assert self.find_events(backend, text="nothingatall") == set()

    def test_search_events_filters(self, backend):
        self.saved_events(backend)
        assert self.find_events(backend, event_status="announced") == {"evt-next"}
        assert self.find_events(backend, since="2026") == {"evt-next"}
        assert self.find_events(backend, until="2025-03") == {"evt-held"}
        assert self.find_events(backend, cities=["macao"]) == {"evt-next"}
        assert self.find_events(backend, pair=("Shanghai", "Hong Kong")) == {"evt-held"}
        assert self.find_events(backend, speaker="fong albert") == {"evt-held"}
        assert self.find_events(backend, speaker="周建平") == {"evt-held"}
        assert self.find_events(backend, speaker="x", speaker_key="person:zhou-jianping") == {"evt-held"}
        assert self.find_events(backend, org="donghai") == {"evt-held"}
        assert self.find_events(backend, sources=["donghai"]) == {"evt-held", "evt-next"}
        assert self.find_events(backend, sources=["harbour"], language="zh") == {"evt-held"}
        assert self.find_events(backend, event_type="FORUM") == {"evt-next"}
        assert self.find_events(backend, topic="urban") == {"evt-held"}
        assert self.find_events(backend, event_ids=["evt-old"]) == {"evt-held"}
        assert self.find_events(backend, changed_since="2026-01-01T00:00:00Z") == {"evt-next"}

    def test_search_events_newest_first_and_paged(self, backend):
        self.saved_events(backend)
        result = backend.search_events(Query(limit=1))
        assert result.total == 2 and [e.id for e in result.events] == ["evt-next"]
        assert [e.id for e in backend.search_events(Query(limit=1, offset=1)).events] == ["evt-held"]

    def test_event_rules_keep_documents_apart(self, backend):
        backend.add_event_rules([("d2", "d1"), ("d1", "d3")], "split from evt-held")
        self.refresh(backend)
        assert backend.event_rules(["d1"]) == [("d1", "d2"), ("d1", "d3")]
        assert backend.event_rules(["d3"]) == [("d1", "d3")]
        assert backend.event_rules(["d9"]) == []

    def test_set_document_events_rewrites_stored_documents(self, backend):
        docs = self.event_docs(backend)
        assert backend.set_document_events({docs["a_zh"].id: "evt-b", "missing": "evt-b"}) == 1
        self.refresh(backend)
        assert self.find(backend, docs, event_ids=["evt-b"]) == {"a_zh", "b_en"}

    def test_reindex_copies_events_and_rules(self, backend, second_backend):
        from search.reindex import reindex

        self.event_docs(backend)
        self.saved_events(backend)
        backend.add_event_rules([("d1", "d2")], "split")
        self.refresh(backend)
        reindex(backend, second_backend)
        self.refresh(second_backend)
        assert second_backend.get_event("evt-old").id == "evt-held"
        assert second_backend.event_rules(["d1"]) == [("d1", "d2")]
        assert {h.event_id for h in second_backend.search(Query(collapse=True)).hits} == {"evt-a", "evt-b", None}
