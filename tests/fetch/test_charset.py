"""Rule 10: charset from BOM, then HTTP header, then <meta>, then detection; lies fall through."""

from __future__ import annotations

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


@pytest.mark.parametrize(("text", "written_in", "content_type", "expected"), [
    pytest.param(html(CHINESE), "gbk", "text/html; charset=GBK", "gb18030", id="gbk-page-with-header-charset"),
    pytest.param(html(CHINESE + RARE, '<meta charset="gb18030">'), "gb18030", "text/html", "gb18030",
                 id="gb18030-page-with-meta-charset"),
    # 镕 is in GBK but not in GB2312: real pages labelled gb2312 do this
    pytest.param(html(CHINESE + "镕", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'), "gbk",
                 "text/html", "gb18030", id="gb2312-label-in-http-equiv-decodes-as-gb18030"),
    pytest.param(html(CHINESE, '<meta charset="gbk">'), "utf-8-sig", "text/html; charset=gbk", "utf-8",
                 id="utf8-bom-wins-over-wrong-header"),
    pytest.param(html(CHINESE, '<meta charset="gbk">'), "utf-8", "text/html; charset=utf-8", "utf-8",
                 id="header-charset-wins-over-meta"),
    pytest.param(html(CHINESE * 2), "gbk", "text/html", "gb18030", id="page-that-declares-nothing-is-detected"),
    pytest.param(html(CHINESE, '<meta charset="gbk">'), "gbk", "text/html; charset=utf-8", "gb18030",
                 id="lying-header-falls-through-to-meta"),
    pytest.param(html(CHINESE * 2, '<meta charset="utf-8">'), "gbk", "text/html; charset=utf-8", "gb18030",
                 id="lying-header-and-meta-fall-through-to-detection"),
    pytest.param(html(CHINESE, '<meta charset="utf-8">'), "utf-8", "text/html; charset=ISO-8859-1", "utf-8",
                 id="server-default-latin1-label-does-not-hide-the-meta-charset"),
    # these UTF-8 bytes also decode as cp1252 (to mojibake), so only the meta charset gets them right
    pytest.param('<html><head><meta charset="utf-8"></head><body>Städtepartnerschaft — coopération</body></html>',
                 "utf-8", "text/html; charset=ISO-8859-1", "utf-8", id="latin1-label-on-utf8-also-valid-cp1252"),
    pytest.param("Städtepartnerschaft — 城市合作 — coopération", "utf-8", "text/plain", "utf-8",
                 id="plain-utf8-without-any-declaration"),
    pytest.param(f'<?xml version="1.0" encoding="GB2312"?><rss><channel><title>{CHINESE}</title></channel></rss>',
                 "gbk", "application/rss+xml", "gb18030", id="xml-declaration-encoding"),
])
def test_r10_body_decoded_from_the_right_clue(server: LocalServer, make_fetcher, text: str, written_in: str,
                                              content_type: str, expected: str) -> None:
    page = fetch(server, make_fetcher, text.encode(written_in), content_type)
    assert page.ok and page.text == text and page.encoding == expected


@pytest.mark.parametrize(("label", "codec"), [("GBK", "gb18030"), ("gb2312", "gb18030"), ("UTF8", "utf-8"),
                                              ("latin1", "cp1252"), ("x-unknown", None), (None, None)])
def test_r10_labels_normalised_like_browsers(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_r10_undecodable_garbage_never_raises() -> None:
    text, codec = decode_body(b"\xff\xfe\xfa\x80\x81" * 3, "no-such-charset")
    assert isinstance(text, str) and codec
