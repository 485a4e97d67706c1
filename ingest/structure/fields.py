"""Event fields besides people and dates: theme, event name, venue, organisers, attendance, sessions.

Each function returns (value, evidence) where evidence is the text the value came from (None when absent).
English and Chinese rules are separate; Chinese rules read the simplified-script copy and slice the original.
"""

from __future__ import annotations

import re

from .classify import _noun_hits
from .dates import MONTH_NAMES
from .gazetteer import find_places
from .placenames import place_index, place_kind, place_name
from .textutil import strip_quotes, to_simplified, zh_number

Q_OPEN, Q_CLOSE = "“\"「『", "”\"」』"
_QUOTED = rf"[{Q_OPEN}]([^{Q_CLOSE}\n]{{3,200}}?)[{Q_CLOSE}]"
EN_EVENT = r"(?:Symposium|Forum|Seminar|Conference|Summit|Round[- ]?table|Workshop|Lecture(?: Series)?|Meeting|Luncheon|Webinar|Colloquium|Dialogue|Ceremony)"
ZH_EVENT = r"(?:研讨会|论坛|峰会|年会|座谈会|圆桌会|讲座|会讲|大会|交流会|报告会|联席会议|会议)"

EN_THEME = [
    re.compile(rf"\bthemed\s+(?:with\s+|as\s+)?{_QUOTED}"),
    re.compile(rf"\b(?:titled|entitled|under the (?:title|banner)(?: of)?)\s*:?\s*{_QUOTED}", re.I),
    re.compile(rf"\b(?:on|under|with|around)\s+the\s+(?:theme|topic)\s*(?:of\s*|:\s*)?{_QUOTED}", re.I),
    re.compile(rf"\b(?:theme|topic)\s*(?:was|is|:)\s*{_QUOTED}", re.I),
    re.compile(rf"\bon the topic:?\s*{_QUOTED}", re.I),
    re.compile(rf"\b(?:took|takes|taking|had|has|having|chose|adopted)\s+as\s+its\s+(?:theme|topic)\s*:?\s*{_QUOTED}", re.I),
]
ZH_THEME = [
    re.compile(rf"以{_QUOTED}为(?:主题|题)"),
    re.compile(rf"主题(?:是|为|：|:){_QUOTED}(?!的?(?:主旨|主题)?(?:演讲|报告|发言|讲话))"),
    re.compile(rf"围绕{_QUOTED}(?:这一|的)?主题"),
    re.compile(rf"(?:会议|论坛|研讨会|活动|座谈会|峰会|年会|本次|本届|此次)聚焦(?!于)({_QUOTED}[^，。,]{{0,30}}|[^，。,“「]{{4,30}})(?=[，。,])"),
]
_SESSION_WORDS = re.compile(r"\b(?:panel|session|part|sub-?forum|breakout|workshop)s?\b|分论坛|平行|环节|单元|圆桌", re.I)
EN_PARTICIPANTS = re.compile(
    r"\b(?:(more than|over|nearly|almost|about|around|some|approximately|roughly|close to|~)\s+)?"
    r"(\d[\d,]*|(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?(?: hundred| thousand)?)\s+"
    r"(?:[A-Za-z-]+\s+){0,6}?(participants|guests|attendees|people|delegates|representatives|experts|scholars|academics|"
    r"mayors|students|members|leaders|officials|professors|entrepreneurs|speakers)\b",
    re.I,
)
EN_ATTEND = re.compile(r"attend|brought together|gathered|welcomed|joined|participa|convening|convened|attracted|drew|gather", re.I)
ZH_PARTICIPANTS = re.compile(r"(共|约|近|逾|超过|超|达)?(\d+|[一二三四五六七八九十百千两]+)(多|余|餘)?(?:名|位|人)")
ZH_ATTEND = re.compile(r"参会|出席|与会|参加|齐聚|相聚|汇聚|来自|参与|到场|欢聚")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                 "eighty": 80, "ninety": 90}


def around(text: str, start: int, end: int) -> str:
    """Return the sentence(s) of text that hold [start, end), as evidence (at most 300 characters)."""
    left = max(text.rfind(ch, 0, start) for ch in "。！？!?\n") + 1
    dot = text.rfind(". ", 0, start)
    left = max(left, dot + 2 if dot >= 0 else 0)
    rights = [i for i in (text.find(ch, end) for ch in "。！？!?\n") if i >= 0]
    dot = text.find(". ", end)
    if dot >= 0:
        rights.append(dot)
    right = min(rights) + 1 if rights else len(text)
    return text[left:right].strip()[:300]


