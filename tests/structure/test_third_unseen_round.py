"""Rules added after a third round of pages the structurer had never seen (all names and sentences are invented).

Announcements and papers in Chinese, sister-city signings, bare Chinese names with 先生/致辞, organisations written
around English titles ("RSIS Dean", ", CUHK"), "today (May 3)" and "Thursday 7 and Friday 8 of March" dates.
"""

from ingest.structure.classify import classify
from ingest.structure.dates import extract_event_date
from ingest.structure.gazetteer import en_pairs, zh_pairs
from tests.structure.helpers import en_people as en_found
from tests.structure.helpers import report_of
from tests.structure.helpers import zh_people as zh_found


# --- classification -------------------------------------------------------------------------------------------

def test_chinese_forum_whose_delegates_will_speak_is_an_announcement():
    text = ("本届论坛的主题是“协同发展”，与会代表将围绕这一主题发表演讲。论坛将分两段进行：5月3日在临江开幕，"
            "5月4日在东湖闭幕。首届临江论坛的召开，标志着区域合作进入新阶段。")
    assert not classify(text, "zh").is_event_report


def test_chinese_announcement_with_a_habitual_sentence_is_still_an_announcement():
    text = ("记者从新闻发布会获悉，2030年临江市长论坛将于9月7日在东湖举行。该论坛作为博览会的一项活动，"
            "每年报经有关部门批准举办。届时将有200多位市长出席。")
    assert not classify(text, "zh").is_event_report


def test_chinese_paper_with_author_postcode_header_is_not_a_report():
    text = "柳青\n（临江职业学院 管理学院，江东 临江 518000）\n智库建设需要人才[1]。2020年成立了临江智库联盟[2]。"
    assert classify(text, "zh").reason.startswith("an academic paper")


def test_text_with_numbered_references_and_nothing_held_is_a_paper():
    text = "Think tanks need talent [1]. Cities compete for scholars [2]. Funding matters [3]. A network was set up."
    assert not classify(text, "en").is_event_report
    # with an event word in it, only the paper rule keeps it out
    assert classify(text.replace("network", "forum"), "en").reason.startswith("an academic paper")


def test_english_headline_saying_the_event_is_to_feature_speakers_is_an_announcement():
    text = ("Scholars Converge at Riverton University May 3-4\n\nThe 20th anniversary to feature author Jan Holm "
            "and other guest speakers\n\nThe two-day event will feature panel discussions.")
    assert not classify(text, "en").is_event_report


def test_sister_city_agreement_inked_and_sealed_is_a_ceremony():
    text = ("Lakeside, Riverton ink sisterhood agreement\nA sisterhood agreement was inked between the cities. "
            "The friendship was sealed by Lakeside City Mayor Ana Beltran Cruz and Riverton City Mayor Jo Reyes Dy.")
    result = classify(text, "en")
    assert result.is_event_report and result.event_type == "ceremony"
    assert en_found(text.split(". ")[-1]) == [
        ("Ana Beltran Cruz", "Mayor", "Lakeside City", "signatory"), ("Jo Reyes Dy", "Mayor", "Riverton City", "signatory")]


# --- Chinese names --------------------------------------------------------------------------------------------

def test_bare_chinese_name_giving_an_address_is_a_speaker():
    assert zh_found("屠明紹在為臨江論壇開幕致辭時表示，合作前景廣闊。") == [("屠明紹", None, None, "opening_remarks")]
    assert zh_found("王小华致辞。") == [("王小华", None, None, "opening_remarks")]


def test_bare_chinese_name_with_only_an_honorific_is_a_person():
    assert zh_found("随后邀请李明远先生发表演讲。") == [("李明远", None, None, "speaker")]
    assert zh_found("梁文英女士回答提问。") == [("梁文英", None, None, "speaker")]


def test_words_before_an_honorific_or_cue_are_not_names():
    assert zh_found("各位先生女士") == []
    assert zh_found("张江集团致辞") == []


