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
