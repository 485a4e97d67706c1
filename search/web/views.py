"""What the pages and the API show, computed from the backend: one function per view, no HTTP here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ingest.models import Document, Speaker
from search.base import Hit, Query, SearchResult
from search.normalise import canonical_event_type, normalise_query
from search.text import fold
from search.web.params import BadParameter, Filters, check_vocabulary, check_window, parse_pair
from search.web.services import WebServices

DOC_ID = re.compile(r"[0-9a-f]{8,64}")
MAX_APPEARANCES = 200  # events listed on a person page
MAX_PERIODS = 40  # columns of the cooperation view
MAX_MATRIX_CITIES = 12
# facet name -> the search parameter it filters on
FACET_PARAMS = {"source": "source", "language": "lang", "event_type": "type", "city": "city", "city_pair": "pair",
                "speaker": "speaker", "organization": "org", "topic": "topic"}
FACET_LABELS = {"source": "Source", "language": "Language", "event_type": "Event type", "city": "City",
                "city_pair": "City pair", "speaker": "Speaker", "organization": "Organiser", "topic": "Topic"}
REPORT_FIELDS = (("event_type", "Type"), ("event_name", "Name"), ("event_date", "Date"), ("venue", "Venue"),
                 ("theme", "Theme"), ("organizers", "Organisers"), ("cities", "Cities"), ("city_pairs", "City pairs"),
                 ("sessions", "Sessions"), ("participant_count", "Participants"), ("topics", "Topics"))


class NotFound(Exception):
    """Nothing answers to this id or key; the message says what was looked for."""


# search ----------------------------------------------------------------------------------------------------


def check_filters(services: WebServices, filters: Filters) -> None:
    """Refuse an event type or topic outside the structurer's vocabularies (a type in any language: 研讨会)."""
    event_type = canonical_event_type(filters.type) if filters.type else None
    check_vocabulary("type", event_type, services.event_types)
    check_vocabulary("topic", filters.topic, services.topics)


def run_search(services: WebServices, filters: Filters, limit: int, offset: int, facets: bool) -> SearchResult:
    """Check a search against the vocabularies and paging window, then run it."""
    check_filters(services, filters)
    check_window(limit, offset)
    return services.backend.search(normalise_query(filters.to_query(services.person_key, limit, offset, facets)))


@dataclass
class FacetLink:
    """One clickable facet value: its count, and the search with that value toggled."""

    value: str
    count: int
    url: str
    active: bool


def facet_value_param(facet: str, value: str) -> str:
    """Return the search-parameter value a facet value filters on (a pair "A|B" becomes "A,B")."""
    return value.replace("|", ",") if facet == "city_pair" else value


def facet_links(filters: Filters, facet: str, values: list[tuple[str, int]]) -> list[FacetLink]:
    """Return a facet's values as links that add the value to the search, or remove it when set."""
    param = FACET_PARAMS[facet]
    links = []
    for value, count in values:
        wanted = facet_value_param(facet, value)
        current = getattr(filters, param)
        if isinstance(current, list):
            active = wanted in current
            changed = [v for v in current if v != wanted] if active else [*current, wanted]
        else:
            active = current is not None and fold(current) == fold(wanted)
            changed = None if active else wanted
        links.append(FacetLink(value, count, filters.changed(**{param: changed}).url("/"), active))
    return links


# one document ----------------------------------------------------------------------------------------------


@dataclass
class EvidenceRow:
    """One field of an event report: its name, label, value and the sentence it came from."""

    field: str
    label: str
    value: Any
    evidence: str | None


@dataclass
class SpeakerRow:
    """One speaker of a report with the key of their person page."""

    speaker: Speaker
    person_key: str


@dataclass
class DocumentView:
    """A stored document with its event report laid out for reading."""

    doc: Document
    report: list[EvidenceRow] = field(default_factory=list)
    speakers: list[SpeakerRow] = field(default_factory=list)
    same_event: list[Hit] = field(default_factory=list)


def load_document(services: WebServices, doc_id: str) -> Document:
    """Return the document with this id (or unique id prefix of 8+ characters)."""
    doc_id = doc_id.strip().lower()
    if not DOC_ID.fullmatch(doc_id):
        raise BadParameter("id", "a document id is 8 to 64 hexadecimal characters (sha256 of the URL, or a prefix)")
    doc = services.backend.get(doc_id)
    if doc is None:
        raise NotFound(f"no document with id {doc_id!r} (search to find ids; a prefix must be unique)")
    return doc


def document_view(services: WebServices, doc_id: str) -> DocumentView:
    """Return a document with its report fields, speakers and the other reports of the same event."""
    doc = load_document(services, doc_id)
    view = DocumentView(doc)
    if doc.event is not None:
        view.report = report_rows(doc)
        view.speakers = [SpeakerRow(s, s.key or services.person_key(s.name)) for s in doc.event.speakers if s.name]
    view.same_event = same_event_reports(services, doc)
    return view


def report_rows(doc: Document) -> list[EvidenceRow]:
    """Return the filled fields of a document's event report, each with its evidence sentence."""
    event = doc.event
    rows = []
    for name, label in REPORT_FIELDS:
        value = getattr(event, name)
        if value not in (None, "", []):
            rows.append(EvidenceRow(name, label, value, event.evidence.get(name)))
    return rows


