"""Rules added after checking unseen reports: wire datelines, shared titles, glosses, announcements, listings."""

from ingest.structure.classify import classify
from ingest.structure.dates import extract_event_date
from ingest.structure.textutil import strip_pinyin_glosses, to_simplified
from tests.structure.helpers import en_people, names, report_of, zh_people


def zh_names(sentence: str) -> list[str]:
    return names(zh_people(sentence), cued_only=True)


def test_wire_dateline_is_not_the_event_date():
    text = "HONG KONG, Aug. 24, 2018 /PRNewswire/ -- The Summit was held on 23 August at the Convention Centre."
    assert extract_event_date(text, "en", None)[0] == "2018-08-23"


def test_chinese_bare_day_takes_the_dateline_month():
    text = "人民日报 2023年03月31日 星期五\n据新华社香港3月29日电 座谈会29日于香港会展中心举行。"
    assert extract_event_date(text, "zh", None, to_simplified(text))[0] == "2023-03-29"


def test_shared_title_after_enumeration_comma():
    assert zh_names("受到该会副理事长刘艺良、叶兆佳等的热情接待。") == ["刘艺良", "叶兆佳"]


def test_name_not_glued_to_following_word():
    assert zh_names("全国政协委员杨健线上出席。") == ["杨健"]
    assert zh_names("深圳北理莫斯科大学校长李和章致开幕词。") == ["李和章"]


def test_pinyin_glosses_are_removed():
    assert strip_pinyin_glosses("經(jīng)濟(jì)合作研討洽談會(huì)") == "經濟合作研討洽談會"


def test_future_announcements_in_english_and_chinese():
    assert not classify("The Chief Executive is to attend on 21 April the opening ceremony of the forum.", "en").is_event_report
    assert not classify("多家机构明天会联合举办研讨会,由梁振英担任活动主持。", "zh").is_event_report


def test_listing_of_dated_events_is_not_a_report():
    listing = "Sept. 24, 2024\nLecture Series: A\nSept. 16, 2024\nLecture Series: B was held.\nSept. 4, 2024\nLecture: C"
    assert not classify(listing, "en").is_event_report


def test_name_followed_directly_by_title_after_honorific():
    got = en_people("Officiating guests were Mr. Zhou Wenzhong Secretary-General of the BOAO Asia Forum.")
    assert [(n, t, r) for n, t, _, r in got] == [("Zhou Wenzhong", "Secretary-General", "attendee")]


def test_visit_reports_are_meetings():
    text = "Chief Executive Carrie Lam today led a delegation to visit Shenzhen. Financial Secretary Paul Chan also joined the visit."
    report = report_of(text)
    assert report.is_event_report and report.event_type == "meeting"
    assert [s.name for s in report.speakers] == ["Carrie Lam", "Paul Chan"]


def test_past_leaders_are_not_participants():
    assert zh_names("在前会长何贤、马万祺等会务负责人的领导下,会长崔世昌表示欢迎。") == ["崔世昌"]
