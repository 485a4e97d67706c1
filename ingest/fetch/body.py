"""Read a streamed response body within a size limit and a deadline; sniff untyped bodies."""

from __future__ import annotations

import time

import urllib3
import urllib3.response

from ingest.fetch.errors import FetchRefused, refusal_for_stream_error

CHUNK_BYTES = 64 * 1024
GZIP_TYPES = ("application/gzip", "application/x-gzip", "application/octet-stream")  # how .xml.gz files are served
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"OggS")


def read_limited(
    raw: urllib3.HTTPResponse, max_bytes: int, deadline: float, total_timeout: float, read_timeout: float,
    truncate: bool = False,
) -> bytes:
    """Return the decompressed body; refuse past max_bytes (or cut there when truncate) or the deadline.

    ``read1`` returns after at most one socket read, so a server that drips bytes slowly still meets
    the deadline check, and the decoder hands out bounded pieces, so a gzip bomb stops at the limit.
    """
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise deadline_refusal(total_timeout)
        try:
            chunk = raw.read1(CHUNK_BYTES, decode_content=True)
        except urllib3.exceptions.HTTPError as exc:
            raise refusal_for_stream_error(exc, read_timeout) from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            if truncate:
                return bytes(body[:max_bytes])
            raise FetchRefused(f"too-large: > {max_bytes} bytes")


def decodable_encodings() -> frozenset[str]:
    """Return the Content-Encodings the HTTP client decodes here (br and zstd when their libraries are installed)."""
    return frozenset(urllib3.response.HTTPResponse.CONTENT_DECODERS) | {"identity"}


def unsupported_encoding(header: str | None) -> str | None:
    """Return why a Content-Encoding header cannot be decoded here, or None when every coding can."""
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    unknown = [c for c in codings if c not in decodable_encodings()]
    if not unknown:
        return None
    known = ", ".join(sorted(decodable_encodings() - {"identity", "x-gzip"}))
    return f"unsupported Content-Encoding {unknown[0]!r} (this installation decodes {known})"


def deadline_refusal(total_timeout: float) -> FetchRefused:
    """Return the refusal for an exchange that outlived its whole-response deadline (not retried)."""
    return FetchRefused(f"timeout: whole response took longer than {total_timeout:g}s", retryable=False)


def is_text_type(mime: str | None) -> bool:
    """Return True for content types whose body is text (HTML, XML, feeds, JSON, plain text)."""
    if not mime:
        return False
    return mime.startswith("text/") or mime.endswith(("/xml", "+xml", "/json", "+json"))


def looks_binary(body: bytes) -> bool:
    """Return True when a body's first KiB holds NUL bytes (and no UTF-16 byte order mark explains them)."""
    head = body[:1024]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def sniff_content_type(body: bytes) -> str | None:
    """Guess the type of a body sent without Content-Type: markup, XML, plain text, or None if binary."""
    head = body[:1024]
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return None
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml"):
        return "application/rss+xml" if b"<rss" in head.lower() else "application/xml"
    if start.startswith(b"<"):
        return "text/html"
    return "text/plain"