# a quoted Chinese event title (“X”研讨会, “X论坛”) and an English quoted title with a subtitle (“The X Forum: Y”)
_ZH_QUOTED_EVENT_TITLE = re.compile(rf"{_QUOTED}(?=[^，。“”「」]{{0,4}}{ZH_EVENT})|[{Q_OPEN}]([^{Q_CLOSE}\n]{{3,60}}{ZH_EVENT})[{Q_CLOSE}]")
_EN_QUOTED_SUBTITLE = re.compile(rf"[{Q_OPEN}][^{Q_CLOSE}\n]{{3,120}}?{EN_EVENT}s?\s*:\s*([^{Q_CLOSE}\n]{{4,150}})[{Q_CLOSE}]")
# an event's name: a quoted or year/edition-led Chinese title, a capitalised English phrase ending in an event word
_ZH_EVENT_NAME = re.compile(
    rf"[{Q_OPEN}]([^{Q_CLOSE}\n]{{2,60}}{ZH_EVENT})[{Q_CLOSE}]|((?:\d{{4}}年?度?|第[一二三四五六七八九十百\d]+届)[^，。、“”「」\s]{{2,30}}?{ZH_EVENT})|"
    rf"([{Q_OPEN}][^{Q_CLOSE}\n]{{2,40}}[{Q_CLOSE}][^，。、“”「」\s]{{0,8}}?{ZH_EVENT})")
_EN_EVENT_NAME = re.compile(
    rf"(?:the\s+)?((?:\d{{4}}\s+|\d+(?:st|nd|rd|th)\s+)?(?:[A-Z][\w’'&.–—-]*(?:\s+|\s?[–—-]\s?)(?:(?:of|on|and|for|the|&)\s+)?){{1,10}}"
    rf"{EN_EVENT}(?:\s+\d{{4}}|\s+on\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+(?:and\s+)?[A-Z][\w’'-]*){{0,5}})?)")


def theme(text: str, simp: str, lang: str) -> tuple[str | None, str | None]:
    """Return the stated theme (themed “X”, 以“X”为主题, 聚焦X), else a quoted Chinese event title."""
    scan = simp if lang == "zh" else text
    for pattern in ZH_THEME if lang == "zh" else EN_THEME:
        for m in pattern.finditer(scan):
            if _SESSION_WORDS.search(scan[max(0, m.start() - 60):m.start()]):
                continue  # a panel's or session's theme, not the event's
            if re.search(r"明年|下届|下一届|将于|next year|will be", scan[max(0, m.start() - 12):m.start()]):
                continue  # 明年还将以“X”为主题举办世博会: a later event's theme
            return strip_quotes(text[m.start(1):m.end(1)]), around(text, m.start(), m.end())
    if lang == "zh":
        m = _ZH_QUOTED_EVENT_TITLE.search(simp)
        if m:
            g = 1 if m.group(1) else 2
            return strip_quotes(text[m.start(g):m.end(g)]), around(text, m.start(), m.end())
        return None, None
    m = _EN_QUOTED_SUBTITLE.search(text)
    if m:  # "The X Forum: Towards a fairer world" -> the subtitle
        return strip_quotes(m.group(1)), around(text, m.start(), m.end())
    return None, None


def event_name(text: str, simp: str, lang: str) -> tuple[str | None, str | None]:
    """Return the event's name as written (a capitalised phrase or quoted title ending in an event word)."""
    if lang == "zh":
        m = _ZH_EVENT_NAME.search(simp)
        if m:
            g = next(k for k in (1, 2, 3) if m.group(k))
            return text[m.start(g):m.end(g)], around(text, m.start(), m.end())
        return None, None
    m = _EN_EVENT_NAME.search(text)
    if m:
        return m.group(1).strip(), around(text, m.start(), m.end())
    return None, None


_EN_VENUE = re.compile(
    r"\b(?:at|in)\s+((?:the\s+)?[A-Z][\w’'&.-]*(?:\s+(?:of|the|de|and|&|in|[A-Z0-9][\w’'&.-]*)){0,12}"
    r"(?:,\s+(?:[A-Z][\w-]+\s?){1,3}){0,2})"
)
_HELD_EN = re.compile(
    r"\b(?:held|convene[ds]?|took place|takes place|hosted|holds|staged|co-?chaired|convening|gathered|signed|met|"
    r"kicked off|celebrated|was given|organi[sz]ed)\b", re.I)
_NOT_VENUE = re.compile(rf"^(?:the\s+)?(?:{MONTH_NAMES}|\d|Year of\b)|{EN_EVENT}(?!\s+(?:Centre|Center|Hall|Room|Building|Venue))|"
                        r"Programme|Program\b|\b(?:Plenary|Session)\b|^(?:the\s+)?(?:Chinese|English|French|German|Japanese|"
                        r"Korean|Spanish|Portuguese|Russian|Arabic|Mandarin|Cantonese)\b", re.I)
_FUTURE_SENTENCE = re.compile(r"\b(?:will|is expected to|are expected to|is to|are to|plans? to|next year)\b", re.I)
_VENUE_SMALL_END = re.compile(r"\s+(?:on|in|and|of|the|&)$")
_VENUE_DATE_END = re.compile(rf",\s*(?:{MONTH_NAMES})\b.*$")
_BUILDING = (r"(?:Hotel|Guesthouse|Guest House|Hall|Centre|Center|Room|Building|Chambers?|Auditorium|Theat(?:re|er)|Museum|Library|Plaza|Palace|"
             r"Guest House|House|Tower|Pavilion|Club|Stadium|Arena|Lounge|Gallery|Conference Hall)")
