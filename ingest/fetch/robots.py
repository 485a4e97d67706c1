"""robots.txt rules per origin (RFC 9309), parsed with protego.

A 2xx answer is parsed; 4xx (except 429) means no rules, so everything is allowed; 5xx, 429 or no
answer at all means the site is unreachable, so nothing may be fetched from that origin this run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB


def robots_url(origin: str) -> str:
    """Return the robots.txt URL of an origin (``scheme://netloc``)."""
    return origin.rstrip("/") + "/robots.txt"


def product_token(user_agent: str) -> str:
    """Return the crawler name robots.txt groups are matched on, e.g. ``coopwatch`` from the UA."""
    match = re.match(r"\s*([A-Za-z0-9_-]+)", user_agent)
    return match.group(1).lower() if match else user_agent


@dataclass
class RobotsPolicy:
    """What one origin's robots.txt lets us do: parsed rules, allow-all, or nothing (unavailable)."""

    parser: Protego | None = None
    unavailable: str | None = None  # reason when the origin must not be crawled, e.g. "503"

    @classmethod
    def from_answer(cls, status: int, body: bytes) -> RobotsPolicy:
        """Build the policy from the final robots.txt status and body."""
        if 200 <= status < 300:
            text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
            return cls(parser=Protego.parse(text))
        if status == 429 or status >= 500:
            return cls(unavailable=str(status))
        if 400 <= status < 500:
            return cls()
        return cls(unavailable=f"unexpected status {status}")

    @classmethod
    def unreachable(cls, reason: str) -> RobotsPolicy:
        """Return the policy for an origin whose robots.txt could not be fetched at all."""
        return cls(unavailable=reason)

    def allows(self, url: str, token: str) -> bool:
        """Return True when the rules let the crawler named token fetch url."""
        if self.unavailable is not None:
            return False
        if self.parser is None or url.endswith("/robots.txt"):
            return True
        return self.parser.can_fetch(url, token)

    def crawl_delay(self, token: str) -> float | None:
        """Return the Crawl-delay for the crawler, or None when robots.txt sets none."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(token)
        return float(delay) if delay is not None else None
