"""Find places and co-operating city pairs in English and Chinese text, using the place registry (placenames).

Places are looked up, not listed here: an English capitalised run or a stretch of Chinese characters is a place when
the registry knows it (any city in the world, Chinese provinces and cities, our regions and zones). A *strong* form
counts wherever it is written; a *weak* one (a smaller city, or a word such as Reading or 中山 that is also a city's
name) only inside a pair or sister-city phrase, where the context says it is a place.

Our own rules are only about abbreviations and compounds: Chinese one-character abbreviations (沪 港 深 穗 澳 京 粤 ...)
are trusted only inside compounds of two or more (沪港合作, 深港融合, 粤港澳三地), never alone, and regional frameworks
stay regions: 粤港澳大湾区 -> Greater Bay Area (not expanded), 长三角 -> Yangtze River Delta.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .placenames import fold_en, place_index, place_name
from .textutil import to_simplified, word_boundaries

_COOP_EN = (r"(?:co-?operation|collaboration|partnership|integration|relations?|relationship|exchanges?|ties|linkages?|"
            r"co-?operation meeting|sister[- ]cit(?:y|ies)|twin(?:ned|ning)?[- ]cit(?:y|ies)|friendship[- ]cit(?:y|ies)|"
            r"sister[- ](?:state|province)s?|twinning|friendship)")
_COOP_ZH = r"(?:合作|融合|交流|一体化|协同|联动|携手|同行|联盟|两地|双城|互联互通|经贸|大学联盟|大都市)"
# a relationship between two cities, strong enough to pair them anywhere in the same sentence
_RELATION_EN = re.compile(r"sister[- ]?cit(?:y|ies)|twin(?:ned|ning)?[- ]cit(?:y|ies)|twinning|friendship[- ]cit(?:y|ies)|"
                          r"sister[- ](?:state|province)|sister[- ]city|sisterhood", re.I)
_RELATION_ZH = re.compile(r"友好城市|姊妹城市|姐妹城市|友城|结好|缔结|结为友好|友好交流城市|友好合作关系|合作备忘录|友好关系")


@dataclass(frozen=True)
class PlaceHit:
    """One place found in a text: canonical name, the text as written, its offset and whether it is a strong form."""

    name: str
    surface: str
    start: int
    strong: bool = True

    @property
    def end(self) -> int:
        return self.start + len(self.surface)


_EN_TOKEN = re.compile(r"[A-Z][\w]*(?:['’][\w]+)*\.?|\b[a-z][A-Z][a-z]+\b|(?<=\s)(?:de|del|da|do|dos|la|le|am|upon|sur|al|el)(?=\s[A-Z])")
_EN_JOIN = re.compile(r"^(?: |[-–—‐‑])$")


def _en_runs(text: str) -> list[list[re.Match[str]]]:
    """Split text into runs of capitalised tokens joined by one space or a dash."""
    runs: list[list[re.Match[str]]] = []
    last_end = -2
    for m in _EN_TOKEN.finditer(text):
        if runs and _EN_JOIN.match(text[last_end:m.start()]):
            runs[-1].append(m)
        else:
            runs.append([m])
        last_end = m.end()
    return runs


def _en_lookup(form: str) -> tuple[str, str] | None:
    """Return (canonical, matched form) for an English form, trying it without a final period or possessive."""
    index = place_index()
    for candidate in (form, form.rstrip("."), re.sub(r"['’]s\.?$", "", form)):
        key = fold_en(candidate)
        if key in index.en:
            return index.en[key], candidate
        if key[:1].islower() and key[:1].upper() + key[1:] in index.en:  # eThekwini, written with a small first letter
            return index.en[key[:1].upper() + key[1:]], candidate
    return None


_PLACE_FOLLOWERS = {
    "City", "Cities", "Sister", "Municipal", "Municipality", "Government", "Council", "Mayor", "Province", "Provincial",
    "Prefecture", "Prefectural", "Metropolitan", "Relationship", "Relations", "Cooperation", "Co-operation", "Forum",
    "Symposium", "Summit", "Conference", "Agreement", "Memorandum", "Friendship", "Youth", "Expo", "Delegation",
    "Partnership", "Dialogue", "Seminar", "Roundtable", "Week", "Day", "Days", "Festival", "Office", "Committee",
}


def _alone_in_run(run: list[re.Match[str]], i: int, j: int, text: str = "") -> bool:
    """Tell whether tokens i..j-1 stand alone in their capitalised run (or only place words such as City follow).

    A dash is a run's edge too: in "Tsuyama-Santa Fe" each side stands alone.
    """
    left = i == 0 or _DASH.fullmatch(text[run[i - 1].end():run[i].start()] or " ") is not None
    right = (j == len(run) or run[j].group(0).rstrip(".") in _PLACE_FOLLOWERS
             or _DASH.fullmatch(text[run[j - 1].end():run[j].start()] or " ") is not None)
    return left and right


_DASH = re.compile(r"[-–—‐‑]")


_CITY_MARK_EN = re.compile(r"\b[Cc]ity of\s+$")


def find_en_places(text: str, weak: bool = False) -> list[PlaceHit]:
    """Return English places (longest match first in each capitalised run); weak forms only when asked."""
    index = place_index()
    hits: list[PlaceHit] = []
    for run in _en_runs(text):
        i = 0
        while i < len(run):
            for j in range(min(len(run), i + index.en_max_words), i, -1):
                found = _en_lookup(text[run[i].start():run[j - 1].end()])
                if found and fold_en(found[1]) in index.not_en and not _CITY_MARK_EN.search(text[:run[i].start()]):
                    found = None  # "Reading", "Victoria": a place only as "the City of Reading"
                if found:
                    strong = fold_en(found[1]) in index.en_strong
                    if not strong and not _alone_in_run(run, i, j, text):
                        found = None  # "Paul Naka": a weak form inside a longer name is part of that name
                if found:
                    if strong or weak:
                        hits.append(PlaceHit(found[0], found[1], run[i].start(), strong))
                    i = j
                    break
            else:
                i += 1
    return hits


def _whole_words(simp: str, start: int, end: int) -> bool:
    """Tell whether a Chinese span starts and ends on word boundaries (北海 is no place in 拱北海关).

    A place written with its administrative suffix (大分市, 广东省) ends on the suffix.
    """
    bounds = word_boundaries(simp)
    return start in bounds and (end in bounds or (simp[end:end + 1] in "市省县区" and end + 1 in bounds))


def find_zh_places(text: str, simp: str | None = None, weak: bool = False) -> list[PlaceHit]:
    """Return Chinese places (longest first, left to right) in simplified text; weak forms only when asked or before 市."""
    index = place_index()
    simp = simp if simp is not None else to_simplified(text)
    hits: list[PlaceHit] = []
    i = 0
    while i < len(simp) - 1:
        if simp[i] not in index.zh_first:
            i += 1
            continue
        for length in range(min(index.zh_max, len(simp) - i), 1, -1):
            form = simp[i:i + length]
            if form in index.zh and (form not in index.not_zh or simp[i + length:i + length + 1] == "市"):
                strong = form in index.zh_strong or (simp[i + length:i + length + 1] == "市" and len(form) >= 2)
                if (strong or weak) and (form in index.zh_curated or _whole_words(simp, i, i + length)):
                    hits.append(PlaceHit(index.zh[form], text[i:i + length], i, strong))
                    i += length - 1
                break
        i += 1
    return hits


def find_places(text: str, simp: str | None = None, weak: bool = False) -> list[PlaceHit]:
    """Return every place named in full in the text (English and Chinese), in order of appearance."""
    hits = find_en_places(text, weak)
    if re.search(r"[\u4e00-\u9fff]", text):
        hits += find_zh_places(text, simp, weak)
    return sorted(hits, key=lambda h: h.start)


def is_place(text: str) -> bool:
    """Tell whether the whole text names a known place (any strength, not a word listed as not a place)."""
    text = text.strip()
    if not text:
        return False
    index = place_index()
    found = _en_lookup(text)
    if found and fold_en(found[1]) not in index.not_en:
        return True
    simp = to_simplified(text)
    return simp in index.zh and simp not in index.not_zh


def leading_place(text: str) -> PlaceHit | None:
    """Return the strong place a capitalised run starts with ("Los Angeles Liang Lingguang" -> Los Angeles), or None."""
    hits = find_en_places(text)
    return hits[0] if hits and hits[0].start == 0 else None


def expand_abbreviations(compound: str) -> list[str]:
    """Return the places of a Chinese abbreviation compound such as 沪港 or 粤港澳 (simplified script)."""
    out: list[str] = []
    abbreviations = place_index().abbreviations
    for ch in compound:
        place = abbreviations.get(ch)
        if place and place not in out:
            out.append(place)
    return out


_EVENT_ZH = r"(?:研讨|论坛|峰会|高峰|圆桌|座谈|会议|会谈|对话|联席|智库|沙龙|讲座|签约|协议)"
# words whose last character is also an abbreviation (加深沪港合作, 平台港澳 ...): that character is not a place there
_BOUND_BEFORE = ("加深", "资深", "高深", "深深", "平台", "舞台", "出台", "讲台", "电台", "后台", "前台", "柜台", "明珠",
                 "明星", "卫星", "新星", "安宁", "辽宁", "南宁", "济宁", "江苏", "姑苏", "南京", "北京", "东京", "香港",
                 "澳门")


def _abbreviation_re() -> re.Pattern[str]:
    """Return the pattern of a compound of abbreviations (沪港, 深港, 粤澳 ...) before a co-operation or event word.

    The compound may be a few topic characters away from that word (沪澳文化交流座谈会), or come before 之间 and a
    co-operation word (深港之间建立规则衔接机制).
    """
    chars = "".join(place_index().abbreviations)
    return re.compile(
        rf"[{chars}]{{2,6}}(?=三地|四地|大湾区|[\u4e00-\u9fff]{{0,6}}?(?:{_COOP_ZH}|{_EVENT_ZH})|"
        rf"之间[^。；]{{0,20}}?(?:合作|衔接|对接|协同|联动|互认|机制))"
    )


_ABBR_RE: list[re.Pattern[str]] = []


def abbreviation_compounds(simp: str) -> list[tuple[int, str, list[str], str]]:
    """Return (offset, compound, places, following text) for compounds like 沪港合作 in simplified text."""
    if not _ABBR_RE:
        _ABBR_RE.append(_abbreviation_re())
    chars = place_index().abbreviations
    out = []
    for m in _ABBR_RE[0].finditer(simp):
        before = simp[max(0, m.start() - 1):m.start()]
        if before and before in chars:
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


def _pairable(a: str, b: str) -> bool:
    """Tell whether two places can form a co-operation pair (two different places, neither a whole region)."""
    return a != b and "Greater Bay Area" not in (a, b) and "Yangtze River Delta" not in (a, b)


_ZH_JOIN = re.compile(r"^市?\s*[·・、与和及同跟—–-]\s*$")
_ZH_JOIN_VIA_COUNTRY = re.compile(r"^市?\s*[与和同跟]\s*[\u4e00-\u9fff]{2,4}$")  # 杭州市与希腊西希腊大区: a country between
_ZH_AFTER_PAIR = re.compile(rf"^(?:市|特区)?(?:两地|双方|之间|两市|在[^。，]{{0,12}})?[^。；]{{0,10}}?{_COOP_ZH}")


def zh_pairs(simp: str) -> list[tuple[list[str], str]]:
    """Find two-party co-operation pairs in simplified Chinese text, with the phrase each came from."""
    out: list[tuple[list[str], str]] = []
    for start, compound, places, after in abbreviation_compounds(simp):
        if len(places) != 2 or after.startswith(("大湾区", "三地")):
            continue
        if compound == "港澳" and not after.startswith("合作"):
            continue  # 港澳 is the usual grouping "Hong Kong and Macao", not a co-operation pair
        out.append((sorted_pair(*places), simp[start:start + len(compound) + 4]))
    hits = find_zh_places(simp, simp, weak=True)
    for k, (a, b, c) in enumerate(zip(hits, hits[1:], hits[2:] + [None])):
        gap = simp[a.end:b.start]
        if k > 0 and re.match(r"^市?\s*[、，,]\s*$", simp[hits[k - 1].end:a.start]):
            continue  # 上海、香港、深圳: the end of a list, not a pair
        if not (_ZH_JOIN.match(gap) or _ZH_JOIN_VIA_COUNTRY.match(gap)) or not _pairable(a.name, b.name):
            continue
        if c is not None and _ZH_JOIN.match(simp[b.end:c.start]) and not simp[b.end:c.start].strip("市") in ("与", "和"):
            continue  # 上海、香港、深圳: a list of three, not a pair
        sentence_end = min([i for i in (simp.find(ch, b.end) for ch in "。；\n") if i >= 0] or [len(simp)])
        sentence = simp[max(simp.rfind("。", 0, a.start), 0):sentence_end]
        if _ZH_AFTER_PAIR.match(simp[b.end:]) or _RELATION_ZH.search(sentence):
            if not (a.strong and b.strong) and not _RELATION_ZH.search(sentence) and not _ZH_AFTER_PAIR.match(simp[b.end:]):
                continue
            out.append((sorted_pair(a.name, b.name), simp[a.start:min(sentence_end, b.end + 12)]))
            out += _inherited_subject_pairs(simp, a, b.end, sentence_end, hits)
    return out


_ZH_NEXT_PARTNER = re.compile(r"[，,；;]\s*(?:并|还|同时|也|另外|此外)?(?:与|和|同|跟)")
_ZH_PARTNER_ACT = re.compile(r"签署|签订|缔结|交换|建立|结为|结成|达成|续签")


def _inherited_subject_pairs(simp: str, subject: PlaceHit, start: int, end: int, hits: list[PlaceHit]) -> list[tuple[list[str], str]]:
    """Return pairs of a later clause that keeps the sentence's subject (杭州市与A签署……，与B交换了意向书 -> 杭州-B)."""
    out: list[tuple[list[str], str]] = []
    for m in _ZH_NEXT_PARTNER.finditer(simp, start, end):
        partner = next((h for h in hits if m.end() <= h.start <= m.end() + 8), None)
        clause_end = min([i for i in (simp.find(ch, m.end()) for ch in "，,。；;") if i >= 0] or [end])
        if partner and _ZH_PARTNER_ACT.search(simp[partner.end:clause_end]) and _pairable(subject.name, partner.name):
            out.append((sorted_pair(subject.name, partner.name), simp[m.start():clause_end]))
    return out


