"""Small parsers for the HTTP response headers the fetcher acts on."""

from __future__ import annotations

import time
from email.message import Message
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header asks to wait (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Return (mime type lower-cased, charset lower-cased) from a Content-Type header value."""
    if not value or not value.strip():
        return None, None
    message = Message()
    message["content-type"] = value
    mime = message.get_content_type().lower()
    if "/" not in value.split(";", 1)[0]:
        mime = value.split(";", 1)[0].strip().lower() or None
    charset = message.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 encoded parameter
        charset = charset[2]
    return mime, (charset.strip().strip("'\"").lower() or None) if isinstance(charset, str) else None
