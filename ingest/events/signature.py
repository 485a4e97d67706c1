"""The evidence one report gives about which real event it describes.

A signature holds what two reports of one event share even across languages and sources: the date (full, or
only a day and month, or bounded by the publication date), the edition (20th = 第二十次), the year and the
anniversary in the event's name, kinds of event (``terms.yaml``), places (canonical English names), people
(registry and pinyin keys), the theme, the venue and the organisers. It is computed once per report and kept
in the event record, so grouping never needs the report's text again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from ingest.models import Document, EventReport

from .numerals import ORDINAL_EN, ZH_NUMERAL, chinese_number, english_ordinal
from .people import identity_keys, text_name_keys
from .terms import SPECIFIC, term_weights, terms_in
from .vocab import fold, org_identity, places_in, simplified

LEAD_CHARS = {"en": 700, "zh": 260}  # the start of a report, where it names its event
TITLE_CHARS = {"en": 160, "zh": 60}
HELD_WINDOW = 14  # a report of a held event without a date: the event took place up to this many days before
ANNOUNCED_WINDOW = 120
STALE_DAYS = 180
EARLY_CHARS = 120  # a numbered event in the title (its first line, this long at most) is the report's own  # a preview without a date: the event takes place up to this many days after

_EN_EVENT_NOUN = (r"(?:plenary|plenary session|session|meeting|conference|forum|symposium|summit|seminar|dialogue|"
                  r"round-?table|workshop|expo|fair|festival|congress|convention|assembly|colloquium|lecture|edition|"
                  r"celebration|games|week)s?")
_EN_EDITION = re.compile(rf"\b{ORDINAL_EN}((?:[ \t/–—-]+[\w’'&.-]+){{0,9}}?)[ \t/–—-]+{_EN_EVENT_NOUN}\b", re.I)
_EN_ANNIVERSARY = re.compile(rf"\b{ORDINAL_EN}\s+anniversary\b", re.I)
_ZH_EVENT_NOUN = r"(?:联席会议|会议|论坛|峰会|座谈会|研讨会|大会|年会|博览会|交流会|对话会|对话|圆桌会|会晤|讲座|推介会|活动)"
_ZH_EDITION = re.compile(rf"第\s*({ZH_NUMERAL})\s*(?:届|次|轮|期)([^，。；、：:,\s“”\"（）()]{{0,16}}?){_ZH_EVENT_NOUN}")
_ZH_ANNIVERSARY = re.compile(rf"({ZH_NUMERAL})\s*周年")
_EN_NAME_YEAR = re.compile(
    rf"\b((?:19|20)\d{{2}})(?:[ \t]+[A-Za-z’'&-]+){{0,8}}?[ \t]+{_EN_EVENT_NOUN}\b|\b{_EN_EVENT_NOUN}[ \t]+((?:19|20)\d{{2}})\b",
    re.I)
_ZH_NAME_YEAR = re.compile(rf"((?:19|20)\d{{2}})\s*(?:年度|年)?([^\s，。；、：:,.!?！？“”\"（）()\d]{{0,14}}?){_ZH_EVENT_NOUN}")
_ZH_NOT_NAME = re.compile(r"以来|召开|举行|举办|期间|至今|之前|之后|开始|月|日|将|于|在|第")
_EN_MONTH_DAY = re.compile(
    r"\b(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|"
    r"Nov(?:ember)?|Dec(?:ember)?)\.?\s+(\d{1,2})\b|\b(\d{1,2})\s+(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|"
    r"June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b")
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"], 1)}
_ZH_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ZH_DAY = re.compile(r"(?<![\d月年/.-])(\d{1,2})\s*日(?!\d)")


@dataclass
class Signature:
    """What one report says about its event (see the module docstring); plain JSON values only."""

    doc_id: str
    lang: str = "en"
    status: str = "held"
    published: str | None = None
    date: str | None = None  # the event's day, YYYY-MM-DD
    days: list[list[int]] = field(default_factory=list)  # [month, day] (month 0: day only) when no full date
    edition: int | None = None
    anniversary: int | None = None
    year: int | None = None  # the year in the event's name ("2024 Annual Symposium", 2021年度...座谈会)
    terms: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    people: list[list[str]] = field(default_factory=list)  # each person: [name as written, identity keys...]
    mentions: list[str] = field(default_factory=list)  # person keys of names written in the text
    theme: str | None = None
    venue: str | None = None
    orgs: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # distinctive words of the title and name
    main_places: list[str] = field(default_factory=list)  # places of the title, name and city pairs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def inferred_dates(self) -> list[date]:
        """Return the days without a year (``days``) placed in the publication window, when there is one."""
        window = self.window()
        if window is None or self.date:
            return []
        start, end = window[0] - timedelta(days=7), window[1] + timedelta(days=7)
        found = []
        for month, dom in self.days:
            months = [month] if month else sorted({start.month, end.month})
            for year in sorted({start.year, end.year}):
                for m in months:
                    candidate = _safe_date(year, m, dom)
                    if candidate and start <= candidate <= end:
                        found.append(candidate)
        return sorted(set(found))

    def window(self) -> tuple[date, date] | None:
        """Return the days the event may fall on when the report gives no date: from its publication date."""
        published = parse_day(self.published)
        if published is None:
            return None
        if self.status == "announced":
            return published, published + timedelta(days=ANNOUNCED_WINDOW)
        return published - timedelta(days=HELD_WINDOW), published


def _safe_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when it does not exist."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_day(value: str | None) -> date | None:
    """Return a YYYY-MM-DD string as a date (None for anything else)."""
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def report_status(event: EventReport | None) -> str | None:
    """Return held, announced or None: the report's own status, else held for an event report."""
    if event is None:
        return None
    status = getattr(event, "status", None)
    if status in ("held", "announced"):
        return status
    return "held" if event.is_event_report else None