_EVENT_EN = (r"(?:seminar|symposium|forum|round-?table|dialogue|conference|summit|workshop|meeting|colloquium|"
             r"programme|program|agreement|memorandum|mou|accord|initiative)s?\b")
_FUNCTION_WORDS = (r"(?:the|a|an|of|on|in|at|to|for|and|or|with|by|from|is|was|were|are|be|been|has|have|had|will|would|"
                   r"that|which|who|as|its|their|his|her|this|these|those|than|between)\b")
_DASH_GAP = re.compile(r"^\s?[-–—‐‑/]\s?$")
_AND_GAP = re.compile(r"^(?:\s+(?:City|Municipality|Metropolitan City|Prefecture|Province))?\s+(?:and|&)\s+(?:the\s+)?(?:[Cc]ity\s+of\s+)?$")
_LIST_GAP = re.compile(r"^,\s+$")
_AFTER_JOINED = re.compile(rf"^(?:\s+(?!{_FUNCTION_WORDS})[\w’'-]+){{0,3}}?\s+(?:{_COOP_EN}|{_EVENT_EN})", re.I)
_BEFORE_JOINED = re.compile(
    r"(?:\b(?:memorandum|mou|agreement|accord|programme|program)\s+(?:of understanding\s+)?(?:on|for)\s+(?:the\s+)?"
    r"(?:joint\s+)?|\bjoint\s+)$", re.I)
