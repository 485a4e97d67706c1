"""Who is the same person across reports and scripts: registry keys, and pinyin for Chinese names.

The person registry (``person_key``) gives one key to a known person however the name is written (Carrie Lam,
林郑月娥). For everyone else a Chinese name is also given the key of its pinyin romanisation, which is how
mainland names are written in English (马兴瑞 = Ma Xingrui, 李家超 in machine translation = Li Jiachao).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

from .vocab import HAN, person_key, simplified

# the commonest Chinese surnames (single and compound), where a name mention may start
SURNAMES = set(
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟"
    "姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖"
    "文施洪辛柯庄聂温鲍左祝阮岑甘邝麦伍关欧植翁霍单仇"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "司徒", "东方", "皇甫", "慕容", "令狐", "夏侯", "尉迟", "公孙")
_TITLE_BEFORE = re.compile(r"(?:长|记|任|席|授|士|官|使|事|理|员|总|裁|首|人|委|嘉宾|代表)$")
_BOUNDARY_AFTER = re.compile(
    r"^(?:[、，,。；;：:（(\s）)]|等|和|与|及|在|表示|说|指出|出席|主持|致辞|会见|会面|率|共同|发表|介绍|认为|强调|同志|先生|"
    r"女士|教授|博士|一行|分别|也|还|为|对|以|向|到|于|是)"
)
_EN_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:-[a-z]+)?|[A-Z]\.?)(?:\s+(?:[A-Z][a-z]+(?:-[a-z]+)?|[A-Z]\.?))+")
_EN_NOT_NAME = frozenset(
    "the a an of in on at and for to by with from this that mr mrs ms dr prof hong kong chief executive secretary "
    "governor province provincial party committee government council city mayor vice president director minister "
    "chairman general deputy special administrative region people's republic china central state office".split()
)


MAX_READINGS = 8  # romanisations tried per name (characters with several readings multiply them)


@lru_cache(maxsize=20000)
def _readings(char: str) -> tuple[str, ...]:
    """Return every reading of one character, the usual one first (长 -> chang, zhang; 单 -> dan, shan)."""
    usual = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    every = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys([*usual, *(every[0] if every else [])]))


def _romanisations(chars: str) -> list[str]:
    """Return the ways a run of characters may be romanised, joined without spaces (at most MAX_READINGS)."""
    out = [""]
    for char in chars:
        out = [head + reading for head in out for reading in _readings(char) or ("",)][:MAX_READINGS]
    return [r for r in out if r]


def pinyin_keys(name: str) -> set[str]:
    """Return the person keys of a Chinese name as it would be romanised (surname and given name, any order)."""
    simp = re.sub(r"[^\u3400-\u9fff]", "", simplified(name))
    if not 2 <= len(simp) <= 4:
        return set()
    splits = [(simp[:2], simp[2:])] if simp[:2] in COMPOUND_SURNAMES and len(simp) > 2 else []
    splits.append((simp[:1], simp[1:]))
    keys = set()
    for surname, given in splits:
        for family in _romanisations(surname):
            keys |= {"person:" + "-".join(sorted([family, first])) for first in _romanisations(given)}
    return keys


def identity_keys(name: str, key: str | None = None) -> set[str]:
    """Return every key under which a person may be recognised: registry key, slug, pinyin keys."""
    keys = {person_key(name)}
    if key:
        keys.add(key)
    if HAN.search(name):
        keys |= pinyin_keys(name)
    return {k for k in keys if k and k != "person:"}


def text_name_keys(text: str, lang: str, strict: bool = False) -> set[str]:
    """Return the person keys of every name-like string in a text.

    Chinese: two to four characters from a surname on (``strict``: only where a title comes before or a
    boundary word after, as around real names); English: runs of two or three capitalised words.
    """
    keys: set[str] = set()
    simp = simplified(text)
    for match in re.finditer(r"[\u3400-\u9fff]+", simp):
        keys |= _han_run_keys(match.group(0), strict)
    for match in _EN_NAME.finditer(text):
        keys |= _english_run_keys(match.group(0))
    return keys


def _han_run_keys(run: str, strict: bool) -> set[str]:
    """Return the name keys of the surname-led substrings of one run of Han characters."""
    keys: set[str] = set()
    for i, char in enumerate(run):
        if char not in SURNAMES and run[i:i + 2] not in COMPOUND_SURNAMES:
            continue
        for length in (2, 3, 4):
            candidate = run[i:i + length]
            if len(candidate) < length:
                break
            registered = person_key(candidate)
            if not registered.startswith("person:" + candidate):
                keys.add(registered)  # a registry alias (林郑月娥 -> person:carrie-lam)
            if length == 4 or (strict and not _looks_like_name(run, i, i + length)):
                continue
            keys |= pinyin_keys(candidate)
            keys.add("person:" + candidate)
    return keys


def _looks_like_name(run: str, start: int, end: int) -> bool:
    """Tell whether run[start:end] stands where a name stands: after a title, or before a boundary word."""
    return bool(_TITLE_BEFORE.search(run[:start]) or _BOUNDARY_AFTER.match(run[end:]) or end == len(run))


def _english_run_keys(run: str) -> set[str]:
    """Return the slugs of every two- and three-word window of a run of capitalised words."""
    words = run.split()
    keys: set[str] = set()
    for size in (2, 3):
        for i in range(len(words) - size + 1):
            window = words[i:i + size]
            if window[0].lower().strip(".") in _EN_NOT_NAME or window[-1].lower().strip(".") in _EN_NOT_NAME:
                continue
            keys.add(person_key(" ".join(window)))
    return keys
