"""Which places an event is about: co-operation pairs, places in its name/theme/title, participants' origins.

Places only mentioned in passing (inside speeches, as beneficiaries, as the venue) are left out on purpose.
"""

from __future__ import annotations

import re

from .gazetteer import abbreviation_compounds, en_pairs, expand_abbreviations, find_places, sorted_pair, zh_pairs
from .placenames import place_kind, place_name
from .textutil import to_simplified

_ORIGIN_ZH = re.compile(r"来自([^。；]{2,60}?)(?:等地|等城市|等国家和地区|等国|两地|三地|的)")
_ORIGIN_EN = re.compile(r"\bfrom\s+((?:[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)(?:(?:,\s*|\s+and\s+)[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)+)")
# 来自沪港的 / 粤港澳三地专家: participants' origins written as an abbreviation compound
_ORIGIN_ZH_ABBR = re.compile(
    r"来自([粤港澳沪深京穗苏浙皖津渝闽]{2,6})的|([粤港澳沪深京穗苏浙皖]{2,4})(?:三地|两地|四地)[^。，]{0,12}?(?:专家|学者|代表|嘉宾|人士|企业家|青年|官员)")
_PEOPLE_EN = re.compile(r"\b(?:participants|guests|experts|scholars|delegates|representatives|entrepreneurs|leaders|speakers)\b", re.I)
_EDU_AFTER = re.compile(r"^\s+(?:[A-Z][\w-]*\s+){0,3}(?:University|College|Institute|School|Academy|Polytechnic)\b")
_ZH_EDU_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,6}(?:大学|学院|研究院|研究所)")


def cities_and_pairs(
    text: str, simp: str, lang: str, focus: list[str], venue: str | None
) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """Return (cities, city pairs, evidence) for an event report; focus = title, name, theme, lead."""
    pairs = _pairs(text, simp, lang)
    cities: list[str] = []
    evidence: dict[str, str] = {}
    for pair, phrase in pairs:
        for place in pair:
            _add(cities, evidence, place, phrase)
    for phrase in [f for f in focus if f]:
        for place, surface in _focus_places(phrase, lang, venue):
            _add(cities, evidence, place, surface)
    for place, phrase in _origins(text, simp, lang):
        _add(cities, evidence, place, phrase)
    unique_pairs: list[list[str]] = []
    for pair, _ in pairs:
        if pair not in unique_pairs:
            unique_pairs.append(pair)
    return cities, sorted(unique_pairs), evidence


def _add(cities: list[str], evidence: dict[str, str], place: str, phrase: str) -> None:
    """Add a place once, remembering the phrase it came from."""
    if place not in cities:
        cities.append(place)
        evidence[place] = phrase[:200]


def _pairs(text: str, simp: str, lang: str) -> list[tuple[list[str], str]]:
    """Return co-operation pairs from both rule sets (Chinese text may quote English names and vice versa)."""
    found = zh_pairs(simp) if lang == "zh" else []
    return found + en_pairs(text)


def _focus_places(phrase: str, lang: str, venue: str | None) -> list[tuple[str, str]]:
    """Return places named in a title, event name or theme, except the venue and university names."""
    simp = to_simplified(phrase)
    out: list[tuple[str, str]] = []
    venue_at = phrase.find(venue) if venue else -1
    for hit in find_places(phrase, simp):
        after = phrase[hit.start + len(hit.surface):]
        if venue_at >= 0 and venue_at <= hit.start < venue_at + len(venue or ""):
            continue
        if _EDU_AFTER.match(after) or _ZH_EDU_AFTER.match(to_simplified(after)):
            continue
        out.append((hit.name, phrase))
    for _, compound, places, after in abbreviation_compounds(simp):
        if after.startswith("大湾区"):
            continue
        out += [(p, phrase) for p in places]
    return out


