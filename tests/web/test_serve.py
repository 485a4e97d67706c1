"""The API key, the refusal to serve publicly without one, paging, and `coopwatch serve` for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi.testclient import TestClient

from coopwatch.serve import build_services, check_bind, is_loopback
from ingest.models import Document, doc_id
from ingest.settings import ConfigError, Settings
from search.sqlite import SQLiteBackend
from search.web import create_app
from tests.search.contract import make_doc

KEY = "k3y-for-tests-0123456789"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(os.devnull, env={}, store=str(tmp_path / "store.sqlite"),
                         state_path=str(tmp_path / "state.sqlite"), archive_dir=str(tmp_path / "warc"),
                         alerts_db=str(tmp_path / "alerts.sqlite"), alerts=str(tmp_path / "alerts.yaml"))


@pytest.fixture
def store(settings):
    with SQLiteBackend(settings.store) as backend:
        yield backend


def app_client(settings, backend, api_key=None) -> TestClient:
    return TestClient(create_app(build_services(settings, backend), api_key=api_key), follow_redirects=False)


# API key ---------------------------------------------------------------------------------------------------


def test_api_key_is_required_by_api_and_pages(settings, store):
    client = app_client(settings, store, api_key=KEY)
    refused = client.get("/api/search")
    assert refused.status_code == 401 and "X-API-Key" in refused.json()["error"]["message"]
    assert client.get("/api/search", headers={"X-API-Key": KEY}).status_code == 200
    assert client.get("/api/search", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get("/api/search", headers={"X-API-Key": KEY + "x"}).status_code == 401
    assert client.get("/healthz").status_code == 200  # a load balancer's check needs no key
    assert client.get("/openapi.json").status_code == 200  # the schema holds no data
    redirect = client.get("/cooperation?since=2024")
    assert redirect.status_code == 303
    assert parse_qs(urlsplit(redirect.headers["location"]).query) == {"next": ["/cooperation?since=2024"]}


def test_browser_signs_in_once_and_keeps_the_key_in_an_httponly_cookie(settings, store):
    client = app_client(settings, store, api_key=KEY)
    assert "API key" in client.get("/login").text
    wrong = client.post("/login", data={"key": "nope", "next": "/sources"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    signed_in = client.post("/login", data={"key": KEY, "next": "/sources"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/sources"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/sources").status_code == 200
    elsewhere = client.post("/login", data={"key": KEY, "next": "//evil.example.org/"})
    assert elsewhere.headers["location"] == "/"  # never a redirect off the site


def test_saving_a_rule_needs_the_key_too_and_then_any_host_name(settings, store):
    client = app_client(settings, store, api_key=KEY)
    body = {"name": "hk", "search": {"q": "Hong Kong"}, "channels": ["console"]}
    assert client.post("/api/rules", json=body).status_code == 401
    assert client.post("/rules", data={"name": "hk", "channel": "console", "q": "x"}).status_code == 401
    assert client.delete("/api/rules/hk").status_code == 401
    saved = client.post("/api/rules", json=body, headers={"X-API-Key": KEY})  # a public name (testserver): the key is the guard
    assert saved.status_code == 201 and saved.json()["channels"][0]["shown"] == "console (standard output)"
    signed_in = TestClient(client.app, follow_redirects=False, cookies={"coopwatch_key": KEY})
    cross_site = signed_in.delete("/api/rules/hk", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403  # a signed-in browser is still protected from other sites
    assert signed_in.delete("/api/rules/hk", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_a_broken_rules_file_is_shown_and_blocks_saving_but_not_reading(settings, store):
    Path(settings.alerts_path()).write_text("rules:\n  - name: x\n    search: {text: a}\n    chanels: [console]\n",
                                            encoding="utf-8")
    client = app_client(settings, store)
    local = {"Host": "127.0.0.1:8000"}
    listing = client.get("/api/rules").json()
    assert listing["rules"] == [] and "alerts.yaml:2: rule 'x': key 'channels' is required" in listing["problem"]
    assert "alerts.yaml:2" in client.get("/rules").text
    body = {"name": "hk", "search": {"q": "Hong Kong"}, "channels": ["console"]}
    refused = client.post("/api/rules", json=body, headers=local)
    assert refused.status_code == 409 and "rules file must be fixed" in refused.json()["error"]["message"]


def test_without_alerts_the_rule_routes_say_so(settings, store):
    services = build_services(settings, store)
    services.alerts.store.close()
    services.alerts = None
    client = TestClient(create_app(services))
    response = client.get("/api/rules")
    assert response.status_code == 404 and "alerts are not set up" in response.json()["error"]["message"]
    assert "Watch rules" not in client.get("/").text and "Watch this search" not in client.get("/?q=x").text


def test_openapi_documents_the_key_when_one_is_set(settings, store):
    schema = app_client(settings, store, api_key=KEY).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_needs_no_key(host):
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_a_public_address_needs_a_long_key(host):
    with pytest.raises(ConfigError, match="COOPWATCH_API_KEY"):
        check_bind(host, None)
    with pytest.raises(ConfigError, match="too short"):
        check_bind(host, "short")
    check_bind(host, KEY)


def test_serve_refuses_a_public_address_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COOPWATCH_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "coopwatch.cli", "--store", str(tmp_path / "s.sqlite"), "serve",
                           "--host", "0.0.0.0", "--port", "1"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "refusing to serve on 0.0.0.0 without an API key" in done.stderr
    assert not (tmp_path / "s.sqlite").exists()  # refused before anything was opened


def test_a_store_that_stops_answering_is_a_503_not_a_crash(settings):
    backend = SQLiteBackend(settings.store)
    client = app_client(settings, backend)
    assert client.get("/healthz").status_code == 200
    backend.close()  # the store goes away under the running app
    for url in ("/healthz", "/api/search?q=port"):
        response = client.get(url)
        assert response.status_code == 503 and "store cannot be reached" in response.json()["error"]["message"]
    assert client.get("/?q=port").status_code == 503


# paging and links ------------------------------------------------------------------------------------------


def test_search_page_pages_through_many_results(settings, store):
    store.upsert(make_doc(f"n{i:02d}", f"Harbour note {i}", "Harbour report.", published=f"2024-02-{i % 28 + 1:02d}")
                 for i in range(45))
    client = app_client(settings, store)
    first = client.get("/", params={"q": "harbour"}).text
    assert "page 1 of 3" in first and 'href="/?q=harbour&amp;page=2"' in first
    last = client.get("/", params={"q": "harbour", "page": "3"}).text
    assert "page 3 of 3" in last and last.count('class="hit"') == 5 and 'rel="next"' not in last
    assert client.get("/", params={"page": "501"}).status_code == 422


def test_a_stored_url_that_is_not_http_is_never_a_link(settings, store):
    url = "javascript:alert(1)"
    store.upsert([Document(id=doc_id(url), url=url, source="x", title="Odd", text="Odd text.")])
    text = app_client(settings, store).get(f"/documents/{doc_id(url)}").text
    assert "javascript:alert(1)" in text and 'href="javascript:' not in text


# the real command ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_coopwatch_serve_answers_over_http_and_stops(settings, store):
    store.upsert([make_doc("one", "Ningbo port alliance", "Ningbo and Zhoushan share a port.")])
    port = free_port()
    env = {**os.environ, "COOPWATCH_STATE_PATH": settings.state_path, "COOPWATCH_ARCHIVE_DIR": settings.archive_dir,
           "COOPWATCH_ALERTS_DB": settings.alerts_db, "COOPWATCH_ALERTS": settings.alerts_path()}
    server = subprocess.Popen([sys.executable, "-m", "coopwatch.cli", "--store", settings.store, "serve",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        health = wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.json() == {"status": "ok", "documents": 1}
        hits = requests.get(f"http://127.0.0.1:{port}/api/search", params={"q": "ningbo"}, timeout=10).json()
        assert hits["total"] == 1 and "server" not in requests.get(f"http://127.0.0.1:{port}/", timeout=10).headers
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}" in output


def wait_for(url: str, seconds: float = 30.0) -> requests.Response:
    """Return the first answer of a server that is starting up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
