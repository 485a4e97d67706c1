"""The JSON API of event records: search events, read one with its people and every report (and why it joined)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from pydantic import BaseModel, Field

from ingest.models import Event, EventMember
from search.web.api import ERRORS, EventLinks, Links, SpeakerOut, links_for, services_of, speaker_out
from search.web.events import EventView, event_api_url, event_page_url, event_title, event_view, search_events
from search.web.params import EVENT_FILTER_PARAMS, MAX_LIMIT, MAX_WINDOW, Filters, event_filters, reject_unknown

router = APIRouter(responses=ERRORS)


class EventSummary(BaseModel):
    id: str
    status: str = Field(description="held (a report says it took place) or announced (previews only so far)")
    name: str = Field(description="the event's name, else its first report's title")
    names: list[str] = Field(description="every name its reports give, in any language")
    event_type: str | None
    event_date: str | None
    venue: str | None
    cities: list[str]
    city_pairs: list[list[str]]
    sources: list[str]
    languages: list[str]
    report_count: int
    first_seen: str
    last_updated: str
    links: EventLinks


class EventSpeakerOut(SpeakerOut):
    aka: list[str] = Field(description="other written forms of the name in the event's reports")


class EventReportOut(BaseModel):
    id: str = Field(description="the report's document id")
    title: str
    url: str
    source: str
    language: str | None
    published: str | None
    event_date: str | None = Field(description="the date this report gives")
    status: str = Field(description="held (a report) or announced (a preview)")
    joined_at: str
    reason: list[str] = Field(description="why it joined the event (or that it started it)")
    score: float = Field(description="how strongly it matched the event when it joined")
    links: Links


class EventResponse(EventSummary):
    theme: str | None
    organizers: list[str]
    speakers: list[EventSpeakerOut]
    topics: list[str]
    sessions: list[str] = Field(description="sessions named by any of its reports")
    reports: list[EventReportOut] = Field(description="every report, oldest first")
    merged_from: list[str] = Field(description="ids of events merged into this one (they still find it)")
    history: list[str] = Field(description="merges and splits, one line each")


class EventsResponse(BaseModel):
    total: int
    offset: int
    limit: int
    events: list[EventSummary]


def summary_fields(event: Event) -> dict:
    """Return the fields every event answer has."""
    return {
        "id": event.id, "status": event.status, "name": event_title(event), "names": event.names,
        "event_type": event.event_type, "event_date": event.event_date, "venue": event.venue, "cities": event.cities,
        "city_pairs": event.city_pairs, "sources": event.sources, "languages": event.languages,
        "report_count": len(event.reports), "first_seen": event.first_seen, "last_updated": event.last_updated,
        "links": EventLinks(event=event_api_url(event.id), page=event_page_url(event.id)),
    }


def report_out(member: EventMember) -> EventReportOut:
    return EventReportOut(
        id=member.doc_id, title=member.title, url=member.url, source=member.source, language=member.language,
        published=member.published, event_date=member.event_date, status=member.status, joined_at=member.joined_at,
        reason=member.reason, score=member.score, links=links_for(member.doc_id),
    )


def event_out(view: EventView) -> EventResponse:
    event = view.event
    speakers = [EventSpeakerOut(**speaker_out(row.speaker, row.person_key).model_dump(), aka=row.aka)
                for row in view.speakers]
    return EventResponse(
        **summary_fields(event), theme=event.theme, organizers=event.organizers, speakers=speakers,
        topics=event.topics, sessions=view.sessions, reports=[report_out(m) for m in view.reports],
        merged_from=event.merged_from, history=event.history,
    )


@router.get("/api/events", response_model=EventsResponse, summary="Search events (reports grouped into one record)")
def api_events(
    request: Request,
    filters: Annotated[Filters, Depends(event_filters)],
    status: Annotated[Literal["held", "announced", ""] | None, Param(description="held or announced (empty: both)")] = None,
    limit: Annotated[int, Param(ge=0, le=MAX_LIMIT, description="events per page")] = 20,
    offset: Annotated[int, Param(ge=0, le=MAX_WINDOW, description=f"skip this many (offset + limit <= {MAX_WINDOW})")] = 0,
) -> EventsResponse:
    """Search event records: the filters of /api/search applied to each event's merged fields and its reports."""
    reject_unknown(request, (*EVENT_FILTER_PARAMS, "status", "limit", "offset"))
    result = search_events(services_of(request), filters, status, limit, offset)
    return EventsResponse(total=result.total, offset=offset, limit=limit,
                          events=[EventSummary(**summary_fields(e)) for e in result.events])


@router.get("/api/events/{event_id}", response_model=EventResponse, summary="One event with its people and reports")
def api_event(request: Request, event_id: str) -> EventResponse:
    """Return an event record: merged fields, speakers, every report with source, language, date and why it joined.

    An id that was merged into another event answers with that event (its ``id`` is the one to keep).
    """
    reject_unknown(request, ())
    return event_out(event_view(services_of(request), event_id))
