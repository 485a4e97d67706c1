"""Say what a crawl failure means and what fixes it, for the crawl summary and the Airflow task logs.

A failure reason is ``kind: detail`` as the fetcher and extractor record it (``robots: disallowed``,
``http: 404``, ``blocked: 127.0.0.1 is a loopback address``); discovery prefixes the page kind
(``listing: blocked: ...``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOW_HOSTS_FIX = ("that address is private or local, so the private-address guard refused it; to crawl it on "
                   "purpose, list the host in COOPWATCH_ALLOW_HOSTS (e.g. COOPWATCH_ALLOW_HOSTS={host})")
MEANINGS = {
    "blocked": ALLOW_HOSTS_FIX,
    "robots": "the site's robots.txt disallows it, so it is not fetched (as the site asks)",
    "http": "the server answered with an error status; a 404 means the page is gone or the link is wrong",
    "extract": "the page has no article text to index (only images or navigation)",
    "dns": "the host name does not resolve: check the URL in the sources file",
    "connection": "nothing answered there: is the site up and the URL in the sources file right?",
    "timeout": "the site answered too slowly; the next run tries again",
    "tls": "the site's HTTPS certificate could not be verified",
    "content-type": "not an HTML page, so there is no article to extract",
    "too-large": "the response is larger than max_bytes",
    "deferred": "the site asked us to come back later (Retry-After); the next run tries again",
    "scheme": "only http and https URLs are fetched",
    "url": "the URL is malformed: check it in the sources file",
    "redirect": "the redirects went wrong (a loop, too many, or to a refused address)",
    "decoding": "the page's encoding could not be decoded",
    "index": "the store refused the document (see the log for why)",
}
PAGE_KINDS = ("listing", "feed", "sitemap")


def failure_kind(reason: str) -> str:
    """Return the kind of a failure reason ("listing: http: 404" -> "http", "listing: 404" -> "http")."""
    parts = [p.strip() for p in reason.split(":")]
    kind = parts[1] if parts[0] in PAGE_KINDS and len(parts) > 1 else parts[0]
    return "http" if kind.isdigit() else kind


ROBOTS_UNAVAILABLE = ("robots.txt could not be read (no answer, or a server error), so the host is left alone "
                      "for this run: is the site up and the URL in the sources file right?")


def explain_failure(reason: str, url: str | None = None) -> str:
    """Return what a failure means and what to do about it (empty when the kind is unknown)."""
    if "robots: unavailable" in reason:
        return ROBOTS_UNAVAILABLE
    meaning = MEANINGS.get(failure_kind(reason), "")
    host = urlsplit(url).hostname if url else None
    return meaning.format(host=host or blocked_host(reason) or "HOST")


def blocked_host(reason: str) -> str | None:
    """Return the host a guard refusal names ("blocked: 127.0.0.1 is a loopback address" -> "127.0.0.1")."""
    detail = reason.split("blocked:", 1)[-1].strip()
    return detail.split()[0].rstrip(",") if detail else None


def discovery_problem(count: int, discovery_failures: dict[str, int]) -> str | None:
    """Return why a source counts as failed when discovery found nothing because its start pages failed."""
    if count or not discovery_failures:
        return None
    reasons = "; ".join(f"{reason}" + (f" (x{n})" if n > 1 else "") for reason, n in discovery_failures.items())
    fixes = [fix for fix in dict.fromkeys(explain_failure(reason) for reason in discovery_failures) if fix]
    return f"no start page could be read ({reasons})" + (": " + "; ".join(fixes) if fixes else "")
