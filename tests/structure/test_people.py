"""Speaker rules: Chinese 单位+职务+姓名 and 姓名+职务 orders, English appositions and titles, roles."""

from tests.structure.helpers import en_people as en
from tests.structure.helpers import report_of
from tests.structure.helpers import zh_people as zh


def test_chinese_org_title_name_order():
    got = zh("上海社会科学院院长张道根、香港明天更好基金主席陈启宗分别致辞。")
    assert got == [("张道根", "院长", "上海社会科学院", "opening_remarks"), ("陈启宗", "主席", "香港明天更好基金", "opening_remarks")]


def test_chinese_name_title_order_and_moderator():
    assert zh("上海社会科学院王振副院长主持主旨演讲环节。") == [("王振", "副院长", "上海社会科学院", "moderator")]


def test_chinese_several_posts_keep_first_listed():
    got = zh("全国港澳研究会顾问、中国社科院台港澳研究中心主任黄平出席研讨会并作主旨演讲。")
    assert got == [("黄平", "顾问", "全国港澳研究会", "keynote")]


def test_chinese_posts_in_one_organisation_are_joined():
    assert zh("广东省社科联党组书记、主席张知干出席开幕式并致辞。")[0][1:3] == ("党组书记、主席", "广东省社科联")


def test_chinese_traditional_script_keeps_written_form():
    assert zh("香港明天更好基金執行委員會主席陳啟宗分别致辭。") == [("陳啟宗", "執行委員會主席", "香港明天更好基金", "opening_remarks")]


def test_chinese_host_attendee_and_reporter():
    assert zh("上海市政协港澳台侨委主任沈敏主持开幕式。")[0][3] == "host"
    assert zh("林枬、黄景睿担任主礼嘉宾。") == []  # no titles: not recognised as people on their own


def test_english_mr_x_chairman_of_y():
    got = en("The symposium opened with remarks by Mr. Ronnie C Chan, Chairman of the Executive Committee of The Better Hong Kong Foundation.")
    assert got == [("Ronnie C Chan", "Chairman of the Executive Committee", "The Better Hong Kong Foundation", "opening_remarks")]


def test_english_title_before_name():
    assert en("HKSAR Financial Secretary Paul Chan delivered a keynote speech.") == [("Paul Chan", "Financial Secretary", "HKSAR", "keynote")]


def test_english_list_after_cue_and_moderator():
    got = en("Keynote speakers included Professor Fan Gang, Chief Expert at China Development Institute; and Mr. Leng Weiqing, Chairman of Shanghai Industrial Holdings Limited.")
    assert [(n, t, a, r) for n, t, a, r in got] == [
        ("Fan Gang", "Chief Expert", "China Development Institute", "keynote"),
        ("Leng Weiqing", "Chairman", "Shanghai Industrial Holdings Limited", "keynote"),
    ]


def test_english_historical_people_are_skipped():
    assert en("She recalled how the-then Financial Secretary Sir Hamish Macleod outlined the city's options.") == []
    assert en("She recalled how Financial Secretary Sir Hamish Macleod outlined the city's options.")[0][0] == "Hamish Macleod"


def test_report_merges_mentions_and_keeps_evidence():
    text = ("On 18 November 2025, the Hong Kong-Shanghai Symposium was held in Shanghai. "
            "HKSAR Financial Secretary Paul Chan delivered a keynote speech. Mr Paul Chan said trade matters.")
    report = report_of(text)
    assert [(s.name, s.role) for s in report.speakers] == [("Paul Chan", "keynote")]
    assert "keynote" in report.speakers[0].evidence and report.speakers[0].key
