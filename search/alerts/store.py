"""The alerts database: saved rules, per-rule windows, what each rule has matched, and the outbox.

One SQLite file (``var/alerts.sqlite`` by default), separate from the search store on purpose: rebuilding,
reindexing into Elasticsearch or restoring the search store from a backup leaves the record of what was
sent untouched, so none of those re-sends anything.

- ``rules``: rules saved from the web page or the API (the rules file stays the other source of rules).
- ``rule_state``: per rule, when it was first seen, the end of its last successful window, the digest period
  last sent, the last error.
- ``alerts``: one row per (rule, event key): the event's material fingerprint (date, speakers) and the
  revision last told; ``alert_docs``: the reports each rule has taken into account, with a hash of their text.
- ``messages`` and ``deliveries``: the outbox. A message is rendered once and keyed by its idempotency key;
  a delivery is one (message, channel) with its status (pending, sent, dead), attempts and next try.

Queuing is one transaction per rule run (matches, messages and the window move together); each delivery is
recorded right after it is sent, so a crash in between repeats at most that one message, with the same key.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.models import store_stamp
from search.alerts.rules import Rule, RuleError, parse_rule

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS rules (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rule_state (
    rule TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_run TEXT, last_success TEXT, window_end TEXT,
    digest_period TEXT, last_error TEXT);
CREATE TABLE IF NOT EXISTS alerts (
    rule TEXT NOT NULL, event_key TEXT NOT NULL, title TEXT NOT NULL, event_date TEXT,
    fingerprint TEXT NOT NULL, revision INTEGER NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (rule, event_key));
CREATE TABLE IF NOT EXISTS alert_docs (
    rule TEXT NOT NULL, doc_id TEXT NOT NULL, event_key TEXT NOT NULL, text_hash TEXT NOT NULL,
    PRIMARY KEY (rule, doc_id));
CREATE TABLE IF NOT EXISTS pending_digest (
    rule TEXT NOT NULL, event_key TEXT NOT NULL, revision INTEGER NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (rule, event_key, revision));
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL,
    html TEXT NOT NULL, markdown TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    message_id TEXT NOT NULL REFERENCES messages(id), channel TEXT NOT NULL, status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt TEXT NOT NULL, last_error TEXT, sent_at TEXT,
    PRIMARY KEY (message_id, channel));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt);
CREATE INDEX IF NOT EXISTS messages_rule ON messages(rule, created_at);
"""


class AlertSchemaError(RuntimeError):
    """The alerts database was written by a newer coopwatch."""


@dataclass
class RuleState:
    """Where a rule stands: first seen, last run, the end of its last successful window, digest period sent."""

    rule: str
    first_seen: str
    last_run: str | None = None
    last_success: str | None = None
    window_end: str | None = None
    digest_period: str | None = None
    last_error: str | None = None


@dataclass
class AlertRecord:
    """What a rule last told about one event."""

    rule: str
    event_key: str
    title: str
    event_date: str | None
    fingerprint: dict[str, Any]
    revision: int


@dataclass
class Message:
    """A rendered message in the outbox."""

    id: str
    rule: str
    kind: str  # new, updated, overflow, digest, ops
    subject: str
    text: str
    html: str
    markdown: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Match:
    """A decision of one rule run about one event: record it, and maybe tell about it."""

    event_key: str
    title: str
    event_date: str | None
    fingerprint: dict[str, Any]
    revision: int
    docs: dict[str, str]  # doc id -> text hash
    item: dict[str, Any] | None = None  # the event as a message shows it; None: record silently


@dataclass
class PlannedRun:
    """Everything one rule run queues in one transaction."""

    rule: str
    window_end: str
    matches: list[Match] = field(default_factory=list)
    messages: list[tuple[Message, list[str]]] = field(default_factory=list)  # (message, channels)
    digest_items: list[Match] = field(default_factory=list)


@dataclass
class DueDelivery:
    """A delivery to attempt now."""

    message: Message
    channel: str
    attempts: int


