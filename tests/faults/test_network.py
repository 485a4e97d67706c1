"""Faults a hostile or broken server can cause on the wire: slow answers, lying bodies, encodings, TLS, addresses."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import brotli
import pytest
from backports import zstd

from ingest.fetch import Fetcher
from tests.faults.support import HTML, TlsServer, make_certificate
from tests.support.httpd import LocalServer, Response

UA = "coopwatch-faults/1.0 (+https://example.invalid/coopwatch)"


@pytest.fixture
def fetcher() -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(**options) -> Fetcher:
        base = {"allow_hosts": ["127.0.0.1"], "min_delay": 0, "retries": 0, "backoff": 0}
        made.append(Fetcher(UA, **(base | options)))
        return made[-1]

    yield make
    for f in made:
        f.close()


class RawServer:
    """A TCP server on 127.0.0.1 whose connections are handled by ``handle(conn)`` (raw bytes, any misbehaviour)."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.handle(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()


def trickle_headers(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Drip: " + b"a" * 200:
        conn.sendall(bytes([byte]))
        time.sleep(0.25)


def test_slow_headers_end_at_the_total_deadline(fault, fetcher):
    """A server trickling one header byte at a time does not hold the request past the total deadline."""
    fault.expect("'timeout: whole response took longer than 1.5s' after ~1.5 s; not retried (1 connection)")
    raw = RawServer(trickle_headers)
    started = time.monotonic()
    page = fetcher(total_timeout=1.5, read_timeout=5, retries=2).fetch(raw.url(), check_robots=False)
    took = time.monotonic() - started
    raw.close()
    fault.saw(f"{page.error!r} after {took:.1f} s, {raw.connections} connection(s)")
    assert page.error == "timeout: whole response took longer than 1.5s"
    assert took < 5 and raw.connections == 1


def test_slow_body_costs_one_deadline_not_three(fault, server, fetcher):
    """A body dripped slowly is cut at the total deadline once, not retried three times."""
    fault.expect("whole-response timeout after one attempt; the URL costs about one deadline")
    server.route("/drip", Response(200, "<p>" + "x" * 400, HTML, chunk_size=1, chunk_delay=0.01))
    started = time.monotonic()
    page = fetcher(total_timeout=0.8, retries=2).fetch(server.url("/drip"), check_robots=False)
    took = time.monotonic() - started
    fault.saw(f"{page.error!r}, {len(server.requests_for('/drip'))} request(s), {took:.1f} s")
    assert page.error == "timeout: whole response took longer than 0.8s"
    assert len(server.requests_for("/drip")) == 1 and took < 3


def test_retries_stop_at_the_per_url_time_budget(fault, server, fetcher):
    """Read timeouts are retried only while the URL's time budget lasts, however many retries are allowed."""
    fault.expect("with 10 retries allowed but a 1.5 s budget per URL: 2-4 attempts, then the timeout reason")
    server.route("/stall", Response(200, "<p>late</p>", HTML, delay=3))
    started = time.monotonic()
    page = fetcher(read_timeout=0.5, retries=10, backoff=0.05, url_timeout=1.5).fetch(server.url("/stall"),
                                                                                     check_robots=False)
    took = time.monotonic() - started
    attempts = len(server.requests_for("/stall"))
    fault.saw(f"{page.error!r}, {attempts} attempts, {took:.1f} s")
    assert page.error.startswith("timeout: ") and 2 <= attempts <= 4 and took < 3


def test_content_length_longer_than_the_body(fault, fetcher):
    """A Content-Length promising more bytes than are sent (then a hang-up) is a failure, not a short page."""
    fault.expect("connection error reason; no page text")

    def short_body(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<p>only this</p>")

    raw = RawServer(short_body)
    page = fetcher().fetch(raw.url(), check_robots=False)
    raw.close()
    fault.saw(page.error)
    assert page.error.startswith("connection: ") and page.text is None


def test_connection_reset_mid_body(fault, fetcher):
    """A connection reset in the middle of the body is a recorded failure."""
    fault.expect("connection error reason, no exception")

    def reset(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9000\r\n\r\n" + b"<p>x" * 500)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    raw = RawServer(reset)
    page = fetcher().fetch(raw.url(), check_robots=False)
    raw.close()
    fault.saw(page.error)
    assert page.error.startswith("connection: ")


def test_not_http_at_all(fault, fetcher):
    """A port that answers garbage instead of HTTP gives a connection reason."""
    fault.expect("connection error reason naming the bad status line")
    raw = RawServer(lambda conn: conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"))
    page = fetcher().fetch(raw.url(), check_robots=False)
    raw.close()
    fault.saw(page.error)
    assert page.error.startswith("connection: ")


def test_gzip_bomb(fault, server, fetcher):
    """A gzip bomb (50 KB on the wire, 50 MB inflated) stops at the size limit."""
    fault.expect("'too-large: > 1000000 bytes'")
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    server.route("/bomb", Response(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    page = fetcher(max_bytes=1_000_000).fetch(server.url("/bomb"))
    fault.saw(page.error)
    assert page.error == "too-large: > 1000000 bytes"


def test_brotli_body_decoded_and_bomb_refused(fault, server, fetcher):
    """Content-Encoding br is decoded; a brotli bomb stops at the size limit."""
    fault.expect("br page decoded to its HTML; br bomb 'too-large'")
    text = "<p>" + "城市合作 Shanghai–Hong Kong " * 500 + "</p>"
    server.route("/br", Response(200, brotli.compress(text.encode()), {**HTML, "Content-Encoding": "br"}))
    server.route("/bomb", Response(200, brotli.compress(b"\0" * 30_000_000), {**HTML, "Content-Encoding": "br"}))
    f = fetcher(max_bytes=1_000_000)
    page, bomb = f.fetch(server.url("/br")), f.fetch(server.url("/bomb"))
    fault.saw(f"br: ok={page.ok} text equal={page.text == text}; bomb: {bomb.error}")
    assert page.ok and page.text == text and bomb.error == "too-large: > 1000000 bytes"


def test_zstd_body_decoded(fault, server, fetcher):
    """Content-Encoding zstd is decoded."""
    fault.expect("zstd page decoded to its HTML")
    text = "<p>" + "Greater Bay Area forum " * 300 + "</p>"
    server.route("/z", Response(200, zstd.compress(text.encode()), {**HTML, "Content-Encoding": "zstd"}))
    page = fetcher().fetch(server.url("/z"))
    fault.saw(f"ok={page.ok}, text equal={page.text == text}")
    assert page.ok and page.text == text


def test_unknown_content_encoding_refused(fault, server, fetcher):
    """A Content-Encoding the client cannot decode is refused with a reason, never taken as HTML."""
    fault.expect("'decoding: unsupported Content-Encoding 'xz' ...'; no text")
    server.route("/xz", Response(200, b"\xfd7zXZ\x00\x00binary", {**HTML, "Content-Encoding": "xz"}))
    page = fetcher().fetch(server.url("/xz"))
    fault.saw(page.error)
    assert page.error.startswith("decoding: unsupported Content-Encoding 'xz'") and page.text is None


def test_corrupt_gzip(fault, server, fetcher):
    """A body that claims gzip but is not gzip is a decoding failure."""
    fault.expect("'decoding: ...' reason")
    server.route("/bad", Response(200, b"this is not gzip at all" * 10, {**HTML, "Content-Encoding": "gzip"}))
    page = fetcher().fetch(server.url("/bad"))
    fault.saw(page.error)
    assert page.error.startswith("decoding: ")


def test_binary_without_content_type(fault, server, fetcher):
    """A PNG sent without Content-Type is refused by sniffing, not parsed as a page."""
    fault.expect("'content-type: missing, body looks like binary data'")
    server.route("/img", Response(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 500))
    page = fetcher().fetch(server.url("/img"))
    fault.saw(page.error)
    assert page.error == "content-type: missing, body looks like binary data"


def test_body_over_the_size_limit_without_length(fault, server, fetcher):
    """A body without Content-Length that goes past the limit is cut off and refused."""
    fault.expect("'too-large: > 100000 bytes', empty body kept")
    server.route("/big", Response(200, "<p>" + "a" * 300_000, HTML, content_length=False))
    page = fetcher(max_bytes=100_000).fetch(server.url("/big"))
    fault.saw(f"{page.error}, body {len(page.body)} bytes")
    assert page.error == "too-large: > 100000 bytes" and page.body == b""


# address guard -------------------------------------------------------------------------------------
@pytest.fixture
def two_hosts() -> Iterator[tuple[LocalServer, LocalServer]]:
    """An allow-listed server on 127.0.0.1 and a guarded one on 127.0.0.2."""
    with LocalServer({"/": Response(200, "<p>one</p>", HTML)}) as one, \
         LocalServer({"/": Response(200, "<p>two</p>", HTML)}, host="127.0.0.2") as two:
        yield one, two


def test_parser_differential_is_refused_without_a_port_oracle(fault, fetcher, two_hosts):
    """http://127.0.0.2:P\\@127.0.0.1:P/ is refused before any connection, with the same text for open and closed ports."""
    one, two = two_hosts
    fault.expect("'url: refused ...' for open and closed ports alike; no request reaches either server")
    f = fetcher(allow_hosts=["127.0.0.1"])
    open_port = f.fetch(f"http://127.0.0.2:{two.port}\\@127.0.0.1:{one.port}/", check_robots=False)
    closed_port = f.fetch(f"http://127.0.0.2:9\\@127.0.0.1:{one.port}/", check_robots=False)
    fault.saw(f"open: {open_port.error!r}; closed: {closed_port.error!r}; requests {len(one.requests)}+{len(two.requests)}")
    assert open_port.error.startswith("url: refused") and open_port.error == closed_port.error
    assert one.requests == [] and two.requests == []


@pytest.mark.parametrize("form", ["http://2130706433:{port}/", "http://0x7f000001:{port}/", "http://127.1:{port}/",
                                  "http://0177.0.0.1:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
                                  "http://localhost:{port}/"])
def test_loopback_in_other_spellings_is_blocked(fault, server, fetcher, form):
    """Loopback written as a decimal, hex, short, octal, IPv4-mapped IPv6 or name is blocked unless allow-listed."""
    fault.expect("'blocked: ... loopback' (or dns: for a form the resolver refuses); nothing reaches the server")
    url = form.format(port=server.port)
    page = fetcher(allow_hosts=[]).fetch(url, check_robots=False)
    fault.saw(f"{url}: {page.error}")
    assert page.error.startswith(("blocked: ", "dns: ", "url: ")) and server.requests == []


def test_redirect_to_a_private_address_is_blocked(fault, server, fetcher, two_hosts):
    """A redirect hop to a guarded address is refused on that hop."""
    _, two = two_hosts
    fault.expect("'blocked: 127.0.0.2 is loopback'; the guarded server gets nothing")
    server.route("/go", Response(302, "", {"Location": two.url("/")}))
    page = fetcher().fetch(server.url("/go"), check_robots=False)
    fault.saw(f"{page.error}; guarded server requests: {len(two.requests)}")
    assert page.error == "blocked: 127.0.0.2 is loopback" and two.requests == []


def test_cloud_metadata_address_is_blocked(fault, fetcher):
    """The cloud metadata address is blocked before any connection."""
    fault.expect("'blocked: 169.254.169.254 is cloud metadata'")
    page = fetcher().fetch("http://169.254.169.254/latest/meta-data/", check_robots=False)
    fault.saw(page.error)
    assert page.error == "blocked: 169.254.169.254 is cloud metadata"


def test_credentials_in_a_crawled_url_are_refused(fault, server, fetcher):
    """A crawled URL with user:password@ is refused (a classic way to confuse parsers and logs)."""
    fault.expect("'url: refused, credentials ...'; no request")
    page = fetcher().fetch(f"http://user:secret@127.0.0.1:{server.port}/", check_robots=False)
    fault.saw(page.error)
    assert page.error.startswith("url: refused, credentials") and server.requests == []


def test_unresolvable_host(fault, fetcher):
    """A host name that does not resolve gives a dns reason."""
    fault.expect("'dns: cannot resolve ...'")
    page = fetcher(allow_hosts=[]).fetch("http://no-such-host.invalid/", check_robots=False)
    fault.saw(page.error)
    assert page.error.startswith("dns: ")


def test_scheme_other_than_http(fault, fetcher):
    """file:// and ftp:// URLs are refused by scheme."""
    fault.expect("'scheme: file not allowed', 'scheme: ftp not allowed'")
    errors = [fetcher().fetch(u).error for u in ("file:///etc/passwd", "ftp://127.0.0.1/x")]
    fault.saw(errors)
    assert errors == ["scheme: file not allowed", "scheme: ftp not allowed"]


# TLS -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A local CA and certificates made now: good, expired, for another host, self-signed."""
    folder = tmp_path_factory.mktemp("pki")
    ca_path, _, ca, ca_key = make_certificate(folder, "test-ca", [], days=(-1, 30))
    return {
        "ca": ca_path,
        "good": make_certificate(folder, "good", ["127.0.0.1"], issuer=(ca, ca_key))[:2],
        "expired": make_certificate(folder, "expired", ["127.0.0.1"], days=(-30, -1), issuer=(ca, ca_key))[:2],
        "wrong-host": make_certificate(folder, "wrong", ["other.example"], issuer=(ca, ca_key))[:2],
        "self-signed": make_certificate(folder, "self", ["127.0.0.1"])[:2],
    }


@pytest.mark.parametrize("kind, expected", [("expired", "certificate has expired"),
                                            ("wrong-host", "mismatch"),
                                            ("self-signed", "self-signed certificate")])
def test_tls_failures_are_refused_with_their_reason(fault, fetcher, pki, kind, expected):
    """A TLS certificate that is expired, for another host or self-signed is refused with a tls reason; a good one works."""
    fault.expect(f"'tls: ... {expected} ...'; the same server with a good certificate is fetched")
    with TlsServer({"/": Response(200, "<p>secret</p>", HTML)}, *pki[kind]) as bad, \
         TlsServer({"/": Response(200, "<p>fine</p>", HTML)}, *pki["good"]) as good:
        f = fetcher(ca_bundle=str(pki["ca"]), connect_timeout=5)
        page, fine = f.fetch(bad.url("/"), check_robots=False), f.fetch(good.url("/"), check_robots=False)
    fault.saw(f"{page.error}; good certificate: ok={fine.ok}")
    assert page.error.startswith("tls: ") and expected in page.error and page.text is None
    assert fine.ok and fine.text == "<p>fine</p>"


def test_tls_handshake_that_never_finishes(fault, fetcher):
    """A server that accepts TCP but never answers the TLS handshake is cut at the total deadline."""
    fault.expect("'timeout: ...' within about the total deadline")
    raw = RawServer(lambda conn: time.sleep(10))
    started = time.monotonic()
    page = fetcher(total_timeout=1.0, read_timeout=8).fetch(f"https://127.0.0.1:{raw.port}/", check_robots=False)
    took = time.monotonic() - started
    raw.close()
    fault.saw(f"{page.error!r} after {took:.1f} s")
    assert page.error.startswith("timeout: ") and took < 4
