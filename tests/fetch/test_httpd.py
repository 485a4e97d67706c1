"""The reusable LocalServer test helper behaves as documented."""

from __future__ import annotations

import gzip

import requests

from tests.support.httpd import LocalServer, RecordedRequest, Response


def test_routes_static_and_callable_and_404() -> None:
    routes = {
        "/a": Response(201, "alpha", {"Content-Type": "text/plain", "X-Test": "1"}),
        "/echo": lambda req: Response(200, req.path),
    }
    with LocalServer(routes) as srv:
        a = requests.get(srv.url("/a"), timeout=5)
        echo = requests.get(srv.url("/echo?q=1"), timeout=5)
        missing = requests.get(srv.url("/missing"), timeout=5)
    assert (a.status_code, a.text, a.headers["X-Test"]) == (201, "alpha", "1")
    assert echo.text == "/echo?q=1"
    assert missing.status_code == 404


def test_records_requests_with_headers_and_times() -> None:
    with LocalServer({"/": Response(200, "ok")}) as srv:
        requests.get(srv.url("/"), headers={"User-Agent": "probe/1", "If-None-Match": '"v1"'}, timeout=5)
        requests.get(srv.url("/?x=2"), timeout=5)
        recorded = srv.requests
        assert len(srv.requests_for("/")) == 2
        assert len(srv.requests_for("/?x=2")) == 1
    first: RecordedRequest = recorded[0]
    assert first.header("user-agent") == "probe/1"
    assert first.header("IF-NONE-MATCH") == '"v1"'
    assert first.arrived_at <= first.responded_at <= recorded[1].arrived_at


def test_gzip_option_compresses_on_the_wire() -> None:
    with LocalServer({"/gz": Response(200, "z" * 5000, gzip=True)}) as srv:
        raw = requests.get(srv.url("/gz"), stream=True, timeout=5).raw.read(decode_content=False)
    assert gzip.decompress(raw) == b"z" * 5000
    assert len(raw) < 200


def test_route_can_be_added_while_running_and_other_loopback_host() -> None:
    with LocalServer(host="127.0.0.2") as srv:
        srv.route("/late", Response(200, "late"))
        assert srv.url("/late").startswith("http://127.0.0.2:")
        assert requests.get(srv.url("/late"), timeout=5).text == "late"
