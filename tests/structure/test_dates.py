"""Event-date rules: Chinese and English forms, year resolution, null when not stated."""

from ingest.structure.dates import extract_event_date, find_dates, resolve_year
from datetime import date


def ev(text: str, lang: str = "en", published: str | None = None) -> str | None:
    return extract_event_date(text, lang, published)[0]


def test_chinese_full_date():
    assert ev("2025年11月18日下午，研讨会在上海举行。", "zh") == "2025-11-18"


def test_chinese_month_day_resolved_against_publication_date():
    assert ev("11月18日下午，研讨会在上海举行。", "zh", "2025-11-20") == "2025-11-18"


def test_year_rolls_back_when_the_day_is_after_the_publication_date():
    assert ev("12月30日，论坛在香港举行。", "zh", "2025-01-05") == "2024-12-30"


def test_english_day_month_year():
    assert ev("On 18 November 2025, the symposium was convened at SASS.") == "2025-11-18"


def test_english_month_day_uses_publication_year():
    assert ev("The forum was held on November 18 in Shanghai.", published="2025-11-20") == "2025-11-18"


def test_no_year_anywhere_gives_null():
    assert ev("The forum was held on November 18 in Shanghai.") is None
    assert ev("4月19日上午，研讨会在港举行。", "zh") is None


def test_no_date_gives_null():
    assert ev("Experts gathered today to discuss trade.") is None


def test_today_uses_the_page_date_stamp():
    text = "2018-11-06 14:35:58 记者 某某\n沪港大学联盟今天在复旦大学成立。"
    assert ev(text, "zh") == "2018-11-06"


def test_multi_day_event_takes_first_day():
    assert ev("On November 12-13, 2020, the symposium was convened at Fudan University.") == "2020-11-12"


def test_dates_never_come_from_publication_stamp_alone():
    text = "发布时间:2018-11-27 10:07\n开幕式上，院长致辞。"
    assert ev(text, "zh") is None


def test_find_dates_flags_labelled_stamps():
    found = find_dates("Date: 2013-10-10\nOn October 8, 2013, the symposium was held.")
    assert [d.is_pub_stamp for d in found] == [True, False]


def test_resolve_year_prefers_event_name_year():
    assert resolve_year(2, 22, date(2024, 1, 1), 2023, []) == 2023


def test_chinese_numeral_dates_and_a_malformed_month():
    assert [(d.month, d.day) for d in find_dates("十二月三十一日，十月十日")] == [(12, 31), (10, 10)]
    assert find_dates("十十月一日") == []  # no month 20, and no crash
