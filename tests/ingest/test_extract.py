"""Extraction: main text without boilerplate, metadata, language, and a reason when there is no article."""

import pytest

from ingest.extract import ExtractionError, detect_language, extract_article

PAGE = """<html><head><title>Forum on Bay Area talent | Harbour Institute</title></head><body>
<nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/about/">About us</a></nav>
<main><h1>Forum on Bay Area talent</h1><p class="date">2025-10-09</p>
<p>The forum gathered researchers from Hong Kong and Shenzhen to compare how the two cities attract and keep
young engineers, and what joint programmes could do next year.</p>
<p>Speakers agreed that housing costs and cross-boundary commuting matter as much as salaries, and asked for
shared data on graduate mobility across the Greater Bay Area.</p></main>
<footer>Copyright Harbour Institute. All rights reserved. Privacy policy. Contact us.</footer></body></html>"""


def test_main_text_title_date_language():
    article = extract_article(PAGE, "http://h.org/news/a.html", "harbour")
    assert article.title.startswith("Forum on Bay Area talent")
    assert "young engineers" in article.text and "Copyright" not in article.text and "About us" not in article.text
    assert article.published == "2025-10-09" and article.language == "en" and article.source == "harbour"


def test_language_detection():
    assert detect_language("沪港合作研讨会在上海举行，与会专家围绕金融与贸易展开讨论。") == "zh"
    assert detect_language("Shanghai and Hong Kong held a symposium on trade.") == "en"
    assert detect_language("2025 1234", hint="zh") == "zh"


@pytest.mark.parametrize("html, reason", [
    ("", "empty page"),
    ("<html><body><nav><a href='/'>Home</a></nav><img src='a.jpg'><img src='b.jpg'></body></html>", "no main text|too little text"),
])
def test_no_article_raises_with_reason(html, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract_article(html, "http://h.org/gallery", "harbour")


def test_cms_toolbar_lines_are_not_article_text():
    page = """<html><body><div class="article"><h1>沪港合作研讨会举行</h1>
    <p>发布时间：2025-11-19　　来源：科研处　　字号：[大 中 小]　　打印本页</p>
    <p>11月18日，第五届沪港城市合作研讨会在我院学术报告厅举行，来自上海和香港两地的专家学者一百余人参加会议，围绕城市更新与金融合作展开讨论。</p>
    <p>与会专家认为，两地在航运服务、绿色金融和专业人才互认方面合作空间广阔，建议建立常态化的交流机制，并推动更多联合研究项目落地。</p>
    <p>【关闭窗口】　【打印本页】</p></div></body></html>"""
    article = extract_article(page, "http://h.org/a.html", "demo")
    assert "字号" not in article.text and "打印" not in article.text
    assert article.text.startswith("11月18日") and article.published == "2025-11-19"


def test_a_line_that_merely_mentions_a_source_is_kept():
    text = "Source: the Harbour Institute said trade grew.\nMore text follows here."
    from ingest.extract.article import strip_metadata_lines

    assert strip_metadata_lines(text)[0] == text
