"""The Elasticsearch backend: same contract as the SQLite store, for larger corpora, teams and query loads.

Layout on the cluster, for an index prefix ``P`` (``COOPWATCH_ES_INDEX``, default ``coopwatch``):

- an index template ``P-template`` for the indices ``P-v1``, ``P-v2`` ... with explicit mappings: title,
  text and event names as ``.en`` (``english`` analyzer) and ``.cjk`` (``cjk`` analyzer) sub-fields,
  keyword facet fields with case-folded twins for filters, ``nested`` speakers, dates, ingestion time;
- the read alias ``P`` (searches) and the write alias ``P-write`` (writes), each on one versioned index.
  :meth:`ElasticsearchBackend.reindex_to_new_version` builds the next version and moves the aliases
  atomically, so searches never fail or come back empty during a reindex.

Writes go through ``elasticsearch.helpers.streaming_bulk`` with ``_id = Document.id``; content hashes are
read first with ``mget`` so unchanged documents are not rewritten. A document that cannot be written is
recorded with its reason in a small SQLite dead-letter file (``COOPWATCH_ES_DEADLETTER``) and retried by
the next :meth:`upsert`. Query text goes into ``match`` queries (and, for a lone Han character, an
escaped ``wildcard``) only, never a query-string parser.

Connection settings come from the environment only (see :meth:`ElasticsearchBackend.from_url`); secrets are
never logged or shown in ``repr``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from ingest.models import Document, EventReport, store_stamp, utc_now
from search.base import (
    FACET_LIMIT,
    FIELD_WEIGHTS,
    FACET_NAMES,
    MIN_PREFIX,
    BackendConfigError,
    Hit,
    Query,
    SearchBackend,
    SearchResult,
    UpsertStats,
    event_hit_fields,
    legacy_stamp,
    write_stamps,
)
from search.events_elastic import ElasticsearchEvents
from search.text import (
    AllOf,
    QueryTerm,
    TextMatch,
    extra_search_text,
    fold,
    make_snippet,
    name_words,
    pair_key,
    plain_match,
    query_match,
    ranked_terms,
    segment_query_run,
    speaker_terms,
)

BATCH_SIZE = 500
MAX_RESULT_WINDOW = 10_000
RETRYABLE_STATUS = (429, 502, 503, 504)
DEFAULT_DEADLETTER = "var/es-deadletter.sqlite"
DEADLETTER_RETRY_LIMIT = 5000  # dead letters retried per upsert call, so a long outage never stalls a run
FIELD_NAMES = {"title": "title", "body": "text", "event": "extra"}  # contract field -> Elasticsearch field
EN_FIELDS = [f"{FIELD_NAMES[f]}.en^{w:g}" for f, w in FIELD_WEIGHTS.items()]
CJK_FIELD_BOOSTS = {f"{FIELD_NAMES[f]}.cjk": w for f, w in FIELD_WEIGHTS.items()}
POINT = 1000.0  # score of one ranking point: BM25 scores stay far below it, so they only order equal points
DATE_FORMAT = "strict_date_optional_time||yyyy-MM-dd||yyyy-MM||yyyy"
PERIOD_UNITS = {4: "y", 7: "M", 10: "d"}  # length of a YYYY, YYYY-MM, YYYY-MM-DD bound -> date-math unit
IN_FLIGHT_MARGIN = 60  # seconds: writes this close to an alias move are copied again
FORCEMERGE_TIMEOUT = 1800  # seconds: a force-merge answers only once it has finished
INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

# --------------------------------------------------------------------------------------------------------
# mappings


def _multilingual_text() -> dict[str, Any]:
    """Return a text field searched through its English and CJK sub-fields (the parent is not indexed)."""
    return {
        "type": "text",
        "index": False,
        "fields": {"en": {"type": "text", "analyzer": "english"}, "cjk": {"type": "text", "analyzer": "cjk"}},
    }


def _date() -> dict[str, Any]:
    """Return a tolerant date field: a malformed value is skipped, not a reason to reject the document."""
    return {"type": "date", "format": DATE_FORMAT, "ignore_malformed": True}


KEYWORD = {"type": "keyword", "ignore_above": 1024}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "url": {"type": "keyword", "ignore_above": 8191},
        "source": KEYWORD,
        "title": _multilingual_text(),
        "text": _multilingual_text(),
        "extra": _multilingual_text(),  # speaker names, affiliations, organisers, cities
        "language": KEYWORD,
        "published": _date(),
        "fetched_at": _date(),
        "ingested_at": {"type": "date"},
        "indexed_at": {"type": "date"},  # first indexed (kept on updates); see search.base.write_stamps
        "changed_at": {"type": "date"},
        "event_id": KEYWORD,
        "group_key": KEYWORD,  # the event id, else the document id: what Query.collapse collapses on
        "content_hash": {"type": "keyword", "index": False},
        "date": _date(),
        "event": {"type": "object", "enabled": False},  # the full EventReport, for round trips
        "is_event_report": {"type": "boolean"},
        "event_type": KEYWORD,
        "event_date": _date(),
        "cities": KEYWORD,
        "cities_folded": KEYWORD,
        "city_pairs": KEYWORD,  # "A|B", the pair sorted
        "city_pair_keys": KEYWORD,  # the same, case-folded and sorted again
        "speakers": {
            "type": "nested",
            "properties": {
                "name": KEYWORD, "title": KEYWORD, "affiliation": KEYWORD, "role": KEYWORD, "key": KEYWORD,
                "name_folded": KEYWORD, "key_folded": KEYWORD,
                "name_words": {"type": "text", "analyzer": "whitespace"},  # folded words, for word-subset match
            },
        },
        "organizers": KEYWORD,
        "orgs_folded": KEYWORD,  # organisers and speaker affiliations, case-folded (substring filter)
        "topics": KEYWORD,
        "topics_folded": KEYWORD,
    },
}

Pending = tuple[Document, dict[str, Any], str]  # a document to write, its source, and new/updated

INDEX_SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


# --------------------------------------------------------------------------------------------------------
# configuration


def env_flag(value: str | None, default: bool) -> bool:
    """Read a yes/no environment value."""
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise BackendConfigError(f"COOPWATCH_ES_VERIFY={value!r}: use true or false")


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to reach a cluster; ``repr`` never shows a secret."""

    url: str
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify: bool = True
    timeout: float = 30.0

    @classmethod
    def from_env(cls, url: str, env: dict[str, str] | None = None) -> ConnectionSettings:
        """Read credentials and TLS options from ``COOPWATCH_ES_*`` variables; refuse credentials in the URL."""
        env = dict(os.environ if env is None else env)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendConfigError(f"{url!r} is not an Elasticsearch URL: use http(s)://host:port")
        if parts.username or parts.password:
            raise BackendConfigError("put Elasticsearch credentials in COOPWATCH_ES_API_KEY or "
                              "COOPWATCH_ES_USERNAME/COOPWATCH_ES_PASSWORD, not in the URL")
        try:
            timeout = float(env.get("COOPWATCH_ES_TIMEOUT") or 30)
        except ValueError:
            raise BackendConfigError(f"COOPWATCH_ES_TIMEOUT={env['COOPWATCH_ES_TIMEOUT']!r}: use seconds, e.g. 30") from None
        return cls(
            url=url, api_key=env.get("COOPWATCH_ES_API_KEY") or None,
            username=env.get("COOPWATCH_ES_USERNAME") or None, password=env.get("COOPWATCH_ES_PASSWORD") or None,
            ca_certs=env.get("COOPWATCH_ES_CA_CERTS") or None,
            verify=env_flag(env.get("COOPWATCH_ES_VERIFY"), True), timeout=timeout,
        )

    def __repr__(self) -> str:
        auth = "api_key" if self.api_key else "basic" if self.username else "none"
        return f"ConnectionSettings(url={self.url!r}, auth={auth}, verify={self.verify}, timeout={self.timeout})"

    def client(self) -> Elasticsearch:
        """Build the client: retries on timeouts and 502/503/504, TLS verification unless turned off."""
        options: dict[str, Any] = {
            "request_timeout": self.timeout, "max_retries": 2, "retry_on_timeout": True,
            "retry_on_status": (502, 503, 504),
        }
        if self.api_key:
            options["api_key"] = self.api_key
        elif self.username:
            options["basic_auth"] = (self.username, self.password or "")
        if self.url.startswith("https://"):
            options["verify_certs"] = self.verify
            if self.ca_certs:
                options["ca_certs"] = self.ca_certs
        return Elasticsearch(self.url, **options)


