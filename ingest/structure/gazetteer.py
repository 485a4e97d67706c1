"""Place gazetteer (English and Chinese) and the rules that find cities and co-operating pairs.

Every place has one English canonical name. Chinese one-character abbreviations (沪 港 深 穗 澳 京 粤 ...)
are only trusted inside compounds of two or more abbreviations (沪港合作, 深港融合, 粤港澳三地), never alone.
Regional frameworks stay regions: 粤港澳大湾区 -> Greater Bay Area (not expanded), 长三角 -> Yangtze River Delta.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textutil import to_simplified

# canonical English name -> (English variants, Chinese names in simplified script)
PLACES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Shanghai": (("Shanghai",), ("上海",)),
    "Hong Kong": (("Hong Kong", "HKSAR", "Hongkong"), ("香港",)),
    "Shenzhen": (("Shenzhen",), ("深圳",)),
    "Guangzhou": (("Guangzhou", "Canton"), ("广州", "羊城")),
    "Macao": (("Macao", "Macau"), ("澳门",)),
    "Beijing": (("Beijing",), ("北京",)),
    "Tianjin": (("Tianjin",), ("天津",)),
    "Chongqing": (("Chongqing",), ("重庆",)),
    "Hangzhou": (("Hangzhou",), ("杭州",)),
    "Nanjing": (("Nanjing",), ("南京",)),
    "Suzhou": (("Suzhou",), ("苏州",)),
    "Hefei": (("Hefei",), ("合肥",)),
    "Chengdu": (("Chengdu",), ("成都",)),
    "Wuhan": (("Wuhan",), ("武汉",)),
    "Xiamen": (("Xiamen",), ("厦门",)),
    "Zhuhai": (("Zhuhai",), ("珠海",)),
    "Foshan": (("Foshan",), ("佛山",)),
    "Dongguan": (("Dongguan",), ("东莞",)),
    "Hengqin": (("Hengqin",), ("横琴",)),
    "Qianhai": (("Qianhai",), ("前海",)),
    "Nansha": (("Nansha",), ("南沙",)),
    "Taipei": (("Taipei",), ("台北",)),
    "Taiwan": (("Taiwan",), ("台湾",)),
    "Hainan": (("Hainan",), ("海南",)),
    "Guangdong": (("Guangdong",), ("广东",)),
    "Jiangsu": (("Jiangsu",), ("江苏",)),
    "Zhejiang": (("Zhejiang",), ("浙江",)),
    "Anhui": (("Anhui",), ("安徽",)),
    "Fujian": (("Fujian",), ("福建",)),
    "Singapore": (("Singapore",), ("新加坡",)),
    "Tokyo": (("Tokyo",), ("东京",)),
    "Seoul": (("Seoul",), ("首尔",)),
    "London": (("London",), ("伦敦",)),
    "New York": (("New York",), ("纽约",)),
    "San Francisco": (("San Francisco",), ("旧金山",)),
    "Sydney": (("Sydney",), ("悉尼",)),
    "Kuala Lumpur": (("Kuala Lumpur",), ("吉隆坡",)),
    "Bangkok": (("Bangkok",), ("曼谷",)),
    "Dubai": (("Dubai",), ("迪拜",)),
    "Greater Bay Area": (
        ("Greater Bay Area", "Guangdong-Hong Kong-Macao Greater Bay Area", "Guangdong-Hong Kong-Macao Bay Area",
         "Guangdong-Hong Kong-Macau Greater Bay Area", "GBA"),
        ("粤港澳大湾区", "大湾区"),
    ),
    "Yangtze River Delta": (("Yangtze River Delta", "YangtzeRiver Delta"), ("长三角", "长江三角洲")),
}

# one-character Chinese abbreviations (simplified script), only used inside compounds
ABBREVIATIONS: dict[str, str] = {
    "沪": "Shanghai", "港": "Hong Kong", "深": "Shenzhen", "穗": "Guangzhou", "澳": "Macao",
    "京": "Beijing", "粤": "Guangdong", "苏": "Jiangsu", "浙": "Zhejiang", "皖": "Anhui",
    "津": "Tianjin", "渝": "Chongqing", "闽": "Fujian", "琼": "Hainan", "台": "Taiwan",
    "杭": "Hangzhou", "宁": "Nanjing", "珠": "Zhuhai", "莞": "Dongguan", "星": "Singapore",
    "陕": "Shaanxi", "鲁": "Shandong", "湘": "Hunan", "鄂": "Hubei", "赣": "Jiangxi", "蓉": "Chengdu", "豫": "Henan",
    "滇": "Yunnan", "黔": "Guizhou",
}

COUNTRIES = (
    "China|Greece|Ireland|the Republic of Korea|Republic of Korea|South Korea|Korea|Japan|France|Germany|Italy|"
    "Spain|Portugal|the United Kingdom|United Kingdom|UK|the United States|United States|USA|U\\.S\\.|Canada|"
    "Australia|New Zealand|Russia|India|Egypt|Brazil|Argentina|Mexico|Chile|Peru|South Africa|Kenya|Nigeria|"
    "Turkey|Iran|Israel|Netherlands|Belgium|Switzerland|Austria|Sweden|Norway|Denmark|Finland|Poland|Hungary|"
    "Czech Republic|Vietnam|Thailand|Malaysia|Indonesia|the Philippines|Philippines|Pakistan|Kazakhstan|Mongolia"
)

_COOP_EN = r"(?:co-?operation|collaboration|partnership|integration|relations?|relationship|exchanges?|ties|linkages?|co-?operation meeting)"
_COOP_ZH = r"(?:合作|融合|交流|一体化|协同|联动|携手|同行|联盟|两地|双城|互联互通|经贸|大学联盟|大都市)"


@dataclass(frozen=True)
class PlaceHit:
    """One place found in a text: canonical name, the text as written, and its offset."""

    name: str
    surface: str
    start: int


def _alternation(names: list[str]) -> str:
    """Join names into one regex alternation, longest first."""
    return "|".join(re.escape(v) for v in sorted(names, key=len, reverse=True))


_EN_LOOKUP: dict[str, str] = {v.lower(): canon for canon, (ens, _) in PLACES.items() for v in ens}
_ZH_LOOKUP: dict[str, str] = {v: canon for canon, (_, zhs) in PLACES.items() for v in zhs}
EN_PLACE_RE = re.compile(rf"(?<![A-Za-z])(?:{_alternation([v for ens, _ in PLACES.values() for v in ens])})(?![a-z])")
ZH_PLACE_RE = re.compile(_alternation(list(_ZH_LOOKUP)))
_ABBR_CHARS = "".join(ABBREVIATIONS)
_EVENT_ZH = r"(?:研讨|论坛|峰会|高峰|圆桌|座谈|会议|会谈|对话|联席|智库|沙龙|讲座|签约|协议)"
# a compound of abbreviations (沪港, 深港, 粤澳 ...) before a co-operation or event word, a few topic characters apart
# at most (沪澳文化交流座谈会), or before 之间 + a co-operation word (深港之间建立规则衔接机制)
ZH_ABBR_RE = re.compile(
    rf"[{_ABBR_CHARS}]{{2,6}}(?=三地|四地|大湾区|[\u4e00-\u9fff]{{0,6}}?(?:{_COOP_ZH}|{_EVENT_ZH})|"
    rf"之间[^。；]{{0,20}}?(?:合作|衔接|对接|协同|联动|互认|机制))"
)
# words whose last character is also an abbreviation (加深沪港合作, 平台港澳 ...): that character is not a place there
_BOUND_BEFORE = ("加深", "资深", "高深", "深深", "平台", "舞台", "出台", "讲台", "电台", "后台", "前台", "柜台", "明珠",
                 "明星", "卫星", "新星", "安宁", "辽宁", "南宁", "济宁", "江苏", "姑苏", "南京", "北京", "东京", "香港",
                 "澳门")


def find_places(text: str, simp: str | None = None) -> list[PlaceHit]:
    """Return every gazetteer place named in full in the text (English and Chinese)."""
    hits = [PlaceHit(_EN_LOOKUP[m.group(0).lower()], m.group(0), m.start()) for m in EN_PLACE_RE.finditer(text)]
    simp = simp if simp is not None else to_simplified(text)
    hits += [PlaceHit(_ZH_LOOKUP[m.group(0)], text[m.start():m.end()], m.start()) for m in ZH_PLACE_RE.finditer(simp)]
    return sorted(hits, key=lambda h: h.start)


def expand_abbreviations(compound: str) -> list[str]:
    """Return the places of a Chinese abbreviation compound such as 沪港 or 粤港澳 (simplified script)."""
    out: list[str] = []
    for ch in compound:
        place = ABBREVIATIONS.get(ch)
        if place and place not in out:
            out.append(place)
    return out


def abbreviation_compounds(simp: str) -> list[tuple[int, str, list[str], str]]:
    """Return (offset, compound, places, following text) for compounds like 沪港合作 in simplified text."""
    out = []
    for m in ZH_ABBR_RE.finditer(simp):
        before = simp[max(0, m.start() - 1):m.start()]
        if before and before in _ABBR_CHARS:
            continue
        start = m.start() + 1 if simp[max(0, m.start() - 1):m.start() + 1] in _BOUND_BEFORE else m.start()
        compound = simp[start:m.end()]
        places = expand_abbreviations(compound)
        if len(compound) >= 2 and len(places) >= 2:
            out.append((start, compound, places, simp[m.end():m.end() + 6]))
    return out


def sorted_pair(a: str, b: str) -> list[str]:
    """Return the two places as a sorted two-item list."""
    return sorted([a, b])


def zh_pairs(simp: str) -> list[tuple[list[str], str]]:
    """Find two-party co-operation pairs in simplified Chinese text, with the phrase each came from."""
    out: list[tuple[list[str], str]] = []
    for start, compound, places, after in abbreviation_compounds(simp):
        if len(places) != 2 or after.startswith(("大湾区", "三地")):
            continue
        if compound == "港澳" and not after.startswith("合作"):
            continue  # 港澳 is the usual grouping "Hong Kong and Macao", not a co-operation pair
        out.append((sorted_pair(*places), simp[start:start + len(compound) + 4]))
    for m in _ZH_PAIR.finditer(simp):
        a, b = _ZH_LOOKUP[m.group(1)], _ZH_LOOKUP[m.group(2)]
        if a != b and "Greater Bay Area" not in (a, b):
            out.append((sorted_pair(a, b), m.group(0)))
    return out


_PLACE = EN_PLACE_RE.pattern
_DASH = "-–—‐‑/"
_EVENT_EN = (r"(?:seminar|symposium|forum|round-?table|dialogue|conference|summit|workshop|meeting|colloquium|"
             r"programme|program|agreement|memorandum|mou|accord|initiative)s?\b")
_FUNCTION_WORDS = (r"(?:the|a|an|of|on|in|at|to|for|and|or|with|by|from|is|was|were|are|be|been|has|have|had|will|would|"
                   r"that|which|who|as|its|their|his|her|this|these|those|than|between)\b")
_PAIR_EN = rf"(?<![{_DASH}A-Za-z])({_PLACE})\s?[{_DASH}]\s?({_PLACE})(?!\s?[{_DASH}]\s?[A-Z])"
# "Shanghai-Hong Kong Cooperation", "the Shenzhen–Hong Kong Talent Roundtable", "Hong Kong–Macao heritage seminar":
# a dash- or slash-joined pair that names a co-operation, an event or an agreement (up to three words apart)
_JOINED = re.compile(rf"{_PAIR_EN}(?:\s+(?!{_FUNCTION_WORDS})[\w’'-]+){{0,3}}?\s+(?:{_COOP_EN}|{_EVENT_EN})", re.I)
# "Memorandum on Shenzhen–Hong Kong Research", "a joint Guangzhou–Macao research centre"
_JOINED_AFTER = re.compile(
    rf"(?:\b(?:memorandum|mou|agreement|accord|programme|program)\s+(?:of understanding\s+)?(?:on|for)\s+(?:the\s+)?"
    rf"(?:joint\s+)?|\bjoint\s+){_PAIR_EN}", re.I)
_BETWEEN = re.compile(rf"{_COOP_EN}\s+(?:between|of)\s+({_PLACE})\s+and\s+({_PLACE})", re.I)
# "Hong Kong and Guangdong cooperation joint conference": two places joined by "and" right before a co-operation word
_AND_COOP = re.compile(rf"(?<![,、]\s)(?<!,)\b({_PLACE})\s+and\s+({_PLACE})\s+(?:{_COOP_EN})", re.I)
_TWOCITY = re.compile(rf"({_PLACE})\s+and\s+({_PLACE})\s+(?:should\s+|will\s+|to\s+|can\s+)?(?:co-?operate|collaborate)", re.I)
_ZH_FULL = _alternation(list(_ZH_LOOKUP))
_ZH_PAIR = re.compile(rf"({_ZH_FULL})\s*[·・、与和及同—–-]\s*({_ZH_FULL})(?:两地|双方|之间|在[^。，]{{0,12}})?[^。；]{{0,10}}?{_COOP_ZH}")


def en_pairs(text: str) -> list[tuple[list[str], str]]:
    """Find two-party co-operation pairs in English text ("Shanghai-Hong Kong Cooperation", "between X and Y")."""
    out: list[tuple[list[str], str]] = []
    if not EN_PLACE_RE.search(text):
        return out
    for pat in (_JOINED, _JOINED_AFTER, _BETWEEN, _TWOCITY, _AND_COOP):
        for m in pat.finditer(text):
            a, b = _EN_LOOKUP[m.group(1).lower()], _EN_LOOKUP[m.group(2).lower()]
            if pat is _AND_COOP and {a, b} == {"Hong Kong", "Macao"}:
                continue  # "Hong Kong and Macao" is the usual grouping, not a pair
            if a != b and "Greater Bay Area" not in (a, b):
                out.append((sorted_pair(a, b), m.group(0)))
    return out + _sister_city_pairs(text)


_SISTER = re.compile(r"(?:sister[- ]cit(?:y|ies)|friendship[- ]cit(?:y|ies)|twin(?:ned)? cit(?:y|ies)|sister[- ](?:state|province))", re.I)
_CITY_COUNTRY = re.compile(rf"\b([A-Z][a-z]+(?:[- ][A-Za-z]+)?),\s+(?:{COUNTRIES})\b")


def _sister_city_pairs(text: str) -> list[tuple[list[str], str]]:
    """Pair a hub city with partners written as "City, Country" in sentences about sister cities."""
    out: list[tuple[list[str], str]] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if not _SISTER.search(sentence):
            continue
        hubs = [_EN_LOOKUP[m.group(0).lower()] for m in EN_PLACE_RE.finditer(sentence)]
        if not hubs:
            continue
        for m in _CITY_COUNTRY.finditer(sentence):
            if m.group(1) != hubs[0]:
                out.append((sorted_pair(hubs[0], m.group(1)), sentence[:200]))
    return out
