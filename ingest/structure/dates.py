"""Event-date rules for English and Chinese reports.

The event date is the day the event took place, ISO ``YYYY-MM-DD`` (``YYYY-MM`` when only month and year are
known). A date without a year is resolved against the publication date (or a full date / event-name year stated
in the text); when nothing in the text gives the year the result is ``None``: dates are never guessed, and the
URL is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .textutil import split_sentences, zh_number

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")]
    )
    for m in names
}
MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
_MON = rf"(?:{MONTH_NAMES}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_RANGE = r"(?:\s*(?:[-–—&]|and|to)\s*\d{1,2}(?:st|nd|rd|th)?)?"
_YEAR = r"((?:19|20)\d{2})"

EN_DAY_MONTH = re.compile(rf"\b{_DAY}{_RANGE}\s+({_MON})(?:,?\s+{_YEAR})?(?![\w-])")
EN_MONTH_DAY = re.compile(rf"\b({_MON})\s+{_DAY}{_RANGE}(?:\s*,\s*{_YEAR}|\s+{_YEAR})?(?![\w:-])")
_WDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# "Thursday 1 and Friday 2 of February (2018)", "the 5th of May": a day, "of", then the month
EN_DAY_OF_MONTH = re.compile(
    rf"\b(?:{_WDAY},?\s+)?(?:the\s+)?{_DAY}(?:\s*(?:[-–—&]|and|to)\s*(?:{_WDAY},?\s+)?(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)?\s+of\s+({_MON})(?:,?\s+{_YEAR})?(?![\w-])")
ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
EU_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})(?:\s*[-–]\s*\d{1,2})?\.(\d{1,2})\.((?:19|20)\d{2})(?!\d)")
ZH_DATE = re.compile(r"(?:((?:19|20)\d{2})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*(?:日|号)?(?:\s*(?:[-–至到]\s*(?:\d{1,2}\s*月\s*)?\d{1,2}\s*日?))?")
ZH_DAY_ONLY = re.compile(r"(?<![\d月年])(?:[昨今前]\s*)?[（(]?(\d{1,2})[)）]?日(?=[上下]午|晚|在|于|举行|召开|举办|会见|会晤|会谈|出席|签署|到访|访问|开幕|，|,)")
ZH_NUM_DATE = re.compile(r"([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
EN_MONTH_ONLY = re.compile(rf"\b(?:held|took place|convened|staged)\s+(?:at the (?:end|beginning|start) of|in (?:early |late |mid-)?|(?:early|late) in)\s*({_MON})(?:\s+{_YEAR})?")

PUB_LABEL = re.compile(
    r"(?:发布时间|發布時間|发布日期|發佈時間|发表时间|时间|日期|来源|Date|Posted|Published|Updated|Update|Release Date|^\s*date)\s*[:：]?\s*$",
    re.I,
)
DATELINE_AFTER = re.compile(r"^\s*(?:讯|訊|电|電|消息)")
STRONG_EN = re.compile(
    r"\b(?:was|were|is|are|been)\s+(?:held|convened|organi[sz]ed|hosted|launched|opened|staged|co-?chaired)|took place|"
    r"\b(?:held|hosts?|hosted|holds|convened|organi[sz]ed|co-?chaired|kicked off|opened|launched|gathered|signed|attended|met)\b",
    re.I,
)
STRONG_ZH = re.compile(r"举行|举办|召开|开幕|拉开帷幕|开讲|闭幕|成功召开|隆重举行|成立|签署|签约|共同主持|主办|联合主办|到访|接待")
TODAY_EN = re.compile(r"\b(today|yesterday|this (?:morning|afternoon|evening))\b", re.I)
TODAY_ZH = re.compile(r"今天|今日|昨天|昨日")
EVENT_YEAR_EN = re.compile(
    r"\b((?:19|20)\d{2})\s+(?:[A-Z][\w&'’.-]*\s+){0,8}(?:Forum|Summit|Symposium|Seminar|Conference|Meeting|Dialogue|Lecture|Roundtable|Workshop)s?\b"
    r"|\b(?:Forum|Summit|Symposium|Seminar|Conference|Meeting|Dialogue|Roundtable|Workshop)s?\s+((?:19|20)\d{2})\b"
)
EVENT_YEAR_ZH = re.compile(
    r"((?:19|20)\d{2})(?:年度?)?[^，。、\s\d]{0,20}?(?:论坛|研讨会|峰会|年会|会议|座谈会|圆桌会|讲座|大会|交流会|洽谈会|推介会|博览会|招待会|行动|活动|仪式|典礼|春茗)"
    r"|(?:论坛|研讨会|峰会|年会)\s*((?:19|20)\d{2})(?!\d|年)")


@dataclass
class DateMention:
    """A date written in the text: parts known, offset, and the text it came from."""

    year: int | None
    month: int | None
    day: int | None
    start: int
    surface: str
    is_pub_stamp: bool = False


def _valid(y: int | None, m: int | None, d: int | None) -> bool:
    """Check that a (year, month, day) triple is a real calendar day (year may be unknown)."""
    if m is None or not 1 <= m <= 12:
        return False
    if d is None:
        return True
    try:
        date(y or 2000, m, d)
        return True
    except ValueError:
        return False


def find_dates(text: str) -> list[DateMention]:
    """Return every date mention in the text (English, Chinese, ISO and European numeric forms)."""
    found: list[DateMention] = []
    for m in ISO_DATE.finditer(text):
        _add(found, int(m.group(1)), int(m.group(2)), int(m.group(3)), m, text)
    for m in EU_NUMERIC.finditer(text):
        _add(found, int(m.group(3)), int(m.group(2)), int(m.group(1)), m, text)
    for m in ZH_DATE.finditer(text):
        _add(found, int(m.group(1)) if m.group(1) else None, int(m.group(2)), int(m.group(3)), m, text)
    for m in ZH_NUM_DATE.finditer(text):
        _add(found, None, zh_number(m.group(1)), zh_number(m.group(2)), m, text)
    month = _dateline_month(text, found)
    if month:
        for m in ZH_DAY_ONLY.finditer(text):
            _add(found, None, month, int(m.group(1)), m, text)
    for m in EN_DAY_OF_MONTH.finditer(text):
        _add(found, _int(m.group(3)), MONTHS[m.group(2).lower().rstrip(".")], int(m.group(1)), m, text)
    for m in EN_DAY_MONTH.finditer(text):
        _add(found, _int(m.group(3)), MONTHS[m.group(2).lower().rstrip(".")], int(m.group(1)), m, text)
    for m in EN_MONTH_DAY.finditer(text):
        year = m.group(3) or m.group(4)
        _add(found, _int(year), MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)), m, text)
    return sorted(found, key=lambda d: d.start)


def _dateline_month(text: str, found: list[DateMention]) -> int | None:
    """Return the month of the news dateline (据新华社香港3月29日电) for dates written as a bare day (29日)."""
    stamps = [d for d in found if d.is_pub_stamp and d.month]
    datelines = [d for d in stamps if DATELINE_AFTER.match(text[d.start + len(d.surface):d.start + len(d.surface) + 8])]
    return (datelines or stamps)[0].month if stamps else None


def _int(value: str | None) -> int | None:
    """Return int(value) or None."""
    return int(value) if value else None


def _add(found: list[DateMention], y: int | None, mo: int, d: int, m: re.Match[str], text: str) -> None:
    """Add a date mention unless it is invalid or overlaps one already found."""
    if not _valid(y, mo, d):
        return
    if any(f.start <= m.start() < f.start + len(f.surface) or m.start() <= f.start < m.end() for f in found):
        return
    found.append(DateMention(y, mo, d, m.start(), m.group(0), _is_pub_stamp(text, m)))


WIRE_AFTER = re.compile(r"^\s*(?:\(?[A-Za-z ]{2,20}\)?\s*)?(?:/[^/\n]{2,30}/)?\s*(?:--|—|–)\s")
WIRE_BEFORE = re.compile(r"(?:^|\n)\s*(?:date \S+\s+)?[A-Z][A-Z .]+,\s*$")
_WEEKDAY_ZH_AFTER = re.compile(r"\s*星期")
_WEEKDAY_BEFORE = re.compile(r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s*$")
_TIME_AFTER = re.compile(r"\s*\d{1,2}:\d{2}|\s*\d{1,2}版")
_BYLINE_BAR_BEFORE = re.compile(r"(?:\||By .{0,40}\|)\s*$")
_UPDATED_BEFORE = re.compile(r"\b(?:Updated|Published)\s*:?\s*$")


def _is_pub_stamp(text: str, m: re.Match[str]) -> bool:
    """Tell whether a date is the page's publication stamp (labelled, a timestamp, a dateline, a date line)."""
    before = _WEEKDAY_BEFORE.sub("", text[max(0, m.start() - 30):m.start()])[-14:]
    after = text[m.end():m.end() + 8]
    if PUB_LABEL.search(before) or DATELINE_AFTER.match(after) or _WEEKDAY_ZH_AFTER.match(after):
        return True
    if WIRE_BEFORE.search(text[max(0, m.start() - 40):m.start()]) and WIRE_AFTER.match(text[m.end():m.end() + 40]):
        return True
    if _alone_on_line(text, m):
        return True
    if _TIME_AFTER.match(after):
        return True
    return bool(_BYLINE_BAR_BEFORE.search(before)) or bool(_UPDATED_BEFORE.search(before))


