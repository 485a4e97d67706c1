"""A small real HTTP server on 127.0.0.1 for tests, driven by a route table.

Usage::

    from tests.support.httpd import LocalServer, Response

    routes = {
        "/": Response(200, "<html>hi</html>", {"Content-Type": "text/html"}),
        "/slow": Response(200, "late", delay=0.5),
        "/gz": Response(200, "x" * 10_000, gzip=True),
        "/count": lambda req: Response(200, f"you asked {req.path}"),
    }
    with LocalServer(routes) as srv:
        requests.get(srv.url("/"))
        assert srv.requests[0].header("User-Agent")
        assert len(srv.requests_for("/")) == 1

Routes match the full path with query first, then the path alone; unknown paths answer 404.
A route value is a :class:`Response` or a callable ``(RecordedRequest) -> Response``; routes can be
added while the server runs with :meth:`LocalServer.route`. Every request is recorded in arrival order
(:attr:`LocalServer.requests`) with its headers, arrival time and the time the answer started going out
(both ``time.time()``), so tests can check request counts, conditional headers, User-Agent and the gaps
between requests. The server speaks HTTP/1.1 with keep-alive and runs in a daemon thread; bind it to
another loopback address with ``LocalServer(routes, host="127.0.0.2")``.
"""

from __future__ import annotations

import gzip as gzip_module
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Response:
    """A canned answer: status, body, headers, plus optional delay, compression and slow streaming."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    gzip: bool = False  # gzip the body and send Content-Encoding: gzip
    deflate: bool = False  # zlib-deflate the body and send Content-Encoding: deflate
    chunk_size: int = 0  # > 0: send the body in pieces of this size, sleeping chunk_delay between them
    chunk_delay: float = 0.0
    content_length: bool = True  # False: no Content-Length, the connection closes after the body

    def encoded_body(self) -> bytes:
        """Return the body bytes as they go on the wire (compressed when asked)."""
        data = self.body.encode("utf-8") if isinstance(self.body, str) else self.body
        if self.gzip:
            return gzip_module.compress(data, compresslevel=6)
        if self.deflate:
            return zlib.compress(data)
        return data


Handler = Callable[["RecordedRequest"], Response]
Route = Response | Handler


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str  # path with query string, as sent
    headers: dict[str, str]
    arrived_at: float  # time.time() when the request line and headers were read
    responded_at: float = 0.0  # time.time() just before the answer was written
    client: tuple[str, int] = ("", 0)
    body: bytes = b""  # the request body (POST)

    def header(self, name: str) -> str | None:
        """Return a request header by case-insensitive name, or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def bare_path(self) -> str:
        """Return the path without its query string."""
        return urlsplit(self.path).path


class LocalServer:
    """A threaded HTTP server on a loopback address and an ephemeral port, configured by routes."""

    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.host = host
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------------
    def start(self) -> LocalServer:
        """Bind to an ephemeral port and serve in a daemon thread."""
        self._httpd = _QuietServer((self.host, 0), _make_handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses -----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def netloc(self) -> str:
        """Return ``host:port``, the key the fetcher uses for this server."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}"

    def url(self, path: str = "/") -> str:
        """Return the absolute URL of a path on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # routes and records --------------------------------------------------------------------------
    def route(self, path: str, response: Route) -> None:
        """Add or replace a route while the server runs."""
        self.routes[path] = response

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return a snapshot of all requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Return the recorded requests for one path (query string ignored unless given)."""
        return [r for r in self.requests if r.path == path or ("?" not in path and r.bare_path == path)]

    def clear(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _resolve(self, request: RecordedRequest) -> Response:
        route = self.routes.get(request.path) or self.routes.get(request.bare_path)
        if route is None:
            return Response(404, "not found", {"Content-Type": "text/plain"})
        return route(request) if callable(route) else route


class _QuietServer(ThreadingHTTPServer):
    """A threading server with daemon threads that ignores clients hanging up early."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; avoid 40 ms delayed-ACK stalls

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(send_body=False)

        def do_POST(self) -> None:  # noqa: N802
            self._answer(send_body=True)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Keep test output quiet."""

        def _answer(self, send_body: bool) -> None:
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k: v for k, v in self.headers.items()},
                arrived_at=time.time(),
                client=self.client_address[:2],
                body=self.rfile.read(int(self.headers.get("Content-Length") or 0)),
            )
            server._record(request)
            response = server._resolve(request)
            if response.delay:
                time.sleep(response.delay)
            body = response.encoded_body()
            request.responded_at = time.time()
            try:
                self._write(response, body, send_body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _write(self, response: Response, body: bytes, send_body: bool) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.gzip:
                self.send_header("Content-Encoding", "gzip")
            if response.deflate:
                self.send_header("Content-Encoding", "deflate")
            if response.content_length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if send_body and response.status not in (204, 304):
                self._send_body(response, body)

        def _send_body(self, response: Response, body: bytes) -> None:
            if response.chunk_size <= 0:
                self.wfile.write(body)
                return
            for start in range(0, len(body), response.chunk_size):
                self.wfile.write(body[start : start + response.chunk_size])
                self.wfile.flush()
                time.sleep(response.chunk_delay)

    return _Handler
