"""coopwatch search: the backends behind one interface (SQLite FTS5, Elasticsearch), the query model, query
normalisation through the place, person and event-type vocabularies, reindexing between stores, alerts
(``search.alerts``: watch rules, an outbox, delivery) and the web page and JSON API (``search.web``)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_STORE = "var/coopwatch.sqlite"


def store_location(store: str | None = None) -> str:
    """Return the store location: explicit value, else ``COOPWATCH_STORE``, else ``var/coopwatch.sqlite``."""
    return store or os.environ.get("COOPWATCH_STORE") or DEFAULT_STORE


def open_backend(store: str | None = None):
    """Open the backend a store location names: ``http(s)://...`` is Elasticsearch, anything else SQLite."""
    location = store_location(store)
    if location.startswith(("http://", "https://")):
        try:
            from search.elastic import ElasticsearchBackend
        except ImportError as exc:
            from search.base import BackendConfigError

            raise BackendConfigError(f"{location} is an Elasticsearch store but the client is not installed "
                                     f"({exc.name}): run .venv/bin/pip install -e '.[es]'") from None
        return ElasticsearchBackend.from_url(location)
    from search.sqlite import SQLiteBackend

    path = location.removeprefix("sqlite:///").removeprefix("sqlite://")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SQLiteBackend(path)
