"""Ordinal numbers of editions and anniversaries, in English and Chinese (fifth = 5th = 第五届 = 第5次)."""

from __future__ import annotations

import re

from .vocab import zh_number

_UNITS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
          "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
          "nineteenth"]
_TENS = {"twent": 20, "thirt": 30, "fort": 40, "fift": 50, "sixt": 60, "sevent": 70, "eight": 80, "ninet": 90}
_ONES = {w: i for i, w in enumerate(["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}
ORDINAL_WORD = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](?:first|second|third|fourth|fifth|"
                r"sixth|seventh|eighth|ninth)|twentieth|thirtieth|fortieth|fiftieth|sixtieth|seventieth|eightieth|"
                r"ninetieth|" + "|".join(w for w in _UNITS[1:][::-1]) + ")")
ORDINAL_EN = rf"(?:(\d{{1,3}})(?:st|nd|rd|th)|({ORDINAL_WORD}))"
ZH_NUMERAL = r"[0-9０-９一二三四五六七八九十百两〇零]{1,5}"


def english_ordinal(word: str) -> int | None:
    """Return the value of an English ordinal: "fifth" -> 5, "twenty-first" -> 21, "24th" -> 24."""
    word = word.lower().strip()
    digits = re.match(r"^(\d{1,3})(?:st|nd|rd|th)?$", word)
    if digits:
        return int(digits.group(1))
    if word in _UNITS:
        return _UNITS.index(word)
    for stem, tens in _TENS.items():
        if word.startswith(stem):
            rest = re.sub(r"^[a-z]+?(?:y|ieth)[- ]?", "", word)
            if rest in ("", word):
                return tens
            return tens + (_UNITS.index(rest) if rest in _UNITS[:10] else 0)
    return None


def chinese_number(token: str) -> int | None:
    """Return the value of a Chinese or full-width numeral: 二十四 -> 24, ２４ -> 24."""
    token = token.translate(str.maketrans("０１２３４５６７８９〇零", "012345678900"))
    if token.isdigit():
        return int(token)
    return zh_number(token)