_BEFORE_BETWEEN = re.compile(rf"{_COOP_EN}\s+(?:between|of)\s+(?:the\s+)?(?:[Cc]ity\s+of\s+)?$", re.I)
_AFTER_AND = re.compile(rf"^\s+(?:(?:should|will|to|can)\s+)?(?:co-?operate|collaborate)|^\s+{_COOP_EN}", re.I)
_WITH_PARTNER = re.compile(
    rf"(?:{_COOP_EN}|agreement|memorandum|mou|twining|understanding|intent|accord|pact|protocol|declaration)\s+with\s+"
    r"(?:the\s+)?(?:[Cc]ity\s+of\s+)?$", re.I)
# a signing in the sentence makes "A ... signed a letter of intent ... with B" a two-party act
_SIGNED_EN = re.compile(r"\b(?:signed|inked|sealed|re-?signed|renewed|concluded|established|exchanged)\b", re.I)


_PAST_ACT_EN = re.compile(r"\boriginally\b|\bback in\b|\bthen\s+(?:mayors?|governors?|leaders?)\b", re.I)


def en_pairs(text: str) -> list[tuple[list[str], str]]:
    """Find two-party co-operation pairs in English text ("Shanghai-Hong Kong Cooperation", "between X and Y")."""
    out: list[tuple[list[str], str]] = []
    for start, sentence in _sentences(text):
        if _PAST_ACT_EN.search(sentence):
            continue  # "Cincinnati originally signed ... back in 1994": a past act, not this event's pair
        hits = find_en_places(sentence, weak=True)
        if len(hits) < 2 and not _RELATION_EN.search(sentence):
            continue
        out += _joined_pairs(sentence, hits) + _sister_pairs(sentence, hits)
    return _unique(out)


