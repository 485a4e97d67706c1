"""Search parameters shared by the JSON API and the search page: parsing, bounds and URLs.

Every filter the CLI has is a query parameter with the same meaning (``q``, ``source``, ``since``,
``until``, ``lang``, ``city``, ``pair``, ``speaker``, ``org``, ``type``, ``topic``, ``events_only``),
plus ``sort``. Values are bounded so that no request can make the backend do unbounded work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Query as Param
from fastapi import Request

from search.base import Query

MAX_QUERY_CHARS = 500
MAX_VALUE_CHARS = 200
MAX_LIST_VALUES = 20
MAX_LIMIT = 100
MAX_WINDOW = 10_000  # deepest result reachable by paging (offset + limit), as in Elasticsearch
PAGE_SIZE = 20
LANGUAGES = ("en", "zh")
DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
DATE_PATTERN = r"^(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?)?$"  # and a real date (checked after)
REPEATABLE = ("source", "city")
FILTER_PARAMS = ("q", "source", "since", "until", "lang", "city", "pair", "speaker", "org", "type", "topic",
                 "events_only", "sort", "collapse")
EVENT_FILTER_PARAMS = FILTER_PARAMS[:11]  # the filters an event search applies to event records


class BadParameter(Exception):
    """A request parameter a user can fix; the message says what is expected."""

    def __init__(self, param: str, message: str, status: int = 422) -> None:
        super().__init__(f"{param}: {message}")
        self.param, self.message, self.status = param, message, status


@dataclass
class Filters:
    """A search as the URL carries it: text, filters and sort order (paging is separate)."""

    q: str = ""
    source: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    lang: str | None = None
    city: list[str] = field(default_factory=list)
    pair: str | None = None
    speaker: str | None = None
    org: str | None = None
    type: str | None = None
    topic: str | None = None
    events_only: bool = False
    sort: str = "relevance"
    collapse: bool | None = None  # one row per event; None: the default, on with events_only

    @property
    def grouped(self) -> bool:
        """Tell whether results come one row per event (the toggle, else on for event reports only)."""
        return self.events_only if self.collapse is None else self.collapse

    def to_query(self, person_key, limit: int = PAGE_SIZE, offset: int = 0, facets: bool = False) -> Query:
        """Return the backend query; ``person_key`` maps a speaker name to its registry key."""
        return Query(
            text=self.q, sources=list(self.source), language=self.lang, since=self.since, until=self.until,
            cities=list(self.city), pair=parse_pair(self.pair) if self.pair else None, speaker=self.speaker,
            speaker_key=person_key(self.speaker) if self.speaker else None, org=self.org,
            event_type=self.type, topic=self.topic, events_only=self.events_only, limit=limit, offset=offset,
            facets=facets, sort=self.sort, collapse=self.grouped,
        )

    def params(self) -> list[tuple[str, str]]:
        """Return the URL parameters of this search (defaults left out)."""
        items: list[tuple[str, str]] = []
        for name in FILTER_PARAMS:
            value = getattr(self, name)
            if name == "collapse":
                if value is not None and value != self.events_only:
                    items.append((name, "true" if value else "false"))
                continue
            if name == "sort" and value == "relevance" or value in (None, "", [], False):
                continue
            values = value if isinstance(value, list) else [value]
            items.extend((name, "true" if v is True else str(v)) for v in values)
        return items

    def url(self, path: str = "/", **extra: object) -> str:
        """Return the URL of this search at ``path``, with extra parameters (None values left out)."""
        items = self.params() + [(k, str(v)) for k, v in extra.items() if v is not None]
        return path + ("?" + urlencode(items) if items else "")

    def changed(self, **changes: object) -> Filters:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        """Tell whether no text and no filter is set."""
        return not any(v for k, v in self.params() if k not in ("sort", "collapse"))


def parse_pair(value: str) -> tuple[str, str]:
    """Return a city pair from "A,B" (or the facet form "A|B", "上海,香港", "沪港") as canonical names, sorted."""
    from search.normalise import QueryError
    from search.normalise import parse_pair as read_pair

    try:
        return read_pair(value)
    except QueryError:
        raise BadParameter("pair", f"{value!r}: expected two places separated by a comma, e.g. 'Hong Kong,Shanghai'") from None


def check_date(param: str, value: str | None) -> str | None:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD (a real date)."""
    if value is None or value == "":
        return None
    try:
        dt.datetime.strptime(value, DATE_FORMATS[len(value)])
    except (KeyError, ValueError):
        raise BadParameter(param, f"{value[:40]!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY") from None
    return value


def period_start(value: str) -> str:
    """Return the first day a date or partial date (YYYY, YYYY-MM) covers."""
    return value + "-01-01"[len(value) - 4:] if len(value) < 10 else value


def period_end(value: str) -> str:
    """Return the last day a date or partial date (YYYY, YYYY-MM) covers."""
    if len(value) == 4:
        return value + "-12-31"
    if len(value) == 7:
        return value + "-31"
    return value


def check_values(param: str, values: list[str]) -> list[str]:
    """Bound a repeatable parameter: at most MAX_LIST_VALUES values of at most MAX_VALUE_CHARS each."""
    if len(values) > MAX_LIST_VALUES:
        raise BadParameter(param, f"at most {MAX_LIST_VALUES} values (got {len(values)})")
    for value in values:
        check_length(param, value)
    return [v.strip() for v in values if v.strip()]


