"""What the fetcher learns about a host that must outlive one request: Retry-After deferrals, capped Crawl-delays.

A host that answers 429/503 with a ``Retry-After`` longer than the fetcher will wait is *deferred*: no
request goes to it until the time it asked for, capped at ``max_deferral`` (a host asking for 999,999 s is
tried again after the cap, not in eleven days). :class:`HostNotes` keeps this in memory for one Fetcher;
the crawl state (``ingest.state.HostState``) implements the same methods in SQLite, so deferrals hold
across runs and processes and ``coopwatch stats`` / ``sources check`` can show them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class Deferral:
    """A host we must not contact before ``until`` (epoch seconds), with what it asked and why."""

    host: str
    until: float
    asked: float  # seconds the host asked for
    capped: bool  # True when ``asked`` was longer than the cap
    reason: str

    def remaining(self, now: float | None = None) -> float:
        """Return the seconds left before the host may be contacted again (0 when over)."""
        return max(0.0, self.until - (time.time() if now is None else now))


@dataclass
class CrawlDelayNote:
    """A robots.txt Crawl-delay as asked and as used (capped at ``max_crawl_delay``)."""

    host: str
    asked: float
    used: float

    @property
    def capped(self) -> bool:
        return self.asked > self.used


def deferral_reason(asked: float, until: float, cap: float, capped: bool) -> str:
    """Return the ``deferred: ...`` reason recorded against the URLs of a deferred host."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
    cap_note = f", capped at {cap:.0f}s (max_deferral)" if capped else ""
    return f"deferred: host asked to wait {asked:.0f}s (Retry-After){cap_note}; not contacted before {stamp}"


class HostNotes:
    """Deferrals and Crawl-delay notes in memory (one Fetcher, one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deferrals: dict[str, Deferral] = {}
        self._delays: dict[str, CrawlDelayNote] = {}

    def deferral(self, host: str) -> Deferral | None:
        """Return the host's deferral while it lasts, else None."""
        with self._lock:
            found = self._deferrals.get(host)
        return found if found is not None and found.remaining() > 0 else None

    def defer(self, deferral: Deferral) -> None:
        """Remember a deferral (a later one replaces an earlier one)."""
        with self._lock:
            self._deferrals[deferral.host] = deferral

    def note_crawl_delay(self, note: CrawlDelayNote) -> None:
        """Remember the Crawl-delay a host's robots.txt asked for and the one used."""
        with self._lock:
            self._delays[note.host] = note

    def crawl_delays(self) -> list[CrawlDelayNote]:
        """Return the Crawl-delay notes gathered so far."""
        with self._lock:
            return list(self._delays.values())