def _alone_on_line(text: str, m: re.Match[str]) -> bool:
    """Tell whether a full date stands alone on its line (a page date line such as "October 18, 2016")."""
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line_end = len(text) if line_end < 0 else line_end
    rest = (text[line_start:m.start()] + text[m.end():line_end]).strip(" ,|-–—·\t")
    rest = re.sub(r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|星期.)[,，]?\s*", "", rest)
    rest = re.sub(r"^\d{1,2}:\d{2}\s*(?:a\.m\.|p\.m\.|am|pm)?$", "", rest, flags=re.I)  # "November 30, 2005, 11:00 a.m."
    return rest == "" and bool(re.search(r"(?:19|20)\d{2}", m.group(0)))


def publication_date(text: str, published: str | None) -> date | None:
    """Return the page's publication date: the Article's own, else a stamp near the top of the text."""
    parsed = _parse_iso(published)
    if parsed:
        return parsed
    stamps = [m for m in find_dates(text[:800]) if m.is_pub_stamp and m.day]
    dated = [m for m in stamps if m.year]
    if not dated:
        return None
    dateline = next((m for m in stamps if not m.year and DATELINE_AFTER.match(text[m.start + len(m.surface):][:8])), None)
    if dateline:  # 新华社香港11月24日电 gives the day; a labelled stamp gives the year
        try:
            return date(dated[0].year, dateline.month, dateline.day)
        except ValueError:
            pass
    return date(dated[0].year, dated[0].month, dated[0].day)


