"""The grouping rules one by one, on invented reports: each test is named after what its rule guards against."""

from __future__ import annotations

from ingest.events import Evidence, compare
from ingest.events.people import identity_keys, text_name_keys
from ingest.events.signature import Signature, anniversary_of, day_mentions, edition_of, name_year_of, weekday_days
from ingest.events.terms import terms_in


def sig(**fields) -> Signature:
    """Build a signature: a held report unless told otherwise."""
    return Signature(doc_id=fields.pop("doc_id", "d"), **fields)


def joins(a: Signature, b: Signature, mentions: set[str] | None = None) -> bool:
    return compare(Evidence.of([a], mentions), Evidence.of([b])).joins


JOINT = ["joint-conference", "plenary", "conference"]
PEOPLE = [["Wang Mingde", "person:mingde-wang"], ["Chen Lihua", "person:chen-lihua"]]
PLACES = ["Guangdong", "Hong Kong"]


# numbers in event names ----------------------------------------------------------------------------------------

def test_edition_is_read_the_same_in_english_words_digits_and_chinese_numerals():
    assert edition_of("Twentieth Plenary of the Harbour/Delta Co-operation Joint Conference held today") == 20
    assert edition_of("The 24th Plenary of the Harbour/Delta Co-operation Joint Conference") == 24
    assert edition_of("港粤合作联席会议第二十次会议在香港举行") == 20
    assert edition_of("将出席第24次港粤合作联席会议") == 24
    assert edition_of("The fifth Delta Integration Development High-level Forum was held") == 5


def test_a_numbered_event_named_in_passing_is_not_the_reports_edition():
    lead = ("行政长官：今日下午举行港粤合作联席会议\n行政长官表示，今日下午将在香港举行港粤合作联席会议，讨论两地合作。"
            "这是事隔两年再次召开的联席会议，也是中国共产党第20次全国代表大会胜利举行后首次举行。")
    assert edition_of(lead) is None


def test_an_anniversary_counts_only_when_the_event_celebrates_it():
    assert anniversary_of("天津—费城结好45周年纪念活动在费城举行") == 45
    assert anniversary_of("a celebration of the 45th anniversary of sister-city ties") == 45
    assert anniversary_of("今年是《规划纲要》颁布实施4周年，也是疫情后全面恢复之年") is None


def test_a_year_in_an_event_name_is_not_a_year_in_a_since_clause():
    assert name_year_of("2021年度长三角地区主要领导座谈会在无锡举行") == 2021
    assert name_year_of("2024 Annual Symposium of Key Leaders of the Delta Region held in Wenzhou") == 2024
    late = "x" * 120 + "三省一市自2019年以来连续第五年召开这样的座谈会"
    assert name_year_of(late) is None


# dates without a year -------------------------------------------------------------------------------------------

def test_days_without_a_year_are_read_in_both_languages():
    assert day_mentions("The Chief Executive co-chaired the plenary in Guangzhou today (July 12).") == [[7, 12]]
    assert day_mentions("今日(12日)在广州共同主持会议") == [[0, 12]]
    assert day_mentions("5月16日上午，会议在广州召开") == [[5, 16]]


def test_a_weekday_is_counted_from_the_publication_date():
    assert weekday_days("at a symposium held Monday and Tuesday in Hefei", "2023-06-07", "held") == [[6, 5]]
    assert weekday_days("the forum will open on Thursday", "2023-06-07", "announced") == [[6, 8]]
    assert weekday_days("held Monday", None, "held") == []


# people across scripts --------------------------------------------------------------------------------------------

def test_a_chinese_name_meets_its_pinyin_romanisation():
    assert identity_keys("马明德") & identity_keys("Ma Mingde")
    assert identity_keys("信長星") & identity_keys("Xin Changxing")  # a character with two readings, traditional
    assert not identity_keys("马明德") & identity_keys("Ma Minghui")


def test_the_person_registry_links_names_romanisation_cannot():
    assert identity_keys("梁振英") & identity_keys("C.Y. Leung")


def test_names_are_found_in_the_text_of_a_report_in_either_script():
    assert identity_keys("Ma Mingde") & text_name_keys("广东省省长马明德出席会议并致辞。", "zh")
    assert identity_keys("马明德") & text_name_keys("Governor Ma Mingde attended the meeting.", "en")


# kinds of event ---------------------------------------------------------------------------------------------------

def test_an_event_name_and_its_translation_give_the_same_kinds():
    assert {"joint-conference", "plenary"} <= set(terms_in("24th Plenary of the Harbour/Delta Co-operation Joint Conference"))
    assert "joint-conference" in terms_in("第二十四次港粤合作联席会议")
    assert "leaders-symposium" in terms_in("2024 Annual Symposium of Key Leaders of the Delta Region")
    assert "leaders-symposium" in terms_in("2024年度长三角地区主要领导座谈会")


