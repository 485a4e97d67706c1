"""The JSON API under /api (and /healthz): thin routes over the views, documented by their models."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ingest.models import Speaker
from search.base import FACET_NAMES, Hit
from search.web import views
from search.web.params import (
    FILTER_PARAMS,
    MAX_LIMIT,
    MAX_WINDOW,
    Filters,
    reject_unknown,
    search_filters,
)
from search.web.events import PersonEvent, event_api_url, event_page_url, person_events
from search.web.services import WebServices
from search.web.views import Appearance, DocumentView


class ErrorBody(BaseModel):
    status: int
    message: str
    param: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in ((400, "unknown parameter"), (401, "API key missing or wrong"), (404, "not found"),
                       (413, "request body too large"), (414, "query string too long"),
                       (422, "a parameter is out of range or malformed"), (503, "the store cannot be reached"))
}
router = APIRouter(responses=ERRORS)


def services_of(request: Request) -> WebServices:
    """Return the services the app was built with."""
    return request.app.state.services


# models ----------------------------------------------------------------------------------------------------


class Links(BaseModel):
    document: str = Field(description="this API's record of the document")
    page: str = Field(description="the document's web page")
    archive: str | None = Field(None, description="the archived copy, as fetched (sandboxed HTML)")
    event: str | None = Field(None, description="the record of the event it reports: GET /api/events/{id}")
    event_page: str | None = Field(None, description="the event's web page")


class HitOut(BaseModel):
    id: str
    url: str
    title: str
    source: str
    language: str | None
    date: str | None
    score: float
    snippet: str = Field(description="HTML: matched words in <mark>, everything else escaped")
    event_type: str | None
    is_event_report: bool
    cities: list[str]
    city_pairs: list[list[str]]
    speakers: list[str]
    event_id: str | None = Field(None, description="the event this report belongs to (shared by its other reports)")
    indexed_at: str | None = Field(None, description="when the store first indexed it")
    group_size: int = Field(1, description="with collapse: how many matching reports this row's event has")
    links: Links


class FacetValue(BaseModel):
    value: str
    count: int


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM of the event date")
    count: int


class SearchResponse(BaseModel):
    total: int
    offset: int
    limit: int
    sort: str
    collapse: bool = Field(description="one row per event (the collapse parameter, else on with events_only)")
    results: list[HitOut]
    facets: dict[str, list[FacetValue]] = Field(description=f"per facet ({', '.join(FACET_NAMES)}): values "
                                                            "with document counts, most first")
    histogram: list[MonthCount] = Field(description="matching event reports per month of their event date")


class SpeakerOut(BaseModel):
    name: str
    title: str | None
    affiliation: str | None
    role: str
    evidence: str | None
    key: str = Field(description="person key: GET /api/people/{key}")


class EvidenceOut(BaseModel):
    field: str
    value: Any
    evidence: str | None = Field(description="the sentence the value came from")


class EventOut(BaseModel):
    is_event_report: bool
    event_type: str | None
    event_name: str | None
    theme: str | None
    event_date: str | None
    venue: str | None
    organizers: list[str]
    speakers: list[SpeakerOut]
    cities: list[str]
    city_pairs: list[list[str]]
    sessions: list[str]
    participant_count: int | None
    topics: list[str]
    evidence: dict[str, str]


class ReportRef(BaseModel):
    id: str
    title: str
    url: str
    source: str
    language: str | None
    date: str | None
    links: Links | None = None


class DocumentResponse(BaseModel):
    id: str
    url: str
    source: str
    title: str
    text: str
    language: str | None
    published: str | None
    date: str | None
    fetched_at: str
    content_hash: str
    event_id: str | None = Field(description="the event this report belongs to")
    indexed_at: str = Field(description="when the store first indexed it")
    changed_at: str = Field(description="when the store last saw its content change")
    event: EventOut | None
    report: list[EvidenceOut] = Field(description="the event report's filled fields, each with its evidence")
    same_event: list[ReportRef] = Field(description="other stored reports of the same event")
    links: Links


class AppearanceOut(BaseModel):
    document: ReportRef
    event_type: str | None
    event_name: str | None
    name: str = Field(description="the name as written in this report")
    title: str | None = Field(description="the title given in this report")
    affiliation: str | None = Field(description="the affiliation given in this report")
    role: str
    evidence: str | None
    event_id: str | None = Field(None, description="the event this report belongs to")
    links: Links


class EventLinks(BaseModel):
    event: str = Field(description="this API's record of the event")
    page: str = Field(description="the event's web page")


class PersonEventOut(BaseModel):
    event_id: str | None = Field(description="the event record (None: a report not grouped into an event)")
    name: str
    date: str | None
    event_type: str | None
    status: str | None = Field(description="held or announced (the event record's status)")
    roles: list[str]
    reports: list[AppearanceOut] = Field(description="what each report of the event says of the person")
    links: EventLinks | None


class PersonResponse(BaseModel):
    key: str
    names: list[str]
    total: int = Field(description="reports naming the person")
    truncated: bool = Field(description=f"more than {views.MAX_APPEARANCES} reports name this person")
    events: list[PersonEventOut] = Field(description="one row per event (a report without an event is its own row), "
                                                     "oldest first")
    appearances: list[AppearanceOut] = Field(description="every report naming the person, oldest first")


class PairOut(BaseModel):
    cities: list[str]
    total: int
    by_period: dict[str, int]
    search: str = Field(description="the API search for this pair's event reports")


class PairsResponse(BaseModel):
    since: str | None
    until: str | None
    period: str
    periods: list[str]
    events: int = Field(description="event reports in the range")
    pairs: list[PairOut]


class RunCounts(BaseModel):
    finished: str | None = None
    fetched: int | None = None
    new: int | None = None
    events_changed: int | None = None


class SourceOut(BaseModel):
    source: str
    documents: int
    last_success: str | None
    last_run: RunCounts | None
    failures: dict[str, int]
    empty_runs: int
    warning: str | None


class SourcesResponse(BaseModel):
    sources: list[SourceOut]


class Health(BaseModel):
    status: Literal["ok"]
    documents: int


# conversions -----------------------------------------------------------------------------------------------


def links_for(doc_id: str, archive: bool = True, event_id: str | None = None) -> Links:
    """Return the API, page and archive links of a document (and of its event, when it has one)."""
    return Links(document=f"/api/documents/{doc_id}", page=f"/documents/{doc_id}",
                 archive=f"/api/documents/{doc_id}/archive" if archive else None,
                 event=event_api_url(event_id) if event_id else None,
                 event_page=event_page_url(event_id) if event_id else None)


def hit_out(hit: Hit) -> HitOut:
    return HitOut(**{k: v for k, v in vars(hit).items()}, links=links_for(hit.id, event_id=hit.event_id))


def speaker_out(speaker: Speaker, key: str) -> SpeakerOut:
    return SpeakerOut(name=speaker.name, title=speaker.title, affiliation=speaker.affiliation, role=speaker.role,
                      evidence=speaker.evidence, key=key)


def document_out(view: DocumentView) -> DocumentResponse:
    doc = view.doc
    event = None
    if doc.event is not None:
        data = doc.event.to_dict()
        data["speakers"] = [speaker_out(row.speaker, row.person_key) for row in view.speakers]
        event = EventOut(**data)
    return DocumentResponse(
        id=doc.id, url=doc.url, source=doc.source, title=doc.title, text=doc.text, language=doc.language,
        published=doc.published, date=doc.date, fetched_at=doc.fetched_at, content_hash=doc.content_hash,
        event_id=doc.event_id, indexed_at=doc.indexed_at, changed_at=doc.changed_at, event=event,
        report=[EvidenceOut(field=r.field, value=r.value, evidence=r.evidence) for r in view.report],
        same_event=[ReportRef(id=h.id, title=h.title, url=h.url, source=h.source, language=h.language, date=h.date,
                              links=links_for(h.id)) for h in view.same_event],
        links=links_for(doc.id, event_id=doc.event_id),
    )


def appearance_out(a: Appearance) -> AppearanceOut:
    s = a.speaker
    return AppearanceOut(
        document=ReportRef(id=a.doc_id, title=a.report_title, url=a.url, source=a.source, language=a.language,
                           date=a.date),
        event_type=a.event_type, event_name=a.event_name, name=s.name, title=s.title, affiliation=s.affiliation,
        role=s.role, evidence=s.evidence, event_id=a.event_id, links=links_for(a.doc_id, event_id=a.event_id),
    )


def person_event_out(row: PersonEvent) -> PersonEventOut:
    event = row.event
    return PersonEventOut(
        event_id=event.id if event else None, name=row.name, date=row.date, event_type=row.event_type,
        status=event.status if event else None, roles=row.roles, reports=[appearance_out(a) for a in row.appearances],
        links=EventLinks(event=event_api_url(event.id), page=event_page_url(event.id)) if event else None,
    )


# routes ----------------------------------------------------------------------------------------------------

SEARCH_PARAMS = (*FILTER_PARAMS, "limit", "offset", "facets")


@router.get("/api/search", response_model=SearchResponse, summary="Search reports with facets and a histogram")
def api_search(
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    limit: Annotated[int, Param(ge=0, le=MAX_LIMIT, description="results per page")] = 20,
    offset: Annotated[int, Param(ge=0, le=MAX_WINDOW, description=f"skip this many (offset + limit <= {MAX_WINDOW})")] = 0,
    facets: Annotated[bool, Param(description="also count facets and the monthly histogram")] = True,
) -> SearchResponse:
    """Search stored reports: text (English or Chinese) and every CLI filter, paged, with facet counts."""
    reject_unknown(request, SEARCH_PARAMS)
    result = views.run_search(services_of(request), filters, limit, offset, facets)
    return SearchResponse(
        total=result.total, offset=offset, limit=limit, sort=filters.sort, collapse=filters.grouped,
        results=[hit_out(h) for h in result.hits],
        facets={name: [FacetValue(value=v, count=c) for v, c in values] for name, values in result.facets.items()},
        histogram=[MonthCount(month=m, count=c) for m, c in result.histogram],
    )


@router.get("/api/documents/{doc_id}", response_model=DocumentResponse, summary="One document and its event report")
def api_document(request: Request, doc_id: str) -> DocumentResponse:
    """Return the full record: text, event report with each field's evidence sentence, links, same-event reports."""
    reject_unknown(request, ())
    return document_out(views.document_view(services_of(request), doc_id))


