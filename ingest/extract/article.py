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
    _check_usable(text)
    return Article(
        url=url,
        source=source,
        title=(data.get("title") or "").strip() or None,
        text=text,
        published=_iso_date(data.get("date")),
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


def _check_usable(text: str) -> None:
    cjk = len(CJK_RE.findall(text))
    if cjk >= MIN_CJK_CHARS or len(text) >= MIN_TEXT_CHARS:
        return
    raise ExtractionError(f"too little text ({len(text)} characters)")


def _iso_date(value: str | None) -> str | None:
    if value and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None