class AlertStore:
    """The alerts database (SQLite, WAL); safe to share between threads of one process."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise AlertSchemaError(f"{path}: not a usable alerts database ({exc}); move it aside (a new one is "
                                   "created) or set COOPWATCH_ALERTS_DB") from None

    def _ensure_schema(self) -> None:
        """Create the tables; refuse a database from a newer coopwatch."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise AlertSchemaError(f"{self.path} uses alerts schema {version}, this coopwatch knows "
                                   f"{SCHEMA_VERSION}: upgrade coopwatch")
        with self._lock:
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # rules saved in the database ---------------------------------------------------------------------------

    def save_rule(self, rule: Rule, taken: set[str] = frozenset()) -> Rule:
        """Save (or replace) a rule; ``taken`` are names the rules file already uses."""
        if rule.name in taken:
            raise RuleError(f"rule name {rule.name!r} is already used by the rules file: choose another name")
        now = store_stamp()
        with self._transaction() as db:
            db.execute("INSERT INTO rules VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                       "definition=excluded.definition, updated_at=excluded.updated_at",
                       (rule.name, json.dumps(rule.definition(), ensure_ascii=False), now, now))
        return parse_rule(rule.definition(), "alerts database")

    def delete_rule(self, name: str) -> bool:
        """Delete a saved rule (what it already sent stays recorded); return whether it existed."""
        with self._transaction() as db:
            return db.execute("DELETE FROM rules WHERE name=?", (name,)).rowcount > 0

    def saved_rules(self) -> list[Rule]:
        """Return the rules saved in the database, validated like the rules file's."""
        return [parse_rule(json.loads(r["definition"]), f"alerts database (rule {r['name']!r})")
                for r in self._rows("SELECT name, definition FROM rules ORDER BY name")]

    # windows -----------------------------------------------------------------------------------------------

    def rule_state(self, rule: str, now: str) -> RuleState:
        """Return a rule's state, recording ``now`` as its first sighting when it is new."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO rule_state (rule, first_seen) VALUES (?, ?)", (rule, now))
            row = db.execute("SELECT * FROM rule_state WHERE rule=?", (rule,)).fetchone()
        return RuleState(**dict(row))

    def record_error(self, rule: str, now: str, error: str) -> None:
        """Remember that a rule could not run (its window does not move)."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO rule_state (rule, first_seen) VALUES (?, ?)", (rule, now))
            db.execute("UPDATE rule_state SET last_run=?, last_error=? WHERE rule=?", (now, error, rule))

    # what a rule has matched -------------------------------------------------------------------------------

    def known_docs(self, rule: str, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Return {doc id: (event key, text hash)} for the reports this rule has already taken into account."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start:start + 500]
            sql = f"SELECT doc_id, event_key, text_hash FROM alert_docs WHERE rule=? AND doc_id IN ({','.join('?' * len(chunk))})"
            found.update({r["doc_id"]: (r["event_key"], r["text_hash"]) for r in self._rows(sql, rule, *chunk)})
        return found

    def alert(self, rule: str, event_key: str) -> AlertRecord | None:
        """Return what this rule last recorded about an event."""
        rows = self._rows("SELECT * FROM alerts WHERE rule=? AND event_key=?", rule, event_key)
        return record_of(rows[0]) if rows else None

    def recent_alerts(self, rule: str, since: str) -> list[AlertRecord]:
        """Return the events this rule recorded since a time (for matching new reports to known events)."""
        return [record_of(r) for r in self._rows("SELECT * FROM alerts WHERE rule=? AND updated_at>=?", rule, since)]

    # queuing -----------------------------------------------------------------------------------------------

    def queue(self, plan: PlannedRun, now: str, digest_period: str | None = None) -> None:
        """Record a rule run's matches, queue its messages and move its window, all in one transaction."""
        with self._transaction() as db:
            for match in plan.matches:
                self._record_match(db, plan.rule, match, now)
            for match in plan.digest_items:
                db.execute("INSERT OR IGNORE INTO pending_digest VALUES (?,?,?,?)",
                           (plan.rule, match.event_key, match.revision, json.dumps(match.item, ensure_ascii=False)))
            for message, channels in plan.messages:
                self._insert_message(db, message, channels, now)
            db.execute("UPDATE rule_state SET last_run=?, last_success=?, window_end=?, last_error=NULL,"
                       " digest_period=coalesce(?, digest_period) WHERE rule=?",
                       (now, now, plan.window_end, digest_period, plan.rule))

    @staticmethod
    def _record_match(db: sqlite3.Connection, rule: str, match: Match, now: str) -> None:
        db.execute(
            "INSERT INTO alerts VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(rule, event_key) DO UPDATE SET"
            " title=excluded.title, event_date=excluded.event_date, fingerprint=excluded.fingerprint,"
            " revision=excluded.revision, updated_at=excluded.updated_at",
            (rule, match.event_key, match.title, match.event_date, json.dumps(match.fingerprint, ensure_ascii=False),
             match.revision, now, now))
        db.executemany("INSERT INTO alert_docs VALUES (?,?,?,?) ON CONFLICT(rule, doc_id) DO UPDATE SET"
                       " event_key=excluded.event_key, text_hash=excluded.text_hash",
                       [(rule, doc_id, match.event_key, digest) for doc_id, digest in match.docs.items()])

    @staticmethod
    def _insert_message(db: sqlite3.Connection, message: Message, channels: list[str], now: str) -> None:
        inserted = db.execute(
            "INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?,?)",
            (message.id, message.rule, message.kind, message.subject, message.text, message.html, message.markdown,
             json.dumps(message.payload, ensure_ascii=False), now)).rowcount
        if inserted:
            db.executemany("INSERT OR IGNORE INTO deliveries (message_id, channel, status, next_attempt)"
                           " VALUES (?,?,'pending',?)", [(message.id, channel, now) for channel in channels])

    def pending_digest(self, rule: str) -> list[dict[str, Any]]:
        """Return the items waiting for a rule's next digest, oldest first."""
        return [json.loads(r["item"]) for r in self._rows("SELECT item FROM pending_digest WHERE rule=? ORDER BY rowid", rule)]

    def queue_digest(self, rule: str, message: Message, channels: list[str], period: str, now: str) -> None:
        """Queue a digest message and clear the items it lists, in one transaction."""
        with self._transaction() as db:
            self._insert_message(db, message, channels, now)
            db.execute("DELETE FROM pending_digest WHERE rule=?", (rule,))
            db.execute("UPDATE rule_state SET digest_period=? WHERE rule=?", (period, rule))

    def set_digest_period(self, rule: str, period: str) -> None:
        """Record the digest period a rule is collecting for."""
        with self._transaction() as db:
            db.execute("UPDATE rule_state SET digest_period=? WHERE rule=?", (period, rule))

    def queue_message(self, message: Message, channels: list[str], now: str) -> bool:
        """Queue one message on its own (operators' notices); return False when that key was queued before."""
        with self._transaction() as db:
            known = db.execute("SELECT 1 FROM messages WHERE id=?", (message.id,)).fetchone()
            self._insert_message(db, message, channels, now)
        return known is None

    # delivering --------------------------------------------------------------------------------------------

    @contextmanager
    def delivery_lock(self) -> Iterator[None]:
        """Hold the outbox's delivery lock (a file lock beside the database) so overlapping runs never send one
        delivery twice; the kernel releases it when a holder dies."""
        if self.path == ":memory:":
            yield
            return
        with open(f"{self.path}.deliver.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def due(self, now: str, rules: set[str] | None = None) -> list[DueDelivery]:
        """Return the deliveries to attempt now, oldest message first."""
        rows = self._rows(
            "SELECT m.*, d.channel, d.attempts FROM deliveries d JOIN messages m ON m.id = d.message_id"
            " WHERE d.status='pending' AND d.next_attempt<=? ORDER BY m.rowid, d.channel", now)
        return [DueDelivery(message_of(r), r["channel"], r["attempts"]) for r in rows
                if rules is None or r["rule"] in rules]

    def mark_sent(self, message_id: str, channel: str, now: str) -> None:
        """Record a delivery as sent."""
        with self._transaction() as db:
            db.execute("UPDATE deliveries SET status='sent', attempts=attempts+1, sent_at=?, last_error=NULL"
                       " WHERE message_id=? AND channel=?", (now, message_id, channel))

    def mark_failed(self, message_id: str, channel: str, reason: str, next_attempt: str | None) -> None:
        """Record a failed attempt: try again at ``next_attempt``, or dead-letter it when None."""
        status = "pending" if next_attempt else "dead"
        with self._transaction() as db:
            db.execute("UPDATE deliveries SET status=?, attempts=attempts+1, last_error=?,"
                       " next_attempt=coalesce(?, next_attempt) WHERE message_id=? AND channel=?",
                       (status, reason, next_attempt, message_id, channel))

    def requeue_dead(self, now: str, rule: str | None = None) -> int:
        """Give dead-lettered deliveries (of one rule, or all) a fresh set of attempts; return how many."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE deliveries SET status='pending', attempts=0, next_attempt=? WHERE status='dead' AND"
                " message_id IN (SELECT id FROM messages WHERE ? IS NULL OR rule=?)", (now, rule, rule)).rowcount

    # reporting ---------------------------------------------------------------------------------------------

    def states(self) -> dict[str, RuleState]:
        """Return every rule's state by name."""
        return {r["rule"]: RuleState(**dict(r)) for r in self._rows("SELECT * FROM rule_state")}

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        """Return per rule the deliveries sent, pending (never tried), failed (retrying) and dead-lettered."""
        rows = self._rows(
            "SELECT m.rule, CASE WHEN d.status='pending' AND d.attempts>0 THEN 'failed' ELSE d.status END AS s,"
            " count(*) AS n FROM deliveries d JOIN messages m ON m.id=d.message_id GROUP BY m.rule, s")
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(r["rule"], {"sent": 0, "pending": 0, "failed": 0, "dead": 0})[r["s"]] = r["n"]
        return counts

    def history(self, limit: int = 20, rule: str | None = None) -> list[dict[str, Any]]:
        """Return the newest messages with their deliveries (channel, status, attempts, error)."""
        messages = self._rows("SELECT id, rule, kind, subject, created_at FROM messages WHERE ? IS NULL OR rule=?"
                              " ORDER BY created_at DESC, id DESC LIMIT ?", rule, rule, limit)
        out = []
        for m in messages:
            deliveries = self._rows("SELECT channel, status, attempts, last_error, sent_at FROM deliveries"
                                    " WHERE message_id=? ORDER BY channel", m["id"])
            out.append({**dict(m), "deliveries": [dict(d) for d in deliveries]})
        return out


def record_of(row: sqlite3.Row) -> AlertRecord:
    """Build an AlertRecord from its row."""
    return AlertRecord(row["rule"], row["event_key"], row["title"], row["event_date"],
                       json.loads(row["fingerprint"]), row["revision"])


def message_of(row: sqlite3.Row) -> Message:
    """Build a Message from its row."""
    return Message(row["id"], row["rule"], row["kind"], row["subject"], row["text"], row["html"], row["markdown"],
                   json.loads(row["payload"]))
