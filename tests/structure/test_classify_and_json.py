"""Classification, event types, the JSON format, the registry and topics."""

from ingest.structure import JSON_KEYS, person_key, report_to_json, structure_html
from ingest.structure.classify import classify
from tests.structure.helpers import report_of


def test_report_of_a_held_event_is_positive_with_type():
    c = classify("On 3 May the institute hosted a roundtable discussion on trade. The director said ...", "en")
    assert c.is_event_report and c.event_type == "roundtable"


def test_announcement_of_a_future_event_is_negative():
    c = classify("The forum will be held on 13 October in Guangzhou. Speakers will include experts.", "en")
    assert not c.is_event_report
    assert not classify("首届论坛定于十月十三日在广州举行。获邀请发言的嘉宾有多位学者。", "zh").is_event_report


def test_agenda_and_letter_are_negative():
    agenda = "14:30-14:35 Welcome remarks\n14:35-15:20 Panel 1\n15:20-16:05 Panel 2\n16:05-16:20 Break"
    assert not classify(agenda, "en").is_event_report
    assert not classify("Dear Friends,\nThis year we organised many forums.", "en").is_event_report


def test_chinese_head_noun_gives_the_type():
    assert classify("沪港合作会议机制20周年签约仪式昨天在沪举行。", "zh").event_type == "ceremony"


def test_non_event_has_empty_fields():
    report = report_of("Dear Friends,\nHappy new year.")
    data = report_to_json(report)
    assert data["is_event_report"] is False and data["speakers"] == [] and data["event_date"] is None
    assert all(data[key] in (None, []) for key in JSON_KEYS if key != "is_event_report"), data
    assert report.evidence["is_event_report"]


def test_structure_html_returns_exactly_the_public_keys():
    html = ("<html><head><title>Forum held</title></head><body><article><p>On 3 May 2024, the Shanghai-Hong Kong "
            "Cooperation Forum was held in Shanghai. Mr Zhang San, President of the Example Institute, delivered "
            "a keynote speech on trade and finance between the two cities.</p><p>More than a hundred guests from both "
            "cities attended the forum.</p></article></body></html>")
    data = structure_html(html, "https://example.org/a")
    assert tuple(data) == JSON_KEYS
    assert set(data["speakers"][0]) == {"name", "title", "affiliation", "role", "evidence"}
    assert data["event_date"] == "2024-05-03" and data["city_pairs"] == [["Hong Kong", "Shanghai"]]


def test_registry_key_is_shared_across_spellings():
    keys = {person_key(n) for n in ("梁振英", "梁振英先生", "Mr Leung Chun-ying", "C.Y. Leung", "Leung Chun Ying")}
    assert keys == {"person:leung-chun-ying"}
    assert person_key("陳啟宗") == person_key("Ronnie C Chan")
    assert person_key("Wang Huiyao") == person_key("Huiyao Wang")