# matching ---------------------------------------------------------------------------------------------------------

def test_reports_in_two_languages_with_date_kind_places_and_people_join():
    en = sig(lang="en", date="2024-07-12", edition=24, terms=JOINT, places=PLACES, pairs=["Guangdong|Hong Kong"],
             people=PEOPLE)
    zh = sig(lang="zh", days=[[0, 12]], edition=24, terms=["joint-conference", "meeting"], places=PLACES,
             mentions=["person:mingde-wang"])
    assert joins(zh, en)


def test_different_editions_of_a_series_never_join():
    a = sig(date="2021-05-14", edition=22, terms=JOINT, places=PLACES, people=PEOPLE)
    b = sig(date="2021-05-14", edition=21, terms=JOINT, places=PLACES, people=PEOPLE)
    assert compare(Evidence.of([a]), Evidence.of([b])).veto.startswith("different editions")


def test_reports_of_held_events_days_apart_never_join():
    a = sig(date="2024-03-18", terms=JOINT, places=PLACES, people=PEOPLE)
    b = sig(date="2024-07-12", terms=JOINT, places=PLACES, people=PEOPLE)
    assert compare(Evidence.of([a]), Evidence.of([b])).veto.startswith("held on different dates")


def test_a_preview_of_a_rescheduled_meeting_joins_its_report_by_edition():
    preview = sig(status="announced", date="2024-06-27", edition=24, terms=JOINT, places=PLACES, people=PEOPLE)
    report = sig(date="2024-07-12", edition=24, terms=JOINT, places=PLACES, people=PEOPLE)
    assert joins(preview, report)


def test_same_officials_on_the_same_day_at_another_kind_of_event_stay_apart():
    plenary = sig(date="2018-05-11", edition=1, terms=["cooperation-conference", "plenary"], places=PLACES,
                  people=PEOPLE)
    exchange = sig(date="2018-05-11", terms=["exchange-conference", "investment-trade"], places=PLACES, people=PEOPLE)
    assert not joins(exchange, plenary)


def test_a_visit_does_not_join_the_meeting_it_includes():
    meeting = sig(date="2023-05-11", edition=1, terms=["cooperation-conference", "high-level-meeting"],
                  places=PLACES, people=PEOPLE)
    arrival = sig(date="2023-05-11", terms=["visit"], places=PLACES, people=PEOPLE)
    assert not joins(arrival, meeting)


def test_a_match_needs_something_only_one_occurrence_has():
    undated = sig(terms=JOINT, places=PLACES, pairs=["Guangdong|Hong Kong"], people=PEOPLE)
    dated = sig(date="2023-03-21", terms=JOINT, places=PLACES, pairs=["Guangdong|Hong Kong"], people=PEOPLE)
    match = compare(Evidence.of([undated]), Evidence.of([dated]))
    assert match.score >= 5 and not match.anchors and not match.joins


def test_a_report_published_years_away_from_the_event_does_not_join():
    old_preview = sig(status="announced", published="2015-01-19", edition=1, terms=["cooperation-conference"],
                      places=["Fujian", "Hong Kong"], people=PEOPLE[:1])
    meeting = sig(date="2018-05-11", edition=1, terms=["cooperation-conference"], places=PLACES, people=PEOPLE[:1])
    assert not joins(meeting, old_preview)


def test_a_day_without_a_year_is_read_in_the_year_the_report_appeared():
    this_year = sig(date="2023-06-05", year=None, terms=["leaders-symposium", "symposium"], places=["Delta"])
    next_year = sig(date="2024-06-05", terms=["leaders-symposium", "symposium"], places=["Delta"])
    report = sig(published="2023-06-07", days=[[6, 5]], terms=["symposium"], places=["Delta"],
                 people=PEOPLE)
    assert compare(Evidence.of([report]), Evidence.of([this_year])).anchors
    assert not compare(Evidence.of([report]), Evidence.of([next_year])).anchors


def test_reports_naming_other_places_in_their_titles_are_other_series():
    fujian = sig(date="2016-04-15", edition=2, terms=["cooperation-conference"], places=["Fujian", "Hong Kong"],
                 main_places=["Fujian", "Hong Kong"])
    sichuan = sig(date="2016-04-15", edition=2, terms=["cooperation-conference"], places=["Sichuan", "Hong Kong"],
                  main_places=["Sichuan", "Hong Kong"])
    match = compare(Evidence.of([fujian]), Evidence.of([sichuan]))
    assert any(r.startswith("names other places") for r in match.reasons)
