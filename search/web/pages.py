"""Server-rendered pages (Jinja2, autoescaped): search, document/event, person, cooperation, sources, login."""

from __future__ import annotations

import html
import re
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from search.base import FACET_NAMES
from search.web import charts, events, views, watch
from search.web.auth import KEY_COOKIE, key_matches
from search.web.params import (
    FILTER_PARAMS,
    MAX_WINDOW,
    PAGE_SIZE,
    Filters,
    reject_unknown,
    search_filters,
)
from search.web.services import WebServices

router = APIRouter(include_in_schema=False)
MAX_PAGE = MAX_WINDOW // PAGE_SIZE
MARK = re.compile(r"(</?mark>)")
NAV = (("/", "Search"), ("/cooperation", "Cooperation"), ("/sources", "Sources"))  # + watch rules (create_app)
ROLE_LABELS = {"keynote": "keynote", "opening_remarks": "opening remarks", "closing_remarks": "closing remarks",
               "moderator": "moderator", "panelist": "panellist", "speaker": "speaker", "host": "host",
               "attendee": "attendee", "signatory": "signatory"}


# template helpers ------------------------------------------------------------------------------------------


def snippet_html(snippet: str) -> Markup:
    """Return a backend snippet as markup where only <mark> survives: every other piece is re-escaped."""
    parts = MARK.split(snippet or "")
    return Markup("".join(p if p in ("<mark>", "</mark>") else html.escape(html.unescape(p)) for p in parts))


def http_url(value: object) -> bool:
    """Tell whether a value is an http(s) URL (only those become links)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def readable_stamp(value: str | None) -> str:
    """Return an ISO 8601 UTC stamp as "YYYY-MM-DD HH:MM UTC" (other values unchanged)."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:\+00:00|Z)", value or "")
    return f"{match.group(1)} {match.group(2)} UTC" if match else (value or "")


def register_filters(env: jinja2.Environment) -> None:
    """Add the helpers the templates use."""
    env.filters["snippet"] = snippet_html
    env.filters["role"] = lambda role: ROLE_LABELS.get(role or "", role or "")
    env.filters["pair"] = lambda cities: " – ".join(cities)
    env.filters["stamp"] = readable_stamp
    env.tests["http_url"] = http_url
    env.globals["nav"] = NAV


