"""One alert cycle: for every rule, find what is new, group it into events, queue messages, deliver the outbox.

What counts as new for a rule: reports first indexed since the rule's last successful run (with an overlap
window, so a report indexed while the last run was reading is not missed); on a rule's first run, those of the
last ``lookback_days``. A report published months ago but first found today is new. A report the rule has
already told about is not new again: it is told about once more ("updated") only when its text changed and the
event's date changed or new speakers appeared. Re-crawls, reprocessing (same text), reindexing and restoring
the search store change no text and so send nothing.

Every decision is recorded in the alerts database with the messages it makes, in one transaction per rule;
delivery then works through the outbox, retrying failures with exponential backoff and dead-lettering a
message after ``max_attempts`` (or at once for a permanent refusal such as SMTP 550).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ingest.models import Document, content_hash, store_stamp
from search.alerts.channels import ChannelError, Channels, Outgoing, deliver
from search.alerts.grouping import Group, Signature, group_reports, merge, signature
from search.alerts.render import Renderer
from search.alerts.rules import Rule, RuleError, load_rules
from search.alerts.store import AlertRecord, AlertStore, Match, Message, PlannedRun, RuleState
from search.base import Hit, Query, SearchBackend

log = logging.getLogger(__name__)
PAGE = 200
KNOWN_EVENTS_DAYS = 120  # how far back a new report may join an event a rule already told about
MAX_BACKOFF = 6 * 3600


@dataclass
class AlertSettings:
    """Plain settings of the alert cycle (the CLI and DAGs build them from coopwatch settings)."""

    rules_path: str | None
    db_path: str = "var/alerts.sqlite"
    env_file: str | None = None
    public_url: str = ""
    lookback_days: float = 7.0
    overlap_minutes: float = 60.0
    max_attempts: int = 6
    backoff_seconds: float = 60.0
    delivery_timeout: float = 30.0
    max_candidates: int = 5000


@dataclass
class RuleReport:
    """What one rule run found and queued."""

    rule: str
    new: int = 0
    updated: int = 0
    messages: int = 0
    digest_waiting: int = 0
    problem: str | None = None


@dataclass
class CycleReport:
    """What one alert cycle did."""

    rules: list[RuleReport] = field(default_factory=list)
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(r.problem for r in self.rules) and not self.dead


QueryHook = Callable[[Query], Query]


class AlertRunner:
    """Runs rules over a search backend, keeps their record in an AlertStore and delivers through channels."""

    def __init__(self, backend: SearchBackend, store: AlertStore, channels: Channels, settings: AlertSettings,
                 query_hook: QueryHook | None = None) -> None:
        self.backend, self.store, self.channels, self.settings = backend, store, channels, settings
        self.query_hook = query_hook or (lambda q: q)
        self.renderer = Renderer(settings.public_url)

    # rules ---------------------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        """Return the rules of the rules file and of the database (a name used by both is an error)."""
        from_file = load_rules(self.settings.rules_path) if self.settings.rules_path else []
        names = {r.name for r in from_file}
        saved = self.store.saved_rules()
        clash = next((r.name for r in saved if r.name in names), None)
        if clash:
            raise RuleError(f"rule {clash!r} is defined both in {self.settings.rules_path} and in the alerts database: "
                            "rename or delete one of them")
        return from_file + saved

    def select(self, names: list[str] | None) -> list[Rule]:
        """Return the enabled rules, or the named ones (an unknown name is an error listing the known ones)."""
        rules = self.rules()
        if not names:
            return [r for r in rules if r.enabled]
        by_name = {r.name: r for r in rules}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise RuleError(f"no rule named {unknown[0]!r}; known: {', '.join(by_name) or 'none'}")
        return [by_name[n] for n in names]

    # the cycle -----------------------------------------------------------------------------------------

    def run(self, names: list[str] | None = None, now: str | None = None, send: bool = True) -> CycleReport:
        """Queue what every (or each named) rule matched since its last run, then deliver what is due."""
        now = store_stamp(now)
        report = CycleReport()
        rules = self.select(names)
        for rule in rules:
            report.rules.append(self.run_rule(rule, now))
        if send:
            self.deliver_due(report, now, {r.name for r in rules} if names else None)
        return report

    def run_rule(self, rule: Rule, now: str) -> RuleReport:
        """Plan one rule, queue its messages and move its window; a rule that cannot run keeps its window."""
        problem = next((p for p in map(self.channels.problem, rule.channels) if p), None)
        if problem:
            self.store.record_error(rule.name, now, problem)
            return RuleReport(rule.name, problem=problem)
        state = self.store.rule_state(rule.name, now)
        plan = self.plan(rule, state, now)
        first_period = period_key(rule.period, now) if rule.mode == "digest" and not state.digest_period else None
        self.store.queue(plan, now, first_period)
        result = RuleReport(rule.name, messages=len(plan.messages))
        for match in plan.matches:
            if match.item:
                setattr(result, match.item["status"], getattr(result, match.item["status"]) + 1)
        if rule.mode == "digest":
            result.messages += self.flush_digest(rule, state, now)
            result.digest_waiting = len(self.store.pending_digest(rule.name))
        return result

    def preview(self, rule: Rule, now: str | None = None) -> list[Message]:
        """Return the messages a run of this rule would queue now, without recording anything."""
        now = store_stamp(now)
        state = self.store.states().get(rule.name) or RuleState(rule.name, first_seen=now)
        plan = self.plan(rule, state, now)
        if rule.mode == "digest":
            items = self.store.pending_digest(rule.name) + [m.item for m in plan.digest_items]
            return [self.message(rule, "digest", items, period_key(rule.period, now))] if items else []
        return [message for message, _ in plan.messages]

    # planning ------------------------------------------------------------------------------------------

    def window_start(self, state: RuleState) -> str:
        """Return where this run's window starts: the last successful run less the overlap, or the lookback."""
        if state.window_end:
            return shift(state.window_end, minutes=-self.settings.overlap_minutes)
        return shift(state.first_seen, days=-self.settings.lookback_days)

    def plan(self, rule: Rule, state: RuleState, now: str) -> PlannedRun:
        """Decide, for everything the rule matches in its window, what to record and what to tell."""
        start = self.window_start(state)
        hits = self.candidates(rule, start)
        docs = {doc_id: doc for doc_id in hits if (doc := self.backend.get(doc_id)) is not None}
        known = self.store.known_docs(rule.name, list(docs))
        fresh, touched = self.sort_candidates(docs, known, start)
        records = {r.event_key: r for r in self.store.recent_alerts(rule.name, shift(start, days=-KNOWN_EVENTS_DAYS))}
        signatures = {key: Signature.from_dict(r.fingerprint) for key, r in records.items()}
        matches = []
        for group in group_reports(fresh, signatures):
            group = self.told_under_another_key(rule, group)
            if group.known:
                touched.setdefault(group.key, []).extend(group.docs)
            else:
                matches.append(self.new_match(group, hits))
        for key, changed in touched.items():
            record = records.get(key) or self.store.alert(rule.name, key)
            if record is not None:
                matches.append(self.update_match(record, changed, hits))
        return self.plan_messages(rule, now, matches)

    def candidates(self, rule: Rule, start: str) -> dict[str, Hit]:
        """Return the hits (by document id) of any of the rule's searches among documents changed since start."""
        hits: dict[str, Hit] = {}
        for query in rule.queries():
            query = replace(self.query_hook(query), changed_since=start, limit=PAGE, offset=0)
            while len(hits) < self.settings.max_candidates:
                page = self.backend.search(query).hits
                for hit in page:
                    hits.setdefault(hit.id, hit)
                if len(page) < PAGE:
                    break
                query = replace(query, offset=query.offset + PAGE)
        return hits

    @staticmethod
    def sort_candidates(docs: dict[str, Document], known: dict[str, tuple[str, str]],
                        start: str) -> tuple[list[Document], dict[str, list[Document]]]:
        """Split candidates into reports new to the rule and changed reports of events it told about."""
        fresh: list[Document] = []
        touched: dict[str, list[Document]] = {}
        for doc in sorted(docs.values(), key=lambda d: (d.indexed_at, d.id)):
            if doc.id in known:
                key, told_hash = known[doc.id]
                if told_hash != text_hash(doc):
                    touched.setdefault(key, []).append(doc)
            elif doc.indexed_at and doc.indexed_at >= start:
                fresh.append(doc)
        return fresh, touched

    def told_under_another_key(self, rule: Rule, group: Group) -> Group:
        """Return the group under the key of an alert already told about its event, if other reports were told.

        Reports of one event id may have been told before that id existed (or before two events merged): the
        event's other reports lead to the earlier alert, so the event is not told twice.
        """
        if group.known or not group.key.startswith("event:"):
            return group
        others = self.backend.search(Query(event_ids=[group.key.removeprefix("event:")], limit=100)).hits
        told = self.store.known_docs(rule.name, [h.id for h in others if h.id not in {d.id for d in group.docs}])
        if not told:
            return group
        return replace(group, key=next(iter(told.values()))[0], known=True)

    def new_match(self, group: Group, hits: dict[str, Hit]) -> Match:
        """Return the match of an event the rule has not told about: record it and tell it as new."""
        item = self.item("new", group.docs, hits, [])
        return Match(group.key, item["event"]["name"], group.signature.date, group.signature.to_dict(), 1,
                     {d.id: text_hash(d) for d in group.docs}, item)

    def update_match(self, record: AlertRecord, docs: list[Document], hits: dict[str, Hit]) -> Match:
        """Return the match of reports of a known event: told as updated only when the event changed materially."""
        before = Signature.from_dict(record.fingerprint)
        after = before
        for doc in docs:
            after = merge(after, signature(doc))
        after = replace(after, date=next((signature(d).date for d in docs if signature(d).date), before.date))
        changes = material_changes(before, after, docs)
        revision = record.revision + 1 if changes else record.revision
        item = self.item("updated", docs, hits, changes) if changes else None
        return Match(record.event_key, record.title, after.date, after.to_dict(), revision,
                     {d.id: text_hash(d) for d in docs}, item)

    def plan_messages(self, rule: Rule, now: str, matches: list[Match]) -> PlannedRun:
        """Turn the matches to tell into messages: one per event, digest items, or an overflow message."""
        plan = PlannedRun(rule.name, window_end=now, matches=matches)
        told = [m for m in matches if m.item]
        if rule.mode == "digest":
            plan.digest_items = told
            return plan
        alone = told if len(told) <= rule.max_messages else told[: rule.max_messages - 1]
        for match in alone:
            message = self.message(rule, match.item["status"], [match.item], key=(match.event_key, match.revision))
            plan.messages.append((message, rule.channels))
        rest = told[len(alone):]
        if rest:
            key = ("overflow", now)
            plan.messages.append((self.message(rule, "overflow", [m.item for m in rest], key=key), rule.channels))
        return plan

    def flush_digest(self, rule: Rule, state: RuleState, now: str) -> int:
        """Queue the digest of the period that ended, when a new period has begun; return messages queued."""
        current = period_key(rule.period, now)
        if not state.digest_period or state.digest_period == current:
            return 0
        items = self.store.pending_digest(rule.name)
        if not items:  # nothing to tell: the next digest covers the new period
            self.store.set_digest_period(rule.name, current)
            return 0
        message = self.message(rule, "digest", items, state.digest_period, key=("digest", state.digest_period))
        self.store.queue_digest(rule.name, message, rule.channels, current, now)
        return 1

    # items and messages --------------------------------------------------------------------------------

    def item(self, status: str, docs: list[Document], hits: dict[str, Hit], changes: list[str]) -> dict[str, Any]:
        """Return what a message shows of one event: merged fields and every report."""
        return {"status": status, "changes": changes, "event": event_summary(docs),
                "reports": [self.report(d, hits.get(d.id)) for d in docs]}

    def report(self, doc: Document, hit: Hit | None) -> dict[str, Any]:
        """Return what a message shows of one report."""
        base = self.settings.public_url.rstrip("/")
        return {"id": doc.id, "title": doc.title or doc.url, "url": doc.url, "source": doc.source,
                "language": doc.language, "date": doc.date, "snippet": hit.snippet if hit else "",
                "archive_url": f"{base}/api/documents/{doc.id}/archive" if base else ""}

    def message(self, rule: Rule, kind: str, items: list[dict[str, Any]], period: str | None = None,
                key: tuple[Any, ...] | None = None) -> Message:
        """Render a message; its id (the idempotency key) derives from the rule and ``key``."""
        rule_info = {"name": rule.name, "description": rule.description, "search": rule.describe()}
        rendered = self.renderer.render(rule_info, kind, items, period)
        ident = message_key(rule.name, kind, *(key or (now_key(items),)))
        payload = {"rule": rule.name, "kind": kind, "period": period, "items": items[:200]}
        return Message(ident, rule.name, kind, rendered.subject, rendered.text, rendered.html, rendered.markdown, payload)

    # delivery ------------------------------------------------------------------------------------------

    def deliver_due(self, report: CycleReport, now: str, rules: set[str] | None = None) -> None:
        """Attempt every delivery that is due; record each outcome right after it (one run at a time)."""
        with self.store.delivery_lock():  # an overlapping run waits, then finds these deliveries done
            self._deliver(report, self.store.due(now, rules), now)

    def _deliver(self, report: CycleReport, due_deliveries: list, now: str) -> None:
        for due in due_deliveries:
            message = due.message
            try:
                url = self.channels.url(due.channel)
            except ChannelError as exc:
                outcome_reason, permanent, ok = str(exc), False, False
            else:
                outgoing = Outgoing(message.id, message.subject, message.text, message.html, message.markdown,
                                    message.payload)
                result = deliver(url, outgoing, self.settings.delivery_timeout)
                outcome_reason, permanent, ok = result.reason, result.permanent, result.ok
            if ok:
                self.store.mark_sent(message.id, due.channel, store_stamp())
                report.sent += 1
                continue
            attempts = due.attempts + 1
            retry = None if permanent or attempts >= self.settings.max_attempts else self.next_attempt(now, attempts)
            self.store.mark_failed(message.id, due.channel, outcome_reason, retry)
            report.failures.append(f"{message.rule} → {due.channel}: {outcome_reason}"
                                   + (" (dead-lettered)" if retry is None else f" (retry at {retry})"))
            if retry is None:
                report.dead += 1
            else:
                report.retrying += 1

    def next_attempt(self, now: str, attempts: int) -> str:
        """Return when to try a failed delivery again: the backoff doubles with every attempt, up to 6 hours."""
        seconds = min(MAX_BACKOFF, self.settings.backoff_seconds * 2 ** (attempts - 1))
        return shift(now, seconds=seconds)