def check_length(param: str, value: str | None, limit: int = MAX_VALUE_CHARS) -> str | None:
    """Refuse a value longer than ``limit`` characters; treat an empty one as absent."""
    if value is not None and len(value) > limit:
        raise BadParameter(param, f"at most {limit} characters (got {len(value)})")
    return value.strip() or None if value is not None else None


def check_vocabulary(param: str, value: str | None, known: tuple[str, ...]) -> None:
    """Refuse a value outside a vocabulary (when one is known), listing the known values."""
    if value and known and value.lower() not in known:
        raise BadParameter(param, f"unknown value {value[:40]!r}; known: {', '.join(known)}")


def reject_unknown(request: Request, known: tuple[str, ...]) -> None:
    """Refuse query parameters this route does not know (a typo would otherwise be silently ignored),
    and a single-valued one given more than once (which value was meant?)."""
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise BadParameter(unknown[0][:40], f"unknown parameter; known: {', '.join(known)}", status=400)
    for name in known:
        if name not in REPEATABLE and len(request.query_params.getlist(name)) > 1:
            raise BadParameter(name, "given more than once; only source and city may repeat", status=400)


QText = Annotated[str, Param(max_length=MAX_QUERY_CHARS, description="words to find (English or Chinese); "
                                                                  "words are ANDed, never query syntax")]
QSource = Annotated[list[str], Param(description="only these sources (repeatable)")]
QSince = Annotated[str | None, Param(pattern=DATE_PATTERN, description="on or after: YYYY-MM-DD, YYYY-MM or YYYY "
                                                                       "(event date, else publication date)")]
QUntil = Annotated[str | None, Param(pattern=DATE_PATTERN, description="on or before: YYYY-MM-DD, YYYY-MM or YYYY")]
QLang = Annotated[Literal["en", "zh", ""] | None, Param(description="only this language (empty: any)")]
QCity = Annotated[list[str], Param(description="involves this city (repeatable: any of them)")]
QPair = Annotated[str | None, Param(max_length=MAX_VALUE_CHARS,
                                    description="a city pair that cooperates: 'Hong Kong,Shanghai'")]
QSpeaker = Annotated[str | None, Param(max_length=MAX_VALUE_CHARS, description="a speaker's name")]
QOrg = Annotated[str | None, Param(max_length=MAX_VALUE_CHARS,
                                   description="an organiser or speaker affiliation (substring)")]
QType = Annotated[str | None, Param(max_length=40, description="event type: forum, symposium, ...")]
QTopic = Annotated[str | None, Param(max_length=40, description="topic: trade, finance, talent, ...")]


def search_filters(
    q: QText = "",
    source: QSource = [],  # noqa: B006
    since: QSince = None,
    until: QUntil = None,
    lang: QLang = None,
    city: QCity = [],  # noqa: B006
    pair: QPair = None,
    speaker: QSpeaker = None,
    org: QOrg = None,
    type: QType = None,  # noqa: A002
    topic: QTopic = None,
    events_only: Annotated[bool, Param(description="only event reports")] = False,
    sort: Annotated[Literal["relevance", "date", ""], Param(description="relevance (best match first; newest "
                                                                    "first without text) or date (newest first); empty: relevance")] = "relevance",
    collapse: Annotated[bool | None, Param(description="one row per event: its best-matching report, with how many "
                                                       "reports matched (default: on with events_only, else off)")] = None,
) -> Filters:
    """Parse and bound the search parameters of a request (a FastAPI dependency)."""
    filters = Filters(
        q=q, source=check_values("source", source), since=check_date("since", since),
        until=check_date("until", until), lang=lang or None, city=check_values("city", city), pair=check_length("pair", pair),
        speaker=check_length("speaker", speaker), org=check_length("org", org), type=check_length("type", type),
        topic=check_length("topic", topic), events_only=events_only, sort=sort or "relevance",
        collapse=None if collapse == events_only else collapse,
    )
    if filters.pair:
        parse_pair(filters.pair)
    if filters.since and filters.until and period_start(filters.since) > period_end(filters.until):
        raise BadParameter("since", f"{filters.since} is after until={filters.until}")
    return filters


def event_filters(
    q: QText = "",
    source: QSource = [],  # noqa: B006
    since: QSince = None,
    until: QUntil = None,
    lang: QLang = None,
    city: QCity = [],  # noqa: B006
    pair: QPair = None,
    speaker: QSpeaker = None,
    org: QOrg = None,
    type: QType = None,  # noqa: A002
    topic: QTopic = None,
) -> Filters:
    """Parse and bound the parameters of an event search (the search filters that apply to event records)."""
    return search_filters(q=q, source=source, since=since, until=until, lang=lang, city=city, pair=pair,
                          speaker=speaker, org=org, type=type, topic=topic)


def check_window(limit: int, offset: int) -> None:
    """Refuse paging past the deepest reachable result."""
    if offset + limit > MAX_WINDOW:
        raise BadParameter("offset", f"offset + limit may be at most {MAX_WINDOW}: narrow the search instead "
                                     "of paging this deep")