def _origins(text: str, simp: str, lang: str) -> list[tuple[str, str]]:
    """Return places participants are said to come from (来自上海、香港、深圳等地 / from Shanghai and Hong Kong)."""
    out: list[tuple[str, str]] = []
    for m in _ORIGIN_ZH.finditer(simp):
        segment = text[m.start():m.end()]
        out += [(h.name, segment) for h in find_places(segment, simp[m.start():m.end()])]
    for m in _ORIGIN_ZH_ABBR.finditer(simp):
        out += [(p, m.group(0)) for p in expand_abbreviations(m.group(1) or m.group(2))]
    if lang == "en":
        for m in _ORIGIN_EN.finditer(text):
            before = text[max(0, m.start() - 80):m.start()]
            if _PEOPLE_EN.search(before):
                out += [(h.name, m.group(0)) for h in find_places(m.group(1))]
    return out


# positions that speak for a city or region: the place written with them takes part in the event
_CITY_OFFICE = re.compile(r"\b(?:vice[- ]|deputy[- ])?(?:mayor|governor)\b|市长|州长|省长|知事|首席行政官|区长|县长", re.I)


def official_places(speakers: list) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """Return places the officials of an event stand for, and the pair of two signing parties.

    A mayor's or governor's city is a party to the event ("Mayor of Cincinnati", 南非开普敦市首席行政官); when the
    signatories stand for exactly two places, those two are the pair (Farmakis, governor of the Western Greece
    region, and Yao, mayor of Hangzhou, signed ...).
    """
    cities: list[str] = []
    evidence: dict[str, str] = {}
    signing: list[str | None] = []
    for person in speakers:
        place = place_of_affiliation(person.affiliation or "")
        if person.role == "signatory":
            signing.append(place if place and _government_of(person.affiliation or "", place) else None)
            if place:
                evidence.setdefault(place, f"{person.title or ''} {person.name} signed".strip())
        if place and _CITY_OFFICE.search(person.title or "") and place not in cities:
            cities.append(place)
            evidence[place] = f"{person.title} {person.name}"
    two = len(signing) == 2 and all(signing) and signing[0] != signing[1]  # exactly two parties, each a city's own
    return cities, ([sorted_pair(signing[0], signing[1])] if two else []), evidence  # type: ignore[arg-type]


_GOVERNMENT_REST = re.compile(
    r"^(?:(?:the\s+)?City\s+of|City|Municipality|Municipal Government|Municipal|Metropolitan Government|Government|"
    r"City Council|Council|region|Region|Province|Prefecture|County|市|市委|市政府|省|省政府|省委|特区政府|政府|区)?$")


def _government_of(affiliation: str, place: str) -> bool:
    """Tell whether an affiliation is a place or its government ("City of Xiamen", 哈尔滨市委), not a body named after it."""
    simp = to_simplified(affiliation)
    for hit in find_places(affiliation, simp, weak=True):
        if hit.name == place:
            rest = (affiliation[:hit.start] + " " + affiliation[hit.end:]).strip()
            rest = re.sub(r"^(?:the\s+)?(?:City\s+of)\s*$", "", rest).strip()
            return bool(_GOVERNMENT_REST.match(rest))
    return place_name(affiliation) == place


def place_of_affiliation(affiliation: str) -> str | None:
    """Return the city or region an affiliation names ("City of Xiamen", "Western Greece region", 日本大分市)."""
    if not affiliation:
        return None
    whole = place_name(affiliation)
    if whole:
        return whole if place_kind(whole) != "country" else None
    hits = [h for h in find_places(affiliation, to_simplified(affiliation), weak=True)
            if h.strong or _CITY_WORD_AFTER.match(affiliation[h.end:]) or _CITY_OF_BEFORE.search(affiliation[:h.start])]
    return hits[0].name if hits else None


# a small town's name counts in an affiliation only as a city: "Tsuyama City Council", "City of Roseau"
_CITY_WORD_AFTER = re.compile(r"\s*(?:City|Municipality|Municipal|Metropolitan|Prefecture|County|市)\b", re.I)
_CITY_OF_BEFORE = re.compile(r"\b[Cc]ity of\s+$")
