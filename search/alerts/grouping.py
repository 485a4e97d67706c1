"""Which reports are one event, for alerts: the event id when event grouping gave one, else a small rule.

Kept small and separate on purpose: when documents carry ``Document.event_id`` (set by event grouping),
that id is the event; the fallback below only groups reports that have none. Two event reports are taken
for one event when they give the same date and share a city pair (or two cities), and they also share a
speaker, the event type or most of the words of their names. Reports in English and Chinese of one
symposium meet through the structurer's canonical (English) city names and person registry keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.models import Document

NAME_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]{2}", re.IGNORECASE)
STOP_WORDS = frozenset("a an and at for in of on the to with held hold holds".split())


@dataclass(frozen=True)
class Signature:
    """What identifies an event across reports: date, places, speakers, type and name words."""

    date: str | None
    cities: frozenset[str]
    pairs: frozenset[str]
    speakers: frozenset[str]
    event_type: str | None
    words: frozenset[str]

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date, "cities": sorted(self.cities), "pairs": sorted(self.pairs),
                "speakers": sorted(self.speakers), "type": self.event_type, "words": sorted(self.words)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        return cls(data.get("date"), frozenset(data.get("cities") or []), frozenset(data.get("pairs") or []),
                   frozenset(data.get("speakers") or []), data.get("type"), frozenset(data.get("words") or []))


def speaker_identity(name: str, key: str | None) -> str:
    """Return how a speaker is recognised across reports: the registry key, else the folded name."""
    return (key or " ".join(name.lower().split())).strip()


def signature(doc: Document) -> Signature:
    """Return the signature of one report."""
    event = doc.event
    if event is None:
        return Signature(None, frozenset(), frozenset(), frozenset(), None, frozenset())
    date = event.event_date if event.event_date and len(event.event_date) == 10 else None
    name = event.event_name or doc.title or ""
    words = {w.lower() for w in NAME_WORD.findall(name)} - STOP_WORDS
    return Signature(
        date=date, cities=frozenset(c.lower() for c in event.cities),
        pairs=frozenset("|".join(sorted(c.lower() for c in p)) for p in event.city_pairs if len(p) == 2),
        speakers=frozenset(speaker_identity(s.name, s.key) for s in event.speakers if s.name),
        event_type=(event.event_type or "").lower() or None, words=frozenset(words),
    )


def merge(a: Signature, b: Signature) -> Signature:
    """Return the signature of an event seen in two sets of reports (the first known date wins)."""
    return Signature(a.date or b.date, a.cities | b.cities, a.pairs | b.pairs, a.speakers | b.speakers,
                     a.event_type or b.event_type, a.words | b.words)


def same_event(a: Signature, b: Signature) -> bool:
    """Return whether two signatures describe one event."""
    if not a.date or a.date != b.date:
        return False
    places = bool(a.pairs & b.pairs) or len(a.cities & b.cities) >= 2
    if not places:
        return False
    similar_names = bool(a.words and b.words) and len(a.words & b.words) / min(len(a.words), len(b.words)) >= 0.5
    return bool(a.speakers & b.speakers) or a.event_type == b.event_type or similar_names


@dataclass
class Group:
    """Reports taken for one event: its key, the reports, and whether the key was known before."""

    key: str
    docs: list[Document]
    signature: Signature
    known: bool = False


def group_reports(docs: list[Document], known: dict[str, Signature]) -> list[Group]:
    """Group new reports into events, joining known events (by key) where a report matches one.

    A report with an event id belongs to that event; a report that is not an event report is its own group.
    """
    groups: dict[str, Group] = {}
    for doc in docs:
        sig = signature(doc)
        key = event_key_of(doc, sig, groups, known)
        if key in groups:
            groups[key].docs.append(doc)
            groups[key].signature = merge(groups[key].signature, sig)
        else:
            base = known.get(key)
            groups[key] = Group(key, [doc], merge(base, sig) if base else sig, known=key in known)
    return list(groups.values())


def event_key_of(doc: Document, sig: Signature, groups: dict[str, Group], known: dict[str, Signature]) -> str:
    """Return the event key of a report: its event id, a matching group or known event, or its own."""
    if doc.event_id:
        return f"event:{doc.event_id}"
    if not (doc.event and doc.event.is_event_report):
        return f"doc:{doc.id}"
    for key, group in groups.items():
        if key.startswith("report:") and same_event(group.signature, sig):
            return key
    for key, known_sig in known.items():
        if key.startswith("report:") and same_event(known_sig, sig):
            return key
    return f"report:{doc.id}"