# "at the Xi Jiao Hotel", "in the Santa Fe City Council Chambers", "on the campus of X": a building anywhere in the lead
_BUILDING_VENUE = re.compile(
    rf"(?:\b(?:at|in|inside)\s+(?:the\s+)?(?:[a-z][\w-]*\s+){{0,3}}?((?:[A-Z][\w’'&.-]*\s+){{0,6}}{_BUILDING}\b(?:\s+[A-Z0-9]\b)?"
    r"(?:\s+(?:of|in)\s+(?:the\s+)?[A-Z][\w’'&.-]*(?:\s+(?:of|the|[A-Z][\w’'&.-]*)){0,5})?)"
    r"|\bon\s+the\s+(campus\s+of\s+(?:the\s+|The\s+)?[A-Z][\w’'&.-]*(?:\s+(?:of|the|[A-Z(][\w’'&.()-]*)){0,8}))")
# "visited APSS", "on his official visit to Beijing", "travelled to Liverpool to host": the place visited
_VISIT_VENUE = re.compile(r"\b(?:visited|visit to|travell?ed to|arrived in)\s+((?:the\s+)?[A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,5})")
# "the roundtable discussion in Beijing", "its 7th annual conference in Washington, D.C."
_EVENT_IN_VENUE = re.compile(
    r"\b(?:roundtable|forum|seminar|symposium|conference|summit|meeting|discussion|dialogue|ceremony|reception|"
    r"celebration|lecture|workshop)s?\s+(?:(?:was|were)\s+)?(?:held\s+)?(?:in|at)\s+"
    r"((?:the\s+)?[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*){0,5}(?:,\s+[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)?)", re.I)
_HISTORICAL_SENTENCE = re.compile(
    r"\bthen\s+[a-z]|\boriginally\b|\bback in\b|\b(?:days?|weeks?|months?|years?)\s+ago\b|\bin the past\b|\bearlier\b|"
    r"\bpreviously\b", re.I)
_ORG_WORD = re.compile(r"\b(?:University|Institute|Institution|Academy|College|School|Foundation|Council|Government|Office|"
                       r"Consulate|Embassy|Ministry|Bureau|Chamber)\b|^[A-Z]{2,}\b")


def venue(text: str, simp: str, lang: str, sentences: list[tuple[int, str]], announced: bool = False,
          event_year: int | None = None) -> tuple[str | None, str | None]:
    """Return the most specific place stated for the event (building, institution or city), as written.

    Candidates come from sentences saying the event was held (at/in after held, met, signed ...), from buildings
    named in the lead (at the X Hotel, on the campus of X), from visits (visited X, visit to X) and from "the forum
    in X"; a building beats an institution, which beats a city. In a report, a sentence about a later meeting
    names no venue of this event, and a sentence about a past one (then, originally, another year) none either.
    """
    if lang == "zh":
        return _venue_zh(text, simp)
    best: tuple[float, int, str, str] | None = None
    for k, (_, sentence) in enumerate(sentences[:12]):
        if _past_sentence(sentence, event_year):
            continue
        for place, rank in _venue_candidates(sentence, announced):
            if best is None or (rank, -k) > (best[0], -best[1]):
                best = (rank, k, place, sentence[:300])
    return (best[2], best[3]) if best else (None, None)


def _venue_candidates(sentence: str, announced: bool) -> list[tuple[str, float]]:
    """Return (venue, rank) candidates of one sentence: 3 a building, 2 an institution, 1 a city; "at" adds a half."""
    out: list[tuple[str, int]] = []
    held = _HELD_EN.search(sentence)
    if held and (announced or not _FUTURE_SENTENCE.search(sentence[:held.start()])):
        for m in _EN_VENUE.finditer(sentence, held.start()):
            place = _trim_venue(m.group(1))
            if place and not _NOT_VENUE.search(place) and not _is_country(place):
                out.append((place, _venue_rank(place) + (0.5 if m.group(0).startswith("at") else 0)))
    if not announced and _FUTURE_SENTENCE.search(sentence):
        return out  # "will hold its first workshop in Guangzhou": a later event's place
    for m in _BUILDING_VENUE.finditer(sentence):
        place = _trim_venue(m.group(1) or m.group(2))
        if place and not _NOT_VENUE.search(place):
            out.append((place, 3))
    for pattern in (_VISIT_VENUE, _EVENT_IN_VENUE):
        for m in pattern.finditer(sentence):
            place = _trim_venue(m.group(1))
            if place and not _NOT_VENUE.search(place) and not _is_country(place) and _venue_rank(place):
                out.append((place, _venue_rank(place)))
    return out


def _venue_rank(place: str) -> int:
    """Rank how specific a venue is: 3 a building or room, 2 an institution, 1 a known place, 0 anything else."""
    if re.search(rf"\b{_BUILDING}\b|^campus of\b", place):
        return 3
    if _ORG_WORD.search(place):
        return 2
    return 1 if find_places(place.split(",")[0]) else 0


def is_place_name(name: str) -> bool:
    """Tell whether a whole phrase is a known place in either language (深圳, Hong Kong)."""
    return place_name(name.strip()) is not None


def _is_country(place: str) -> bool:
    """Tell whether a venue phrase is only a country ("in Iran", "in China")."""
    name = re.sub(r"^the\s+", "", place)
    if name not in place_index().countries:
        return False
    known = place_name(name)
    return not (known and place_kind(known) in ("city", "region", "zone", "province"))  # Hong Kong, Macao are places