def _sentences(text: str) -> list[tuple[int, str]]:
    """Split English text into sentences (and lines), keeping offsets."""
    out = []
    start = 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z“\"])|\n+", text):
        out.append((start, text[start:m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(s, t) for s, t in out if t.strip()]


def _joined_pairs(sentence: str, hits: list[PlaceHit]) -> list[tuple[list[str], str]]:
    """Return pairs written next to each other: A–B Forum, joint A-B centre, co-operation between A and B."""
    out: list[tuple[list[str], str]] = []
    for k, (a, b) in enumerate(zip(hits, hits[1:])):
        gap, before, after = sentence[a.end:b.start], sentence[:a.start], sentence[b.end:]
        if not _pairable(a.name, b.name):
            continue
        if _DASH_GAP.match(gap):
            prev_dash = k > 0 and _DASH_GAP.match(sentence[hits[k - 1].end:a.start])
            next_dash = k + 2 < len(hits) and _DASH_GAP.match(sentence[b.end:hits[k + 2].start])
            if not prev_dash and not next_dash and (_AFTER_JOINED.match(after) or _BEFORE_JOINED.search(before)):
                out.append((sorted_pair(a.name, b.name), sentence[a.start:b.end + 40].strip()))
        elif _AND_GAP.match(gap) and (_BEFORE_BETWEEN.search(before) or _AFTER_AND.match(after)):
            if _AFTER_AND.match(after) and not _BEFORE_BETWEEN.search(before) and {a.name, b.name} == {"Hong Kong", "Macao"}:
                continue  # "Hong Kong and Macao" is the usual grouping, not a pair
            if re.search(r"(?:,|、)\s*$", before) and not _BEFORE_BETWEEN.search(before):
                continue  # the end of a longer list ("Guangdong, Hong Kong and Macao cooperation")
            out.append((sorted_pair(a.name, b.name), sentence[max(0, a.start - 30):b.end + 30].strip()))
    return out


def _sister_pairs(sentence: str, hits: list[PlaceHit]) -> list[tuple[list[str], str]]:
    """Return pairs in a sentence about a sister-city (twinning, friendship-city) relationship.

    The two cities are joined by "and" or a comma ("Shanghai and Dubai ... sister-city relations"), or one is
    the subject and the other follows "relationship with" ("Los Angeles marks ... sister-city relationship with
    Guangzhou"), or the partner is written "City, Country" ("with Athens, Greece").
    """
    if not _RELATION_EN.search(sentence):
        return _signed_with_pairs(sentence, hits) if _SIGNED_EN.search(sentence) else []
    out: list[tuple[list[str], str]] = []
    for k, (a, b) in enumerate(zip(hits, hits[1:])):
        gap = sentence[a.end:b.start]
        third = k + 2 < len(hits) and re.match(r"^(?:,|\s+and)\s", sentence[b.end:hits[k + 2].start])
        if (_AND_GAP.match(gap) or _LIST_GAP.match(gap) or re.match(r"^\s+and\s+(?:\w+\s+){0,3}$", gap)) and not third:
            if _pairable(a.name, b.name) and not re.search(r"(?:,|\bin)\s*$", sentence[:a.start]):
                out.append((sorted_pair(a.name, b.name), sentence[:200].strip()))
    for b in hits:
        if _WITH_PARTNER.search(sentence[:b.start]):
            subject = next((h for h in hits if h.start < b.start and h.name != b.name), None)
            if subject and _pairable(subject.name, b.name):
                out.append((sorted_pair(subject.name, b.name), sentence[:200].strip()))
    return out + _city_country_pairs(sentence, hits)


def _signed_with_pairs(sentence: str, hits: list[PlaceHit]) -> list[tuple[list[str], str]]:
    """Return "A (also) signed a memorandum/letter of intent ... with B": the subject place and the partner."""
    out: list[tuple[list[str], str]] = []
    signed = _SIGNED_EN.search(sentence)
    for b in hits:
        if not _WITH_PARTNER.search(sentence[:b.start]):
            continue
        subject = next((h for h in hits if h.start < signed.start() and h.name != b.name and h.strong), None)
        if subject and _pairable(subject.name, b.name):
            out.append((sorted_pair(subject.name, b.name), sentence[:200].strip()))
    return out


_CITY_COUNTRY = re.compile(r"\b([A-Z][a-z]+(?:[- ][A-Za-z][a-z]+)?),\s+(?=(?:the\s+)?[A-Z])")


def _city_country_pairs(sentence: str, hits: list[PlaceHit]) -> list[tuple[list[str], str]]:
    """Pair the sentence's first city with partners written "City, Country" that the registry may not know."""
    strong = [h for h in hits if h.strong]
    if not strong:
        return []
    countries = place_index().countries
    out = []
    for m in _CITY_COUNTRY.finditer(sentence):
        rest = sentence[m.end():m.end() + 40]
        country = next((c for c in countries if rest.startswith(c) and not rest[len(c):len(c) + 1].isalpha()), None)
        if not country or m.group(1) in countries:
            continue
        partner = place_name(m.group(1)) or m.group(1)
        if _pairable(strong[0].name, partner) and m.start() > strong[0].start:
            out.append((sorted_pair(strong[0].name, partner), sentence[:200].strip()))
    return out


def _unique(pairs: list[tuple[list[str], str]]) -> list[tuple[list[str], str]]:
    """Keep the first evidence of each pair."""
    seen: list[list[str]] = []
    out = []
    for pair, phrase in pairs:
        if pair not in seen:
            seen.append(pair)
            out.append((pair, phrase))
    return out
