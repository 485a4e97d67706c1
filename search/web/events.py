"""Event records for the pages and the API: one event with its reports, event searches, a person's events.

An event (``ingest.models.Event``) is one real meeting however many reports (English, Chinese, previews)
describe it; its fields are merged from those reports by the grouper. Nothing here writes.
"""

from __future__ import annotations

import re
from urllib.parse import quote
from dataclasses import dataclass, field

from ingest.models import Event, EventMember, Speaker
from search.base import EventSearchResult, Query
from search.web.params import BadParameter, Filters, check_window
from search.web.services import WebServices
from search.web.views import Appearance, NotFound, PersonView, check_filters

EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,99}")
STATUSES = ("held", "announced")


@dataclass
class EventSpeaker:
    """One person of an event: the merged speaker, their person key and the other written forms of the name."""

    speaker: Speaker
    person_key: str
    aka: list[str] = field(default_factory=list)


@dataclass
class EventView:
    """An event record laid out for reading: merged fields, people, every report and why it joined."""

    event: Event
    speakers: list[EventSpeaker]
    reports: list[EventMember]
    sessions: list[str]

    @property
    def title(self) -> str:
        """Return what to call the event: its name, else the title of its first report, else its id."""
        return event_title(self.event)


def event_title(event: Event) -> str:
    """Return an event's name, else the title of its first report, else its id."""
    return event.name or next((m.title for m in event.reports if m.title), event.id)


def event_page_url(event_id: str) -> str:
    """Return the web page of an event."""
    return "/events/" + quote(event_id, safe="")


def event_api_url(event_id: str) -> str:
    """Return this API's record of an event."""
    return "/api/events/" + quote(event_id, safe="")


def check_event_id(event_id: str) -> str:
    """Return an event id after checking its form (evt-3f2a9c1b0d4e5f60)."""
    event_id = event_id.strip()
    if not EVENT_ID.fullmatch(event_id):
        raise BadParameter("id", "an event id is up to 100 letters, digits, '-', '_', ':' or '.', e.g. evt-3f2a9c1b0d4e5f60")
    return event_id


def load_event(services: WebServices, event_id: str) -> Event:
    """Return the event with this id, or the event it was merged into."""
    event = services.backend.get_event(check_event_id(event_id))
    if event is None:
        raise NotFound(f"no event with id {event_id!r} (search with events_only to find events)")
    return event


def event_view(services: WebServices, event_id: str) -> EventView:
    """Return an event with its people (person keys, other spellings), its reports and their sessions."""
    event = load_event(services, event_id)
    speakers = [EventSpeaker(s, s.key or services.person_key(s.name), event.aka.get(s.key or s.name, []))
                for s in event.speakers if s.name]
    reports = sorted(event.reports, key=lambda m: (m.published or "9999", "started the event" not in m.reason, m.doc_id))
    sessions = list(dict.fromkeys(s for m in reports for s in (m.report or {}).get("sessions") or [] if s))
    return EventView(event, speakers, reports, sessions)


def search_events(services: WebServices, filters: Filters, status: str | None, limit: int,
                  offset: int) -> EventSearchResult:
    """Return the events whose merged fields match the filters (and status), newest first without text."""
    check_filters(services, filters)
    check_window(limit, offset)
    query = filters.changed(events_only=False, collapse=False).to_query(services.person_key, limit, offset)
    query.event_status = status or None
    return services.backend.search_events(query)


def events_by_id(services: WebServices, event_ids: list[str]) -> dict[str, Event]:
    """Return the stored events of these ids, each also under the ids merged into it."""
    wanted = list(dict.fromkeys(i for i in event_ids if i))
    found: dict[str, Event] = {}
    for start in range(0, len(wanted), 100):
        chunk = wanted[start:start + 100]
        for event in services.backend.search_events(Query(event_ids=chunk, limit=len(chunk))).events:
            for ident in (event.id, *event.merged_from):
                found[ident] = event
    return found


# a person's events -----------------------------------------------------------------------------------------


@dataclass
class PersonEvent:
    """One event a person took part in (or one report, when it has no event), with what each report says of them."""

    event: Event | None
    name: str
    date: str | None
    event_type: str | None
    appearances: list[Appearance]

    @property
    def roles(self) -> list[str]:
        return list(dict.fromkeys(a.speaker.role for a in self.appearances))

    @property
    def mentions(self) -> list[Appearance]:
        """Return the appearances that give a distinct title or affiliation (the same wording shown once)."""
        seen: dict[tuple[str | None, str | None], Appearance] = {}
        for a in self.appearances:
            seen.setdefault((a.speaker.title, a.speaker.affiliation), a)
        return list(seen.values())


def person_events(services: WebServices, view: PersonView) -> list[PersonEvent]:
    """Group a person's appearances by event (one row per event record), oldest event first."""
    records = events_by_id(services, [a.event_id for a in view.appearances if a.event_id])
    rows: dict[str, PersonEvent] = {}
    for a in view.appearances:
        event = records.get(a.event_id or "")
        key = f"event:{event.id}" if event else f"doc:{a.doc_id}"
        if key not in rows:
            rows[key] = PersonEvent(event, event_title(event) if event else a.event_name or a.report_title,
                                    (event.event_date if event else None) or a.date,
                                    (event.event_type if event else None) or a.event_type, [])
        rows[key].appearances.append(a)
    return sorted(rows.values(), key=lambda r: (r.date or "9999", r.name))