def _past_sentence(sentence: str, event_year: int | None) -> bool:
    """Tell whether a sentence is about an earlier time (then-mayors, originally, another year than the event's)."""
    if _HISTORICAL_SENTENCE.search(sentence):
        return True
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", sentence)}
    return bool(event_year and years and event_year not in years)


def _trim_venue(place: str) -> str | None:
    """Tidy a venue phrase: no leading "the", dates, trailing small words; none if generic.

    "the Institute's premises" names no place of its own, so a possessive venue is dropped.
    """
    place = re.sub(r"^the\s+", "", place.strip().rstrip(",."))
    place = re.split(rf"\s+(?:in|on)\s+(?:{MONTH_NAMES}|\d)", place)[0]
    place = _VENUE_DATE_END.sub("", place)
    place = re.sub(r",\s+(?:[A-Z][\w-]*\s+){0,3}(?:Minister|Mayor|Secretary|President|Chairman|Governor|Director)\b.*$", "", place)
    place = _VENUE_SMALL_END.sub("", place)
    place = re.split(r"\s+(?:in|during)\s+(?:the\s+)?(?:spring|summer|autumn|fall|winter|morning|afternoon|evening)\b", place)[0]
    if re.search(r"[’']s$", place) or len(place.split()) == 1 and place.lower() in _GENERIC_VENUES:
        return None
    return _in_place_as_comma(place) or None


def _in_place_as_comma(place: str) -> str:
    """Write "Hall in Wan Chai" as "Hall, Wan Chai"; "Hall in the X Center" (a building in a building) stays."""
    m = re.search(r"\s+in\s+(?=[A-Z])", place)
    if m and not re.search(rf"\b{_BUILDING}\b|{_ORG_WORD.pattern}", place[m.end():]):
        return place[:m.start()] + ", " + place[m.end():]
    return place


_GENERIC_VENUES = {"institute", "university", "centre", "center", "campus", "premises", "headquarters", "office"}


_ZH_BUILDING = r"(?:会议室|报告厅|会议厅|多功能厅|大礼堂|小礼堂|礼堂|宾馆|酒店|饭店|大厦|会堂|会展中心|展览中心|大楼|校区|会所)"
_ZH_VENUE = [
    re.compile(r"(?:以|设|在)([^，,。、及和]{2,25}?)(?:为|设)?主会场"),
    re.compile(r"(?:在|于)(?![\d一二三四五六七八九十])([^，,。、“”\d]{1,25}?)(?:以[^，,。]{0,15})?(?:隆重|顺利|成功|同时|共同|联合)?"
               r"(?:举行|举办|召开|开幕|成立|开讲|主办)"),
    re.compile(rf"([^，,。、“”\d\s]{{2,20}}?{_ZH_BUILDING})(?:内|里)"),  # 今天锦江小礼堂内高朋满座
    re.compile(r"(?:来|赴|抵)([^，,。、]{2,8}?)(?:考察|出席|参加|访问)"),
    # a room or building after 在, digits allowed (在兴庆校区管理大楼674会议室), the subject coming after it
    re.compile(rf"在((?:[^，,。、“”\s]{{0,20}}?{_ZH_BUILDING})+)(?=[\u4e00-\u9fff，,])"),
    # the place a delegation visits (一行到访上海社科院港澳研究中心, 访问团到访深圳)
    re.compile(r"(?:到访|来访|访问|走访|莅临)(?!团)([^，,。、；“”\d]{2,20}?)(?=[，,。；]|$|并|进行|开展|考察|调研)"),
]
_ZH_VENUE_LEAD = re.compile(r"^(?:今天|今日|昨天|昨日|当天|日前|近日|上午|下午|晚上|本报讯|本报)+")
_ZH_ORG_END = re.compile(r"(?:大学|学院|研究院|研究所|研究中心|中心|院|所|馆|社科院|政府|委员会)$")
_ZH_NOT_VENUE = re.compile(r"线上|网上|云端|\d+月|\d+日|研讨会|论坛|会议(?![中室厅展])|去年|前年|上次|首次|第一次|^(?:期间|此间|当地|现场|其中|行程|活动)$")


def _venue_zh(text: str, simp: str) -> tuple[str | None, str | None]:
    """Return the Chinese venue: 以X设主会场, 在X举行, 赴X出席, 在X会议室, 到访X; a building beats a body, which beats a city."""
    best: tuple[float, int, str, str] | None = None
    for order, pattern in enumerate(_ZH_VENUE):
        for m in pattern.finditer(simp):
            value = re.sub(r"(?:同时|共同|隆重|顺利|成功)$", "", text[m.start(1):m.end(1)])
            value = value[value.rfind("在") + 1:] if "在" in value else value
            value = _ZH_VENUE_LEAD.sub("", value)
            before = simp[max(0, m.start() - 6):m.start()]
            if re.search(r"将|计划|拟|年内|下次|明年", before + to_simplified(value)):
                continue  # a later meeting (并于年内在上海举办第二次座谈会), not this one
            if not value or _ZH_NOT_VENUE.search(to_simplified(value)):
                continue
            rank = _zh_venue_rank(to_simplified(value)) - 0.01 * order
            if best is None or (rank, -m.start()) > (best[0], -best[1]):
                best = (rank, m.start(), value, around(text, m.start(), m.end()))
    return (best[2], best[3]) if best else (None, None)