def same_event_reports(services: WebServices, doc: Document) -> list[Hit]:
    """Return the other stored reports of this document's event (oldest first; none without an event id)."""
    if not doc.event_id:
        return []
    result = services.backend.search(Query(event_ids=[doc.event_id], limit=50, sort="date"))
    return sorted((hit for hit in result.hits if hit.id != doc.id), key=lambda h: h.date or "")


# one person ------------------------------------------------------------------------------------------------


@dataclass
class Appearance:
    """A person at one event, with the title and affiliation given that time."""

    doc_id: str
    report_title: str
    url: str
    date: str | None
    event_type: str | None
    event_name: str | None
    speaker: Speaker
    source: str = ""
    language: str | None = None
    event_id: str | None = None


@dataclass
class PersonView:
    """Every event a person took part in, oldest first."""

    key: str
    names: list[str]
    appearances: list[Appearance]
    truncated: bool


def check_person_key(key: str) -> str:
    """Return a person key (a speaker's ``key``, e.g. person:fan-gang) after checking its length."""
    key = key.strip()
    if not key or len(key) > 200:
        raise BadParameter("key", "a person key is 1 to 200 characters, e.g. person:fan-gang")
    return key


def person_view(services: WebServices, key: str) -> PersonView:
    """Return the events a person (by registry key) spoke at, with the titles used each time."""
    key = check_person_key(key)
    hits, truncated = person_hits(services, key)
    appearances = []
    for hit in hits:
        doc = services.backend.get(hit.id)
        if doc is None or doc.event is None:
            continue
        for speaker in doc.event.speakers:
            if speaker.name and fold(speaker.key or services.person_key(speaker.name)) == fold(key):
                appearances.append(Appearance(doc.id, doc.title, doc.url, doc.date, doc.event.event_type,
                                              doc.event.event_name, speaker, doc.source, doc.language, doc.event_id))
    if not appearances:
        raise NotFound(f"no event with a speaker whose person key is {key!r}")
    appearances.sort(key=lambda a: (a.date or "9999", a.report_title))
    names = list(dict.fromkeys(a.speaker.name for a in appearances))
    return PersonView(key, names, appearances, truncated)


def person_hits(services: WebServices, key: str) -> tuple[list[Hit], bool]:
    """Return the reports naming a person key (at most MAX_APPEARANCES) and whether there were more."""
    hits: list[Hit] = []
    query = Query(speaker=key, speaker_key=key, limit=100, sort="date")
    while len(hits) < MAX_APPEARANCES:
        result = services.backend.search(replace(query, offset=len(hits)))
        hits.extend(result.hits)
        if not result.hits or len(hits) >= result.total:
            return hits[:MAX_APPEARANCES], result.total > MAX_APPEARANCES
    return hits[:MAX_APPEARANCES], True


# city pairs ------------------------------------------------------------------------------------------------


@dataclass
class PairRow:
    """A city pair with its event count overall and per period."""

    cities: tuple[str, str]
    total: int
    by_period: dict[str, int]


@dataclass
class PairsView:
    """The cooperation network of a period: city pairs with event counts, overall and per period."""

    filters: Filters
    period: str
    periods: list[str]
    pairs: list[PairRow]
    events: int

    def cities(self, limit: int = MAX_MATRIX_CITIES) -> list[str]:
        """Return the cities in the most pairs' events, most first (the axes of the matrix)."""
        weight: dict[str, int] = {}
        for row in self.pairs:
            for city in row.cities:
                weight[city] = weight.get(city, 0) + row.total
        return sorted(weight, key=lambda c: (-weight[c], c))[:limit]


def pairs_view(services: WebServices, filters: Filters, period: str) -> PairsView:
    """Count event reports per city pair for the filters' date range, overall and per year or month."""
    check_filters(services, filters)
    base = filters.changed(events_only=True, collapse=False).to_query(services.person_key, limit=0, facets=True)
    overall = services.backend.search(base)
    periods = period_labels(overall.histogram, period)
    if len(periods) > MAX_PERIODS:
        raise BadParameter("period", f"{len(periods)} {period}s have events: narrow since/until or use period=year")
    counts = {label: pair_counts(services.backend.search(replace(base, since=label, until=label)))
              for label in periods}
    pairs = [PairRow(parse_pair(value), total, {p: counts[p].get(value, 0) for p in periods})
             for value, total in overall.facets.get("city_pair", [])]
    return PairsView(filters, period, periods, pairs, overall.total)


def event_years(services: WebServices) -> list[str]:
    """Return every year from the first to the last with event reports."""
    histogram = services.backend.search(Query(events_only=True, limit=0, facets=True)).histogram
    return period_labels(histogram, "year")


def pair_counts(result: SearchResult) -> dict[str, int]:
    """Return {"A|B": events} from a faceted result."""
    return dict(result.facets.get("city_pair", []))


def period_labels(histogram: list[tuple[str, int]], period: str) -> list[str]:
    """Return the years (or months) from the first to the last month with events, every one in between."""
    months = [month for month, count in histogram if count]
    if not months:
        return []
    if period == "year":
        return [str(y) for y in range(int(months[0][:4]), int(months[-1][:4]) + 1)]
    return month_range(months[0], months[-1])


def month_range(first: str, last: str) -> list[str]:
    """Return every YYYY-MM from first to last, inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# sources ---------------------------------------------------------------------------------------------------


def sources_view(services: WebServices) -> list[dict[str, Any]]:
    """Return per-source health rows (the figures of ``coopwatch stats``), quiet sources flagged."""
    return services.source_figures()
