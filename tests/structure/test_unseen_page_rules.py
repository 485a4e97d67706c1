"""Rules added after running the structurer on pages it had never seen (all names and sentences here are invented).

Chinese names before cue verbs (强致, 博致 are not word breaks), dash-joined city pairs in event names,
notices and rooms named after events, and short back-references to people already named.
"""

import pytest

from ingest.structure.classify import classify, event_type_of
from tests.structure.helpers import en_pair_list, en_people, names, report_of, zh_pair_list, zh_people

NAMES = ["任海", "谷明强", "邵文博", "卢建发", "易国强", "欧阳立新", "司徒嘉乐", "欧阳宁", "陈黄美玲"]
CUES = ["致辞。", "致开幕辞。", "主持会议。", "作主旨演讲。", "发言。", "出席。", "表示，合作前景广阔。",
        "指出，合作前景广阔。", "强调，合作前景广阔。"]


def zh_names(sentence: str) -> list[str]:
    return names(zh_people(sentence))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cue", CUES)
def test_chinese_name_of_two_to_four_characters_before_a_cue(name: str, cue: str):
    assert zh_names(f"临江发展研究院院长{name}{cue}") == [name]


def test_chinese_name_ending_before_a_title_word_or_honorific():
    assert zh_names("大学教授邵文博士出席。") == ["邵文"]
    assert zh_names("研究院院长马振发表讲话。") == ["马振"]
    assert zh_names("研究员柯强强调，双方应加强合作。") == ["柯强"]


def test_chinese_traditional_script_three_character_name():
    assert zh_names("臨江研究會會長易國強致辭。") == ["易國強"]


@pytest.mark.parametrize("text,pair", [
    ("On 2 May the Ningbo Institute held the Shenzhen–Hong Kong Youth Roundtable in Kowloon.", ["Hong Kong", "Shenzhen"]),
    ("Riverside College and Dune University Sign Memorandum on Shenzhen–Hong Kong Research", ["Hong Kong", "Shenzhen"]),
    ("Scholars met at a Hong Kong–Macao heritage seminar last week.", ["Hong Kong", "Macao"]),
    ("The Guangzhou/Macao Dialogue on Ports was held on Friday.", ["Guangzhou", "Macao"]),
    ("They agreed to set up a joint Shanghai—Hong Kong data lab.", ["Hong Kong", "Shanghai"]),
])
def test_english_dash_or_slash_joined_pair_in_an_event_or_agreement(text: str, pair: list[str]):
    assert en_pair_list(text) == [pair]


@pytest.mark.parametrize("text", [
    "Traffic on the Beijing–Shanghai railway rose in May.",
    "The Hong Kong–Zhuhai–Macao Bridge seminar was held in June.",
    "Shuttles between Macao and Zhuhai changed retail patterns.",
])
def test_english_joined_places_that_are_not_a_two_party_cooperation(text: str):
    assert en_pair_list(text) == []


@pytest.mark.parametrize("text,pair", [
    ("沪澳文化交流座谈会在上海举行。", ["Macao", "Shanghai"]),
    ("第二届穗港青年创新论坛开幕。", ["Guangzhou", "Hong Kong"]),
    ("粤澳合作联席会议召开。", ["Guangdong", "Macao"]),
    ("沪苏科技圆桌会在南京举行。", ["Jiangsu", "Shanghai"]),
    ("双方同意进一步加深沪港合作。", ["Hong Kong", "Shanghai"]),
    ("建议在深港之间建立标准互认机制。", ["Hong Kong", "Shenzhen"]),
])
def test_chinese_two_abbreviation_compounds(text: str, pair: list[str]):
    assert zh_pair_list(text) == [pair]


@pytest.mark.parametrize("text", ["长三角城市合作论坛在杭州举行。", "粤港澳大湾区青年论坛开幕。", "穗港澳智库圆桌会议召开。",
                                  "沪苏浙皖四地专家出席研讨会。"])
