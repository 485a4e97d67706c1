"""Theme and event type on Chinese report kinds (invented sentences).

围绕“X”主题 gives the theme; a speech titled 主题为“X”的主旨演讲 and next year's 以“X”为主题 do not; in
"研讨会暨新书发布仪式" the first event names the type; 会议展览中心 is a venue, not a meeting.
"""

from tests.structure.helpers import report_of


def test_theme_introduced_by_weirao():
    report = report_of("2016年11月10日，临江全球智库论坛在临江宾馆召开。与会专家围绕“建设命运共同体：合作与展望”主题进行交流。")
    assert report.theme == "建设命运共同体：合作与展望"


def test_speech_titles_and_later_events_give_no_theme():
    report = report_of("4月20日，“临江发展与上海作用”研讨会在临江研究院召开。赵明女士作了主题为“一带一路与新型全球化”的主旨演讲。"
                       "明年临江还将以“设计未来社会”为主题举办博览会。")
    assert report.theme == "临江发展与上海作用"


def test_the_first_of_two_joined_events_is_the_type():
    assert report_of("4月20日，“临江作用”研讨会暨新书发布仪式在临江研究院召开，赵明致辞。").event_type == "symposium"


def test_an_exhibition_centre_is_no_meeting():
    report = report_of("中新网深圳8月13日电 临江政策组今日于临江会议展览中心举行第二次“港深合作论坛”，市长许明致辞。")
    assert report.event_type == "forum"
