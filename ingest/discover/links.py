"""Article links and pagination links from listing pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
from lxml.etree import ParserError

from ingest.discover.urls import canonicalize_url, dedupe

ASSET_RE = re.compile(r"\.(?:jpe?g|png|gif|svg|webp|ico|css|js|pdf|docx?|xlsx?|pptx?|zip|rar|mp[34]|avi|mov)$", re.I)
NEXT_TEXT_RE = re.compile(r"^\s*(?:next(?:\s+page)?|older(?:\s+posts)?|下一页|下页|后一页|›|»|>|>>)\s*[›»>]?\s*$", re.I)
DEFAULT_NEXT_SELECTOR = "a[rel~=next], link[rel~=next]"


def parse_html(html: str) -> lxml.html.HtmlElement | None:
    """Parse HTML leniently; return None when there is nothing to parse."""
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return None


def base_url(tree: lxml.html.HtmlElement, page_url: str) -> str:
    """Return the URL relative links resolve against (<base href> when present)."""
    base = tree.find(".//base[@href]")
    return canonicalize_url(base.get("href"), page_url) or page_url if base is not None else page_url


def extract_links(html: str, page_url: str) -> list[str]:
    """Return canonical same-host http(s) links of a page, in document order, without repeats."""
    tree = parse_html(html)
    if tree is None:
        return []
    base = base_url(tree, page_url)
    host = urlsplit(page_url).netloc.lower()
    links = (canonicalize_url(anchor.get("href"), base) for anchor in tree.iterfind(".//a[@href]"))
    return dedupe([url for url in links if url and _is_page_on(url, host)])


def _is_page_on(url: str, host: str) -> bool:
    """Return whether a canonical URL is on host and does not name an asset (image, script, document)."""
    parts = urlsplit(url)
    return parts.netloc == host and not ASSET_RE.search(parts.path)


def find_next_page(html: str, page_url: str, selector: str | None = None) -> str | None:
    """Return the canonical URL of the listing's next page, if the page links one."""
    tree = parse_html(html)
    if tree is None:
        return None
    base = base_url(tree, page_url)
    for element in tree.cssselect(selector or DEFAULT_NEXT_SELECTOR):
        url = canonicalize_url(element.get("href") or "", base)
        if url and url != page_url:
            return url
    if selector:
        return None
    for anchor in tree.iterfind(".//a[@href]"):
        if NEXT_TEXT_RE.match(anchor.text_content() or "") or NEXT_TEXT_RE.match(anchor.get("title") or "-"):
            url = canonicalize_url(anchor.get("href"), base)
            if url and url != page_url:
                return url
    return None
