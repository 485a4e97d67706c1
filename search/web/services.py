"""What the web app reads: one search backend plus a few lookups the crawl side provides.

``search`` may import only ``ingest.models`` from ``ingest``, so the crawl-side lookups (per-source health
from the crawl state, archived copies from the WARC archive, the person registry, the structurer's
vocabularies) are handed in as plain callables and tuples. ``coopwatch.serve.build_services`` wires the
real ones; tests may wire their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.models import Document
from search.alerts.runner import AlertRunner
from search.base import SearchBackend
from search.text import name_words


@dataclass(frozen=True)
class ArchivedCopy:
    """The archived response of a page: what was fetched, when, and its raw bytes."""

    url: str
    fetched_at: str
    content_type: str | None
    body: bytes


def slug_person_key(name: str) -> str:
    """Return a person key from the name's words (used when no registry is wired in)."""
    return "person:" + name_words(name).replace(" ", "-")


def no_sources() -> list[dict[str, Any]]:
    """Return no source health rows (no crawl state wired in)."""
    return []


def no_archive(doc: Document) -> ArchivedCopy | None:
    """Return no archived copy (no archive wired in)."""
    return None


@dataclass
class WebServices:
    """The backend and crawl-side lookups behind every page and API route.

    ``source_figures`` returns one row per source with the figures of ``coopwatch stats`` (keys: source,
    documents, last_success, last_run, failures, empty_runs, warning). ``event_types`` and ``topics`` are
    the structurer's vocabularies: when given, a filter value outside them is refused as a bad request.
    ``alerts`` runs watch rules over the same backend (rules file, alerts database, channels); without it
    the watch-rule pages and routes answer that alerts are not set up.
    """

    backend: SearchBackend
    source_figures: Callable[[], list[dict[str, Any]]] = no_sources
    archived_copy: Callable[[Document], ArchivedCopy | None] = no_archive
    person_key: Callable[[str], str] = slug_person_key
    event_types: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    store_label: str = ""
    alerts: AlertRunner | None = None
