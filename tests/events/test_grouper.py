"""Incremental grouping on invented reports (real structurer, real stores): one id per event across languages and
previews, ids that stay stable, merges that keep the older id, and splits that hold."""

from __future__ import annotations

import pytest

from ingest.events import Grouper, MemoryEventStore
from ingest.models import Article
from ingest.pipeline import to_document

REPORT_EN = ("24th Plenary of the Hong Kong/Guangdong Co-operation Joint Conference held in Guangzhou",
             "The Chief Executive, Mr Albert Fong, and the Governor of Guangdong Province, Mr Ma Mingde, co-chaired "
             "the 24th Plenary of the Hong Kong/Guangdong Co-operation Joint Conference in Guangzhou today (July 12). "
             "Both sides signed agreements on innovation, finance and cross-boundary transport.")
REPORT_ZH = ("港粤合作联席会议第二十四次会议在广州举行",
             "7月12日，港粤合作联席会议第二十四次会议在广州举行。广东省省长马明德与香港特区行政长官方伟文共同主持会议，"
             "双方签署创新科技、金融和跨境交通等合作协议。")
PREVIEW_EN = ("Chief Executive to attend the 24th Plenary of the Hong Kong/Guangdong Co-operation Joint Conference",
              "The Chief Executive will lead a delegation to attend the 24th Plenary of the Hong Kong/Guangdong "
              "Co-operation Joint Conference in Guangzhou on July 12. He will co-chair the plenary with the Governor "
              "of Guangdong Province, Mr Ma Mingde.")
NEXT_EDITION = ("25th Plenary of the Hong Kong/Guangdong Co-operation Joint Conference held in Hong Kong",
                "The Chief Executive, Mr Albert Fong, and the Governor of Guangdong Province, Mr Ma Mingde, co-chaired "
                "the 25th Plenary of the Hong Kong/Guangdong Co-operation Joint Conference in Hong Kong today "
                "(July 14). Both sides reviewed the work of the past year.")


def report(key: str, title_text: tuple[str, str], published: str | None, lang: str = "en"):
    """Structure an invented report as the crawl would."""
    title, text = title_text
    article = Article(url=f"https://{key}.example.org/news/{key}.html", source=key, title=title, text=text,
                      published=published, language=lang)
    return to_document(article)


@pytest.fixture
def docs():
    return {
        "preview": report("preview", PREVIEW_EN, "2024-07-08"),
        "en": report("en", REPORT_EN, "2024-07-12"),
        "zh": report("zh", REPORT_ZH, "2024-07-13", "zh"),
        "next": report("next", NEXT_EDITION, "2025-07-14"),
    }


@pytest.fixture(params=["memory", "sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryEventStore()
    else:
        yield from backend_store(request.param, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def backend(request, tmp_path):
    yield from backend_store(request.param, tmp_path)


def backend_store(kind: str, tmp_path):
    """Open a fresh search backend of a kind (Elasticsearch: on the test node, dropped afterwards)."""
    if kind == "sqlite":
        from search.sqlite import SQLiteBackend

        with SQLiteBackend(str(tmp_path / "store.sqlite")) as backend:
            yield backend
    else:
        from tests.search.es_support import backend_factory, require_test_node

        make, cleanup = backend_factory(require_test_node(), str(tmp_path / "deadletter.sqlite"))
        try:
            yield make()
        finally:
            cleanup()


def group(store, *docs):
    """Group documents one call each (incremental, as batches arrive)."""
    for doc in docs:
        Grouper(store).group([doc])
    return [d.event_id for d in docs]


def test_reports_in_english_and_chinese_share_one_event_id(store, docs):
    en, zh = group(store, docs["en"], docs["zh"])
    assert en and en == zh
    event = store.get_event(en)
    assert sorted(m.language for m in event.reports) == ["en", "zh"]
    assert "joined" in event.reports[1].reason[0] and "same edition 24" in event.reports[1].reason[0]


def test_a_preview_and_the_report_after_it_are_one_event_that_becomes_held(store, docs):
    preview_id = group(store, docs["preview"])[0]
    assert store.get_event(preview_id).status == "announced"
    assert group(store, docs["en"]) == [preview_id]
    event = store.get_event(preview_id)
    assert event.status == "held" and event.event_date == "2024-07-12"


def test_the_next_edition_of_a_series_is_another_event(store, docs):
    first, second = group(store, docs["en"], docs["next"])
    assert first and second and first != second


def test_a_report_grouped_again_keeps_its_event_id(store, docs):
    first = group(store, docs["en"], docs["zh"])[0]
    again = report("zh", REPORT_ZH, "2024-07-13", "zh")  # reprocessed: a new reading of the same page
    assert group(store, again) == [first]
    assert len(store.get_event(first).reports) == 2


def test_a_report_that_is_no_longer_an_event_report_leaves_its_event(store, docs):
    first = group(store, docs["en"], docs["zh"])[0]
    changed = report("zh", ("通知", "关于调整办公时间的通知。"), "2024-07-13", "zh")
    assert group(store, changed) == [None]
    assert [m.language for m in store.get_event(first).reports] == ["en"]


def test_two_events_a_report_bridges_merge_under_the_older_id(store):
    dated = report("dated", ("Hong Kong/Guangdong Co-operation Joint Conference held in Guangzhou",
                             "The Chief Executive and the Governor of Guangdong Province, Mr Ma Mingde, co-chaired the "
                             "Hong Kong/Guangdong Co-operation Joint Conference in Guangzhou today (July 12)."),
                   "2024-07-12")
    numbered = report("numbered", ("第二十四次港粤合作联席会议召开", "港粤合作联席会议第二十四次会议在广州召开，双方讨论了创新科技合作。"),
                      None, "zh")
    both = report("both", REPORT_EN, "2024-07-12")
    older, newer = group(store, dated, numbered)
    assert older != newer
    assert group(store, both) == [older]
    merged = store.get_event(newer)
    assert merged.id == older and newer in merged.merged_from
    assert len(merged.reports) == 3 and any("merged" in line for line in merged.history)


def test_a_split_report_never_rejoins_that_event(store, docs):
    event_id = group(store, docs["en"], docs["zh"])[0]
    new_id = Grouper(store).split(event_id, docs["zh"].id)
    assert new_id != event_id
    assert [m.doc_id for m in store.get_event(event_id).reports] == [docs["en"].id]
    assert store.event_rules([docs["zh"].id]) == [tuple(sorted((docs["en"].id, docs["zh"].id)))]
    store.delete_events([new_id])  # even grouped from scratch, the rule keeps it out
    assert group(store, report("zh", REPORT_ZH, "2024-07-13", "zh"))[0] not in (None, event_id)
    assert group(store, report("en2", REPORT_EN, "2024-07-12")) == [event_id]  # other reports still join it


def test_the_indexing_hook_groups_under_the_stores_lock_and_a_split_rewrites_the_document(backend, docs):
    from coopwatch.grouping import assign_events, split_report

    store = backend
    batch = [docs["zh"], docs["en"]]
    assign_events(store, batch)
    store.upsert(batch)
    getattr(store, "refresh", lambda: None)()
    event_id = docs["en"].event_id
    assert event_id and docs["zh"].event_id == event_id
    new_id = split_report(store, event_id, docs["zh"].id[:12])
    assert store.get(docs["zh"].id).event_id == new_id != event_id
    with store.event_lock():  # the lock is free again
        pass