def _zh_venue_rank(value: str) -> float:
    """Rank how specific a Chinese venue is: 3 a room or building, 2 a body, 1 anything else (a city)."""
    if re.search(_ZH_BUILDING + "$", value):
        return 3
    if _ZH_ORG_END.search(value):
        return 2
    return 1


_EN_ORG_BY = re.compile(
    r"\b((?:co-)?(?:organi[sz]ed|hosted|auspiced|convened|sponsored|presented|staged)|"
    r"jointly (?:organi[sz]ed|sponsored|hosted|held|staged))\s+(?:(?:smoothly|successfully|jointly)\s+)?by\s+"
    r"((?:the\s+)?[A-Z][^;.“”\"]*?)(?=,\s+(?:and\s+)?(?:co-|supported|sponsored|in\b|with\b|was\b|the\s+\d|on\b)|"
    r"\s+and\s+(?:co-)?(?:organi|host|sponsor|support|auspice)|\s+(?:was|were|is|on|in|at|to)\b|[;.“”\"]|,\s+(?!the\b|and\b)[a-z]|,?\s*$)"
)
_EN_ORG_SUBJ = re.compile(
    r"((?:the\s+)?[A-Z][\w’'&.–-]*(?:\s+(?:of|for|and|the|at|on|&|–|[A-Z(][\w’'&.()–-]*)){0,16})\s+(?:today\s+|recently\s+|also\s+|jointly\s+)?"
    r"(?:[Hh]osted|[Hh]eld|[Oo]rgani[sz]ed|[Cc]onvened|[Hh]olds|[Hh]osts)\s+(?:a|an|the|its)\s+(?:[\w’'-]+\s+){0,8}?"
    rf"(?:{EN_EVENT}|event|discussion|roundtable|luncheon|seminar|series|Programme|Salon|salon|reception|celebration)",
)
_ORG_NAME_EN = r"(?:the\s+)?[A-Z][\w’'&.-]*(?:\s+(?:of|for|and|the|&|[A-Z][\w’'&.-]*))*(?:\s*\([^()]{1,40}\))?"
# "A (the Foundation), B (SASS) and C jointly organized the Forum": a list of bodies as the subject
_EN_ORG_JOINTLY = re.compile(
    rf"((?:{_ORG_NAME_EN}(?:,\s+|\s+and\s+))*{_ORG_NAME_EN})\s+(?:jointly|together)\s+(?:organi[sz]ed|hosted|held|convened|staged)\s+(?:a|an|the)\b")
# an organisation's acronym heading the event's name: "HKGCC International Business Summit", "ISEAS 50th Anniversary Lecture"
_EN_ACRONYM_OWNER = re.compile(
    r"(?:^|\n)\s*(?:The\s+)?([A-Z]{3,})\s+(?:\d+(?:st|nd|rd|th)\s+)?(?:[A-Z][\w-]*\s+){0,4}"
    r"(?:Summit|Forum|Symposium|Seminar|Lecture|Dialogue|Conference|Roundtable)\b")
_EN_OWNER = re.compile(r"(?:^|\s)(?:The\s+)?([A-Z][A-Za-z]+(?:\s+(?:of|for|and|the|[A-Z][A-Za-z]+)){0,8})(?:’s|'s)\s+(?:\([A-Z]+\)\s+)?(?:[A-Z][\w-]*\s+){0,4}(?:Summit|Forum|Symposium|Seminar|Lecture|Dialogue|flagship event)")


def organizers(text: str, simp: str, lang: str, event_type: str | None = None) -> tuple[list[str], str | None]:
    """Return hosts and co-organisers as named (主办, 承办, 协办, organised by, X hosted the ...)."""
    if lang == "zh":
        return _organizers_zh(text, simp)
    found: list[str] = []
    evidence = None
    for m in _EN_ORG_BY.finditer(text):
        if _about_other_activity(text, m.start(), event_type) or _FUTURE_SENTENCE.search(_sentence_before(text, m.start())):
            continue  # "a dinner hosted by X" on the eve of the symposium, "will be hosted by"
        if re.search(r",\s+(?:Co-?founder|Founder|Secretary|Director|President|Chair|Professor|Dean|CEO)\b", m.group(2)):
            continue  # "hosted by Mabel Lu, Co-founder of CCG": a person hosted
        evidence = evidence or m.group(0)
        found += _split_orgs(m.group(2))
    for m in _EN_ORG_JOINTLY.finditer(text):
        orgs = [o for o in _split_orgs(m.group(1)) if _ends_like_org(o)]
        evidence = evidence or (m.group(0) if orgs else None)
        found += orgs
    text = _lead(text, 10)
    for m in _EN_ACRONYM_OWNER.finditer(text[:600]):
        if not is_place_name(m.group(1)):
            evidence = evidence or m.group(0).strip()
            found.append(m.group(1))
    for m in _EN_ORG_SUBJ.finditer(text):
        for org in _split_orgs(m.group(1)) if re.search(r"\s+and\s+the\s", m.group(1)) else [_clean_org(m.group(1))]:
            if org and len(org.split()) <= 12:
                evidence = evidence or m.group(0)
                found.append(re.sub(r"\s+\([A-Z]{2,}\)$", "", org))
    for m in _EN_OWNER.finditer(text[:1500]):
        evidence = evidence or m.group(0)
        found.append(_clean_org(m.group(1)))
    return _dedupe([f for f in found if f and _org_like(f)]), evidence