# helpers ---------------------------------------------------------------------------------------------------


def text_hash(doc: Document) -> str:
    """Return a hash of what a site wrote (title and text): a change here is an edit, not a re-structuring."""
    return content_hash(doc.title, doc.text)


def material_changes(before: Signature, after: Signature, docs: list[Document]) -> list[str]:
    """Return what changed materially about an event: a new date, new speakers."""
    changes = []
    if after.date and after.date != before.date:
        changes.append(f"date {after.date}" + (f" (was {before.date})" if before.date else ""))
    new_speakers = after.speakers - before.speakers
    if new_speakers:
        names = [s.name for d in docs if d.event for s in d.event.speakers
                 if s.name and (s.key or " ".join(s.name.lower().split())) in new_speakers]
        changes.append("new speakers: " + ", ".join(dict.fromkeys(names)))
    return changes


def event_summary(docs: list[Document]) -> dict[str, Any]:
    """Return the event's merged fields from its reports: the fullest report first, gaps filled from others."""
    ordered = sorted(docs, key=lambda d: -len(d.event.speakers) if d.event else 0)
    events = [d.event for d in ordered if d.event]
    first = lambda name: next((getattr(e, name) for e in events if getattr(e, name)), None)  # noqa: E731
    speakers: dict[str, dict[str, Any]] = {}
    for event in events:
        for s in event.speakers:
            ident = s.key or " ".join(s.name.lower().split())
            speakers.setdefault(ident, {"name": s.name, "title": s.title, "affiliation": s.affiliation, "role": s.role})
    pairs = {"–".join(p) for e in events for p in e.city_pairs if len(p) == 2}
    return {
        "name": ordered[0].title or first("event_name") or ordered[0].url, "event_name": first("event_name"),
        "type": first("event_type"),
        "date": first("event_date"), "venue": first("venue"), "theme": first("theme"),
        "cities": list(dict.fromkeys(c for e in events for c in e.cities)), "pairs": sorted(pairs),
        "organizers": list(dict.fromkeys(o for e in events for o in e.organizers)),
        "speakers": list(speakers.values()),
    }


def message_key(rule: str, kind: str, *parts: Any) -> str:
    """Return a message's idempotency key: the same rule, event and revision give the same key."""
    digest = hashlib.sha256("\x00".join(str(p) for p in (rule, kind, *parts)).encode("utf-8")).hexdigest()
    return f"cw-{digest[:40]}"


def now_key(items: list[dict[str, Any]]) -> str:
    """Return a key part for a message made of items without a natural key (their report ids)."""
    return ",".join(sorted(r["id"] for i in items for r in i.get("reports", [])))


def shift(stamp: str, days: float = 0, minutes: float = 0, seconds: float = 0) -> str:
    """Return a store stamp moved by the given amount."""
    moment = datetime.fromisoformat(store_stamp(stamp))
    return store_stamp(moment + timedelta(days=days, minutes=minutes, seconds=seconds))


def period_key(period: str, stamp: str) -> str:
    """Return the digest period a moment falls in: the UTC day (2026-12-04) or ISO week (2026-W49)."""
    moment = datetime.fromisoformat(store_stamp(stamp))
    if period == "weekly":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.date().isoformat()
