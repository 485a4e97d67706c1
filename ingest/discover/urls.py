"""URL canonicalisation: one spelling per page, so a page is fetched and stored once."""

from __future__ import annotations

import posixpath
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url


def canonicalize_url(url: str, base: str | None = None) -> str | None:
    """Return the canonical form of a (possibly relative) http(s) URL, or None if it is not one.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters
    (utm_*, fbclid, ...), sorts the query and resolves ``.``/``..`` path segments.
    """
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = _resolve_dots(parts.path or "/")
    try:
        normal = normalize_url(urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))
    except ValueError:
        return None
    return urlunsplit(urlsplit(normal)._replace(fragment=""))


def _resolve_dots(path: str) -> str:
    if "/." not in path:
        return path
    trailing = path.endswith("/")
    resolved = posixpath.normpath(path)
    if trailing and not resolved.endswith("/"):
        resolved += "/"
    return resolved


def dedupe(urls: list[str]) -> list[str]:
    """Return the URLs without repeats, first occurrence order kept."""
    return list(dict.fromkeys(urls))
