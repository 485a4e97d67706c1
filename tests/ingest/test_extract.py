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
