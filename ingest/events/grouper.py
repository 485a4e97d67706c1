"""Incremental event grouping: each new report joins the event it matches best, or starts one.

``Grouper(store).group(docs)`` sets ``Document.event_id`` on every event report (held or announced) of a batch,
before the batch is indexed. A report already in an event keeps it (its evidence is refreshed); a new one is
compared with the stored events that share a blocking key (a month around its date, its edition, its people)
and joins the best match (``match.compare``), recording why. When a report matches two events that also match
each other, they are merged under the older id. Pairs of reports split apart (``split``) are never grouped
together again. Nothing is re-clustered: a run touches only the events its reports meet.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from ingest.models import Document, Event, EventMember, store_stamp

from .match import Evidence, Match, compare
from .people import text_name_keys
from .record import lookup_keys, rebuild
from .signature import Signature, is_groupable, report_status, signature_of
from .store import EventStore


@dataclass
class GroupingOutcome:
    """What one grouping call did."""

    started: int = 0
    joined: int = 0
    kept: int = 0  # reports already in an event, refreshed
    removed: int = 0  # reports that are no longer event reports, taken out of their event
    merged: list[tuple[str, str]] = field(default_factory=list)  # (merged id, surviving id)
    moves: dict[str, str | None] = field(default_factory=dict)  # stored documents whose event id changed

    def as_counts(self) -> dict[str, int]:
        return {"started": self.started, "joined": self.joined, "kept": self.kept, "removed": self.removed,
                "merged": len(self.merged)}


class Grouper:
    """Groups reports into events held in an EventStore (see the module docstring)."""

    def __init__(self, store: EventStore, now: str | None = None) -> None:
        self.store = store
        self.now = now or store_stamp()
        self.touched: dict[str, Event] = {}
        self.deleted: set[str] = set()
        self.membership: dict[str, str] = {}
        self.outcome = GroupingOutcome()

    # public -------------------------------------------------------------------------------------------------

    def group(self, docs: list[Document]) -> GroupingOutcome:
        """Give every event report of the batch its event id (in place) and store the events it changed."""
        self.membership.update(self.store.events_of_documents([d.id for d in docs]))
        for doc in docs:
            self.place(doc)
        self.flush()
        return self.outcome

    def place(self, doc: Document) -> str | None:
        """Put one document in its event (kept, joined or started); return the event id (None: not a report)."""
        current = self.membership.get(doc.id)
        if not is_groupable(doc):
            if current:
                self.remove_member(current, doc.id)
                self.outcome.removed += 1
            doc.event_id = None
            return None
        member = member_of(doc, signature_of(doc), self.now)
        if current and self._event(current) is not None:
            self.refresh_member(current, member)
            doc.event_id = current
            self.outcome.kept += 1
            return current
        mentions = text_name_keys((doc.text or "")[:8000], member.signature.get("lang", "en"))
        doc.event_id = self.assign(member, mentions)
        return doc.event_id

    def assign(self, member: EventMember, mentions: set[str] | None = None) -> str:
        """Add a report to the best matching event, merging events it bridges, or start an event with it."""
        sig = Signature.from_dict(member.signature)
        evidence = Evidence.of([sig], mentions)
        apart = self._apart(member.doc_id)
        scored = [(compare(evidence, event_evidence(event)), event) for event in self.candidates(sig)
                  if not apart & set(event.doc_ids)]
        joinable = sorted(((m, e) for m, e in scored if m.joins), key=lambda me: (-me[0].score, me[1].first_seen))
        if not joinable:
            return self.start(member)
        match, target = joinable[0]
        member.reason, member.score = ["joined: " + "; ".join(match.reasons)], round(match.score, 2)
        target.reports.append(member)
        self._touch(target)
        self.membership[member.doc_id] = target.id
        self.outcome.joined += 1
        for _, other in joinable[1:]:
            target = self.merge_if_same(target, other)
        return self.membership[member.doc_id]

    def start(self, member: EventMember) -> str:
        """Start a new event with one report."""
        event = Event(id=self.new_id(member.doc_id), first_seen=self.now, last_updated=self.now)
        member.reason, member.score = ["started the event"], 0.0
        event.reports.append(member)
        self._touch(event)
        self.membership[member.doc_id] = event.id
        self.outcome.started += 1
        return event.id

    def merge_if_same(self, target: Event, other: Event) -> Event:
        """Merge two events a report bridges when they match each other too; the older id survives."""
        if other.id in self.deleted or other.id == target.id:
            return target
        match = compare(event_evidence(target), event_evidence(other))
        if not match.joins or self._kept_apart(target, other):
            return target
        keep, gone = (target, other) if (target.first_seen, target.id) <= (other.first_seen, other.id) \
            else (other, target)
        for member in gone.reports:
            member.reason = member.reason + [f"came with {gone.id}, merged: " + "; ".join(match.reasons)]
            keep.reports.append(member)
            self.membership[member.doc_id] = keep.id
            self.outcome.moves[member.doc_id] = keep.id
        keep.merged_from = sorted({*keep.merged_from, gone.id, *gone.merged_from})
        keep.history.append(f"{self.now} merged {gone.id} ({len(gone.reports)} reports): " + "; ".join(match.reasons))
        self.outcome.merged.append((gone.id, keep.id))
        self.deleted.add(gone.id)
        self.touched.pop(gone.id, None)
        self._touch(keep)
        return keep

    def split(self, event_id: str, doc_id: str) -> str:
        """Take a report out of an event for good: it never shares an event with those reports again.

        Return the event the report is in afterwards (another matching event, or a new one).
        """
        event = self._event(event_id)
        if event is None:
            raise KeyError(f"no event {event_id!r}")
        member = next((m for m in event.reports if m.doc_id == doc_id or m.doc_id.startswith(doc_id)), None)
        if member is None:
            raise KeyError(f"event {event.id} has no report {doc_id!r}")
        others = [m.doc_id for m in event.reports if m.doc_id != member.doc_id]
        if not others:
            raise ValueError(f"report {member.doc_id[:12]} is the only report of {event.id}: nothing to split")
        self.store.add_event_rules([(member.doc_id, o) for o in others], f"split from {event.id} at {self.now}")
        self.remove_member(event.id, member.doc_id, note=f"{self.now} split off report {member.doc_id}")
        member.joined_at = self.now
        new_id = self.assign(member)
        self.outcome.moves[member.doc_id] = new_id
        self.flush()
        return new_id

    def refresh_member(self, event_id: str, member: EventMember) -> None:
        """Replace a member's evidence with a fresh reading of its report (reprocessing), keeping its history."""
        event = self._event(event_id)
        old = next(m for m in event.reports if m.doc_id == member.doc_id)
        member.joined_at, member.reason, member.score = old.joined_at, old.reason, old.score
        if asdict(member) == asdict(old):
            return
        event.reports = [member if m.doc_id == member.doc_id else m for m in event.reports]
        self._touch(event)

    def remove_member(self, event_id: str, doc_id: str, note: str | None = None) -> None:
        """Take a report out of its event; an event left without reports is deleted."""
        event = self._event(event_id)
        self.membership.pop(doc_id, None)
        if event is None:
            return
        event.reports = [m for m in event.reports if m.doc_id != doc_id]
        if note:
            event.history.append(note)
        if event.reports:
            self._touch(event)
        else:
            self.deleted.add(event.id)
            self.touched.pop(event.id, None)

    def flush(self) -> None:
        """Store the events this grouper changed and delete those it emptied or merged away."""
        for event in self.touched.values():
            event.last_updated = self.now
            rebuild(event)
        if self.touched:
            self.store.save_events(list(self.touched.values()))
        if self.deleted:
            self.store.delete_events(sorted(self.deleted))
        if self.outcome.moves:
            self.store.set_document_events(dict(self.outcome.moves))
        self.touched, self.deleted = {}, set()

    # helpers ------------------------------------------------------------------------------------------------

    def candidates(self, sig: Signature) -> list[Event]:
        """Return the events to compare a report with: stored ones sharing a blocking key, and this run's."""
        keys = sorted(lookup_keys(sig))
        found = {e.id: e for e in self.store.event_candidates(keys)} if keys else {}
        found.update({i: e for i, e in self.touched.items() if set(e.keys) & set(keys) or not e.keys})
        for event_id in list(found):
            if event_id in self.touched:
                found[event_id] = self.touched[event_id]
        return [e for i, e in found.items() if i not in self.deleted]

    def new_id(self, doc_id: str) -> str:
        """Return a new event id derived from the report that starts the event, never one in use."""
        for attempt in range(1000):
            candidate = "evt-" + hashlib.sha256(f"{doc_id}:{attempt}".encode()).hexdigest()[:16]
            if candidate not in self.touched and candidate not in self.deleted and \
                    self.store.get_event(candidate) is None:
                return candidate
        raise RuntimeError("no free event id")  # pragma: no cover - 1000 collisions of a 64-bit hash

    def _event(self, event_id: str) -> Event | None:
        """Return an event from this run's changes, else from the store (followed through merges)."""
        if event_id in self.deleted:
            return None
        if event_id in self.touched:
            return self.touched[event_id]
        return self.store.get_event(event_id)  # changes to it are kept by _touch

    def _touch(self, event: Event) -> None:
        rebuild(event)
        self.touched[event.id] = event

    def _apart(self, doc_id: str) -> set[str]:
        """Return the documents a report must never share an event with."""
        return {b if a == doc_id else a for a, b in self.store.event_rules([doc_id])}

    def _kept_apart(self, x: Event, y: Event) -> bool:
        """Tell whether a split rule forbids two events from sharing their reports."""
        ids_y = set(y.doc_ids)
        return any((a in ids_y or b in ids_y) for a, b in self.store.event_rules(x.doc_ids)
                   if a in x.doc_ids or b in x.doc_ids)


def member_of(doc: Document, sig: Signature, now: str) -> EventMember:
    """Return the member entry of a document: where it appeared, its report and its evidence."""
    report = doc.event.to_dict() if doc.event else {}
    report.pop("evidence", None)
    return EventMember(
        doc_id=doc.id, url=doc.url, source=doc.source, language=doc.language, title=doc.title or "",
        published=doc.published, event_date=doc.event.event_date if doc.event else None,
        status=report_status(doc.event) or "held", joined_at=now, report=report, signature=sig.to_dict(),
    )


def event_evidence(event: Event) -> Evidence:
    """Return the evidence of all of an event's reports."""
    return Evidence.of([Signature.from_dict(m.signature) for m in event.reports])


def explain(a: Event | Document, b: Event) -> Match:
    """Compare a report or an event with an event, for ``coopwatch event`` and tests."""
    if isinstance(a, Document):
        sig = signature_of(a)
        return compare(Evidence.of([sig], text_name_keys(a.text or "", sig.lang)), event_evidence(b))
    return compare(event_evidence(a), event_evidence(b))
