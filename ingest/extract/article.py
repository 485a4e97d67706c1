"""Main text, title, publication date and language of a page, with trafilatura."""

from __future__ import annotations

import re

import trafilatura

from ingest.models import Article

MIN_TEXT_CHARS = 200  # less than this (after extraction) is not a usable article
MIN_CJK_CHARS = 80  # Chinese packs more per character
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
DATE_PARAMS = {"extensive_search": False, "original_date": True}
# labels of the date/source/print toolbars that CMS pages put around an article
META_LABEL_RE = re.compile(
    r"(发布时间|发布日期|时间|来源|字号|打印本页|打印|关闭窗口|浏览次数|点击数|阅读量|作者|编辑|责任编辑|分享到"
    r"|\b(?:source|date|posted|published|views|print|font size|author|share)\b)\s*[：:]?", re.I)
META_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


class ExtractionError(ValueError):
    """A page that yields no usable article, with the reason."""


def detect_language(text: str, hint: str | None = None) -> str | None:
    """Return "zh" or "en" from the share of CJK characters; fall back to the hint."""
    cjk = len(CJK_RE.findall(text))
    latin = len(LATIN_WORD_RE.findall(text))
    if cjk == 0 and latin == 0:
        return hint
    # a CJK character carries about as much as a short English word
    return "zh" if cjk >= latin else "en"


def extract_article(html: str, url: str, source: str, language_hint: str | None = None, fetched_at: str = "") -> Article:
    """Extract the article of a page; raise ExtractionError with a reason when there is none."""
    if not html or not html.strip():
        raise ExtractionError("empty page")
    result = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params=DATE_PARAMS,
    )
    if result is None:
        raise ExtractionError("no main text found")
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = _strip_leading_title(data.get("text") or "", data.get("title"))
    text, meta_lines = strip_metadata_lines(text)
    _check_usable(text)
    return Article(
        url=url,
        source=source,
        title=(data.get("title") or "").strip() or None,
        text=text,
        published=_iso_date(data.get("date")) or _date_in(meta_lines),
        language=detect_language(text, language_hint),
        fetched_at=fetched_at,
    )


def _strip_leading_title(text: str, title: str | None) -> str:
    text = text.strip()
    if title and text.startswith(title.strip()):
        rest = text[len(title.strip()):].lstrip()
        if rest:
            return rest
    return text


def is_metadata_line(line: str) -> bool:
    """Return whether a line is a page toolbar (date, source, font size, print), not article text."""
    return len(line) <= 160 and len(META_LABEL_RE.findall(line)) >= 2


def strip_metadata_lines(text: str, most: int = 3) -> tuple[str, list[str]]:
    """Drop up to ``most`` toolbar lines at each end of the text; return the text and what was dropped."""
    lines = text.split("\n")
    dropped = []
    for _ in range(most):
        if len(lines) > 1 and is_metadata_line(lines[0]):
            dropped.append(lines.pop(0))
        if len(lines) > 1 and is_metadata_line(lines[-1]):
            dropped.append(lines.pop())
    return "\n".join(lines).strip(), dropped


def _date_in(lines: list[str]) -> str | None:
    for line in lines:
        match = META_DATE_RE.search(line)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _check_usable(text: str) -> None:
    cjk = len(CJK_RE.findall(text))
    if cjk >= MIN_CJK_CHARS or len(text) >= MIN_TEXT_CHARS:
        return
    raise ExtractionError(f"too little text ({len(text)} characters)")


def _iso_date(value: str | None) -> str | None:
    if value and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None