# --------------------------------------------------------------------------------------------------------
# dead letters


class DeadLetterStore:
    """Documents that could not be written, with the reason, kept in SQLite until a later run writes them."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS dead_letters (
        index_prefix TEXT NOT NULL, id TEXT NOT NULL, document TEXT, reason TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1, first_failed TEXT NOT NULL, last_failed TEXT NOT NULL,
        PRIMARY KEY (index_prefix, id))"""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.execute(self.SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, prefix: str, failures: list[tuple[str, str | None, str]]) -> None:
        """Record (id, document JSON or None, reason) failures; a repeat failure counts another attempt."""
        now = utc_now()
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT INTO dead_letters VALUES (?,?,?,?,1,?,?) ON CONFLICT(index_prefix, id) DO UPDATE SET"
                " document=coalesce(excluded.document, document), reason=excluded.reason,"
                " attempts=attempts+1, last_failed=excluded.last_failed",
                [(prefix, doc_id, doc_json, reason, now, now) for doc_id, doc_json, reason in failures],
            )

    def clear(self, prefix: str, ids: Iterable[str]) -> None:
        """Forget the given ids (they have been written)."""
        with closing(self._connect()) as conn, conn:
            conn.executemany("DELETE FROM dead_letters WHERE index_prefix=? AND id=?", [(prefix, i) for i in ids])

    def entries(self, prefix: str) -> list[dict[str, Any]]:
        """Return the recorded failures of one index prefix, oldest first."""
        with closing(self._connect()) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT * FROM dead_letters WHERE index_prefix=? ORDER BY first_failed, id", (prefix,)
            ).fetchall()
        return [dict(row) for row in rows]

    def documents(self, prefix: str) -> list[Document]:
        """Return the recorded documents that can be retried."""
        return [Document.from_dict(json.loads(e["document"])) for e in self.entries(prefix) if e["document"]]

    def purge(self, prefix: str) -> None:
        """Forget every failure of one index prefix."""
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM dead_letters WHERE index_prefix=?", (prefix,))