def is_groupable(doc: Document) -> bool:
    """Tell whether a document reports an event (held or announced) and so belongs to one."""
    return report_status(doc.event) is not None


def signature_of(doc: Document) -> Signature:
    """Compute the signature of an event report."""
    event = doc.event or EventReport()
    lang = "zh" if (doc.language or "").startswith("zh") else "en"
    text = doc.text or ""
    lead = "\n".join(x for x in (doc.title or "", text[: LEAD_CHARS[lang]]) if x)
    name_zone = "\n".join(x for x in (lead, event.event_name or "") if x)
    sig = Signature(doc_id=doc.id, lang=lang, status=report_status(event) or "held", published=doc.published)
    sig.date = trusted_date(event.event_date, doc.published)
    sig.days = [] if sig.date else day_mentions(lead) + weekday_days(lead, doc.published, sig.status)
    sig.edition, sig.anniversary, sig.year = edition_of(name_zone), anniversary_of(name_zone), name_year_of(name_zone)
    sig.terms = terms_in(name_zone)
    sig.places = list(dict.fromkeys([*event.cities, *places_in(lead), *places_in(event.venue or "")]))
    sig.pairs = sorted({"|".join(sorted(p)) for p in event.city_pairs if len(p) == 2})
    heading = "\n".join(x for x in (doc.title or "", event.event_name or "") if x)
    sig.main_places = list(dict.fromkeys([*places_in(heading), *(c for p in event.city_pairs for c in p)]))
    sig.people = [[s.name, *sorted(identity_keys(s.name, s.key))] for s in event.speakers if s.name]
    sig.mentions = sorted(text_name_keys(text[:4000], lang, strict=True))
    sig.theme = comparable_theme(event.theme)
    sig.venue = fold(event.venue) or None
    sig.orgs = sorted({org_identity(o) for o in event.organizers if o})
    title = doc.title or "" if len(doc.title or "") <= TITLE_CHARS[lang] else ""  # a first paragraph is no title
    sig.words = title_words("\n".join(x for x in (title, event.event_name or "") if x), sig.places)
    return sig


