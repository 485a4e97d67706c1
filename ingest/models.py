"""Records that travel through the pipeline: Page -> Article -> EventReport -> Document.

Every record is keyed by ``doc_id(canonical_url)`` (sha256 of the canonical URL). These are plain
dataclasses with ``to_dict``/``from_dict`` so that stages can hand them over as JSON lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


def doc_id(canonical_url: str) -> str:
    """Return the stable id of a document: sha256 of its canonical URL, hex."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def utc_now() -> str:
    """Return the current time as ISO 8601 UTC with seconds (the form of every stamp in a record)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def store_stamp(value: str | datetime | None = None) -> str:
    """Return a store timestamp: ISO 8601 UTC with milliseconds, so that stamps compare as strings.

    ``value`` (an ISO 8601 string or a datetime; naive means UTC) is normalised; None means now.
    Raise ValueError for a string that is not an ISO 8601 timestamp.
    """
    if value is None or value == "":
        moment = datetime.now(UTC)
    elif isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def content_hash(*parts: str | None) -> str:
    """Return a sha256 over the given text parts, used to detect unchanged content."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass
class Page:
    """One fetched HTTP response (or a 304 / failure) for a canonical URL."""

    url: str  # canonical URL that was requested
    final_url: str  # URL after redirects
    status: int  # HTTP status, 0 when no response arrived
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    text: str | None = None  # decoded body, when the content type is text
    encoding: str | None = None
    content_type: str | None = None
    fetched_at: str = ""  # ISO 8601 UTC
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # True for a 304 answer to a conditional GET
    error: str | None = None  # reason when the fetch failed (robots, ssrf, size, http 500 ...)

    @property
    def ok(self) -> bool:
        return self.error is None and (self.not_modified or 200 <= self.status < 300)


@dataclass
class Article:
    """The main text and metadata extracted from a page."""

    url: str  # canonical URL
    source: str
    title: str | None
    text: str
    published: str | None = None  # YYYY-MM-DD publication date when found
    language: str | None = None  # ISO 639-1, e.g. "en", "zh"
    fetched_at: str = ""

    @property
    def id(self) -> str:
        return doc_id(self.url)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Speaker:
    """A named person at an event, with the sentence that names them."""

    name: str
    title: str | None = None
    affiliation: str | None = None
    role: str = "speaker"  # keynote, opening_remarks, closing_remarks, moderator, panelist, speaker, host, attendee, signatory
    evidence: str | None = None
    key: str | None = None  # normalised person key (registry), same person -> same key

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Speaker:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class EventReport:
    """The structured reading of an article as an event report (or not one)."""

    is_event_report: bool = False  # True only for a report of an event that took place (status "held")
    status: str | None = None  # "held", "announced" (a preview: is_event_report stays False) or None (no event)
    event_type: str | None = None
    event_name: str | None = None
    theme: str | None = None
    event_date: str | None = None  # YYYY-MM-DD (or YYYY-MM when only month is known)
    venue: str | None = None
    organizers: list[str] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    city_pairs: list[list[str]] = field(default_factory=list)  # sorted 2-item lists
    sessions: list[str] = field(default_factory=list)
    participant_count: int | None = None
    topics: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)  # field name -> text it came from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EventReport | None:
        if data is None:
            return None
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["speakers"] = [Speaker.from_dict(s) for s in kwargs.get("speakers") or []]
        return cls(**kwargs)


@dataclass
class Document:
    """What a search backend stores: the article plus its structured event fields."""

    id: str
    url: str
    source: str
    title: str
    text: str
    language: str | None = None
    published: str | None = None  # YYYY-MM-DD
    fetched_at: str = ""  # ISO 8601 UTC of the fetch that produced this version
    event: EventReport | None = None
    content_hash: str = ""
    event_id: str | None = None  # the stable id of the event this report belongs to (set by event grouping)
    indexed_at: str = ""  # when the store first indexed this document (``store_stamp``); kept on every update
    changed_at: str = ""  # when the store last saw its content change (new documents: indexed_at)

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = self.compute_hash()

    def compute_hash(self) -> str:
        """Hash of everything a search can see, so an unchanged page is not rewritten."""
        import json

        event = json.dumps(self.event.to_dict(), sort_keys=True, ensure_ascii=False) if self.event else ""
        parts = [self.url, self.source, self.title, self.text, self.language, self.published, event]
        if self.event_id:  # only when set, so documents without an event id keep their earlier hashes
            parts.append(self.event_id)
        return content_hash(*parts)

    @property
    def carries_stamps(self) -> bool:
        """Whether the document brings its own store timestamps (copied or restored from a store)."""
        return bool(self.indexed_at)

    @property
    def date(self) -> str | None:
        """The date searches filter and sort on: event date when known, else publication date."""
        if self.event and self.event.event_date and len(self.event.event_date) == 10:
            return self.event.event_date
        return self.published

    @classmethod
    def from_article(cls, article: Article, event: EventReport | None = None) -> Document:
        return cls(
            id=article.id,
            url=article.url,
            source=article.source,
            title=article.title or "",
            text=article.text,
            language=article.language,
            published=article.published,
            fetched_at=article.fetched_at,
            event=event,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["event"] = EventReport.from_dict(kwargs.get("event"))
        return cls(**kwargs)


# ---------------------------------------------------------------- events (see ingest.events)


@dataclass
class EventMember:
    """One report of an event: which document, where and when it appeared, and why it joined."""

    doc_id: str
    url: str = ""
    source: str = ""
    language: str | None = None
    title: str = ""
    published: str | None = None
    event_date: str | None = None
    status: str = "held"  # held | announced (a preview)
    joined_at: str = ""  # store_stamp of the grouping that added it
    reason: list[str] = field(default_factory=list)  # why it joined, or that it started the event
    score: float = 0.0
    report: dict[str, Any] = field(default_factory=dict)  # its EventReport (to_dict, without evidence)
    signature: dict[str, Any] = field(default_factory=dict)  # grouping evidence (ingest.events.signature)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventMember:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Event:
    """One real event, reported by one or more documents (English, Chinese, previews and reports).

    The fields are merged from the member reports (``ingest.events.record``): the fullest speaker list, the
    most complete titles and affiliations, the most common name, date, venue and theme. ``id`` is stable:
    when two events merge the older id is kept and the other is listed in ``merged_from``.
    """

    id: str
    status: str = "held"  # held (a report says it took place) | announced (previews only so far)
    name: str | None = None
    names: list[str] = field(default_factory=list)  # every name the reports give, in any language
    event_type: str | None = None
    event_date: str | None = None
    venue: str | None = None
    theme: str | None = None
    organizers: list[str] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    aka: dict[str, list[str]] = field(default_factory=dict)  # speaker key -> other written forms of the name
    cities: list[str] = field(default_factory=list)
    city_pairs: list[list[str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    reports: list[EventMember] = field(default_factory=list)
    first_seen: str = ""
    last_updated: str = ""
    merged_from: list[str] = field(default_factory=list)  # ids of events merged into this one
    history: list[str] = field(default_factory=list)  # merges and splits, one line each
    keys: list[str] = field(default_factory=list)  # blocking keys: which new reports to compare with it

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(m.source for m in self.reports if m.source))

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(m.language for m in self.reports if m.language))

    @property
    def doc_ids(self) -> list[str]:
        return [m.doc_id for m in self.reports]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["speakers"] = [Speaker.from_dict(s) for s in kwargs.get("speakers") or []]
        kwargs["reports"] = [EventMember.from_dict(m) for m in kwargs.get("reports") or []]
        return cls(**kwargs)
