"""The event_date field on kinds of page seen unseen (invented texts; dates never come from a URL).

A weekday relative to the page's date ("signed ... on Sunday" under "Updated: 2014-11-17"), a bare Chinese day after
a page stamp glued to its time (2024年12月05日15:59 ... 4日會見) or a paper's page line (2024年09月26日 02版), a page
date line followed by a time ("November 30, 2005, 11:00 a.m." ... "this evening"), a label with a weekday ("Date:
Friday, June 26 2015"), the year of the event named before "in 2019", and past signings that are no event date.
"""

import pytest

from tests.structure.helpers import report_of


@pytest.mark.parametrize("text,expected", [
    ("Linhai, sister cities sign economic alliance\nBy Xu Jing (Daily) Updated: 2014-11-17 07:32\n\nLinhai, Auckland and "
     "Los Angeles signed a memorandum of understanding on Sunday to formalize a tripartite economic alliance.", "2014-11-16"),
    (" date 2023-09-19 Durban - The municipality on Tuesday signed a memorandum of understanding with the City of Xiamen.",
     "2023-09-19"),
    ("Mayor's Office\nNovember 30, 2005, 11:00 a.m.\nSHANGHAI, China -- Mayor Gavin Moss and Mayor Han Li met in the guest "
     "house this evening to sign the Memorandum of Understanding.", "2005-11-30"),
    ("Date: Friday, June 26 2015\n\nA delegation from the Linhai Youth University visited APSS on June 24 and held a seminar.",
     "2015-06-24"),
    ("On the afternoon of October 14, the 4th Academic Salon for Ph.D. Students in Economics in 2019 (the 46th in history) "
     "was staged by the Centre.", "2019-10-14"),
])
def test_english_event_dates(text: str, expected: str):
    assert report_of(text).event_date == expected


@pytest.mark.parametrize("text,expected", [
    ("临江与大阪结为友城50年\n2024年12月05日15:59 | 来源:上观新闻\n临江市市长龚明4日会见了日本大阪市市长横山英幸一行。", "2024-12-04"),
    ("光明日报 2024年09月26日 星期四\n作者:本报记者 陆健 《光明日报》( 2024年09月26日 02版)\n本报杭州9月25日电 第九届临江国际"
     "友城市长论坛于25日举办。", "2024-09-25"),
])
def test_chinese_bare_day_under_a_page_stamp(text: str, expected: str):
    assert report_of(text).event_date == expected


@pytest.mark.parametrize("text", [
    "Linhai City extends the sister-city tie with Cincinnati. The mayors met today and re-signed the agreement. "
    "Cincinnati originally signed the sister city agreement with Linhai County back in September 12, 1994.",
    "A reception marked the 40th anniversary on Saturday. On Dec. 8, 1981, then mayors of Linhai and Los Angeles signed "
    "the sister-city agreement at City Hall.",
])
def test_a_past_signing_is_no_event_date(text: str):
    assert report_of(text).event_date is None
