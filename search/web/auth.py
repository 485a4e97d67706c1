"""The API key: when the server has one, every route but /healthz, /login, /openapi.json and static files needs it."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

KEY_COOKIE = "coopwatch_key"
OPEN_PATHS = ("/healthz", "/login", "/static/")


class KeyRequired(Exception):
    """The request lacks the API key this server requires."""


def key_matches(candidate: str, api_key: str) -> bool:
    """Compare a sent key with the server's in constant time."""
    return hmac.compare_digest(candidate.encode("utf-8", "replace"), api_key.encode("utf-8"))


def key_guard(api_key: str):
    """Return the dependency that admits a request carrying the key (header, bearer token or cookie)."""
    header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the server's COOPWATCH_API_KEY")

    def require_key(request: Request, sent: str | None = Depends(header)) -> None:
        if request.url.path.startswith(OPEN_PATHS):
            return
        bearer = request.headers.get("authorization", "")
        candidates = [sent, bearer[7:] if bearer.lower().startswith("bearer ") else None,
                      request.cookies.get(KEY_COOKIE)]
        if not any(c and key_matches(c, api_key) for c in candidates):
            raise KeyRequired()

    return require_key


# changes (POST, DELETE) only from this server's own pages -------------------------------------------------

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class CrossSite(Exception):
    """A request to change something that did not come from this server's own pages; the message says why."""


def host_name(host: str) -> str:
    """Return the host name of a Host header value (without the port; IPv6 without brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def check_same_origin(request: Request) -> None:
    """Refuse a change requested by another site (CSRF) or, without an API key, addressed to another host name.

    Browsers say where a request comes from: ``Sec-Fetch-Site`` (current browsers) must say same-origin, else
    ``Origin`` (older ones) must name this server.
    API clients that send neither (curl, scripts) are not browsers and are let through (the API key, when the
    server has one, still applies). A server without an API key listens on this machine only, so it takes
    changes only when addressed as 127.0.0.1 or localhost: a site that rebinds its own name to 127.0.0.1
    cannot make them.
    """
    site = request.headers.get("sec-fetch-site")
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if site is not None:  # set by the browser itself, never by a page's script
        if site not in ("same-origin", "none"):
            raise CrossSite(f"refused a {site} request: changes are accepted only from this server's own pages")
    elif origin is not None and (origin == "null" or origin.split("://", 1)[-1].rstrip("/").lower() != host.lower()):
        raise CrossSite("refused a request from another site (its Origin is not this server): changes are "
                        "accepted only from this server's own pages")
    if not request.app.state.api_key and host_name(host) not in LOOPBACK_NAMES:
        raise CrossSite(f"refused a change addressed to {host_name(host)[:100]!r}: without an API key this server "
                        "takes changes only at 127.0.0.1 or localhost")
