"""The venue field: the most specific place stated for the event (invented sentences).

Kinds of page this guards: buildings named anywhere in the lead ("met in the official guest house Xi Jiao Hotel",
"at Preston Hall in the Lakeside Cultural Center", "on the campus of X"), visits ("visited APSS", "official visit
to Beijing"), "the roundtable discussion in Beijing", countries, languages and sessions that are no venue, past and
later events, and Chinese rooms with numbers, "X小礼堂内", 于X联合主办, 到访X and the most specific of several.
"""

import pytest

from tests.structure.helpers import report_of


def venue_of(text: str) -> str | None:
    return report_of(text).venue


@pytest.mark.parametrize("text,expected", [
    ("On May 3 Mayor Gavin Moss and Mayor Han Ling met in the official guest house Xi Jiao Hotel to sign the "
     "Memorandum of Understanding.", "Xi Jiao Hotel"),
    ("A reception for the 50th anniversary of the sister-city relationship was held on August 1st at Preston "
     "Hall in the Lakeside Cultural Center.", "Preston Hall in the Lakeside Cultural Center"),
    ("An international conference on port cities was recently held on the campus of The Riverside University of "
     "Hong Kong (RUHK).", "campus of The Riverside University of Hong Kong (RUHK)"),
    ("A delegation from the Linhai Youth University visited APSS on June 24 and held a seminar with its staff.", "APSS"),
    ("On his official visit to Beijing, Mayor Park Jun signed a memorandum with the mayor of Beijing.", "Beijing"),
    ("Experts joined the roundtable discussion in Beijing on 23 October and said dialogue mattered.", "Beijing"),
    ("The salon was staged on October 14 by the Centre for Zone Research at the International Conference Hall A.",
     "International Conference Hall A"),
])
def test_english_venues(text: str, expected: str):
    assert venue_of(text) == expected


@pytest.mark.parametrize("text", [
    "During the conference held on May 3, Hangzhou signed a letter of intent with Isfahan in Iran.",
    "The memorandum signed at the ceremony on May 3 was written in Chinese and English.",
    "The 6th Plenary Session of the Linhai/Shanghai Conference was held on Friday and 20 documents were signed.",
    "The forum was held on May 3. The centre will hold its first workshop in Guangzhou in the spring.",
    "The seminar was held on May 3. On Dec. 8, 1981, then mayors of the two cities signed the agreement at Linhai City Hall.",
])
def test_no_venue_from_countries_languages_sessions_or_other_events(text: str):
    assert venue_of(text) is None


def test_a_building_beats_the_city_of_the_headline():
    text = "“2016临江全球智库论坛”在沪成功举办\n2016年11月10日，论坛在临江华亭宾馆隆重召开，150多位代表参会。"
    assert venue_of(text) == "临江华亭宾馆"


@pytest.mark.parametrize("text,expected", [
    ("11月3日上午，在兴庆校区管理大楼674会议室临江大学公管学院与港大社会科学学院举行了座谈会。", "兴庆校区管理大楼674会议室"),
    ("本报讯 今天锦江小礼堂内高朋满座，两地专家学者共赴城市管理研讨会，市长韩明出席并致辞。", "锦江小礼堂"),
    ("香港工业总会1月4日於东莞市联合主办的“2024大湾区工商界高峰论坛”圆满结束，行政长官李明出席并致辞。", "东莞市"),
    ("9月12日下午，临江智库副总监王曦明一行到访临江社科院港澳研究中心，双方举行座谈。", "临江社科院港澳研究中心"),
    ("临江中央政策组今日于临江会议展览中心举行第二次“港深合作论坛”，市长许明致辞。", "临江会议展览中心"),
])
def test_chinese_venues(text: str, expected: str):
    assert venue_of(text) == expected


def test_a_visit_programme_is_no_venue():
    assert venue_of("副司长卓永明今日抵达广州，展开访问行程，并见证签署协议书。") != "行程"