def _sentence_before(text: str, pos: int) -> str:
    """Return the part of the sentence holding pos that comes before it."""
    return text[max(text.rfind(".", 0, pos), text.rfind("\n", 0, pos)) + 1:pos]


def _about_other_activity(text: str, pos: int, event_type: str | None) -> bool:
    """Tell whether the nearest event word before pos names a different kind of activity than the event."""
    start = max(text.rfind(".", 0, pos), text.rfind("\n", 0, pos)) + 1
    hits = _noun_hits(text[start:pos], "en")
    if not hits or not event_type:
        return False
    last = hits[-1]
    return last[2] != event_type and last[2] == "other" and last[1].lower() != "event"  # a dinner, a reception


def _lead(text: str, sentences: int = 6) -> str:
    """Return the first sentences of a text, where reports name their organisers."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return "\n".join(p for p in parts[:sentences * 2] if p.strip())


_NOT_ORG_START = re.compile(r"(?:On|In|At|During|After|Before|This|That|It|He|She|They|We|Mr|Mrs|Ms|Dr|Prof|Professor|Madam|Sir)\b")
_DATE_IN_ORG = re.compile(r"\d{4}|January|February|March|April|June|July|August|September|October|November|December")  # not May


_PERSON_TITLE_IN_ORG = re.compile(r"^(?:Co-?founder|Founder|Secretary[- ]General|Director|President|Chairman|Chairperson|"
                                  r"Professor|Prof|Dr|Mr|Ms|Mrs)\b")
_ORDINAL_START = re.compile(r"(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|\d+(?:st|nd|rd|th))\b")


def _org_like(name: str) -> bool:
    """Tell whether a phrase names an organisation rather than a person, a date, an edition or only places."""
    words = name.split()
    if name[:1].islower() or _ORDINAL_START.match(name):
        return False  # "…, the forum took as its theme": a clause; "Tenth Symposium": the event itself
    if _PERSON_TITLE_IN_ORG.search(name):
        return False  # "Co-founder and Secretary General of CCG": a person's position
    if all(is_place_name(part) for part in re.split(r"\s+and\s+|,\s*", name) if part):
        return False  # "Shanghai and Hamburg held a series of events": the cities, not an organiser
    if _NOT_ORG_START.match(name) or (len(words) == 1 and words[0] in ("Prof", "Research", "Centre", "Center")):
        return False
    return len(words) >= 1 and not _DATE_IN_ORG.search(name)


def _split_orgs(phrase: str) -> list[str]:
    """Split "the A, the B, and the C" (or "A, B and C") into organisation names.

    Commas inside brackets stay ("(CPPCC, Shenzhen)"), and "and" splits only between two organisations
    ("Hong Kong and Macau Members Association" is one).
    """
    phrase = re.split(r"\s+with\s+(?:many|other|the support)\b", phrase)[0]
    parts = _merge_name_parts([p for p in re.split(r",\s+(?:and\s+)?(?![^()]*\))", phrase) if p.strip()])
    out: list[str] = []
    for part in parts:
        halves = re.split(r"\s+and\s+(?=the\s)", part)  # "A and the B": two bodies
        for half in halves:
            pair = re.split(r"\s+and\s+(?=[A-Z])(?![^()]*\))", half)
            out += pair if len(pair) > 1 and all(_ends_like_org(h) for h in pair) else [half]
    return [_clean_org(p) for p in out if p.strip()]


def _merge_name_parts(parts: list[str]) -> list[str]:
    """Join comma parts back when one is no organisation of its own ("Liaison with Hong Kong, Macao, Taiwan and ...")."""
    out: list[str] = []
    for part in parts:
        if out and _ends_with_place(out[-1]) and _starts_with_place(part):
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return out


def _ends_with_place(text: str) -> bool:
    """Tell whether a phrase ends with a place name ("... Liaison with Hong Kong")."""
    words = text.split()
    return any(is_place_name(" ".join(words[-n:])) for n in (1, 2, 3) if len(words) >= n)


def _starts_with_place(text: str) -> bool:
    """Tell whether a phrase starts with a place name ("Macao", "Taiwan and Overseas Chinese ...")."""
    words = text.split()
    return any(is_place_name(" ".join(words[:n])) for n in (1, 2, 3) if len(words) >= n)


def _ends_like_org(name: str) -> bool:
    """Tell whether a phrase ends like an organisation's name (an organisation word or an acronym)."""
    if re.search(r"\([A-Z][A-Za-z]{1,9}\)$", name.strip()):
        return True  # "... Conference (SCPPC)"
    last = re.sub(r"\s*\([^()]*\)$", "", name.strip()).split()[-1:] or [""]
    return bool(re.fullmatch(r"[A-Z]{2,}[\w-]*", last[0])) or last[0].lower() in _ORG_END_WORDS


