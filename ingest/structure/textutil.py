"""Text helpers shared by the English and Chinese rule sets."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Any

_CJK = re.compile(r"[\u4e00-\u9fff]")
_converter = None


def _opencc():
    """Return the lazily created traditional-to-simplified converter (None if unavailable)."""
    global _converter
    if _converter is None:
        try:
            import opencc

            _converter = opencc.OpenCC("t2s")
        except Exception:  # pragma: no cover - optional dependency missing
            _converter = False
    return _converter or None


@lru_cache(maxsize=20000)
def _simplify_char(ch: str) -> str:
    """Return the simplified form of one character, or the character itself."""
    conv = _opencc()
    if conv is None:
        return ch
    out = conv.convert(ch)
    return out if len(out) == 1 else ch


def to_simplified(text: str) -> str:
    """Map traditional Chinese characters to simplified ones, keeping the length (offsets stay valid)."""
    if not _CJK.search(text):
        return text
    return "".join(_simplify_char(ch) if "\u3400" <= ch <= "\u9fff" else ch for ch in text)


def cjk_ratio(text: str) -> float:
    """Return the share of CJK characters among the non-space characters."""
    chars = [c for c in text[:3000] if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _CJK.match(c)) / len(chars)


def detect_language(text: str, hint: str | None = None) -> str:
    """Return "zh" or "en" for the text (a hint like "zh-CN" or "en" wins when clear)."""
    if hint:
        hint = hint.lower()
        if hint.startswith("zh"):
            return "zh"
    return "zh" if cjk_ratio(text) > 0.3 else "en"


_EN_SENT = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z“\"‘(])|\n+")
_ZH_SENT = re.compile(r"(?<=[。！？!?])|\n+")


_NO_BREAK = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|No|Co|Corp|Inc|Ltd|Gen|Sen|Rep|Gov|Hon|Amb|Ma|Supt|Atty|Engr|Capt|Col|Lt|Sgt|Msgr|vs|etc|U\.S|U\.K|e\.g|i\.e))\.[\"”’)]?$"
)


def split_sentences(text: str, lang: str) -> list[tuple[int, str]]:
    """Split text into (offset, sentence) pairs; offsets index the original text."""
    pattern = _ZH_SENT if lang == "zh" else _EN_SENT
    out: list[tuple[int, str]] = []
    start = 0
    for m in pattern.finditer(text):
        if lang != "zh" and "\n" not in m.group(0) and _NO_BREAK.search(text[max(0, m.start() - 6):m.start()]):
            continue
        if "\n" in m.group(0) and _continues(text, m.start(), m.end()):
            continue
        if m.start() > start or m.end() > start:
            _append_sentence(out, text, start, m.start())
            start = m.end()
    _append_sentence(out, text, start, len(text))
    return out


_LINE_END = re.compile(r"[.!?:;\"”’)\]。！？：；]$")


def unwrap_hard_lines(text: str) -> str:
    """Join lines of a hard-wrapped page ("Mayor Han\nZheng met") into running text, keeping every offset.

    A page counts as hard-wrapped when most of its long lines end mid-sentence; then a single newline after such
    a line becomes a space. Paragraph breaks (blank lines) and short lines (headings, menus) stay as they are.
    """
    lines = text.split("\n")
    long_lines = [ln.strip() for ln in lines if len(ln.strip()) >= 40]
    open_ends = sum(1 for ln in long_lines if not _LINE_END.search(ln))
    if len(long_lines) < 5 or open_ends < 0.6 * len(long_lines):
        return text
    out, pos = list(text), 0
    for k, line in enumerate(lines[:-1]):
        pos += len(line)
        nxt = lines[k + 1].lstrip()
        if len(line.strip()) >= 40 and not _LINE_END.search(line.strip()) and nxt[:1].isalnum():
            out[pos] = " "
        pos += 1
    return "".join(out)


def _continues(text: str, start: int, end: int) -> bool:
    """Tell whether a line break sits inside a sentence (line ends with , : ; or the next starts lowercase)."""
    before = text[:start].rstrip()
    after = text[end:end + 1]
    return bool(before) and (before[-1] in ",:;，：；、" or (after.islower() and before[-1] not in ".!?。！？"))


def _append_sentence(out: list[tuple[int, str]], text: str, start: int, end: int) -> None:
    """Append text[start:end] with its offset when it holds more than whitespace."""
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        out.append((start + chunk.index(stripped[0]), stripped))


def strip_quotes(text: str) -> str:
    """Remove enclosing quotation marks and trailing punctuation from a phrase."""
    text = text.strip()
    text = re.sub(r"^[\"“”‘’'「『《〈]+|[\"“”‘’'」』》〉]+$", "", text).strip()
    return text.rstrip(",.;:，。；：").strip()


_PINYIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,8}\)")


def strip_pinyin_glosses(text: str) -> str:
    """Remove pinyin glosses that broken mirrors insert after characters (會(huì) -> 會)."""
    return _PINYIN_GLOSS.sub("", text)


_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}


def zh_number(token: str) -> int | None:
    """Convert a numeral such as 300, 十八, 三十一, 一百 or 两千 to an int (None when it has no value)."""
    if token.isdigit():
        return int(token)
    total, current = 0, 0
    for ch in token:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += max(current, 1) * _ZH_UNITS[ch]
            current = 0
    return (total + current) or None


_segmenter_lock = threading.Lock()
_segmenter: list[Any] = []


def _jieba() -> Any:
    """Return a jieba tokenizer of our own, built on first use with its start-up logging silenced."""
    if not _segmenter:
        with _segmenter_lock:
            if not _segmenter:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _segmenter.append(tokenizer)
    return _segmenter[0]


@lru_cache(maxsize=64)
def word_boundaries(simp: str) -> frozenset[int]:
    """Return the offsets where a Chinese word starts or ends in simplified text (jieba's segmentation)."""
    bounds = {0, len(simp)}
    pos = 0
    for word in _jieba().cut(simp, HMM=False):
        pos += len(word)
        bounds.add(pos)
    return frozenset(bounds)