def test_chinese_many_party_frameworks_give_no_pair(text: str):
    assert zh_pair_list(text) == []


def test_chinese_notice_is_not_an_event_report():
    notice = "关于调整图书馆开放时间的通知\n本院学术论坛举办期间，图书馆照常开放。请相互转告。"
    assert not classify(notice, "zh").is_event_report
    circular = "2026年3月1日 各位会员： 研究会举办的年度论坛报名已结束，请按时参加。"
    assert not classify(circular, "zh").is_event_report


def test_room_named_after_an_event_and_the_next_meeting_are_not_events():
    text = ("Staff reviewed the plan for repainting the seminar room and the canteen. "
            "Proposals will be discussed at the next formal Board meeting.")
    assert not classify(text, "en").is_event_report
    assert event_type_of(text, "en") == (None, None)  # neither names an event (not only "will be discussed")
    assert not classify("These notes are for internal circulation. The retreat was held in May.", "en").is_event_report
    internal = classify("These notes are for internal circulation. The seminar was held in May.", "en")
    assert not internal.is_event_report and internal.reason.startswith("an internal document")


def test_organiser_named_forum_does_not_set_the_event_type():
    c = classify("The Riverside Policy Forum held a seminar on data rules in Guangzhou on 3 May.", "en")
    assert c.is_event_report and c.event_type == "seminar"


def test_speaker_kept_on_a_reporting_verb_and_surname_reference_merged():
    text = ("The Lisbon Harbour Society held a seminar on 3 May 2025 in Macao. "
            "Dr Rita Pereira Lam, President of the Lisbon Harbour Society, welcomed guests. "
            "Ms Iong Sok-wa, Vice President of the Taipa Design Association, described a pilot scheme. "
            "Dr Pereira Lam said the scheme would grow.")
    report = report_of(text)
    assert [s.name for s in report.speakers] == ["Rita Pereira Lam", "Iong Sok-wa"]


def test_attended_and_spoke_is_a_speaker():
    got = en_people("Dr Ko Man-lai, President of the Sample Institute, attended as a guest and spoke on research.")
    assert [(n, r) for n, _, _, r in got] == [("Ko Man-lai", "speaker")]


def test_chinese_given_name_with_xiang_and_organisation_before_a_title():
    assert zh_names("临江大学国际关系学院院长李向东发言。") == ["李向东"]
    got = [(n, a) for n, _, a, _ in zh_people("临江大学农学院院长阎立新出席开幕式。")]
    assert got == [("阎立新", "临江大学农学院")]


def test_portuguese_names_with_particles_and_organisations():
    text = ("The Taipa Urban Society held a seminar on 3 May 2025 in Macao. Mr José Maria da Rocha Sequeira, President "
            "of the Associação dos Amigos da Taipa, outlined the programme. Professor Ana de Souza of the Universidade "
            "de Macau spoke on heritage. Mr Rocha Sequeira said the two cities share one harbour.")
    report = report_of(text)
    assert [(s.name, s.affiliation) for s in report.speakers] == [
        ("José Maria da Rocha Sequeira", "Associação dos Amigos da Taipa"), ("Ana de Souza", "Universidade de Macau")]


def test_clause_after_the_organisers_is_not_an_organiser_and_its_theme_is_found():
    text = ("On 3 June 2025 the Riverside Cities Forum was held in Hong Kong. Co-organised by the Example Institute "
            "of Urban Affairs and the Sample Policy Council, the forum took as its theme \u201cCities That Move "
            "Together\u201d and looked at commuting between Hong Kong and Shenzhen. Mr Tom Example, Chairman of the "
            "Example Institute of Urban Affairs, gave the opening remarks.")
    report = report_of(text, title="Riverside Cities Forum", language="en")
    assert report.organizers == ["Example Institute of Urban Affairs", "Sample Policy Council"]
    assert report.theme == "Cities That Move Together"