_ORG_END_WORDS = {w.lower() for w in """University Institute Institution Center Centre Foundation Council Committee
    Association Bureau Government Chamber Department Ministry Office Academy School Programme Program Bank Group Company
    Limited Ltd Corporation Commission Society Federation Union Alliance Agency Authority Board Trust Fund Club College
    Faculty Network Organization Organisation Secretariat Consulate Embassy Museum Library Brookings Times Post Coalition
    Sciences Studies Research Affairs Chamber Party Congress Parliament Council House Forum""".split()}


def _clean_org(name: str) -> str:
    """Drop a leading "the", trailing punctuation and surrounding space from an organisation name."""
    name = re.sub(r"^(?:the|The)\s+", "", name.strip()).strip(" ,.;:")
    return name


def _dedupe(items: list[str]) -> list[str]:
    """Keep the first of each item (case-insensitive), dropping ones contained in an earlier, longer one."""
    out: list[str] = []
    for item in items:
        low = item.lower()
        if any(low == o.lower() or low in o.lower() for o in out):
            continue
        out = [o for o in out if o.lower() not in low]
        out.append(item)
    return out


_ZH_ORG_VERB = re.compile(r"(?:共同|联合)?(?:主办|承办|协办)(?![单方者城国地权])|(?:共同|联合)举办")
_ZH_ORG_BY = re.compile(r"由([^。；]{2,120}?)(?:共同|联合)?(?:发起|举办)(?!单位)")
_ZH_ORG_LABEL = re.compile(r"(?:主办|承办|协办|联合主办)(?:单位|方)\s*[:：]\s*([^。\n；;]{2,120})")
_ZH_ORG_TOGETHER = [
    # A联同B和C，今日于X举行 / A携手B在X举办: the subject bodies hold the event together
    re.compile(r"(?:^|[。\n；])\s*([^。；，,\n]{2,40}?)(?:联同|偕同|会同|携手)([^。；，,\n]{2,80}?)(?=[，,]?\s*(?:今日|今天|昨日|近日|日前|\d|在|于|共同|举办|举行|召开))"),
    # A与B举行了一场座谈会 (two bodies as the subject of the event)
    re.compile(r"(?:^|[。\n；，,])\s*(?:[^。；，,\n]{0,30}?[室厅楼]\s*)?([^。；，,\n]{3,30}?[院校所会部心组库])与([^。；，,\n]{3,30}?[院校所会部心组库])"
               r"(?:在[^，,。]{0,20})?(?:共同|联合)?(?:举行|举办|召开)了?[^，,。]{0,8}?(?:座谈会|研讨会|论坛|会议|交流会|对话会)"),
]
_ZH_TIME_PLACE = re.compile(r"^(?:本次|本届|此次|这次|该)?(?:会议|论坛|研讨会|活动|座谈会|峰会)?(?:由)?|"
                            r"(?:\s*\d{1,2}月\d{1,2}日|\s*(?:今日|今天|昨日|近日|日前))?(?:在|于)[^，,]{0,20}$|"
                            r"\s*\d{1,2}月\d{1,2}日$|(?:今日|今天|昨日|近日|日前)$|的$")
# a leading date, dateline (临江新闻网1月5日电) or conjunction before an organiser's name
_ZH_ORG_LEAD = re.compile(r"^\s*(?:date\s+)?[\d\-/:年月日\s]+|^[^，,。]{0,12}?\d{1,2}\s*月\s*\d{1,2}\s*日\s*[电讯電訊]\s*|^(?:与|和|同|并)")
_ZH_NOT_ORG = re.compile(r"两地|双方|各方|三地|等单位|研究机构$|^\s*$")


def _organizers_zh(text: str, simp: str) -> tuple[list[str], str | None]:
    """Return Chinese organisers from every clause that names them: 由A、B主办, C承办, D协办, 主办单位：E, A联同B举行."""
    found: list[str] = []
    evidence = None
    for start, end, where in _zh_organiser_spans(simp):
        orgs = [text[start + a:start + b] for a, b in _split_zh_list(simp[start:end])]
        orgs = [_ZH_ORG_LEAD.sub("", o).strip(" ，,、") for o in orgs]
        orgs = [o for o in orgs if 2 <= len(o) <= 40 and not _ZH_NOT_ORG.search(to_simplified(o)) and not _only_place(o)]
        if orgs:
            found += orgs
            evidence = evidence or around(text, where, end)
    return _dedupe(found), evidence


def _zh_organiser_spans(simp: str) -> list[tuple[int, int, int]]:
    """Return (start, end, anchor) spans of simp that list organisers."""
    spans: list[tuple[int, int, int]] = []
    for m in _ZH_ORG_VERB.finditer(simp):
        if re.search(r"(?:支持|指导|赞助)$", simp[max(0, m.start() - 2):m.start()]) or re.match(r"[：:]", simp[m.end():m.end() + 3]):
            continue
        if re.search(r"将|明年|下届|下一届", simp[max(0, m.start() - 12):m.start()]):
            continue  # 并将于明年承办第四届: a later edition
        span = _organiser_clause(simp, m.start())
        if span:
            spans.append((*span, m.start()))
    spans += [(m.start(1), m.end(1), m.start()) for m in _ZH_ORG_LABEL.finditer(simp)]
    spans += [(m.start(1), m.end(1), m.start()) for m in _ZH_ORG_BY.finditer(simp)
              if not any(a <= m.start(1) < b for a, b, _ in spans)]
    for pattern in _ZH_ORG_TOGETHER:
        for m in pattern.finditer(simp):
            spans += [(m.start(g), m.end(g), m.start()) for g in (1, 2)]
    return spans


