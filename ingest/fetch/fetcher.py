"""The one network seam: a polite, guarded HTTP fetcher that turns a URL into a Page.

``Fetcher.fetch`` never raises for a per-URL problem; it returns a Page whose ``error`` starts with a
short machine-readable kind (``robots``, ``blocked``, ``dns``, ``scheme``, ``url``, ``http``,
``too-large``, ``content-type``, ``deferred``, ``timeout``, ``connection``, ``tls``, ``decoding``,
``redirect``, ``internal``) followed by ``: detail``.

Time is bounded twice: every exchange (connect, headers, body) by ``total_timeout``, and every URL, all
attempts, backoff and Retry-After waits together, by ``url_timeout``. A whole-exchange timeout is not
retried (the same slow server would cost the same again). A Retry-After the fetcher will not wait for
defers the host until then (capped at ``max_deferral``), kept in ``host_notes`` (the crawl state, so
the next run honours it too).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from ingest.fetch.body import (
    GZIP_TYPES,
    deadline_refusal,
    is_text_type,
    looks_binary,
    read_limited,
    sniff_content_type,
    unsupported_encoding,
)
from ingest.fetch.charset import decode_body
from ingest.fetch.errors import FetchRefused, refusal_for_request_error
from ingest.fetch.guard import AddressGuard, connect_target
from ingest.fetch.headers import parse_content_type, parse_retry_after
from ingest.fetch.hostnotes import CrawlDelayNote, Deferral, HostNotes, deferral_reason
from ingest.fetch.robots import MAX_ROBOTS_BYTES, RobotsPolicy, product_token, robots_url
from ingest.fetch.throttle import HostThrottle, prepare_private_dir
from ingest.fetch.transport import Exchange, guarded_adapter
from ingest.models import Page, utc_now
from ingest.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
DRAIN_BYTES = 64 * 1024
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRYABLE_KINDS = frozenset({"timeout", "connection"})
LEASE_MARGIN = 30.0  # seconds a PostgreSQL host lease outlives the longest response, so only a dead holder loses it
DEFAULT_ACCEPT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/plain",
)


@dataclass
class BodyRules:
    """How to treat a 2xx body: size limit, cut or refuse past it, whether to check its type (and extra types)."""

    max_bytes: int
    truncate: bool = False
    check_type: bool = True
    extra_types: tuple[str, ...] = ()


class UrlBudget:
    """The time one URL may take in all: exchanges, backoff and Retry-After waits (not politeness waits)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    def remaining(self) -> float:
        return max(0.0, self.seconds - self.spent)

    def allows(self, wait: float) -> bool:
        """Return True when waiting ``wait`` seconds still leaves time for another attempt."""
        return wait < self.remaining()

    def charge(self, seconds: float) -> None:
        self.spent += seconds

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        self.charge(seconds)


def default_lock_dir() -> str:
    """Return the machine-wide per-host lock directory of this user (``$TMPDIR/coopwatch-locks-<uid>``)."""
    return os.path.join(tempfile.gettempdir(), f"coopwatch-locks-{os.getuid()}")


@dataclass
class Answer:
    """One HTTP answer with its body already read (empty for redirects, errors and 304)."""

    url: str
    status: int
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    body: bytes = b""
    content_type: str | None = None


def host_key(url: str) -> str:
    """Return the politeness key of a URL: lower-case ``host[:port]`` (default ports dropped)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return host if port is None or port == DEFAULT_PORTS.get(parts.scheme) else f"{host}:{port}"


def origin_of(url: str) -> str:
    """Return ``scheme://host[:port]``, the unit robots.txt applies to."""
    return f"{urlsplit(url).scheme.lower()}://{host_key(url)}"