def _parse_iso(value: str | None) -> date | None:
    """Parse YYYY-MM-DD (ignoring any time part), or return None."""
    if not value:
        return None
    m = ISO_DATE.match(value.strip())
    if not m or not _valid(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return None
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def event_name_year(text: str, lang: str) -> int | None:
    """Return the year written in the event's name ("Summit 2024", "2025大湾区论坛"), if any."""
    pattern = EVENT_YEAR_ZH if lang == "zh" else EVENT_YEAR_EN
    m = pattern.search(text)
    if not m:
        return None
    return int(next(g for g in m.groups() if g))


def resolve_year(month: int, day: int | None, pub: date | None, name_year: int | None, text_years: list[int],
                 ahead: bool = False) -> int | None:
    """Pick the year of a month/day date: event-name year, else publication date, else a stated full date.

    A report's event lies before its publication (a later month/day is last year's); an announcement's lies
    after it (ahead=True: an earlier month/day is next year's).
    """
    if name_year:
        return name_year
    if pub:
        year = pub.year
        if not ahead and date(year, month, day or 1) > pub + timedelta(days=7):
            year -= 1
        elif ahead and date(year, month, day or 28) < pub - timedelta(days=7):
            year += 1
        return year
    return text_years[0] if text_years else None


LEAD_SENTENCES = 3


def extract_event_date(text: str, lang: str, published: str | None, simp: str | None = None,
                       ahead: bool = False) -> tuple[str | None, str | None]:
    """Return (event date, evidence) for a report (or an announcement: ahead=True): ISO day, YYYY-MM, or (None, None)."""
    scan = simp if simp is not None else text
    sentences = split_sentences(scan, lang)
    mentions = [d for d in find_dates(scan) if not d.is_pub_stamp and not _is_duration(scan, d)]
    pub = publication_date(scan, published)
    name_year = event_name_year(scan, lang)
    text_years = [d.year for d in mentions if d.year]
    chosen = _choose_mention(mentions, sentences, lang)
    if chosen is not None:
        year = chosen.year or resolve_year(chosen.month, chosen.day, pub, name_year, text_years, ahead)
        year = year or _sentence_year(chosen, sentences)
        if year is None:
            return None, None
        return date(year, chosen.month, chosen.day).isoformat(), _evidence(text, chosen.start, sentences)
    wire = _wire_dateline_day(scan, sentences, pub) if lang == "en" else None
    if wire:
        return wire.isoformat(), _evidence(text, 0, sentences)
    return _relative_or_month(text, scan, sentences, lang, pub, name_year)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WIRE_DAY = re.compile(rf"(?:^|\n)\s*(?:date \S+\s+)?[A-Z][A-Z .]+,\s*({_MON})\s+(\d{{1,2}})\s*(?:\([A-Za-z ]{{2,20}}\))?\s*(?:--|—|–)")
_ON_WEEKDAY = re.compile(r"\b(?:today|on (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b", re.I)


def _wire_dateline_day(scan: str, sentences: list[tuple[int, str]], pub: date | None) -> date | None:
    """Return the wire dateline's day when the lead says the event was that day ("HONG KONG, March 21 ... on Tuesday")."""
    m = _WIRE_DAY.search(scan[:1000])
    if not m or pub is None:
        return None
    try:
        day = date(pub.year, MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)))
    except ValueError:
        return None
    if day > pub + timedelta(days=7):
        day = day.replace(year=day.year - 1)
    when = _ON_WEEKDAY.search(scan[m.end():m.end() + 400])
    if not when or (when.group(1) and _WEEKDAYS.index(when.group(1).lower()) != day.weekday()):
        return None
    return day