def test_level_word_alone_is_not_an_affiliation():
    assert zh_found("市领导姜明、张桂华参加会谈。")[0][2] is None


# --- English titles and organisations -------------------------------------------------------------------------

def test_parent_organisation_after_the_affiliation_is_kept():
    assert en_found("Ms Lee Mei, Research Fellow of the Centre for Urban Studies, HKSAR Government, delivered the keynote speech.") == [
        ("Lee Mei", "Research Fellow", "Centre for Urban Studies, HKSAR Government", "keynote")]
    assert en_found("Dr Ann Hill, Lecturer of the Department of Law, ABCU, spoke.")[0][2] == "Department of Law, ABCU"


def test_a_place_after_the_affiliation_is_not_a_parent_organisation():
    assert en_found("Dr Ann Hill, Lecturer of the Department of Law, Hong Kong, spoke.")[0][2] == "Department of Law"


def test_first_of_two_organisations_joined_by_and_the_is_kept():
    found = en_found("Tom Ng, chairman of the Riverton Chamber of Commerce and the Lakeside Entrepreneurs Alliance, said so.")
    assert found[0][1:3] == ("chairman", "Riverton Chamber of Commerce")


def test_organisation_written_before_the_title_clause():
    found = en_found("ABCD Dean, Professor Tom Grey; and XYZ founder-director, Dr Sam Lin, gave the opening remarks.")
    assert found == [("Tom Grey", "Dean", "ABCD", "opening_remarks"), ("Sam Lin", "founder-director", "XYZ", "opening_remarks")]
    assert en_found("WXYZ Deputy Secretary (Planning), Mr Kim Park, also spoke.")[0][1:3] == ("Deputy Secretary (Planning)", "WXYZ")


def test_fellowship_letters_are_not_part_of_the_name():
    assert en_found("Professor Dai Jones FLSW delivered a lecture.")[0][0] == "Dai Jones"


def test_both_sides_of_met_took_part():
    assert en_found("The Governor, Mr Bill Ray, met the Mayor of Riverton, Mr Joe Yu, today.") == [
        ("Bill Ray", "Governor", None, "attendee"), ("Joe Yu", "Mayor", "Riverton", "attendee")]


# --- dates and pairs ------------------------------------------------------------------------------------------

def test_today_with_the_date_in_brackets_and_a_footer_year():
    text = ("Navigation\n**************************************\nThe Mayor met the visitors today (May 3) in Lakeside.\n"
            "Ends/Friday, May 3, 2019\n")
    assert extract_event_date(text, "en", None)[0] == "2019-05-03"


def test_weekday_day_of_month_range_with_the_year_in_the_same_sentence():
    text = "Think tanks met\n\nThe Vision Workshop for 2019 took place on Thursday 7 and Friday 8 of March in Lakeside.\n"
    assert extract_event_date(text, "en", None)[0] == "2019-03-07"


def test_year_after_in_is_not_taken_for_the_event():
    assert extract_event_date("The forum, first held in 2015, took place on 3 May in Lakeside.\n", "en", None)[0] is None


def test_linkage_and_tongxing_name_pairs():
    assert en_pairs("the theme of Guangdong-Hong Kong linkage")[0][0] == ["Guangdong", "Hong Kong"]
    assert zh_pairs("“扬帆远航·鲁港同行”2030迎新春招待会")[0][0] == ["Hong Kong", "Shandong"]


def test_report_end_to_end_keeps_bare_named_speaker():
    text = "2030临江论坛在临江举行\n2030年5月3日，2030临江论坛在临江举行。屠明紹在開幕式上致辭時表示，合作前景廣闊。"
    report = report_of(text, language="zh")
    assert report.is_event_report and [s.name for s in report.speakers] == ["屠明紹"]


def test_school_of_x_at_university_goes_into_the_title():
    found = en_found("They include Professor Jia Ming, Dean of School of International Studies at Riverton University; and others.")
    assert found[0][1:3] == ("Dean of School of International Studies", "Riverton University")
