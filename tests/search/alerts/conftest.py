"""Fixtures for alert tests: a store per backend (SQLite, and the real Elasticsearch node), a runner factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.models import Document, EventReport, Speaker, doc_id
from search.alerts.channels import Channels
from search.alerts.runner import AlertRunner, AlertSettings
from search.alerts.store import AlertStore
from search.base import SearchBackend
from search.sqlite import SQLiteBackend


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request, tmp_path) -> Iterator[SearchBackend]:
    """A fresh, empty search store of each kind (Elasticsearch: the node in COOPWATCH_TEST_ES)."""
    if request.param == "sqlite":
        with SQLiteBackend(str(tmp_path / "store.sqlite")) as backend:
            yield backend
        return
    from tests.search.es_support import backend_factory, require_test_node

    make, cleanup = backend_factory(require_test_node(), str(tmp_path / "deadletter.sqlite"))
    try:
        yield make()
    finally:
        cleanup()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[SearchBackend]:
    with SQLiteBackend(str(tmp_path / "store.sqlite")) as backend:
        yield backend


def index(backend: SearchBackend, *docs: Document) -> None:
    """Upsert documents and make them visible to searches."""
    backend.upsert(list(docs))
    getattr(backend, "refresh", lambda: None)()


def report(key: str, title: str, text: str = "", *, source: str = "harbour", language: str = "en",
           date: str | None = "2025-03-12", cities=("Shanghai", "Hong Kong"), speakers=(), event_type="symposium",
           published: str | None = "2025-03-14", is_event: bool = True, name: str | None = None) -> Document:
    """Build an event report document (invented text) whose id derives from ``key``."""
    url = f"https://{source}.example.org/news/{key}.html"
    pairs = [sorted(cities[:2])] if len(cities) >= 2 else []
    event = EventReport(is_event_report=is_event, event_type=event_type, event_name=name, event_date=date,
                        cities=list(cities), city_pairs=pairs,
                        speakers=[s if isinstance(s, Speaker) else Speaker(s) for s in speakers])
    return Document(id=doc_id(url), url=url, source=source, title=title, text=text or f"{title}. Invented text.",
                    language=language, published=published, event=event)


RULES = """\
rules:
  - name: shanghai-hong-kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [hook]
"""


@pytest.fixture
def make_runner(tmp_path) -> Callable[..., AlertRunner]:
    """Return ``make(backend, rules=RULES, env={...}, **settings)`` -> AlertRunner; closed after the test."""
    opened: list[AlertStore] = []

    def make(backend: SearchBackend, rules: str = RULES, env: dict[str, str] | None = None,
             db: Path | None = None, **options) -> AlertRunner:
        rules_path = tmp_path / "alerts.yaml"
        rules_path.write_text(rules, encoding="utf-8")
        alerts = AlertStore(str(db or tmp_path / "alerts.sqlite"))
        opened.append(alerts)
        settings = AlertSettings(rules_path=str(rules_path), db_path=alerts.path,
                                 public_url="http://127.0.0.1:8000", **options)
        return AlertRunner(backend, alerts, Channels(dict(env or {})), settings)

    yield make
    for alerts in opened:
        alerts.close()
