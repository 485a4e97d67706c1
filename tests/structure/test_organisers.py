"""The organisers field (invented names and sentences).

Kinds of page this guards: every organiser clause, not only the first (由A主办，B、C承办，D协办; "organised by A, and
co-organised by B"), 联合主办 after a time and place (A、B，1月4日於X市聯合主辦), A联同B和C举行, A与B举行座谈会,
主办单位：X, 与 inside a name (中国与全球化智库), "A (the Foundation), B (SASS) and C jointly organized the Forum",
commas inside a name ("(CPPCC, Linhai)", "Liaison with Hong Kong, Macao, Taiwan and ..."), "staged by", an acronym
heading the event's name, and what is no organiser: a person hosting, places holding events, the event itself,
supporters and a later edition.
"""

import pytest

from ingest.structure.fields import organizers
from ingest.structure.textutil import to_simplified


def en_orgs(text: str, event_type: str | None = "seminar") -> list[str]:
    return organizers(text, text, "en", event_type)[0]


def zh_orgs(text: str) -> list[str]:
    return organizers(text, to_simplified(text), "zh")[0]


def test_chinese_organiser_clauses_of_every_kind():
    text = ("5月20日，第三届临江论坛在临江大学举行。本次研讨会由临江大学主办，临江融合发展研究中心、香港正思研究院承办，"
            "临江材料科学系协同支持，察远学会协办。")
    assert zh_orgs(text) == ["临江大学", "临江融合发展研究中心", "香港正思研究院", "察远学会"]


def test_chinese_joint_organisers_before_a_time_and_place():
    text = "临江新闻网1月5日电 香港工业总会、珠三角工业协会以及香港应用科技研究院，1月4日於临江市聯合主辦的高峰论坛圆满结束。"
    assert zh_orgs(text) == ["香港工业总会", "珠三角工业协会", "香港应用科技研究院"]


def test_chinese_bodies_holding_the_event_together():
    assert zh_orgs("临江中央政策组联同临江特区研究会和综合开发研究院，今日于会展中心举行第二次“港深合作论坛”。") == [
        "临江中央政策组", "临江特区研究会", "综合开发研究院"]
    assert zh_orgs("11月3日，临江大学公管学院与港大社会科学学院举行了一场座谈会。") == ["临江大学公管学院", "港大社会科学学院"]
    assert zh_orgs("主办单位：临江研究院、东湖学会\n") == ["临江研究院", "东湖学会"]


def test_chinese_and_inside_a_name_does_not_split_it():
    assert zh_orgs("论坛由临江智库研究中心和中国与全球化智库联合举办。") == ["临江智库研究中心", "中国与全球化智库"]
    assert zh_orgs("会议由城市发展与环境研究所、临江学社联合主办。") == ["城市发展与环境研究所", "临江学社"]


def test_chinese_no_organiser_from_a_later_edition_a_host_city_or_an_office_name():
    assert zh_orgs("特区政府将于明年承办第四届艺术节。") == []
    assert zh_orgs("作为本届“市长对话”主办城市，临江为交流搭建桥梁。") == []
    assert zh_orgs("会议举行了临江合作区联合办公室揭牌仪式。") == []


def test_english_organised_and_co_organised_later_in_the_text():
    text = ("The president spoke at a regional forum on 23 September.\nHe said co-operation mattered.\n" * 4 +
            "The seminar was organised by the Chinese People’s Political Consultative Conference (CPPCC, Linhai) Hong "
            "Kong and Macau Members Association, and co-organised by One Country Two Systems Research Institute.")
    assert en_orgs(text) == ["Chinese People’s Political Consultative Conference (CPPCC, Linhai) Hong Kong and Macau "
                             "Members Association", "One Country Two Systems Research Institute"]


def test_english_list_of_bodies_jointly_organizing():
    text = ("In the wake of the crisis and the rise of the Renminbi, the Better Linhai Foundation (the Foundation), "
            "Linhai Academy of Social Sciences (LASS) and Linhai People’s Political Consultative Conference (LPPCC) "
            "jointly organized the Forum on trade on 21 August 2009 in Shanghai.")
    assert en_orgs(text, "forum") == ["Better Linhai Foundation (the Foundation)", "Linhai Academy of Social Sciences (LASS)",
                                      "Linhai People’s Political Consultative Conference (LPPCC)"]


def test_english_comma_inside_a_name_and_staged_by():
    text = ("The seminar was co-organised by the Committee for Liaison with Hong Kong, Macao, Taiwan and Overseas "
            "Chinese of the Linhai Committee, Linhai Academy of Social Sciences, Linhai Coalition and Better Linhai "
            "Foundation.")
    assert en_orgs(text) == ["Committee for Liaison with Hong Kong, Macao, Taiwan and Overseas Chinese of the Linhai "
                             "Committee", "Linhai Academy of Social Sciences", "Linhai Coalition", "Better Linhai Foundation"]
    assert en_orgs("The salon was staged smoothly by the Centre for Zone Research (CZR) at Hall A.", "other") == [
        "Centre for Zone Research (CZR)"]


def test_acronym_heading_the_event_name_is_its_organiser():
    assert en_orgs("LKGCC International Business Summit 2024 convened at a pivotal moment.", "conference") == ["LKGCC"]


@pytest.mark.parametrize("text", [
    "The forum was hosted by Mabel Lu, Co-founder and Secretary General of CCG.",
    "Shanghai and Hamburg held a series of events to mark the anniversary of their ties.",
    "Auspiced by the Institute of Studies and organized by the Centre for Relations, the Tenth Symposium on Diplomacy "
    "was held.",
])
def test_english_no_person_place_or_event_as_organiser(text: str):
    assert all(o in ("Institute of Studies", "Centre for Relations") for o in en_orgs(text, "symposium"))
