"""Classification: previews, plans and programmes whose opening also reports a past act are still announcements.

Invented texts. The past act is not the event: a press conference that presents it, past editions, an old signing,
a headline verb (Chinese headlines have no tense). A delegation being hosted now, or a ceremony held yesterday
after a sentence about the days ahead, stays a report.
"""

from tests.structure.helpers import report_of


def test_programme_presented_at_yesterday_press_conference_is_announced():
    text = ("示例论坛二十周年系列活动\n\n【本报讯】为庆祝示例论坛成立二十周年，常设秘书处自十月十九日起将举办一系列活动。"
            "秘书处秘书长王明、副秘书长李华昨出席系列活动新闻发布会，介绍相关内容。"
            "其中，将于十月二十日假示例会议厅举行高级别研讨会。")
    report = report_of(text, language="zh")
    assert report.is_event_report is False and report.status == "announced"


def test_chinese_headline_verb_has_no_tense():
    text = ("东湾合作发展论坛周日举行\n\n【本报讯】东湾经济学会主办的第四届“东湾合作发展论坛”，定于本年11月30日（星期日）"
            "上午在示例中心举行。“东湾合作发展论坛”已成功举办至第四届，这个一年一度的论坛为两地学术界探讨经济协作提供平台。")
    report = report_of(text, language="zh")
    assert report.is_event_report is False and report.status == "announced"


def test_plan_continued_by_bare_verbs_is_announced():
    text = ("年度互访下周展开\n局长王明将率领代表团，于五月十二日至十五日到访北京。\n"
            "代表团于五月十二日至十五日到访北京，与有关部门官员会面交流。")
    assert report_of(text, language="zh").is_event_report is False


def test_english_visit_preview_with_an_old_signing_is_announced():
    text = ("Example Mayor will visit in July\n\nExample City Mayor Ken Sato will lead a delegation to our region in July, following an "
            "invitation from Mayor Jane Doe. Mr Sato will arrive on 2 July with 10 city officials. "
            "The Sister City relationship between the two cities was signed in August 1980.")
    report = report_of(text)
    assert report.is_event_report is False and report.status == "announced"


def test_quoted_title_words_are_no_past_verbs():
    text = ("Delegation to attend the Example Forum\n\nThe Example Forum will be held in Beijing from April 25 to 27. "
            "Under the theme \"Cooperation, Shaping a Shared Future\", the Forum aims to bring about cooperation.")
    assert report_of(text).is_event_report is False


def test_delegation_hosted_now_with_a_ceremony_held_yesterday_is_a_report():
    text = ("The City of Exampleton is hosting a delegation from its sister city, Sampleville, Japan. "
            "The delegation will be celebrating the 28-year partnership between the two cities. "
            "As part of the visit, a tree-planting ceremony was held yesterday across the street from Peace Park.")
    report = report_of(text)
    assert report.is_event_report is True and report.status == "held"


def test_call_for_paper_in_the_headline_is_no_report():
    text = ("Call For Paper\nExample Urban Forum\nOctober 5th & 6th, 2020 Toronto, Canada\n"
            "Organized By: Example Forum and UN-Habitat\nThe forum will be held in Toronto. The first forum was held in 2019.")
    report = report_of(text)
    assert report.is_event_report is False and report.status is None
