"""Entry links from RSS/Atom feeds and URLs from sitemaps, parsed without entity expansion.

A sitemap may come gzipped (``sitemap.xml.gz``, served as ``application/x-gzip``); it is inflated here
up to the sitemaps protocol's limit of 50 MB, so a gzip bomb stops there.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ingest.discover.urls import canonicalize_url, dedupe


class FeedError(ValueError):
    """A feed or sitemap that cannot be read, with the reason."""


@dataclass
class SitemapLinks:
    pages: list[str]
    sitemaps: list[str]  # nested sitemaps of a sitemap index


def _parse_xml(data: bytes | str) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FeedError(f"unsafe XML refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise FeedError(f"not well-formed XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def feed_links(data: bytes | str, feed_url: str) -> list[str]:
    """Return canonical entry links of an RSS 2.0, RSS 1.0 or Atom feed."""
    root = _parse_xml(data)
    links: dict[str, None] = {}
    for element in root.iter():
        if _local(element.tag) not in ("item", "entry"):
            continue
        url = _entry_link(element)
        canonical = canonicalize_url(url, feed_url) if url else None
        if canonical:
            links.setdefault(canonical)
    return list(links)


def _entry_link(entry: Element) -> str | None:
    fallback = None
    for child in entry:
        if _local(child.tag) != "link":
            continue
        href = child.get("href")
        if href is None:
            return (child.text or "").strip() or None
        if child.get("rel", "alternate") == "alternate":
            return href
        fallback = fallback or href
    for child in entry:
        if _local(child.tag) == "guid" and child.get("isPermaLink", "true") == "true":
            return (child.text or "").strip() or fallback
    return fallback


MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed


def gunzip_limited(data: bytes, max_bytes: int = MAX_SITEMAP_BYTES) -> bytes:
    """Inflate gzip data, refusing more than max_bytes of output (a gzip bomb) or corrupt data."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FeedError(f"not valid gzip data ({exc})") from None
    if len(out) > max_bytes:
        raise FeedError(f"gzipped sitemap inflates to more than {max_bytes} bytes; refused")
    return out


def sitemap_links(data: bytes | str, sitemap_url: str) -> SitemapLinks:
    """Return the page URLs of a urlset sitemap (plain or gzipped), or the child sitemaps of a sitemap index."""
    if isinstance(data, bytes) and data.startswith(b"\x1f\x8b"):
        data = gunzip_limited(data)
    root = _parse_xml(data)
    locations = (canonicalize_url((e.text or "").strip(), sitemap_url) for e in root.iter() if _local(e.tag) == "loc")
    urls = dedupe([url for url in locations if url])
    if _local(root.tag) == "sitemapindex":
        return SitemapLinks(pages=[], sitemaps=urls)
    return SitemapLinks(pages=urls, sitemaps=[])
