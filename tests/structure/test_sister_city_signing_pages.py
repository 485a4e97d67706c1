"""Sister-city and memorandum signings: city pairs, cities and classification (invented names and sentences).

Kinds of page this guards: a pair known only from the two signing parties ("X, governor of the Western Greece
region, and Y, mayor of Hangzhou, signed"), a subject city that signs "with" a partner later in the sentence
(English) or in a later clause (…，与伊朗伊斯法罕市交换了意向书), cities written "Yiwu City and Roseau City",
"Tsuyama-Santa Fe", a small first letter (eThekwini), the cities mayors stand for, lists of "X in Country", a lead
paragraph that is no headline, hard-wrapped pages and "met ... to sign the Memorandum" as a signing ceremony.
"""

from tests.structure.helpers import en_pair_list, report_of, zh_pair_list


def test_two_signing_parties_make_the_pair():
    report = report_of("At the opening ceremony, Niko Farmas, governor of the Western Greece region, and Yao Gaoping, "
                       "mayor of Hangzhou, signed a memorandum of understanding.")
    assert ["Hangzhou", "Western Greece"] in report.city_pairs


def test_the_cities_officials_stand_for_are_cities_of_the_event():
    report = report_of("“世界市长对话·杭州”论坛于25日举办。在论坛上，杭州市市长姚高平与南非开普敦市首席行政官隆格·姆班扎、"
                       "塔吉克斯坦杜尚别市副市长霍尔·阿米尔开展对话。")
    assert {"Hangzhou", "Cape Town", "Dushanbe"} <= set(report.cities)


def test_subject_city_signing_with_a_partner():
    assert en_pair_list("During the conference, Hangzhou also signed a letter of intent for friendly exchanges with "
                        "Isfahan in Iran.") == [["Hangzhou", "Isfahan"]]
    assert zh_pair_list("杭州市与希腊西希腊大区签署了合作备忘录，与伊朗伊斯法罕市交换了友好交流意向书。") == [
        ["Hangzhou", "Western Greece"], ["Hangzhou", "Isfahan"]]


def test_city_words_and_dashes_between_two_partners():
    assert en_pair_list("The two sides signed a memorandum on friendly exchanges between Yiwu City and Roseau City.") == [
        ["Roseau", "Yiwu"]]
    assert en_pair_list("Ceremony for the 25th Anniversary of the Tsuyama-Santa Fe Sister City Relationship") == [
        ["Santa Fe", "Tsuyama"]]
    assert en_pair_list("The mayor was excited to establish a partnership between the City of eThekwini and the City "
                        "of Xiamen.") == [["Durban", "Xiamen"]]


def test_places_that_locate_a_list_item_are_no_partners():
    assert en_pair_list("It has 8 sister cities, which include New Linhai City in Taiwan, Liuzhou in China, Nancy in "
                        "France and Gifu in Japan.") == []


def test_a_lead_paragraph_is_not_read_as_a_headline():
    report = report_of("2023年12月7日，2023年珠澳合作会议在珠海规划展览馆召开，横琴粤澳深度合作区、深圳市海关等部门代表出席会议。"
                       "珠海市委副书记、市长黄志明主持会议。")
    assert report.cities == ["Macao", "Zhuhai"]


def test_hard_wrapped_signing_page():
    text = ("November 30, 2005, 11:00 a.m.\n"
            "SHANGHAI, China -- Joined by Senator Dana Fields\n"
            "and Former Mayor Frank Doyle, Mayor Gavin Moss and Mayor Han\n"
            "Zhengyi met in the official guest house Xi Jiao Hotel this evening\n"
            "to sign the 8th Memorandum of Understanding for the San Francisco-Shanghai\n"
            "Sister City Relationship. The relationship has since sponsored nearly\n"
            "200 projects during a 25 year period. Exchanges have included commercial\n"
            "cultural, educational, governmental and technological programs.\n")
    report = report_of(text)
    assert report.is_event_report and report.event_type == "ceremony"
    assert {s.name for s in report.speakers} == {"Dana Fields", "Frank Doyle", "Gavin Moss", "Han Zhengyi"}
    assert report.city_pairs == [["San Francisco", "Shanghai"]]


def test_bodies_named_after_places_that_sign_make_no_pair():
    report = report_of("9月25日下午，长三角协同研究合作框架协议签约仪式在临江国际会议中心举行。临江社会科学研究院院长王志明、"
                       "江苏省城乡发展研究会秘书长钱建新、浙江省区域发展研究会会长郑国强、皖江发展研究院院长刘晓东代表四家单位签署协议。")
    assert report.city_pairs == []


def test_a_past_signing_gives_no_pair():
    assert en_pair_list("Cincinnati originally signed the sister city agreement with Linhai County back in September "
                        "12, 1994.") == []
    assert en_pair_list("On Dec. 8, 1981, then mayors of Guangzhou and Los Angeles signed the sister-city agreement.") == []
