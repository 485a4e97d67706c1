"""Rule 10: charset from BOM, then HTTP header, then <meta>, then detection; lies fall through."""

from __future__ import annotations

import codecs

import pytest

from ingest.fetch.charset import decode_body, normalize_charset
from tests.support.httpd import LocalServer, Response

# Our own sample text (not from any real page): a made-up city-cooperation forum notice.
CHINESE = (
    "本次城市合作论坛在上海举行，来自汉堡、鹿特丹和成都的代表出席了会议。"
    "与会专家围绕绿色低碳发展、数字经济与城市治理等议题进行了深入交流，"
    "双方表示将继续加强友好城市之间的务实合作，推动经贸、文化和教育领域的交流。"
)
RARE = "𠀀𪚥"  # outside GBK, encodable only in GB18030 (four-byte sequences)


def html(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>论坛</title></head><body><p>{body}</p></body></html>"


def fetch(server: LocalServer, make_fetcher, body: bytes, content_type: str):
    server.route("/page", Response(200, body, {"Content-Type": content_type}))
    return make_fetcher().fetch(server.url("/page"), check_robots=False)


def test_r10_gbk_page_with_header_charset(server: LocalServer, make_fetcher) -> None:
    page = fetch(server, make_fetcher, html(CHINESE).encode("gbk"), "text/html; charset=GBK")
    assert page.ok and CHINESE in page.text and page.encoding == "gb18030"


def test_r10_gb18030_page_with_meta_charset(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE + RARE, '<meta charset="gb18030">')
    page = fetch(server, make_fetcher, text.encode("gb18030"), "text/html")
    assert page.text == text and page.encoding == "gb18030"


def test_r10_gb2312_label_in_http_equiv_decodes_as_gb18030(server: LocalServer, make_fetcher) -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    text = html(CHINESE + "镕", head)  # 镕 is in GBK but not in GB2312: real pages labelled gb2312 do this
    page = fetch(server, make_fetcher, text.encode("gbk"), "text/html")
    assert page.text == text and page.encoding == "gb18030"


def test_r10_utf8_bom_wins_over_wrong_header(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE, '<meta charset="gbk">')
    page = fetch(server, make_fetcher, codecs.BOM_UTF8 + text.encode("utf-8"), "text/html; charset=gbk")
    assert page.text == text and page.encoding == "utf-8"


def test_r10_header_charset_wins_over_meta(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE, '<meta charset="gbk">')
    page = fetch(server, make_fetcher, text.encode("utf-8"), "text/html; charset=utf-8")
    assert page.text == text and page.encoding == "utf-8"


def test_r10_page_that_declares_nothing_is_detected(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE * 2)
    page = fetch(server, make_fetcher, text.encode("gbk"), "text/html")
    assert page.text == text and page.encoding == "gb18030"


def test_r10_lying_header_falls_through_to_meta(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE, '<meta charset="gbk">')
    page = fetch(server, make_fetcher, text.encode("gbk"), "text/html; charset=utf-8")
    assert page.text == text and page.encoding == "gb18030"


def test_r10_lying_header_and_meta_fall_through_to_detection(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE * 2, '<meta charset="utf-8">')
    page = fetch(server, make_fetcher, text.encode("gbk"), "text/html; charset=utf-8")
    assert page.text == text and page.encoding == "gb18030"


def test_r10_server_default_latin1_label_does_not_hide_the_meta_charset(server: LocalServer, make_fetcher) -> None:
    text = html(CHINESE, '<meta charset="utf-8">')
    page = fetch(server, make_fetcher, text.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert page.text == text and page.encoding == "utf-8"


def test_r10_plain_utf8_without_any_declaration(server: LocalServer, make_fetcher) -> None:
    text = "Städtepartnerschaft — 城市合作 — coopération"
    page = fetch(server, make_fetcher, text.encode("utf-8"), "text/plain")
    assert page.text == text and page.encoding == "utf-8"


def test_r10_xml_declaration_encoding(server: LocalServer, make_fetcher) -> None:
    text = f'<?xml version="1.0" encoding="GB2312"?><rss><channel><title>{CHINESE}</title></channel></rss>'
    page = fetch(server, make_fetcher, text.encode("gbk"), "application/rss+xml")
    assert page.text == text and page.encoding == "gb18030"


@pytest.mark.parametrize(("label", "codec"), [("GBK", "gb18030"), ("gb2312", "gb18030"), ("UTF8", "utf-8"),
                                              ("latin1", "cp1252"), ("x-unknown", None), (None, None)])
def test_r10_labels_normalised_like_browsers(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_r10_undecodable_garbage_never_raises() -> None:
    text, codec = decode_body(b"\xff\xfe\xfa\x80\x81" * 3, "no-such-charset")
    assert isinstance(text, str) and codec