ARCHIVE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@router.get("/api/documents/{doc_id}/archive", response_class=Response, summary="The archived copy of a page",
            responses={200: {"content": {"text/html": {}, "application/octet-stream": {}},
                             "description": "the page as fetched, sandboxed: no script, no same-origin access, "
                                            "nothing loaded from elsewhere"}})
def api_archive(
    request: Request, doc_id: str,
    download: Annotated[bool, Param(description="send as an attachment instead of a sandboxed view")] = False,
) -> Response:
    """Serve the archived HTML of a document under a sandbox CSP (or as an attachment), never as live HTML."""
    reject_unknown(request, ("download",))
    services = services_of(request)
    doc = views.load_document(services, doc_id)
    copy = services.archived_copy(doc)
    if copy is None:
        raise views.NotFound(f"no archived copy of {doc.url} (the archive keeps COOPWATCH_RETENTION_DAYS days)")
    is_html = (copy.content_type or "text/html").split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")
    charset = re.search(r"charset=([\w.-]+)", copy.content_type or "", re.I)
    media = f"text/html; charset={charset.group(1)}" if is_html and charset else "text/html" if is_html else \
        "application/octet-stream"
    disposition = "attachment" if download or not is_html else "inline"
    headers = {"Content-Security-Policy": ARCHIVE_CSP, "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f'{disposition}; filename="{doc.id[:16]}.html"',
               "X-Archived-At": copy.fetched_at, "Cache-Control": "no-store"}
    return Response(copy.body, media_type=media, headers=headers)