def redirect_target(answer: Answer) -> str | None:
    """Return the absolute URL a redirect answer points to, or None when it is not a redirect."""
    location = answer.headers.get("Location")
    if answer.status not in REDIRECT_STATUSES or not location:
        return None
    return urljoin(answer.url, location.strip())


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """Return If-None-Match / If-Modified-Since headers for the validators we hold."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class Fetcher:
    """Fetch pages politely and safely; see the module docstring for the error kinds."""

    def __init__(
        self,
        user_agent: str,
        allow_hosts: Iterable[str] = (),
        min_delay: float = 1.0,
        max_crawl_delay: float = 30.0,
        connect_timeout: float = 10,
        read_timeout: float = 30,
        total_timeout: float = 60,
        max_bytes: int = 10_000_000,
        retries: int = 2,
        backoff: float = 1.0,
        max_retry_after: float = 300,
        lock_dir: str | Path | None = None,
        accept_types: Iterable[str] = DEFAULT_ACCEPT_TYPES,
        url_timeout: float = 180,
        max_deferral: float = 86_400,
        host_notes: HostNotes | None = None,
        ca_bundle: str | None = None,
        host_leases=None,  # noqa: ANN001 - PgHostLeases: per-host slots shared across machines, instead of lock_dir
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ValueError("user_agent must name the crawler, e.g. 'coopwatch/0.1 (+contact URL)'")
        self.user_agent = user_agent
        self.robots_token = product_token(user_agent)
        self.min_delay, self.max_crawl_delay = min_delay, max_crawl_delay
        self.connect_timeout, self.read_timeout, self.total_timeout = connect_timeout, read_timeout, total_timeout
        self.max_bytes, self.retries, self.backoff = max_bytes, retries, backoff
        self.max_retry_after, self.url_timeout, self.max_deferral = max_retry_after, url_timeout, max_deferral
        self.accept_types = tuple(t.lower() for t in accept_types)
        self.guard = AddressGuard(allow_hosts)
        self.throttle = HostThrottle(lock_dir, leases=host_leases)
        self.host_notes = host_notes or HostNotes()
        self.ca_bundle = ca_bundle
        self.session = self._new_session()
        self.stats: Counter[str] = Counter()  # requests sent per host key, robots.txt included
        self._robots: dict[str, RobotsPolicy] = {}
        self._crawl_delays: dict[str, float] = {}
        self._delay_notes: dict[str, CrawlDelayNote] = {}
        self._deferred: dict[str, str] = {}  # host -> reason, for the rest of this Fetcher's life
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Fetcher:
        """Build a Fetcher from crawler settings: host slots and deferrals kept with the crawl state.

        A SQLite state uses the machine-wide host locks; a PostgreSQL state uses host leases in the database,
        held at most one whole response (``total_timeout``) plus a margin when their holder dies.
        """
        from ingest.state import open_host_leases, open_host_state, state_target

        target = state_target(settings)
        leases = open_host_leases(target, lease_seconds=settings.total_timeout + LEASE_MARGIN)

        return cls(
            user_agent=settings.user_agent,
            allow_hosts=settings.allow_hosts,
            min_delay=settings.min_delay,
            max_crawl_delay=settings.max_crawl_delay,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            total_timeout=settings.total_timeout,
            max_bytes=settings.max_bytes,
            retries=settings.retries,
            backoff=settings.backoff,
            max_retry_after=settings.max_retry_after,
            lock_dir=None if leases else settings.lock_dir or prepare_private_dir(default_lock_dir()),
            url_timeout=settings.url_timeout,
            max_deferral=settings.max_deferral,
            host_notes=open_host_state(target),
            ca_bundle=settings.ca_bundle,
            host_leases=leases,
        )

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxies or .netrc from the environment: the guard sees the real target
        session.verify = self.ca_bundle or True  # certificates are always verified
        adapter = guarded_adapter(lambda: self.guard)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = self.user_agent
        session.headers["Accept"] = ", ".join(self.accept_types) + ", */*;q=0.1"
        return session

    def close(self) -> None:
        """Close the HTTP session and its pooled connections (and the host leases' database connection)."""
        self.session.close()
        self.throttle.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # public API -----------------------------------------------------------------------------------
    def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None, check_robots: bool = True,
        extra_types: Iterable[str] = (),
    ) -> Page:
        """Fetch one URL and return a Page; per-URL problems end up in ``Page.error``, never raised.

        ``extra_types`` are content types accepted for this URL besides the usual ones (e.g. gzip for
        a ``.xml.gz`` sitemap).
        """
        fetched_at = utc_now()
        rules = self._page_rules(tuple(extra_types))
        try:
            answer = self._follow(url, conditional_headers(etag, last_modified), check_robots, rules)
            return self._page_from_answer(url, answer, fetched_at, etag, last_modified)
        except FetchRefused as refused:
            return Page(url=url, final_url=refused.url or url, status=refused.status, headers=refused.headers,
                        fetched_at=fetched_at, error=refused.reason)
        except Exception as exc:  # one bad URL must never stop a crawl
            log.exception("unexpected error fetching %s", url)
            return Page(url=url, final_url=url, status=0, fetched_at=fetched_at,
                        error=f"internal: {type(exc).__name__}: {exc}")

    def robots_allows(self, url: str) -> bool:
        """Return True when robots.txt of the URL's origin lets us fetch it (fetching robots.txt if needed)."""
        try:
            self._check_robots(url)
        except (FetchRefused, ValueError):
            return False
        return True

    def crawl_delay(self, host: str) -> float:
        """Return the delay kept between requests to a host key (``host[:port]``) or URL."""
        key = host_key(host) if "://" in host else host.lower()
        return self._crawl_delays.get(key, self.min_delay)

    def free_at(self, url: str) -> float:
        """Return the time.time() at which the URL's host may be asked again by this fetcher."""
        host = host_key(url)
        return self.throttle.free_at(host, self.crawl_delay(host))

    def is_deferred(self, url: str) -> bool:
        """Return True when the URL's host asked us to come back later (Retry-After), in this run or before."""
        host = host_key(url)
        return host in self._deferred or self.host_notes.deferral(host) is not None

    def capped_crawl_delays(self) -> list[CrawlDelayNote]:
        """Return the hosts whose robots.txt Crawl-delay was above ``max_crawl_delay`` (and so capped)."""
        return [note for note in self._delay_notes.values() if note.capped]

    # redirects and per-hop checks -----------------------------------------------------------------
    def _page_rules(self, extra_types: tuple[str, ...] = ()) -> BodyRules:
        return BodyRules(max_bytes=self.max_bytes, extra_types=extra_types)

    def _follow(self, url: str, headers: dict[str, str], check_robots: bool, rules: BodyRules) -> Answer:
        """Request url, following up to MAX_REDIRECTS redirects by hand, checking every hop."""
        current = url
        budget = UrlBudget(self.url_timeout)  # shared by every hop and attempt of this URL
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                self._check_hop(current, check_robots)
                answer = self._request_with_retries(current, headers, rules, budget)
            except FetchRefused as refused:
                refused.url = refused.url or current
                raise
            target = redirect_target(answer)
            if target is None:
                return answer
            current = target
        raise FetchRefused(f"redirect: more than {MAX_REDIRECTS} redirects", url=current)

    def _check_hop(self, url: str, check_robots: bool) -> None:
        """Refuse a URL with a bad scheme, an ambiguous address, a deferred host, a guarded address or a robots rule."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError as exc:
            raise FetchRefused(f"url: invalid ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise FetchRefused(f"scheme: {scheme or 'none'} not allowed")
        host = connect_target(url)  # the host the HTTP client will connect to, the same for every parser
        self._check_deferred(host_key(url))
        self.guard.check_host(host)
        if check_robots:
            self._check_robots(url)

    def _check_deferred(self, host: str) -> None:
        reason = self._deferred.get(host)
        stored = None if reason else self.host_notes.deferral(host)
        if reason or stored:
            raise FetchRefused(reason or stored.reason)

    # robots.txt -----------------------------------------------------------------------------------
    def _check_robots(self, url: str) -> None:
        policy = self._robots_policy(origin_of(url))
        if policy.unavailable is not None:
            raise FetchRefused(f"robots: unavailable ({policy.unavailable})")
        if not policy.allows(url, self.robots_token):
            raise FetchRefused("robots: disallowed")

    def _robots_policy(self, origin: str) -> RobotsPolicy:
        """Return the cached robots policy of an origin, fetching robots.txt once per Fetcher."""
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self._robots:
                policy = self._load_robots(origin)
                self._robots[origin] = policy
                self._remember_crawl_delay(origin, policy)
            return self._robots[origin]

    def _load_robots(self, origin: str) -> RobotsPolicy:
        rules = BodyRules(max_bytes=MAX_ROBOTS_BYTES, truncate=True, check_type=False)  # robots.txt: any type
        try:
            answer = self._follow(robots_url(origin), {}, check_robots=False, rules=rules)
        except FetchRefused as refused:
            if refused.kind == "deferred":
                raise FetchRefused(refused.reason) from None  # reported against the page, not robots.txt
            if refused.kind == "redirect":  # RFC 9309 2.3.1.2: too many redirects counts as no robots.txt
                return RobotsPolicy()
            return RobotsPolicy.unreachable(refused.reason)
        return RobotsPolicy.from_answer(answer.status, answer.body)

    def _remember_crawl_delay(self, origin: str, policy: RobotsPolicy) -> None:
        asked = policy.crawl_delay(self.robots_token)
        if asked is not None:
            key = host_key(origin)
            self._crawl_delays[key] = max(self.min_delay, min(asked, self.max_crawl_delay))
            note = CrawlDelayNote(key, asked, self._crawl_delays[key])
            self._delay_notes[key] = note
            if note.capped:
                log.warning("%s asks for Crawl-delay %gs; capped at %gs (max_crawl_delay)", key, asked, note.used)
            self.host_notes.note_crawl_delay(note)

    # one request, with retries ------------------------------------------------------------------
    def _request_with_retries(self, url: str, headers: dict[str, str], rules: BodyRules, budget: UrlBudget) -> Answer:
        """Send one request, retrying 5xx/429, timeouts and connection errors with backoff, within the URL's budget."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            backoff = self.backoff * (2**attempt)
            try:
                answer = self._send_once(url, headers, rules, budget)
            except FetchRefused as refused:
                if not refused.retryable or refused.kind not in RETRYABLE_KINDS or last or not budget.allows(backoff):
                    raise
                budget.sleep(backoff)
                continue
            wait = self._retry_after(answer)
            if wait is not None:
                if wait > self.max_retry_after or last or not budget.allows(wait):
                    raise self._defer(answer, wait)
                budget.sleep(wait)
                continue
            if (answer.status == 429 or answer.status >= 500) and not last and budget.allows(backoff):
                budget.sleep(backoff)
                continue
            return answer
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _retry_after(self, answer: Answer) -> float | None:
        if answer.status not in RETRY_AFTER_STATUSES:
            return None
        return parse_retry_after(answer.headers.get("Retry-After"))

    def _defer(self, answer: Answer, wait: float) -> FetchRefused:
        """Defer the host (for this Fetcher, and until the time it asked for, capped, in the host notes)."""
        host = host_key(answer.url)
        capped = wait > self.max_deferral
        until = time.time() + min(wait, self.max_deferral)
        reason = deferral_reason(wait, until, self.max_deferral, capped)
        self._deferred[host] = reason
        self.host_notes.defer(Deferral(host, until, wait, capped, reason))
        return FetchRefused(reason, status=answer.status, headers=dict(answer.headers))

    def _send_once(self, url: str, headers: dict[str, str], rules: BodyRules, budget: UrlBudget) -> Answer:
        """Send one GET inside the host's politeness slot; the whole exchange ends by its deadline."""
        host = host_key(url)
        with self.throttle.slot(host, self.crawl_delay(host)):
            self._count_request(host)
            seconds = min(self.total_timeout, budget.remaining())
            started = time.monotonic()
            try:
                with Exchange(seconds) as exchange:
                    return self._exchange(url, headers, rules, started + seconds, seconds, exchange)
            finally:
                budget.charge(time.monotonic() - started)

    def _exchange(self, url: str, headers: dict[str, str], rules: BodyRules, deadline: float, seconds: float,
                  exchange: Exchange) -> Answer:
        try:
            response = self.session.get(url, headers=headers, allow_redirects=False, stream=True,
                                        timeout=(self.connect_timeout, self.read_timeout))
        except requests.RequestException as exc:
            if exchange.expired:
                raise deadline_refusal(seconds) from None
            raise refusal_for_request_error(exc, self.connect_timeout, self.read_timeout) from None
        with response:
            try:
                return self._read_answer(url, response, rules, deadline, seconds)
            except FetchRefused:
                if exchange.expired:
                    raise deadline_refusal(seconds) from None
                raise

    def _count_request(self, host: str) -> None:
        with self._lock:
            self.stats[host] += 1

    def _read_answer(self, url: str, response: requests.Response, rules: BodyRules, deadline: float,
                     seconds: float) -> Answer:
        """Return the answer, reading the body only for 2xx and only when its type, encoding and size are acceptable."""
        answer = Answer(url=url, status=response.status_code, headers=CaseInsensitiveDict(response.headers))
        if not 200 <= answer.status < 300:
            self._drain_small_body(response, deadline, seconds)
            return answer
        answer.content_type, _ = parse_content_type(answer.headers.get("Content-Type"))
        if rules.check_type:
            self._check_declared_type(answer, rules)
        self._check_encoding(answer)
        self._check_declared_length(answer, rules)
        answer.body = read_limited(response.raw, rules.max_bytes, deadline, seconds,
                                   self.read_timeout, truncate=rules.truncate)
        if rules.check_type and answer.content_type is None:
            answer.content_type = self._sniffed_type(answer.body, rules)
        elif rules.check_type and is_text_type(answer.content_type) and looks_binary(answer.body):
            raise FetchRefused(f"content-type: declared {answer.content_type}, but the body is binary (NUL bytes)",
                               answer.status, dict(answer.headers))
        return answer

    def _drain_small_body(self, response: requests.Response, deadline: float, seconds: float) -> None:
        """Read (and drop) up to 64 KiB of a redirect or error body so the connection can be reused."""
        with contextlib.suppress(FetchRefused):  # on failure the connection is closed instead of reused
            read_limited(response.raw, DRAIN_BYTES, deadline, seconds, self.read_timeout, truncate=True)

    def _check_declared_type(self, answer: Answer, rules: BodyRules) -> None:
        ctype = answer.content_type
        if ctype is not None and ctype not in self.accept_types and ctype not in rules.extra_types:
            raise FetchRefused(f"content-type: {ctype}", answer.status, dict(answer.headers))

    def _check_encoding(self, answer: Answer) -> None:
        """Refuse a body in a Content-Encoding the client cannot decode (it would be taken for markup)."""
        problem = unsupported_encoding(answer.headers.get("Content-Encoding"))
        if problem:
            raise FetchRefused(f"decoding: {problem}", answer.status, dict(answer.headers))

    def _check_declared_length(self, answer: Answer, rules: BodyRules) -> None:
        """Refuse early when an uncompressed body announces a length past the limit."""
        length = answer.headers.get("Content-Length", "")
        encoded = answer.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if not rules.truncate and not encoded and length.isdigit() and int(length) > rules.max_bytes:
            raise FetchRefused(f"too-large: > {rules.max_bytes} bytes (Content-Length {length})",
                               answer.status, dict(answer.headers))

    def _sniffed_type(self, body: bytes, rules: BodyRules) -> str:
        sniffed = sniff_content_type(body)
        if sniffed is None and body.startswith(b"\x1f\x8b") and set(GZIP_TYPES) & set(rules.extra_types):
            return "application/gzip"
        if sniffed is None or sniffed not in self.accept_types:
            raise FetchRefused(f"content-type: missing, body looks like {sniffed or 'binary data'}")
        return sniffed

    # building the Page ----------------------------------------------------------------------------
    def _page_from_answer(
        self, url: str, answer: Answer, fetched_at: str, etag: str | None, last_modified: str | None
    ) -> Page:
        headers = dict(answer.headers)
        if answer.status == 304:
            return Page(url=url, final_url=answer.url, status=304, headers=headers, fetched_at=fetched_at,
                        etag=answer.headers.get("ETag") or etag,
                        last_modified=answer.headers.get("Last-Modified") or last_modified, not_modified=True)
        if not 200 <= answer.status < 300:
            raise FetchRefused(f"http: {answer.status}", answer.status, headers, url=answer.url)
        text, encoding = self._decode(answer)
        return Page(url=url, final_url=answer.url, status=answer.status, headers=headers, body=answer.body,
                    text=text, encoding=encoding, content_type=answer.content_type, fetched_at=fetched_at,
                    etag=answer.headers.get("ETag"), last_modified=answer.headers.get("Last-Modified"))

    def _decode(self, answer: Answer) -> tuple[str | None, str | None]:
        if not is_text_type(answer.content_type):
            return None, None
        _, header_charset = parse_content_type(answer.headers.get("Content-Type"))
        return decode_body(answer.body, header_charset)