def _organiser_clause(simp: str, verb: int) -> tuple[int, int] | None:
    """Return the span of the bodies written before an organiser verb (由A主办 / A、B联合主办 / ，A承办)."""
    sentence_start = max(simp.rfind(ch, 0, verb) for ch in "。；;\n") + 1
    by = simp.rfind("由", sentence_start, verb)
    cut = max(simp.rfind(ch, sentence_start, verb) for ch in "，,")
    if by > cut:  # 由A、B联合主办 (a 由 before an earlier comma belongs to the clause before: ，C协办)
        start = by + 1
    else:
        start = cut + 1 if cut >= 0 else sentence_start
        if not _ZH_TIME_PLACE.sub("", simp[start:verb]).strip() and cut >= 0:  # ，1月4日於東莞市聯合主辦: the list is before
            prev = max(simp.rfind(ch, sentence_start, cut) for ch in "，,")
            start, verb = (prev + 1 if prev >= 0 else sentence_start), cut
    segment = simp[start:verb]
    trimmed = segment
    for _ in range(3):
        trimmed = _ZH_TIME_PLACE.sub("", trimmed).strip(" ，,")
    if not trimmed:
        return None
    offset = segment.find(trimmed)
    return start + offset, start + offset + len(trimmed)


def _only_place(name: str) -> bool:
    """Tell whether an organiser candidate is only a place (深圳, 上海和香港)."""
    return all(is_place_name(part) for part in re.split(r"[和与及、]", name) if part)


def _split_zh_list(segment: str) -> list[tuple[int, int]]:
    """Split 甲、乙和丙 into spans, keeping offsets; 与/和 inside a name (中国与全球化智库) does not split it."""
    spans, start = [], 0
    for m in re.finditer(r"、|以及|和(?=[^和]{2,})|与|及", segment):
        if m.group(0) in ("和", "与", "及") and not _ZH_ORG_END_CHAR.search(segment[start:m.start()]):
            continue  # 城市发展与环境研究所: the left side is no body of its own
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(segment)))
    return [(a, b) for a, b in spans if b - a >= 2]


_ZH_ORG_END_CHAR = re.compile(r"(?:[院校所会部局委办司行厅处室心组团社府馆台站盟库报协联坛]|基金|集团|公司|大学|学院|研究院|机构|协会|学会|联合会)$")


def participant_count(text: str, simp: str, lang: str, sentences: list[tuple[int, str]]) -> tuple[int | None, str | None]:
    """Return total attendance when stated ("more than 300 guests", 共约300人参会); subsets and sums give None."""
    if lang == "zh":
        return _count_zh(simp, sentences)
    for _, sentence in sentences:
        if not EN_ATTEND.search(sentence) or re.search(r"\bsessions?\b|sub-?forum|breakout", sentence, re.I):
            continue
        hits = list(EN_PARTICIPANTS.finditer(sentence))
        if not hits:
            continue
        if len(hits) > 1 and re.search(r"as well as|, and|\band\b", sentence[hits[0].end():hits[1].start()]):
            return None, sentence[:300]
        value = _en_number(hits[0].group(2))
        if value and value >= 5:
            return value, sentence[:300]
    return None, None


def _en_number(token: str) -> int | None:
    """Convert "300", "1,200", "forty", "one hundred and twenty" to an int."""
    token = token.lower().replace(",", "").strip()
    if token.isdigit():
        return int(token)
    total, current = 0, 0
    for word in re.split(r"[\s-]+", token):
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
    return (total + current) or None


def _count_zh(simp: str, sentences: list[tuple[int, str]]) -> tuple[int | None, str | None]:
    """Return the largest head count in a sentence that says people attended (共约300人参会, 一百多位)."""
    for start, sentence in sentences:
        s_simp = simp[start:start + len(sentence)]
        if not ZH_ATTEND.search(s_simp):
            continue
        values = [zh_number(m.group(2)) for m in ZH_PARTICIPANTS.finditer(s_simp)]
        values = [v for v in values if v and v >= 5]
        if values:
            return max(values), sentence[:300]
    return None, None


_SESSION_EN = re.compile(r"\b(?:sessions?|panels?|sub-?forums?|breakout|workshops?)\b", re.I)
_SESSION_ZH = re.compile(r"分论坛|平行论坛|分会场|专题研讨|圆桌|议题|单元|板块|环节")


def sessions(text: str, lang: str, sentences: list[tuple[int, str]], theme_value: str | None) -> tuple[list[str], str | None]:
    """Return titles of parallel or panel sessions: quoted phrases in sentences about sessions."""
    found: list[str] = []
    evidence = None
    for _, sentence in sentences:
        probe = to_simplified(sentence) if lang == "zh" else sentence
        if not (_SESSION_ZH if lang == "zh" else _SESSION_EN).search(probe):
            continue
        for m in re.finditer(_QUOTED, sentence):
            title = strip_quotes(m.group(1))
            if title and title != theme_value and len(title) > 3 and title not in found:
                found.append(title)
                evidence = evidence or sentence[:300]
    return found, evidence
