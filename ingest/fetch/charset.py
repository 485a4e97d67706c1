"""Decode a response body: BOM, then the HTTP charset, then a <meta>/XML declaration, then detection.

A declared charset is only believed when the body decodes with it without errors; a page whose
header or meta tag lies falls through to the next clue. Labels follow the WHATWG Encoding Standard
where Python differs (gb2312/gbk -> gb18030, latin-1/ascii -> cp1252).

The commonest lie is Windows-1252 text labelled UTF-8 (a CMS template declares UTF-8, an editor saved
the article in cp1252). Statistical detection then guesses a neighbour such as cp1250 and "naïve"
becomes "naďve"; so a page declared UTF-8 that is not, and is not a CJK multi-byte encoding either,
is read as UTF-8 with each invalid byte taken as cp1252 (which also mends pages that mix the two).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
WHATWG_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso_8859-1": "cp1252",
    "x-sjis": "shift_jis",
    "big5-hkscs": "big5hkscs",
}
META_SCAN_BYTES = 4096
MULTIBYTE_CJK = frozenset({"gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp",
                           "euc_kr", "cp949", "iso2022_jp", "iso2022_kr", "hz"})
CP1252_FALLBACK = "coopwatch-cp1252-fallback"
META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)


def normalize_charset(label: str | None) -> str | None:
    """Return the Python codec name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("'\"").lower()
    label = WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def bom_charset(body: bytes) -> tuple[str | None, int]:
    """Return (charset, BOM length) when the body starts with a byte order mark."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


def declared_in_markup(body: bytes) -> str | None:
    """Return the charset named by an XML declaration or <meta charset>/http-equiv near the top."""
    head = body[:META_SCAN_BYTES]
    match = XML_ENCODING.search(head) or META_CHARSET.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def detect_charset(body: bytes) -> str | None:
    """Return the charset charset-normalizer finds most likely, or None."""
    best = from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def try_decode(body: bytes, label: str | None) -> tuple[str, str] | None:
    """Return (text, codec) when the body decodes strictly with the charset label, else None."""
    codec = normalize_charset(label)
    if codec is None:
        return None
    try:
        return body.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        return None


def _cp1252_for_invalid_bytes(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 refused as Windows-1252 (its five unassigned bytes become U+FFFD)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error(CP1252_FALLBACK, _cp1252_for_invalid_bytes)


def mislabelled_utf8(body: bytes, declared: list[str | None]) -> tuple[str, str] | None:
    """Return (text, "utf-8") for a body declared UTF-8 that is not, unless it looks like a CJK encoding."""
    if not any(normalize_charset(label) == "utf-8" for label in declared):
        return None
    detected = normalize_charset(detect_charset(body))
    if detected in MULTIBYTE_CJK and try_decode(body, detected) is not None:
        return None
    return body.decode("utf-8", errors=CP1252_FALLBACK), "utf-8"


def decode_body(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Return (text, codec name) for a body, trying BOM, header, markup, mislabelled UTF-8, detection, then UTF-8."""
    bom, skip = bom_charset(body)
    if bom:
        return body[skip:].decode(bom, errors="replace"), bom
    markup = declared_in_markup(body)
    clues = [header_charset, markup]
    if normalize_charset(header_charset) == "cp1252":  # often a server default, not the page's word
        clues = [markup, "utf-8", header_charset]
    for clue in clues:
        decoded = try_decode(body, clue)
        if decoded is not None:
            return decoded
    if body.isascii():
        return body.decode("ascii"), "utf-8"
    decoded = mislabelled_utf8(body, [header_charset, markup]) or try_decode(body, detect_charset(body))
    if decoded is not None:
        return decoded
    return body.decode("utf-8", errors="replace"), "utf-8"
