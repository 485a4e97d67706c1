"""`coopwatch serve`: wire the web app to the store, the crawl state, the archive and the structurer; run uvicorn.

This is where the web app (``search.web``, which sees only ``ingest.models``) meets the crawl side.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable

from ingest.archive import iter_archive
from ingest.models import Document
from ingest.settings import ConfigError, Settings
from ingest.state import state_target
from search.alerts.runner import AlertRunner
from search.base import SearchBackend
from search.web import ArchivedCopy, WebServices, create_app

MIN_KEY_LENGTH = 16
SOURCE_NAME = re.compile(r"[\w.-]+")


def is_loopback(host: str) -> bool:
    """Tell whether a bind address is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond localhost without an API key (or with a guessable one)."""
    if is_loopback(host):
        return
    if not api_key:
        raise ConfigError(f"refusing to serve on {host} without an API key: set COOPWATCH_API_KEY to a long random "
                          "string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
                          "or bind to 127.0.0.1")
    if len(api_key) < MIN_KEY_LENGTH:
        raise ConfigError(f"COOPWATCH_API_KEY is too short to guard {host}: use at least {MIN_KEY_LENGTH} characters")


def structurer_vocabularies() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the event types and topics the structurer can assign (the filters' known values)."""
    from ingest.structure import TOPICS
    from ingest.structure.classify import EN_NOUNS, ZH_NOUNS

    types = tuple(dict.fromkeys(kind for _, kind in EN_NOUNS + ZH_NOUNS))
    return types, tuple(TOPICS)


def archive_finder(archive_dir: str) -> Callable[[Document], ArchivedCopy | None]:
    """Return a lookup of a document's newest archived article response (as ``reprocess`` would read it)."""

    def find(doc: Document) -> ArchivedCopy | None:
        if not SOURCE_NAME.fullmatch(doc.source or "") or doc.source in (".", ".."):
            return None
        newest = None
        for response in iter_archive(archive_dir, doc.source):  # one at a time: bodies are not all held
            if response.url == doc.url and response.status == 200 and response.kind == "article":
                newest = response
        if newest is None:
            return None
        content_type = next((v for k, v in newest.headers.items() if k.lower() == "content-type"), None)
        return ArchivedCopy(newest.url, newest.date, content_type, newest.body)

    return find


def alert_runner(settings: Settings, backend: SearchBackend) -> AlertRunner:
    """Return an alert runner over the served backend: the settings' rules file, alerts database and channels.

    The caller closes its alerts database (``runner.store.close()``).
    """
    from coopwatch.alerting import alert_settings, with_speaker_key
    from search.alerts.channels import Channels
    from search.alerts.store import AlertStore

    plain = alert_settings(settings)
    channels = Channels.from_environment(plain.env_file)
    return AlertRunner(backend, AlertStore(plain.db_path), channels, plain, query_hook=with_speaker_key)


def build_services(settings: Settings, backend: SearchBackend) -> WebServices:
    """Return the web app's services over an open backend: crawl state, archive, registry, vocabularies, alerts.

    The caller closes the alerts database when done (``close_services``).
    """
    from coopwatch.run import source_figures
    from ingest.structure import person_key

    event_types, topics = structurer_vocabularies()
    return WebServices(
        backend=backend, source_figures=lambda: source_figures(backend, state_target(settings)),
        archived_copy=archive_finder(settings.archive_dir), person_key=person_key,
        event_types=event_types, topics=topics, store_label=settings.store,
        alerts=alert_runner(settings, backend),
    )


def close_services(services: WebServices) -> None:
    """Close what ``build_services`` opened (the alerts database)."""
    if services.alerts is not None:
        services.alerts.store.close()


def serve(settings: Settings, host: str, port: int, api_key: str | None = None) -> None:
    """Serve the web page and API on host:port until interrupted."""
    import uvicorn

    from search import open_backend

    api_key = api_key if api_key is not None else os.environ.get("COOPWATCH_API_KEY") or None
    check_bind(host, api_key)
    with open_backend(settings.store) as backend:
        services = build_services(settings, backend)
        try:
            uvicorn.run(create_app(services, api_key=api_key), host=host, port=port, log_level="info",
                        server_header=False, limit_concurrency=64, timeout_keep_alive=5,
                        h11_max_incomplete_event_size=16_384)
        finally:
            close_services(services)