def title_words(text: str, places: list[str]) -> list[str]:
    """Return the distinctive words of a title: no function words, places, kinds of event or numbers."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    simp = simplified(text)
    kinds = " ".join(terms_in(simp)).replace("-", " ")
    skip = {w.lower() for p in places for w in p.split()} | set(kinds.split()) | _STOP_WORDS
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’-]{2,}", simp)}
    for run in re.findall(r"[\u3400-\u9fff]+", simp):
        words |= {w for w in jieba.lcut(run) if len(w) >= 2}
    return sorted(w for w in words if w not in skip and not any(z in w for z in _ZH_STOP) and not _NUMBERED.search(w))


_STOP_WORDS = frozenset(
    "the and for with from into this that will was were are has have its their his her our new held hold holds "
    "opens opened open says said meeting meet meets conference forum symposium news press release photos videos "
    "video photo chief executive government delegation lead leads leading attend attends visit visits begins "
    "programme program today co-operation cooperation development further more plenary session".split())
_ZH_STOP = ("举行", "召开", "举办", "会议", "合作", "发展", "表示", "出席", "新闻", "活动", "代表团", "主持")
_NUMBERED = re.compile(r"[第\d一二三四五六七八九十]")


_WEEKDAYS_EN = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                            "sunday"])}
_WEEKDAY_EN = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_WEEKDAY_ZH = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")


def weekday_days(lead: str, published: str | None, status: str) -> list[list[int]]:
    """Return the day a weekday in the lead names ("held Monday"), counted from the publication date.

    A report names the last such weekday before it appeared; a preview the next one after.
    """
    day = parse_day(published)
    match = _WEEKDAY_EN.search(lead) or _WEEKDAY_ZH.search(simplified(lead))
    if day is None or match is None:
        return []
    name = match.group(1)
    weekday = _WEEKDAYS_EN[name.lower()] if name.isascii() else "一二三四五六日天".index(name) if name != "天" else 6
    weekday = min(weekday, 6)
    if status == "announced":
        target = day + timedelta(days=(weekday - day.weekday()) % 7 or 7)
    else:
        target = day - timedelta(days=(day.weekday() - weekday) % 7)
    return [[target.month, target.day]]


def trusted_date(event_date: str | None, published: str | None) -> str | None:
    """Return the report's event date unless it is not a full date or lies long before the report appeared.

    A date more than STALE_DAYS before publication usually comes from a year the text mentions in passing
    (a report of the second meeting that recalls the first); its day and month still count (``day_mentions``).
    """
    day, pub = parse_day(event_date), parse_day(published)
    if day is None or (pub is not None and (pub - day).days > STALE_DAYS):
        return None
    return event_date


def comparable_theme(theme: str | None) -> str | None:
    """Return a theme reduced to its letters and characters (quotes and punctuation dropped), if long enough."""
    value = re.sub(r"[\W_]+", "", fold(theme))
    return value if len(value) >= 4 else None


def belongs(context: str, position: int, text: str) -> bool:
    """Tell whether a numbered mention names the report's own event: its words name a specific kind of event
    (``...联席会议第二十四次会议``, ``Fifth ... High-level Forum``), or it stands in the report's title.

    A numbered event in passing (第20次全国代表大会 in the middle of a report of a joint conference) is not taken.
    """
    return position < _title_end(text) or bool(specific_terms(terms_in(context)))


def _title_end(text: str) -> int:
    """Return where the first line (the title) of a text ends, at most EARLY_CHARS in."""
    end = text.find("\n")
    return min(end if end >= 0 else len(text), EARLY_CHARS)


def edition_of(text: str) -> int | None:
    """Return the edition of the report's event (20th Plenary, 第二十次会议, fifth ... Forum), first mention first."""
    found = []
    for m in _EN_EDITION.finditer(text):
        if "anniversary" not in m.group(3).lower() and belongs(_around(text, m, 40, 70), m.start(), text):
            found.append((m.start(), english_ordinal(m.group(1) or m.group(2))))
    simp = simplified(text)
    for m in _ZH_EDITION.finditer(simp):
        if belongs(_attached_name(simp, m.start()) + m.group(0), m.start(), simp):
            found.append((m.start(), chinese_number(m.group(1))))
    return _first(found)