# --------------------------------------------------------------------------------------------------------
# the backend


class ElasticsearchBackend(ElasticsearchEvents, SearchBackend):
    """Search backend on an Elasticsearch 8 cluster, behind versioned read/write aliases."""

    def __init__(
        self,
        client: Elasticsearch,
        index_prefix: str = "coopwatch",
        deadletter_path: str = DEFAULT_DEADLETTER,
        retries: int = 3,
        backoff: float = 1.0,
        description: str = "elasticsearch",
    ) -> None:
        if not INDEX_NAME.match(index_prefix):
            raise BackendConfigError(f"index prefix {index_prefix!r}: use lower-case letters, digits, '-', '_' or '.'")
        self.client = client
        self.prefix = index_prefix
        self.read_alias = index_prefix
        self.write_alias = f"{index_prefix}-write"
        self.deadletters = DeadLetterStore(deadletter_path)
        self.retries = retries
        self.backoff = backoff
        self.description = description
        self.ensure_index()

    @classmethod
    def from_url(cls, url: str, env: dict[str, str] | None = None) -> ElasticsearchBackend:
        """Connect to ``url`` with settings from the environment.

        ``COOPWATCH_ES_API_KEY``, or ``COOPWATCH_ES_USERNAME`` / ``COOPWATCH_ES_PASSWORD``;
        ``COOPWATCH_ES_CA_CERTS`` (PEM file), ``COOPWATCH_ES_VERIFY`` (default true), ``COOPWATCH_ES_TIMEOUT``
        (seconds, default 30), ``COOPWATCH_ES_INDEX`` (prefix, default coopwatch), ``COOPWATCH_ES_DEADLETTER``
        (default var/es-deadletter.sqlite).
        """
        env = dict(os.environ if env is None else env)
        settings = ConnectionSettings.from_env(url, env)
        return cls(
            settings.client(), index_prefix=env.get("COOPWATCH_ES_INDEX") or "coopwatch",
            deadletter_path=env.get("COOPWATCH_ES_DEADLETTER") or DEFAULT_DEADLETTER,
            description=repr(settings),
        )

    def __repr__(self) -> str:
        return f"ElasticsearchBackend({self.description}, index={self.prefix!r})"

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    # index management --------------------------------------------------------------------------------------

    def ensure_index(self) -> None:
        """Create the index template and the first versioned index with both aliases, unless they exist."""
        try:
            if self.client.indices.exists_alias(name=self.write_alias):
                self._add_new_fields()
                return
            self.client.indices.put_index_template(
                name=f"{self.prefix}-template", index_patterns=[f"{self.prefix}-v*"], priority=100,
                template={"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
            )
            self._create_index(f"{self.prefix}-v1", with_aliases=True)
        except TransportError as exc:
            raise ConnectionError(f"cannot reach Elasticsearch ({self.description}): {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in (401, 403):
                raise BackendConfigError(
                    f"Elasticsearch refused the credentials ({exc.meta.status}, {self.description}): check "
                    "COOPWATCH_ES_API_KEY or COOPWATCH_ES_USERNAME/COOPWATCH_ES_PASSWORD and the user's index "
                    f"privileges on {self.prefix}*") from None
            raise

    def _add_new_fields(self) -> None:
        """Add fields a newer coopwatch maps (e.g. ``event_id``, store stamps) to existing indices and template.

        Adding a field is allowed on a live index; existing documents simply lack it until rewritten.
        """
        current = self.client.indices.get_mapping(index=self.write_alias)
        known = next(iter(current.values()))["mappings"].get("properties", {})
        missing = {k: v for k, v in MAPPINGS["properties"].items() if k not in known}
        if not missing:
            return
        self.client.indices.put_mapping(index=f"{self.prefix}-v*", properties=missing)
        self.client.indices.put_index_template(
            name=f"{self.prefix}-template", index_patterns=[f"{self.prefix}-v*"], priority=100,
            template={"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        )
        if "group_key" in missing:  # documents written before collapsing existed get their key
            self.client.update_by_query(
                index=f"{self.prefix}-v*", refresh=True, conflicts="proceed",
                query={"bool": {"must_not": {"exists": {"field": "group_key"}}}},
                script={"source": "ctx._source.group_key = ctx._source.event_id != null ? ctx._source.event_id"
                                  " : ctx._source.id", "lang": "painless"})

    def _create_index(self, name: str, with_aliases: bool) -> None:
        """Create one versioned index (the template supplies settings and mappings); tolerate a racing twin."""
        aliases = {self.read_alias: {}, self.write_alias: {"is_write_index": True}} if with_aliases else {}
        try:
            self.client.indices.create(index=name, aliases=aliases, wait_for_active_shards="1")
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def alias_index(self, alias: str) -> str:
        """Return the concrete index an alias points to."""
        return next(iter(self.client.indices.get_alias(name=alias)))

    def reindex_to_new_version(self, keep_old: bool = False) -> str:
        """Copy everything into the next versioned index and move the aliases to it; return its name.

        Order keeps every write and every search working: (1) the write alias moves to the new index in one
        atomic ``_aliases`` call, so new writes land there; (2) documents are copied from the (refreshed) old
        index with ``op_type=create``, so a copy never overwrites a newer write, and a second pass picks up
        writes that were in flight to the old index during the move; (3) after a refresh the read alias moves
        in one atomic ``_aliases`` call. Searches see the old index, complete, until the new one is.
        """
        old = self.alias_index(self.write_alias)
        new = f"{self.prefix}-v{int(old.rsplit('-v', 1)[1]) + 1}"
        self._create_index(new, with_aliases=False)
        moved_at = datetime.now(timezone.utc) - timedelta(seconds=IN_FLIGHT_MARGIN)
        self._move_alias(self.write_alias, old, new, {"is_write_index": True})
        self.client.indices.refresh(index=old)
        self._copy_index(old, new, {"match_all": {}})
        self.client.indices.refresh(index=old)
        self._copy_index(old, new, {"range": {"ingested_at": {"gte": moved_at.isoformat()}}})
        self.client.indices.refresh(index=new)
        self._move_alias(self.read_alias, old, new, {})
        if not keep_old:
            self.client.indices.delete(index=old)
        return new

    def _move_alias(self, alias: str, old: str, new: str, options: dict[str, Any]) -> None:
        """Point an alias from one index to another in one atomic call."""
        self.client.indices.update_aliases(actions=[
            {"remove": {"index": old, "alias": alias}},
            {"add": {"index": new, "alias": alias, **options}},
        ])

    def _copy_index(self, old: str, new: str, query: dict[str, Any]) -> None:
        """Copy the matching documents of one index into another without overwriting newer ones."""
        actions = (
            {"_op_type": "create", "_index": new, "_id": hit["_id"], "_source": hit["_source"]}
            for hit in helpers.scan(self.client, index=old, query={"query": query}, size=BATCH_SIZE)
        )
        for ok, item in helpers.streaming_bulk(
            self.client, actions, chunk_size=BATCH_SIZE, raise_on_error=False, max_retries=self.retries,
            initial_backoff=self.backoff, retry_on_status=RETRYABLE_STATUS,
        ):
            info = item.get("create", {})
            if not ok and info.get("status") != 409:
                raise RuntimeError(f"reindex from {old} to {new} failed for {info.get('_id')}: {info.get('error')}")

    def refresh(self) -> None:
        """Make every write so far visible to searches."""
        self.client.indices.refresh(index=f"{self.prefix}-v*")

    def optimize(self) -> None:
        """Refresh the write index, then merge away the segments' deleted documents (a light force-merge).

        ``only_expunge_deletes`` rewrites only segments with many deleted documents (updates leave those),
        unlike ``max_num_segments=1``, which rewrites the whole index and is too heavy for a daily job.
        """
        index = self.alias_index(self.write_alias)
        self.client.indices.refresh(index=index)
        self.client.options(request_timeout=FORCEMERGE_TIMEOUT).indices.forcemerge(
            index=index, only_expunge_deletes=True)

    def drop(self) -> None:
        """Delete this prefix's indices, template and dead letters (tests and teardown)."""
        names = list(self.client.indices.get(index=f"{self.prefix}-v*", allow_no_indices=True, expand_wildcards="all"))
        if names:
            self.client.indices.delete(index=",".join(names))
        self.drop_events_index()
        try:
            self.client.indices.delete_index_template(name=f"{self.prefix}-template")
        except NotFoundError:
            pass
        self.deadletters.purge(self.prefix)

    # writing -----------------------------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Document]) -> UpsertStats:
        """Write documents by id in bulk, then retry earlier failures; record new failures as dead letters."""
        stats = UpsertStats()
        seen: set[str] = set()
        iterator = iter(docs)
        while batch := list(islice(iterator, BATCH_SIZE)):
            seen.update(str(getattr(d, "id", "")) for d in batch)
            stats.add(self._upsert_batch(batch))
        stats.add(self.retry_dead_letters(skip=seen))
        return stats

    def retry_dead_letters(self, skip: set[str] | None = None, limit: int = DEADLETTER_RETRY_LIMIT) -> UpsertStats:
        """Write again up to ``limit`` recorded failures (oldest first), except the ids in ``skip``."""
        stats = UpsertStats()
        retry = [doc for doc in self.deadletters.documents(self.prefix) if doc.id not in (skip or set())][:limit]
        for start in range(0, len(retry), BATCH_SIZE):
            stats.add(self._upsert_batch(retry[start : start + BATCH_SIZE]))
        return stats

    def _upsert_batch(self, batch: list[Document]) -> UpsertStats:
        """Classify one batch against stored hashes, bulk-write what changed, and account for every document."""
        stats = UpsertStats()
        try:
            stored = self.stored_meta([d.id for d in batch if isinstance(getattr(d, "id", None), str)])
        except TransportError as exc:
            self._fail(stats, [(doc, f"elasticsearch unavailable: {exc}") for doc in batch])
            return stats
        known = {doc_id: digest for doc_id, (digest, _) in stored.items()}
        to_write: dict[str, Pending] = {}
        now = store_stamp()
        invalid: list[tuple[Document, str]] = []
        unchanged: list[str] = []
        for doc in batch:
            outcome = classify(doc, known)
            if outcome == "unchanged":
                stats.unchanged += 1
                unchanged.append(doc.id)
            elif outcome in ("new", "updated"):
                source = document_source(doc)
                first = stored.get(doc.id, (None, None))[1]
                source.update(write_stamps(doc, outcome == "updated", now), **({"indexed_at": first} if first else {}))
                to_write[doc.id] = (doc, source, outcome)
            else:
                invalid.append((doc, outcome))
        self.deadletters.clear(self.prefix, unchanged)  # stored as they are: nothing left to retry
        self._fail(stats, invalid)
        self._write(to_write, stats)
        return stats

    def _write(self, pending: dict[str, Pending], stats: UpsertStats) -> None:
        """Bulk-write documents, retrying retryable failures with backoff; dead-letter the rest."""
        everything = dict(pending)
        final: dict[str, str] = {}  # id -> latest failure reason
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            written, failures, retryable = self._bulk(pending)
            for doc_id in written:
                outcome = everything[doc_id][2]
                setattr(stats, outcome, getattr(stats, outcome) + 1)
                final.pop(doc_id, None)
            self.deadletters.clear(self.prefix, written)
            final.update(failures)
            pending = {i: pending[i] for i in retryable}
            if not pending:
                break
        self._fail(stats, [(everything[i][0], reason) for i, reason in final.items()])

    def _bulk(self, pending: dict[str, Pending]) -> tuple[list[str], dict[str, str], set[str]]:
        """Send one round of bulk writes; return (written ids, {failed id: reason}, retryable ids)."""
        actions = [{"_op_type": "index", "_index": self.write_alias, "_id": i, "_source": src}
                   for i, (_, src, _) in pending.items()]
        written: list[str] = []
        failures: dict[str, str] = {}
        retryable: set[str] = set()
        try:
            for ok, item in helpers.streaming_bulk(
                self.client, actions, chunk_size=BATCH_SIZE, raise_on_error=False, raise_on_exception=False,
                max_retries=self.retries, initial_backoff=self.backoff, max_backoff=30,
                retry_on_status=RETRYABLE_STATUS,
            ):
                info = item.get("index", {})
                if ok:
                    written.append(info["_id"])
                    continue
                failures[info["_id"]] = bulk_reason(info)
                if info.get("status") in RETRYABLE_STATUS or info.get("status") in (None, "N/A"):
                    retryable.add(info["_id"])
        except TransportError as exc:  # connection lost: the node is down or unreachable
            done = set(written) | set(failures)
            for doc_id in pending:
                if doc_id not in done:
                    failures[doc_id] = f"elasticsearch unavailable: {exc}"
                    retryable.add(doc_id)
        return written, failures, retryable

    def _fail(self, stats: UpsertStats, failed: list[tuple[Any, str]]) -> None:
        """Count failures and record them as dead letters (with the document when it can be serialised)."""
        if not failed:
            return
        records = []
        for doc, reason in failed:
            doc_id = str(getattr(doc, "id", "?"))
            stats.failed += 1
            stats.failures.append((doc_id, reason))
            records.append((doc_id, serialise(doc), reason))
        self.deadletters.add(self.prefix, records)

    def delete(self, doc_id: str) -> bool:
        """Delete one document from the read and write indices; return whether it existed."""
        existed = False
        indices = {self.alias_index(self.read_alias), self.alias_index(self.write_alias)}
        for index in indices:
            try:
                self.client.delete(index=index, id=doc_id)
                existed = True
            except NotFoundError:
                pass
        self.deadletters.clear(self.prefix, [doc_id])
        return existed

    # reading -----------------------------------------------------------------------------------------------

    def content_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        """Return {id: content_hash} for the stored ids (read from the write index, which is authoritative)."""
        return {doc_id: digest for doc_id, (digest, _) in self.stored_meta(ids).items()}

    def stored_meta(self, ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """Return {id: (content_hash, indexed_at)} for the stored ids, from the write index."""
        wanted = list(dict.fromkeys(i for i in ids if i))
        found: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            response = self.client.mget(index=self.write_alias, ids=wanted[start : start + BATCH_SIZE],
                                        source_includes=["content_hash", "indexed_at", "fetched_at"], realtime=True)
            for item in response["docs"]:
                if item.get("found"):
                    source = item["_source"]
                    first = source.get("indexed_at") or legacy_stamp(source.get("fetched_at"))
                    found[item["_id"]] = (source["content_hash"], first)
        return found

    def get(self, doc_id: str) -> Document | None:
        """Return the document with this id, or the only one whose id starts with it (8+ characters)."""
        if not doc_id or len(doc_id.encode("utf-8")) > 512:  # longer is never a stored id
            return None
        try:
            hit = self.client.get(index=self.read_alias, id=doc_id)
            return source_to_document(hit["_source"])
        except NotFoundError:
            pass
        if len(doc_id) < MIN_PREFIX:
            return None
        hits = self.client.search(index=self.read_alias, query={"prefix": {"id": doc_id}}, size=2)["hits"]["hits"]
        return source_to_document(hits[0]["_source"]) if len(hits) == 1 else None

    def count(self) -> int:
        """Number of stored documents."""
        return int(self.client.count(index=self.read_alias)["count"])

    def iter_documents(self) -> Iterator[Document]:
        """Yield every stored document (scroll through the read alias)."""
        for hit in helpers.scan(self.client, index=self.read_alias, query={"query": {"match_all": {}}},
                                size=BATCH_SIZE):
            yield source_to_document(hit["_source"])

    def search(self, query: Query) -> SearchResult:
        """Run a query: relevance first when there is text, else newest date first; facets on request."""
        limit, offset = max(0, int(query.limit)), max(0, int(query.offset))
        if offset + limit > MAX_RESULT_WINDOW:
            limit = max(0, MAX_RESULT_WINDOW - offset)
            offset = min(offset, MAX_RESULT_WINDOW)
        body: dict[str, Any] = {
            "query": build_query(query), "from": offset, "size": limit, "track_total_hits": True,
            "sort": sort_order(query), "_source": {"excludes": ["extra", "event.evidence"]},
        }
        if query.facets:
            body["aggs"] = facet_aggregations()
        if query.collapse:  # one row per event: the best report, the number of rows, each row's reports
            body["collapse"] = {"field": "group_key", "inner_hits": {"name": "reports", "size": 0}}
            body.setdefault("aggs", {})["rows"] = {"cardinality": {"field": "group_key", "precision_threshold": 40000}}
        response = self.client.search(index=self.read_alias, **body)
        result = SearchResult(
            total=int(response["hits"]["total"]["value"]),
            hits=[source_to_hit(h, query_match(query)) for h in response["hits"]["hits"]],
        )
        if query.collapse:
            result.total = int(response["aggregations"]["rows"]["value"])
        if query.facets:
            result.facets = read_facets(response["aggregations"])
            result.histogram = read_histogram(response["aggregations"])
        return result


# --------------------------------------------------------------------------------------------------------
# documents <-> Elasticsearch sources


def classify(doc: Document, known: dict[str, str]) -> str:
    """Return new/updated/unchanged for a document against stored hashes (updated in place), or why it is invalid."""
    try:
        if not isinstance(doc.id, str) or not doc.id:
            return "invalid document: no id"
        digest = doc.content_hash or doc.compute_hash()
        document_source(doc)  # fails early on a value that cannot be indexed
    except (AttributeError, TypeError, ValueError) as exc:
        return f"invalid document: {type(exc).__name__}: {exc}"
    if known.get(doc.id) == digest:
        return "unchanged"
    outcome = "updated" if doc.id in known else "new"
    known[doc.id] = digest
    return outcome


def serialise(doc: Any) -> str | None:
    """Return a document as JSON for the dead-letter store, or None when it cannot be serialised."""
    try:
        return json.dumps(doc.to_dict(), ensure_ascii=False)
    except (AttributeError, TypeError, ValueError):
        return None


def bulk_reason(info: dict[str, Any]) -> str:
    """Return a one-line reason from a failed bulk item."""
    error = info.get("error")
    if isinstance(error, dict):
        return f"{info.get('status')}: {error.get('type')}: {error.get('reason')}"
    return f"{info.get('status')}: {error}"


def document_source(doc: Document) -> dict[str, Any]:
    """Return the Elasticsearch source of a document: its stored fields plus the derived search fields."""
    if not isinstance(doc.title, str) or not isinstance(doc.text, str):
        raise TypeError("title and text must be strings")
    source = {
        "id": doc.id, "url": doc.url, "source": doc.source, "title": doc.title, "text": doc.text,
        "language": doc.language, "published": doc.published, "fetched_at": doc.fetched_at or None,
        "content_hash": doc.content_hash or doc.compute_hash(), "date": doc.date, "ingested_at": utc_now(),
        "event_id": doc.event_id, "group_key": doc.event_id or doc.id,
        "event": doc.event.to_dict() if doc.event else None,
    }
    source.update(event_fields(doc.event))
    return source


def event_fields(event: EventReport | None) -> dict[str, Any]:
    """Return the flattened, filterable fields of an event report."""
    if event is None:
        return {"is_event_report": False}
    speakers = [s for s in event.speakers if s.name]
    pairs = [p for p in event.city_pairs if len(p) == 2]
    affiliations = [s.affiliation for s in event.speakers if s.affiliation]
    return {
        "is_event_report": bool(event.is_event_report), "event_type": event.event_type,
        "event_date": event.event_date, "cities": event.cities, "cities_folded": [fold(c) for c in event.cities],
        "city_pairs": ["|".join(sorted(p)) for p in pairs], "city_pair_keys": [pair_key(p) for p in pairs],
        "speakers": [speaker_source(s) for s in speakers], "organizers": event.organizers,
        "orgs_folded": [fold(o) for o in [*event.organizers, *affiliations]],
        "topics": event.topics, "topics_folded": [fold(t) for t in event.topics],
        "extra": "\n".join(extra_search_text(event)),
    }


def speaker_source(speaker: Any) -> dict[str, Any]:
    """Return the nested source of one speaker."""
    return {
        "name": speaker.name, "title": speaker.title, "affiliation": speaker.affiliation, "role": speaker.role,
        "key": speaker.key, "name_folded": fold(speaker.name), "key_folded": fold(speaker.key) or None,
        "name_words": name_words(speaker.name),
    }


DOCUMENT_FIELDS = ("id", "url", "source", "title", "text", "language", "published", "fetched_at", "content_hash",
                   "event_id", "indexed_at", "changed_at")


def source_to_document(source: dict[str, Any]) -> Document:
    """Rebuild a Document from its Elasticsearch source."""
    data = {name: source.get(name) for name in DOCUMENT_FIELDS}
    for name in ("fetched_at", "indexed_at", "changed_at"):
        data[name] = data[name] or ""
    data["event"] = source.get("event")
    return Document.from_dict(data)


def source_to_hit(hit: dict[str, Any], match: TextMatch | None) -> Hit:
    """Build a search hit, its snippet made by the helper both backends share."""
    source = hit["_source"]
    return Hit(
        id=source["id"], url=source["url"], title=source["title"], source=source["source"],
        language=source.get("language"), date=source.get("date"), score=float(hit.get("_score") or 0.0),
        snippet=make_snippet(source.get("text") or "", match), event_type=source.get("event_type"),
        is_event_report=bool(source.get("is_event_report")), event_id=source.get("event_id"),
        indexed_at=source.get("indexed_at"), **event_hit_fields(source.get("event")),
        group_size=int(hit.get("inner_hits", {}).get("reports", {}).get("hits", {}).get("total", {}).get("value", 1)),
    )


# --------------------------------------------------------------------------------------------------------
# queries


def text_clauses(query: Query | str) -> list[dict[str, Any]]:
    """Return the required text clause of a query (its normalised match, else its words as typed); [] for none."""
    match = plain_match(query) if isinstance(query, str) else query_match(query)
    return [match_clause(match)] if match is not None else []


def match_clause(match: TextMatch, field: str | None = None) -> dict[str, Any]:
    """Turn a query's text match into a query over every field (or one contract field); nothing is syntax.

    Han runs match like in the SQLite store: all their jieba words, or the run as a character sequence.
    Other terms go through the English analyzer, all of their tokens in one field (a term of several
    words, such as "Hong Kong" from the place vocabulary, as a phrase). A word the analyzer drops
    entirely (a stop word) matches everything.
    """
    if isinstance(match, QueryTerm):
        if match.is_han:
            return han_sequence(match.text, field) if match.exact else han_clause(match.text, field)
        return word_clause(match.text, field)
    clauses = [match_clause(item, field) for item in match.items]
    if len(clauses) == 1:
        return clauses[0]
    if isinstance(match, AllOf):
        return {"bool": {"must": clauses}}
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def ranking_clauses(match: TextMatch | None) -> list[dict[str, Any]]:
    """Return the optional clauses that give the contract's ranking points: per query term, the weight of
    each field it occurs in (constant scores, far above any BM25 score, which only orders equal points)."""
    return [{"constant_score": {"filter": match_clause(term, field), "boost": weight * POINT}}
            for term in ranked_terms(match) for field, weight in FIELD_WEIGHTS.items()]


def en_fields(field: str | None) -> list[str]:
    """Return the English sub-fields to search: one contract field's, or all of them with their weights."""
    return EN_FIELDS if field is None else [f"{FIELD_NAMES[field]}.en"]


def cjk_boosts(field: str | None) -> dict[str, float]:
    """Return the CJK sub-fields to search with their weights: one contract field's, or all of them."""
    return CJK_FIELD_BOOSTS if field is None else {f"{FIELD_NAMES[field]}.cjk": 1}


def word_clause(text: str, field: str | None = None) -> dict[str, Any]:
    """Match a non-Han term in the English sub-fields: all its tokens in one field, several words as a phrase."""
    if len(text.split()) > 1:
        return {"multi_match": {"query": text, "type": "phrase", "fields": en_fields(field), "tie_breaker": 1.0,
                                "zero_terms_query": "all"}}
    return {"multi_match": {"query": text, "type": "most_fields", "fields": en_fields(field), "operator": "and",
                            "zero_terms_query": "all"}}


def han_clause(run: str, field: str | None = None) -> dict[str, Any]:
    """Match a Han run by all of its jieba words, or else by the run itself as a character sequence."""
    words = segment_query_run(run) or [run]
    if words == [run]:
        return han_sequence(run, field)
    by_words = {"bool": {"must": [han_sequence(word, field) for word in words]}}
    return {"bool": {"should": [by_words, han_sequence(run, field)], "minimum_should_match": 1}}


def han_sequence(chars: str, field: str | None = None) -> dict[str, Any]:
    """Match a sequence of Han characters: a phrase of CJK bigrams, or for one character any bigram holding it."""
    boosts = cjk_boosts(field)
    if len(chars) > 1:
        fields = [f"{name}^{boost:g}" for name, boost in boosts.items()]
        return {"multi_match": {"query": chars, "type": "phrase", "fields": fields, "tie_breaker": 1.0}}
    # the cjk analyzer indexes a character on its own only when it stands alone, so look inside the bigrams
    wildcards = [{"wildcard": {name: {"value": f"*{escape_wildcard(chars)}*", "boost": boost}}}
                 for name, boost in boosts.items()]
    return {"bool": {"should": wildcards, "minimum_should_match": 1}}


def any_term(field: str, values: Iterable[str], case_insensitive: bool = False) -> dict[str, Any]:
    """Return a query matching documents whose field equals any of the values."""
    options = {"case_insensitive": True} if case_insensitive else {}
    return {"bool": {"should": [{"term": {field: {"value": v, **options}}} for v in values],
                     "minimum_should_match": 1}}


def escape_wildcard(value: str) -> str:
    """Escape wildcard syntax so that user input matches literally."""
    return re.sub(r"([*?\\])", r"\\\1", value)


def whole_period(value: str) -> str:
    """Return a date bound rounded to its whole year, month or day, so a partial date covers all of it.

    Without rounding Elasticsearch reads a partial bound such as ``2024-03`` as one instant on its first day.
    """
    unit = PERIOD_UNITS.get(len(value))
    return f"{value}||/{unit}" if unit else value


def filter_clauses(query: Query) -> list[dict[str, Any]]:
    """Return the filters of a query (ANDed), with the same meaning as the SQLite backend's."""
    filters: list[dict[str, Any]] = []
    if query.sources:
        filters.append({"terms": {"source": list(query.sources)}})
    if query.language:
        filters.append(any_term("language", [query.language], case_insensitive=True))
    if query.since or query.until:
        bounds = {"gte": query.since, "lte": query.until}
        filters.append({"range": {"date": {k: whole_period(v) for k, v in bounds.items() if v}}})
    if query.event_type:
        filters.append(any_term("event_type", [query.event_type], case_insensitive=True))
    if query.events_only:
        filters.append({"term": {"is_event_report": True}})
    if query.event_ids:
        filters.append({"terms": {"event_id": list(query.event_ids)}})
    for field_name, since in (("indexed_at", query.indexed_since), ("changed_at", query.changed_since)):
        if since:
            filters.append({"range": {field_name: {"gte": store_stamp(since)}}})
    filters.extend(event_filter_clauses(query))
    return filters


def event_filter_clauses(query: Query) -> list[dict[str, Any]]:
    """Return the filters on event fields: cities, pair, speaker, organisation, topic."""
    filters: list[dict[str, Any]] = []
    if query.cities:
        filters.append({"terms": {"cities_folded": [fold(c) for c in query.cities]}})
    if query.pair:
        filters.append({"term": {"city_pair_keys": pair_key(query.pair)}})
    if query.speaker:
        words, keys = speaker_terms(query.speaker, query.speaker_key, query.speaker_keys)
        name = {"match": {"speakers.name_words": {"query": " ".join(words), "operator": "and"}}}
        by_key = {"terms": {"speakers.key_folded": keys}}
        speaker = {"bool": {"should": [name, by_key], "minimum_should_match": 1}}
        filters.append({"nested": {"path": "speakers", "query": speaker}})
    if query.org:
        filters.append({"wildcard": {"orgs_folded": {"value": f"*{escape_wildcard(fold(query.org))}*"}}})
    if query.topic:
        filters.append({"term": {"topics_folded": fold(query.topic)}})
    return filters


def build_query(query: Query) -> dict[str, Any]:
    """Return the Elasticsearch query for a Query: text clauses required, filters in filter context."""
    match = query_match(query)
    if match is None:
        return {"bool": {"must": [{"match_all": {}}], "filter": filter_clauses(query)}}
    return {"bool": {"must": [match_clause(match)], "should": ranking_clauses(match), "filter": filter_clauses(query)}}


def sort_order(query: Query) -> list[Any]:
    """Best match first when there is text (unless sorted by date), else newest first; ties keep pages disjoint."""
    newest = {"date": {"order": "desc", "missing": "_last", "unmapped_type": "date"}}
    tie = [{"ingested_at": {"order": "desc", "unmapped_type": "date"}}, {"id": {"order": "desc"}}]
    by_score = query.sort != "date" and query_match(query) is not None
    return (["_score", newest] if by_score else [newest]) + tie


# --------------------------------------------------------------------------------------------------------
# facets


TERM_FACETS = {"source": "source", "language": "language", "event_type": "event_type", "city": "cities",
               "city_pair": "city_pairs", "organization": "organizers", "topic": "topics"}


def facet_aggregations() -> dict[str, Any]:
    """Return the aggregations for every facet and the monthly histogram of event dates."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": FACET_LIMIT}} for name, field in TERM_FACETS.items()
    }
    aggs["speaker"] = {
        "nested": {"path": "speakers"},
        "aggs": {"names": {"terms": {"field": "speakers.name", "size": FACET_LIMIT},
                           "aggs": {"documents": {"reverse_nested": {}}}}},
    }
    aggs["histogram"] = {"date_histogram": {"field": "event_date", "calendar_interval": "month",
                                            "format": "yyyy-MM", "min_doc_count": 1}}
    return aggs


def read_facets(aggs: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """Turn aggregation buckets into facet lists: (value, document count), counts descending then value."""
    facets: dict[str, list[tuple[str, int]]] = {}
    for name in FACET_NAMES:
        if name == "speaker":
            buckets = [(b["key"], b["documents"]["doc_count"]) for b in aggs["speaker"]["names"]["buckets"]]
        else:
            buckets = [(b["key"], b["doc_count"]) for b in aggs[name]["buckets"]]
        facets[name] = sorted(buckets, key=lambda vc: (-vc[1], vc[0]))
    return facets


def read_histogram(aggs: dict[str, Any]) -> list[tuple[str, int]]:
    """Turn the date histogram into (YYYY-MM, count) pairs, oldest month first."""
    return [(b["key_as_string"], b["doc_count"]) for b in aggs["histogram"]["buckets"] if b["doc_count"]]