@router.get("/api/people/{key:path}", response_model=PersonResponse, summary="Every event a person took part in")
def api_person(request: Request, key: str) -> PersonResponse:
    """Return a person's events (person key as in a speaker's ``key``), oldest first, with titles given each time."""
    reject_unknown(request, ())
    services = services_of(request)
    view = views.person_view(services, key)
    return PersonResponse(
        key=view.key, names=view.names, total=len(view.appearances), truncated=view.truncated,
        events=[person_event_out(row) for row in person_events(services, view)],
        appearances=[appearance_out(a) for a in view.appearances],
    )


@router.get("/api/pairs", response_model=PairsResponse, summary="City pairs with event counts per period")
def api_pairs(
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    period: Annotated[Literal["year", "month"], Param(description="count per year or per month")] = "year",
) -> PairsResponse:
    """Return the cooperation network: city pairs of event reports, counted overall and per period."""
    reject_unknown(request, (*FILTER_PARAMS, "period"))
    view = views.pairs_view(services_of(request), filters, period)
    return PairsResponse(
        since=filters.since, until=filters.until, period=period, periods=view.periods, events=view.events,
        pairs=[PairOut(cities=list(row.cities), total=row.total, by_period=row.by_period,
                       search=filters.changed(pair=",".join(row.cities), events_only=True).url("/api/search"))
               for row in view.pairs],
    )


@router.get("/api/sources", response_model=SourcesResponse, summary="Per-source health")
def api_sources(request: Request) -> SourcesResponse:
    """Return each source's health: documents, last success, last run, failures by reason, warnings."""
    reject_unknown(request, ())
    return SourcesResponse(sources=[SourceOut(**source_fields(row)) for row in views.sources_view(services_of(request))])


def source_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Return the API fields of one ``source_figures`` row."""
    last = row.get("last_run") or None
    counts = (last or {}).get("counts", {})
    return {
        "source": row["source"], "documents": row.get("documents", 0), "last_success": row.get("last_success"),
        "last_run": RunCounts(finished=last.get("finished"), fetched=counts.get("fetched"), new=counts.get("new"),
                              events_changed=counts.get("events_changed")) if last else None,
        "failures": row.get("failures") or {}, "empty_runs": row.get("empty_runs", 0), "warning": row.get("warning"),
    }


@router.get("/healthz", response_model=Health, summary="Store reachable", responses={503: {"model": ErrorResponse}})
def healthz(request: Request) -> Health:
    """Answer ok with the document count when the store answers; 503 otherwise."""
    return Health(status="ok", documents=services_of(request).backend.count())