def anniversary_of(text: str) -> int | None:
    """Return the anniversary the report's event celebrates (45th anniversary of ..., 结好45周年)."""
    found = [(m.start(), english_ordinal(m.group(1) or m.group(2))) for m in _EN_ANNIVERSARY.finditer(text)
             if _celebrates(_around(text, m, 40, 60))]
    simp = simplified(text)
    found += [(m.start(), chinese_number(m.group(1))) for m in _ZH_ANNIVERSARY.finditer(simp)
              if _celebrates(_around(simp, m, 12, 8))]
    return _first(found)


def _celebrates(context: str) -> bool:
    """Tell whether an anniversary is what an event marks (ties, a celebration), not a passing count of years."""
    return bool({"sister-cities", "celebration"} & set(terms_in(context)) or
                (set(specific_terms(terms_in(context))) - {"anniversary"}))


def name_year_of(text: str) -> int | None:
    """Return the year written in the event's name (2024 Annual Symposium, 2021年度...座谈会, Forum 2019)."""
    found = [(m.start(), int(m.group(1) or m.group(2))) for m in _EN_NAME_YEAR.finditer(text)
             if belongs(_around(text, m, 0, 50), m.start(), text)]
    simp = simplified(text)
    for m in _ZH_NAME_YEAR.finditer(simp):
        if not _ZH_NOT_NAME.search(m.group(2)) and belongs(_around(simp, m, 0, 4), m.start(), simp):
            found.append((m.start(), int(m.group(1))))
    return _first(found)


_ZH_NAME_BEFORE = re.compile(r"[^，。、；：,.;:\s是也为在与和及后前的了]{0,14}$")


def _attached_name(simp: str, start: int) -> str:
    """Return the words written right before a Chinese numbered mention (粤港合作联席会议 in ...第二十次会议)."""
    match = _ZH_NAME_BEFORE.search(simp[max(0, start - 14):start])
    return match.group(0) if match else ""


def _around(text: str, match: re.Match[str], before: int, after: int) -> str:
    """Return a match with some text before and after it."""
    return text[max(0, match.start() - before):match.end() + after]


def specific_terms(names: list[str]) -> list[str]:
    """Return the specific kinds among term names."""
    weights = term_weights()
    return [n for n in names if weights.get(n, 0) >= SPECIFIC]


def _first(found: list[tuple[int, int | None]]) -> int | None:
    """Return the value found first in the text."""
    values = [value for _, value in sorted(found, key=lambda item: item[0]) if value]
    return values[0] if values else None


def day_mentions(text: str) -> list[list[int]]:
    """Return the [month, day] pairs (month 0 when only the day is given) a lead mentions, first three."""
    out: list[list[int]] = []
    for m in _EN_MONTH_DAY.finditer(text):
        month = _MONTHS[(m.group(1) or m.group(4))[:3].lower()]
        out.append([month, int(m.group(2) or m.group(3))])
    simp = simplified(text)
    out += [[int(m.group(1)), int(m.group(2))] for m in _ZH_MONTH_DAY.finditer(simp)]
    out += [[0, int(m.group(1))] for m in _ZH_DAY.finditer(simp)]
    valid = [d for d in out if 0 <= d[0] <= 12 and 1 <= d[1] <= 31]
    return [list(d) for d in dict.fromkeys(tuple(d) for d in valid)][:3]