_DURATION = re.compile(r"(?:\b(?:[Ss]ince|[Uu]ntil|[Bb]efore|[Ss]tarting|[Ee]ffective|[Dd]eadline:?|[Bb]y)\s+(?:[A-Z][a-z]+day,?\s+)?|自|截至|截止|于?至今)$")


def _is_duration(text: str, mention: DateMention) -> bool:
    """Tell whether a date opens a span or deadline ("Since October 1, 2020", 截至...), not an event day."""
    return bool(_DURATION.search(text[max(0, mention.start - 20):mention.start]))


def _strong(sentence: str, lang: str) -> bool:
    """Tell whether a sentence says that the event took place (held, convened, 举行, 召开 ...)."""
    return bool((STRONG_ZH if lang == "zh" else STRONG_EN).search(sentence))


def _sentence_index(offset: int, sentences: list[tuple[int, str]]) -> int:
    """Return the index of the sentence that holds the offset."""
    index = 0
    for i, (start, _) in enumerate(sentences):
        if start <= offset:
            index = i
    return index


def _choose_mention(mentions: list[DateMention], sentences: list[tuple[int, str]], lang: str) -> DateMention | None:
    """Prefer the first date in a sentence saying the event was held; else the first date in the lead."""
    lead: DateMention | None = None
    rank = _lead_ranks(sentences, lang)
    for mention in mentions:
        i = _sentence_index(mention.start, sentences)
        if _HISTORICAL.search(sentences[i][1]):
            continue  # "On Dec. 8, 1981, then mayors ... signed", "originally signed ... back in 1994"
        if _strong(sentences[i][1], lang) or _glosses_today(mention, sentences[i]):
            return mention
        if lead is None and rank[i] < LEAD_SENTENCES:
            lead = mention
    return lead


_HISTORICAL = re.compile(r"\bthen\s+[a-z]|\boriginally\b|\bback in\b|\b(?:years?|decades?)\s+ago\b|当年|早在", re.I)
# "October 14, the 4th Academic Salon for Students in 2019": the year of the event the sentence names
_EVENT_BEFORE_YEAR = re.compile(r"\b(?:Salon|Forum|Seminar|Symposium|Lecture|Meeting|Conference|Workshop|Dialogue|Summit)\b[^;]{0,80}\bin\s*$")
_PAST_YEAR_LEAD = re.compile(r"(?:\b(?:in|since|from|until|till|before|after|of|by|between)|自|于|在|从)\s*$", re.I)


