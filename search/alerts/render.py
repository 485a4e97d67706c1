"""Render alert messages from templates: plain text, HTML email and Markdown for chat, from one set of items.

Crawled text is untrusted: the HTML template autoescapes everything (the matched passage arrives as the
search backends' snippet, already escaped with ``<mark>`` around matches), Markdown escapes its syntax
characters, and a subject is one line with control characters removed (no header injection). Sizes are
bounded whatever the report: titles and names are clipped, speakers, reports and items are capped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

MAX_TITLE = 300
MAX_FIELD = 200
MAX_SPEAKERS = 25
MAX_REPORTS = 20
MAX_ITEMS = 200
MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
TAG = re.compile(r"<[^>]*>")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def one_line(value: Any, limit: int = MAX_FIELD) -> str:
    """Return text on one line (control characters and line breaks become spaces), clipped to ``limit``."""
    text = " ".join(CONTROL.sub(" ", str(value or "")).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet_text(snippet: str, left: str = "«", right: str = "»") -> str:
    """Turn a backend snippet (escaped HTML with <mark>) into plain text, matches between ``left`` and ``right``."""
    marked = MARK.sub(lambda m: left + m.group(1) + right, snippet or "")
    return one_line(html.unescape(TAG.sub("", marked)), 600)


def md_escape(value: Any) -> str:
    """Escape Markdown syntax in crawled text, so a title cannot become a link, heading or markup."""
    return MD_SPECIAL.sub(r"\\\1", one_line(value, MAX_TITLE))


def snippet_markdown(snippet: str) -> str:
    """Turn a backend snippet into Markdown with the matches in bold and everything else escaped."""
    parts = MARK.split(snippet or "")
    out = []
    for n, part in enumerate(parts):
        text = md_escape(html.unescape(TAG.sub("", part)))
        out.append(f"**{text}**" if n % 2 and text.strip() else text)
    return "".join(out)


def safe_snippet_html(snippet: str) -> str:
    """Return a backend snippet as HTML with only <mark> kept: any other tag is escaped again."""
    pieces = MARK.split(snippet or "")
    return "".join(f"<mark>{escape_again(p)}</mark>" if n % 2 else escape_again(p) for n, p in enumerate(pieces))


def escape_again(fragment: str) -> str:
    """Escape an already-escaped fragment's text safely (unescape first, so nothing is escaped twice)."""
    return html.escape(html.unescape(TAG.sub("", fragment)), quote=True)


def safe_url(value: Any) -> str:
    """Return an http(s) URL for a link, or ``#`` for anything else (no javascript: or data: links)."""
    url = one_line(value, 2000)
    return url if re.match(r"^https?://", url, re.IGNORECASE) else "#"


@dataclass
class Rendered:
    """One message in every format."""

    subject: str
    text: str
    html: str
    markdown: str


class Renderer:
    """Renders alert items with the templates in ``search/alerts/templates``."""

    def __init__(self, public_url: str = "") -> None:
        self.public_url = public_url.rstrip("/")
        self.env = Environment(loader=PackageLoader("search.alerts", "templates"), undefined=StrictUndefined,
                               autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self.env.filters.update(line=one_line, md=md_escape, snippet_text=snippet_text,
                                snippet_md=snippet_markdown, snippet_html=safe_snippet_html, url=safe_url)

    def render(self, rule: dict[str, Any], kind: str, items: list[dict[str, Any]], period: str | None = None) -> Rendered:
        """Render a message about ``items`` (events) for a rule; kind is new, updated, overflow or digest."""
        shown = [bounded_item(i) for i in items[:MAX_ITEMS]]
        context = {"rule": rule, "kind": kind, "items": shown, "more": max(0, len(items) - MAX_ITEMS),
                   "period": period, "public_url": self.public_url}
        return Rendered(
            subject=one_line(subject_of(rule, kind, items, period), MAX_TITLE),
            text=self.env.get_template("alert.txt.j2").render(context),
            html=self.env.get_template("alert.html.j2").render(context),
            markdown=self.env.get_template("alert.md.j2").render(context),
        )


def subject_of(rule: dict[str, Any], kind: str, items: list[dict[str, Any]], period: str | None) -> str:
    """Return the subject line: what happened, the event's name and date, or how many events a digest holds."""
    if kind in ("new", "updated") and items:
        event = items[0]["event"]
        when = f" ({event['date']})" if event.get("date") else ""
        return f"[coopwatch] {'Updated' if kind == 'updated' else 'New'}: {one_line(event['name'], 160)}{when}"
    label = f"{period} digest" if kind == "digest" else "more matches"
    return f"[coopwatch] {rule['name']}: {len(items)} event(s), {label}"


def bounded_item(item: dict[str, Any]) -> dict[str, Any]:
    """Return an item with its lists capped, so one huge report cannot make a huge message."""
    event = dict(item["event"])
    speakers = event.get("speakers") or []
    event["speakers"], event["more_speakers"] = speakers[:MAX_SPEAKERS], max(0, len(speakers) - MAX_SPEAKERS)
    reports = item.get("reports") or []
    return {**item, "event": event, "reports": reports[:MAX_REPORTS], "more_reports": max(0, len(reports) - MAX_REPORTS)}
