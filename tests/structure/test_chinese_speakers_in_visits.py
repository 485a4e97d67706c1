"""Chinese speakers on delegation-visit and sister-city pages (all names and sentences here are invented).

Kinds of page this guards: visits where the guests are Japanese or transliterated names without a Chinese surname
(日本临海市副市长久保晃、议长永田弘基一行), names whose middle character is also a function word (邵为民会见),
a list that shares one title (副总监王明、陈蒙一行), a scholar named by honorific after the body (研究中心苏灿博士),
"our office" as the only organisation (我办廖山主任), "leaders" and "businessmen" that are no position, and
affiliations that must not swallow the person met before them.
"""

from ingest.structure.people_zh import find_mentions
from ingest.structure.textutil import to_simplified
from tests.structure.helpers import with_roles, zh_people


def people(sentence: str) -> dict:
    return with_roles(zh_people(sentence))


def test_japanese_names_after_titles_end_at_the_list_mark_or_the_next_word():
    found = people("昨日，副市长邵为民会见日本临海市副市长久保晃、议长永田弘基一行。")
    assert set(found) == {"邵为民", "久保晃", "永田弘基"}
    assert found["久保晃"][:2] == ("副市长", "日本临海市")
    assert people("日本驻沪总领事冈村胜出席。") == {"冈村胜": ("总领事", "日本驻沪", "attendee")}


def test_transliterated_name_without_dots_before_a_verb():
    found = people("菲律宾卡加市市长埃马诺举行会谈。")
    assert found == {"埃马诺": ("市长", "菲律宾卡加市", "attendee")}


def test_no_name_is_read_from_a_word_after_a_title():
    assert people("各会员单位会长和企业代表出席。") == {}
    assert people("在专家发言环节，与会者踊跃提问。") == {}
    assert [m.name for m in find_mentions("副主席单位、理事单位出席。", "副主席单位、理事单位出席。")] == []


def test_dotted_names_of_any_length_and_a_mayor_s_representative():
    found = people("威尼托市市长代表劳拉·芬卡、杜尚市副市长霍尔穆哈马佐德·索邦等开展对话。")
    assert found["劳拉·芬卡"] == ("市长代表", "威尼托市", "panelist")
    assert "霍尔穆哈马佐德·索邦" in found


def test_one_title_shared_by_a_list_that_ends_in_yixing():
    found = people("9月12日下午，临江智库副总监王曦明、陈蒙一行到访中心。")
    assert found["陈蒙"][:2] == ("副总监", "临江智库")


def test_scholar_named_by_honorific_after_the_body():
    assert people("临江港澳研究中心苏灿博士作了详细介绍。") == {"苏灿": (None, "临江港澳研究中心", "speaker")}


def test_our_office_and_leaders_name_no_organisation_or_position():
    assert people("6月19日下午，我办廖山主任会见临江新区管委会书记牛敬一行。")["廖山"][:2] == ("主任", None)
    assert people("市领导姜明、张桂华参加会谈及备忘录签订仪式。") == {
        "姜明": (None, None, "attendee"), "张桂华": (None, None, "attendee")}
    found = people("知名外交家、临江分社原副社长李储文以及知名港商陈启宗等也悉数到场。")
    assert found["李储文"][:2] == ("原副社长", "临江分社") and found["陈启宗"][:2] == (None, None)


def test_grade_before_a_title_is_part_of_it():
    found = people("临江省港澳事务办公室陈绍鑫二级巡视员到会指导。")
    assert found == {"陈绍鑫": ("二级巡视员", "临江省港澳事务办公室", "attendee")}


def test_a_signing_ceremony_named_as_a_noun_makes_no_signatory():
    assert {r for _, _, r in people("市领导姜明参加签订仪式。").values()} == {"attendee"}
    assert people("双方代表两市政府签订了备忘录，市长石忠信出席。")["石忠信"][2] in ("attendee", "signatory")


def test_traditional_script_names_after_titles():
    assert set(people("上海市市長龔正4日會見了日本臨海市市長橫山英幸、議長竹下隆一行。")) == {"龔正", "橫山英幸", "竹下隆"}
    assert to_simplified("橫山英幸") == "横山英幸"


def test_affiliation_keeps_its_first_character_and_drops_the_person_before_it():
    assert people("和平研究所所长王明致辞。")["王明"][:2] == ("所长", "和平研究所")
    assert people("上海社科院院长王战和复旦大学校长许宁生出席。")["许宁生"][:2] == ("校长", "复旦大学")
    found = people("卓永兴先与国务院港澳事务办公室副主任王灵桂和广东省人民政府副省长冯玲会面。")
    assert found["王灵桂"][:2] == ("副主任", "国务院港澳事务办公室")
