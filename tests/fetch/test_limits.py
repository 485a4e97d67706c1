"""Rules 6-9 and 13: deadlines, decompressed size limit, gzip/deflate, schemes and content types."""

from __future__ import annotations

import gzip
import socket

import pytest

from tests.support.httpd import LocalServer, Response

HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_r6_read_timeout(server: LocalServer, make_fetcher) -> None:
    server.route("/slow", Response(200, "<p>x</p>", HTML, delay=0.5))
    page = make_fetcher(read_timeout=0.15).fetch(server.url("/slow"), check_robots=False)
    assert page.error == "timeout: read took longer than 0.15s" and not page.ok


def test_r6_total_deadline_enforced_while_streaming(server: LocalServer, make_fetcher) -> None:
    # 200 bytes dripped one every 20 ms: each read is quick, the whole body takes ~4 s.
    server.route("/drip", Response(200, "x" * 200, {"Content-Type": "text/plain"}, chunk_size=1, chunk_delay=0.02))
    page = make_fetcher(read_timeout=2, total_timeout=0.4).fetch(server.url("/drip"), check_robots=False)
    assert page.error == "timeout: whole response took longer than 0.4s"


def test_r6_connect_timeout(make_fetcher) -> None:
    # A listener whose accept queue is full drops new SYNs, so the connect never completes.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            page = make_fetcher(connect_timeout=0.2).fetch(f"http://127.0.0.1:{port}/", check_robots=False)
        finally:
            for filler in fillers:
                filler.close()
    assert page.error == "timeout: connect took longer than 0.2s"


def test_r7_body_over_limit_refused_by_content_length(server: LocalServer, make_fetcher) -> None:
    server.route("/big", Response(200, "a" * 2000, {"Content-Type": "text/plain"}))
    page = make_fetcher(max_bytes=1000).fetch(server.url("/big"))
    assert page.error == "too-large: > 1000 bytes (Content-Length 2000)"


def test_r7_body_over_limit_refused_while_streaming(server: LocalServer, make_fetcher) -> None:
    server.route("/big", Response(200, "a" * 300_000, {"Content-Type": "text/plain"}, content_length=False))
    page = make_fetcher(max_bytes=100_000).fetch(server.url("/big"))
    assert page.error == "too-large: > 100000 bytes"
    assert page.body == b""


def test_r7_body_at_limit_accepted(server: LocalServer, make_fetcher) -> None:
    server.route("/exact", Response(200, "a" * 1000, {"Content-Type": "text/plain"}, content_length=False))
    page = make_fetcher(max_bytes=1000).fetch(server.url("/exact"))
    assert page.ok and len(page.body) == 1000


def test_r7_r13_gzip_bomb_refused(server: LocalServer, make_fetcher) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire, 50 MB inflated
    assert len(bomb) < 100_000
    server.route("/bomb", Response(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    page = make_fetcher(max_bytes=1_000_000).fetch(server.url("/bomb"))
    assert page.error == "too-large: > 1000000 bytes"


def test_r13_gzip_and_deflate_decoded_and_limit_counts_decoded_bytes(server: LocalServer, make_fetcher) -> None:
    text = "<p>" + "城市合作 " * 3000 + "</p>"
    server.route("/gz", Response(200, text, HTML, gzip=True))
    server.route("/deflate", Response(200, text, HTML, deflate=True))
    fetcher = make_fetcher()
    for path in ("/gz", "/deflate"):
        page = fetcher.fetch(server.url(path))
        assert page.ok and page.text == text and page.body == text.encode("utf-8")
    wire = len(gzip.compress(text.encode("utf-8")))
    small = make_fetcher(max_bytes=wire * 2).fetch(server.url("/gz"))  # wire size fits, inflated does not
    assert small.error == f"too-large: > {wire * 2} bytes"
    assert "gzip" in server.requests_for("/gz")[0].header("Accept-Encoding")


def test_r13_broken_compressed_body_reported(server: LocalServer, make_fetcher) -> None:
    server.route("/bad", Response(200, b"not gzip at all", {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    page = make_fetcher().fetch(server.url("/bad"))
    assert page.error.startswith("decoding: ") and "gzip" in page.error


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://127.0.0.1/file.txt", "scheme: ftp not allowed"),
        ("file:///etc/passwd", "scheme: file not allowed"),
        ("javascript:alert(1)", "scheme: javascript not allowed"),
        ("mailto:someone@example.org", "scheme: mailto not allowed"),
        ("//127.0.0.1/x", "scheme: none not allowed"),
    ],
)
def test_r8_only_http_and_https(make_fetcher, url: str, error: str) -> None:
    fetcher = make_fetcher()
    page = fetcher.fetch(url)
    assert page.error == error and page.status == 0
    assert sum(fetcher.stats.values()) == 0


def test_r8_redirect_to_other_scheme_refused(server: LocalServer, make_fetcher) -> None:
    server.route("/ftp", Response(302, "", {"Location": "ftp://127.0.0.1/pub/file"}))
    page = make_fetcher().fetch(server.url("/ftp"))
    assert page.error == "scheme: ftp not allowed" and page.final_url == "ftp://127.0.0.1/pub/file"


def test_r8_bad_urls_do_not_raise(make_fetcher) -> None:
    fetcher = make_fetcher()
    assert fetcher.fetch("http://127.0.0.1:99999/").error.startswith("url: invalid")
    assert fetcher.fetch("http://[::1/").error.startswith("url: invalid")
    assert fetcher.fetch("http:///nohost").error == "url: no host"
    assert fetcher.fetch("").error == "scheme: none not allowed"


def test_r9_unaccepted_content_type_refused(server: LocalServer, make_fetcher) -> None:
    server.route("/img", Response(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, {"Content-Type": "image/png"}))
    page = make_fetcher().fetch(server.url("/img"))
    assert page.error == "content-type: image/png" and page.status == 200 and page.body == b""


def test_r9_accepted_types_include_feeds_and_configurable(server: LocalServer, make_fetcher) -> None:
    server.route("/feed", Response(200, "<?xml version='1.0'?><rss></rss>", {"Content-Type": "application/rss+xml"}))
    server.route("/doc.pdf", Response(200, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"}))
    feed = make_fetcher().fetch(server.url("/feed"))
    assert feed.ok and feed.content_type == "application/rss+xml" and feed.text.startswith("<?xml")
    pdf = make_fetcher(accept_types=("application/pdf",)).fetch(server.url("/doc.pdf"))
    assert pdf.ok and pdf.content_type == "application/pdf" and pdf.text is None and pdf.body.startswith(b"%PDF")


def test_r9_missing_content_type_sniffed(server: LocalServer, make_fetcher) -> None:
    server.route("/html", Response(200, "  <!doctype html><p>hi</p>"))
    server.route("/bin", Response(200, b"%PDF-1.7\n\0\0binary"))
    fetcher = make_fetcher()
    html = fetcher.fetch(server.url("/html"))
    assert html.ok and html.content_type == "text/html" and html.text.endswith("<p>hi</p>")
    assert fetcher.fetch(server.url("/bin")).error == "content-type: missing, body looks like binary data"


def test_tls_failure_reported_not_raised(server: LocalServer, make_fetcher) -> None:
    server.route("/", Response(200, "<p>plain</p>", HTML))
    page = make_fetcher().fetch(f"https://127.0.0.1:{server.port}/", check_robots=False)
    assert page.error.startswith("tls: ") and page.status == 0