def _sentence_year(mention: DateMention, sentences: list[tuple[int, str]]) -> int | None:
    """Return the one year written in the date's own sentence ("Vision for 2018 ... on 1 of February"), if any.

    Used only when nothing else gives the year; a year after "in", "since", "until" ... names another time.
    """
    start, text = sentences[_sentence_index(mention.start, sentences)]
    years = [m for m in re.finditer(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)]
    if len(years) != 1:
        return None
    between = text[mention.start - start:years[0].start()]
    if _PAST_YEAR_LEAD.search(text[:years[0].start()]) and not _EVENT_BEFORE_YEAR.search(between):
        return None  # "in 2003" names another time, unless it dates the event named just before it
    return int(years[0].group(1))


_TODAY_GLOSS = re.compile(r"(?:\btoday|\byesterday|\bthis (?:morning|afternoon|evening)|今天|今日|昨天|昨日)\s*[(（]\s*$", re.I)


def _glosses_today(mention: DateMention, sentence: tuple[int, str]) -> bool:
    """Tell whether the date spells out a "today"/"yesterday" of the report: "today (August 10)"."""
    start, text = sentence
    return bool(_TODAY_GLOSS.search(text[max(0, mention.start - start - 30):mention.start - start]))


def _lead_ranks(sentences: list[tuple[int, str]], lang: str) -> list[int]:
    """Number the sentences from the top, not counting short navigation lines (Home > News, 首页 > 要闻)."""
    short = 12 if lang == "zh" else 30
    ranks, count = [], 0
    for _, sentence in sentences:
        ranks.append(count)
        if len(sentence.strip()) >= short and not re.search(r"[>›»]", sentence) and re.search(r"[^\W\d_]{2}", sentence):
            count += 1
    return ranks


def _evidence(text: str, offset: int, sentences: list[tuple[int, str]]) -> str:
    """Return the original-script sentence around an offset."""
    i = _sentence_index(offset, sentences)
    start, sentence = sentences[i]
    return text[start:start + len(sentence)][:300]


def _relative_or_month(text: str, scan: str, sentences, lang: str, pub: date | None, name_year: int | None):
    """Resolve "today"/"yesterday" (今天/昨天) against the page date, or "held in May" to YYYY-MM."""
    rel = TODAY_ZH if lang == "zh" else TODAY_EN
    rank = _lead_ranks(sentences, lang)
    for i, (start, sentence) in enumerate(sentences):
        m = rel.search(sentence)
        if m and pub and (_strong(sentence, lang) or rank[i] < LEAD_SENTENCES):
            back = 1 if m.group(0).lower() in ("yesterday", "昨天", "昨日") else 0
            return (pub - timedelta(days=back)).isoformat(), text[start:start + len(sentence)][:300]
    weekday = _weekday_before_pub(sentences, lang, pub, rank) if lang == "en" else None
    if weekday:
        return weekday[0].isoformat(), text[weekday[1]:weekday[1] + 300].split("\n")[0][:300]
    m = EN_MONTH_ONLY.search(scan) if lang == "en" else None
    if m:
        month = MONTHS[m.group(1).lower().rstrip(".")]
        year = _int(m.group(2)) or resolve_year(month, None, pub, name_year, [])
        if year:
            return f"{year:04d}-{month:02d}", _evidence(text, m.start(), sentences)
    return None, None


_ON_WEEKDAY_EN = re.compile(r"\b(?:on|last|this)\s+(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.I)


def _weekday_before_pub(sentences: list[tuple[int, str]], lang: str, pub: date | None,
                        rank: list[int]) -> tuple[date, int] | None:
    """Resolve "signed ... on Sunday" in a lead sentence that says the event happened: the last such day up to the page date."""
    if pub is None:
        return None
    for i, (start, sentence) in enumerate(sentences):
        m = _ON_WEEKDAY_EN.search(sentence)
        if m and _strong(sentence, lang) and rank[i] < LEAD_SENTENCES + 2 and not _HISTORICAL.search(sentence):
            back = (pub.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7
            return pub - timedelta(days=back), start
    return None
