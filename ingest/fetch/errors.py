"""The one exception the fetch package raises internally; the Fetcher turns it into ``Page.error``."""

from __future__ import annotations

import re

import requests
import urllib3


class FetchRefused(Exception):
    """A per-URL failure with a short machine-readable reason such as ``"robots: disallowed"``."""

    def __init__(
        self, reason: str, status: int = 0, headers: dict[str, str] | None = None, url: str | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.headers = headers or {}
        self.url = url  # the URL (redirect hop) that failed, when known
        self.retryable = retryable  # False: trying again at once would fail the same way (a whole-exchange timeout)

    @property
    def kind(self) -> str:
        """Return the reason prefix before the colon, e.g. ``"robots"``."""
        return self.reason.split(":", 1)[0]


ROBOTS_CAUSE = re.compile(r"^robots: unavailable \((?P<kind>[a-z-]+): ")


def failure_kind(reason: str) -> str:
    """Return the kind of a failure reason: its prefix, or the cause of an unreachable robots.txt.

    ``"robots: unavailable (tls: ... self-signed certificate)"`` is a TLS failure, ``"robots: unavailable (503)"``
    and ``"robots: disallowed"`` are robots ones.
    """
    match = ROBOTS_CAUSE.match(reason)
    return match["kind"] if match else reason.split(":", 1)[0]


def short_reason(exc: BaseException) -> str:
    """Return the most telling short text of a network exception, e.g. ``[Errno 111] Connection refused``."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] [^'\")\]]+", r"\[SSL: [^\]]+\] [^'\"(]+", r"certificate verify failed[^'\")]*"):
        match = re.search(pattern, text)
        if match:
            return match.group(0).strip()
    return text[:200] or type(exc).__name__


def refusal_for_request_error(exc: requests.RequestException, connect: float, read: float) -> FetchRefused:
    """Translate a requests exception into a FetchRefused with a blocked/timeout/connection/tls/url reason."""
    blocked = blocked_refusal(exc)
    if blocked is not None:
        return blocked
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FetchRefused(f"timeout: connect took longer than {connect:g}s")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return FetchRefused(f"timeout: read took longer than {read:g}s")
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchRefused(f"tls: {short_reason(exc)}")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return FetchRefused(f"url: {short_reason(exc)}")
    return FetchRefused(f"connection: {short_reason(exc)}")


def refusal_for_stream_error(exc: urllib3.exceptions.HTTPError, read: float) -> FetchRefused:
    """Translate a urllib3 error raised while streaming a body into a FetchRefused."""
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return FetchRefused(f"timeout: read took longer than {read:g}s")
    if isinstance(exc, urllib3.exceptions.DecodeError):
        first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else short_reason(exc)
        return FetchRefused(f"decoding: {first}")
    return FetchRefused(f"connection: {short_reason(exc)}")


class BlockedConnection(urllib3.exceptions.NewConnectionError):
    """A connection closed right after connecting because the peer address is guarded."""

    def __init__(self, conn: object, refusal: str) -> None:
        super().__init__(conn, refusal)
        self.refusal = refusal


def blocked_refusal(exc: requests.RequestException) -> FetchRefused | None:
    """Return the guard's refusal when a requests error was caused by a BlockedConnection."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return FetchRefused(reason.refusal) if isinstance(reason, BlockedConnection) else None