def render(request: Request, template: str, context: dict, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """Render a page template (the request is in its context)."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status, headers=headers)


def services_of(request: Request) -> WebServices:
    return request.app.state.services


# pages -----------------------------------------------------------------------------------------------------


@router.get("/")
def search_page(
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    page: Annotated[int, Param(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """The search page: query box, filters, facet counts, results with highlights, chart, paging."""
    reject_unknown(request, (*FILTER_PARAMS, "page"))
    canonical = filters.url("/", page=page if page > 1 else None)
    if not same_query(request, canonical):
        return RedirectResponse(canonical, status_code=303)
    services = services_of(request)
    result = views.run_search(services, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE, facets=True)
    facets = [(name, views.FACET_LABELS[name], views.facet_links(filters, name, result.facets.get(name, [])))
              for name in FACET_NAMES]
    pages = max(1, min(MAX_PAGE, -(-result.total // PAGE_SIZE)))
    return render(request, "search.html", {
        "filters": filters, "result": result, "facets": facets, "page": page, "pages": pages,
        "prev_url": filters.url("/", page=page - 1 if page > 2 else None) if page > 1 else None,
        "next_url": filters.url("/", page=page + 1) if page < pages else None,
        "chart": charts.time_chart(result.histogram, filters), "first": (page - 1) * PAGE_SIZE + 1,
        "chips": active_filters(filters), "event_types": services.event_types, "topics": services.topics,
        "group_url": filters.changed(collapse=not filters.grouped).url("/"), "event_url": events.event_page_url,
        "watch": watch_form(services, filters),
    })


def watch_form(services: WebServices, filters: Filters) -> dict | None:
    """Return what the "watch this search" form needs (None without alerts): channels, a name, what is left out."""
    if services.alerts is None or filters.is_empty:
        return None
    return {"channels": watch.configured_channels(services.alerts), "name": watch.suggest_name(filters),
            "back": filters.url("/"), "left_out": [p for p in ("since", "until") if getattr(filters, p)]}


def same_query(request: Request, url: str) -> bool:
    """Tell whether a request already has the canonical query of ``url`` (a form sends empty fields too)."""
    wanted = sorted(parse_qs(urlsplit(url).query, keep_blank_values=True).items())
    return sorted(parse_qs(request.url.query, keep_blank_values=True).items()) == wanted


def active_filters(filters: Filters) -> list[tuple[str, str, str]]:
    """Return the set filters as (label, value, URL of the search without it)."""
    chips = []
    for name in FILTER_PARAMS:
        value = getattr(filters, name)
        if name in ("q", "sort", "collapse") or not value:
            continue
        if isinstance(value, list):
            chips += [(name, v, filters.changed(**{name: [x for x in value if x != v]}).url("/")) for v in value]
        else:
            cleared = False if value is True else None
            label = name.replace("_", " ")
            chips.append((label, "yes" if value is True else value, filters.changed(**{name: cleared}).url("/")))
    return chips


@router.get("/documents/{doc_id}")
def document_page(request: Request, doc_id: str) -> Response:
    """The page of one report: its fields with evidence, speakers, cities, source, archived copy, its event."""
    reject_unknown(request, ())
    services = services_of(request)
    view = views.document_view(services, doc_id)
    record = events.events_by_id(services, [view.doc.event_id]).get(view.doc.event_id or "")
    return render(request, "document.html", {"view": view, "doc": view.doc, "event": view.doc.event, "record": record})


@router.get("/events/{event_id}")
def event_page(request: Request, event_id: str) -> Response:
    """The event page from the event record: merged fields, speakers, every report and why it joined."""
    reject_unknown(request, ())
    view = events.event_view(services_of(request), event_id)
    if view.event.id != event_id.strip():  # an id merged into another event: go to the one to keep
        return RedirectResponse(events.event_page_url(view.event.id), status_code=301)
    return render(request, "event.html", {"view": view, "event": view.event})


@router.get("/people/{key:path}")
def person_page(request: Request, key: str) -> Response:
    """A person's events in time order (one row per event), with the title and affiliation given in each report."""
    reject_unknown(request, ())
    services = services_of(request)
    view = views.person_view(services, key)
    return render(request, "person.html", {"view": view, "rows": events.person_events(services, view)})


@router.get("/cooperation")
def cooperation_page(
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    period: Annotated[Literal["year", "month"], Param()] = "year",
) -> Response:
    """The cooperation view: city pairs as a matrix sized by event count, filterable by period."""
    reject_unknown(request, (*FILTER_PARAMS, "period"))
    canonical = filters.url("/cooperation", period=period if period != "year" else None)
    if not same_query(request, canonical):
        return RedirectResponse(canonical, status_code=303)
    view = views.pairs_view(services_of(request), filters, period)
    years = views.event_years(services_of(request)) if filters.since or filters.until else view.periods
    return render(request, "cooperation.html", {
        "view": view, "matrix": charts.pair_matrix(view), "filters": filters, "years": years if period == "year" else [],
        "period_url": lambda label: filters.changed(since=label, until=label).url("/cooperation", period=period),
    })


@router.get("/sources")
def sources_page(request: Request) -> Response:
    """Health per source, with warnings for sources that went quiet."""
    reject_unknown(request, ())
    services = services_of(request)
    return render(request, "sources.html", {"rows": views.sources_view(services), "store": services.store_label})


# sign-in (only when the server has an API key) -------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Return a local path to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:2000]


def login_redirect(request: Request) -> Response:
    """Send a browser without the key to the sign-in page, remembering where it was going."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    """Ask for the API key."""
    return render(request, "login.html", {"next": safe_next(next), "failed": False})


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the key typed in; keep it in an HttpOnly cookie and go on, or ask again."""
    form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    key, target = (form.get("key") or [""])[0], safe_next((form.get("next") or ["/"])[0])
    api_key = request.app.state.api_key
    if not api_key or not key_matches(key, api_key):
        return render(request, "login.html", {"next": target, "failed": True}, status=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response
