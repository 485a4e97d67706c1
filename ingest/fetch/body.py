"""Read a streamed response body within a size limit and a deadline; sniff untyped bodies."""

from __future__ import annotations

import time

import urllib3

from ingest.fetch.errors import FetchRefused, refusal_for_stream_error

CHUNK_BYTES = 64 * 1024
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
            raise FetchRefused(f"timeout: whole response took longer than {total_timeout:g}s")
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


def is_text_type(mime: str | None) -> bool:
    """Return True for content types whose body is text (HTML, XML, feeds, JSON, plain text)."""
    if not mime:
        return False
    return mime.startswith("text/") or mime.endswith(("/xml", "+xml", "/json", "+json"))


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
