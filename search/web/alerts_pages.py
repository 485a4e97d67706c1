"""Watch-rule pages: every rule and the latest alerts, one rule with a preview, and the forms that save or delete.

The forms post to this server (CSRF: ``check_same_origin``), then redirect (303) to the page that shows the
result; an error is a page with the message and a way back.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from search.web import watch
from search.web.auth import check_same_origin
from search.web.pages import render, services_of
from search.web.params import BadParameter, reject_unknown

router = APIRouter(include_in_schema=False)
SEARCH_FIELDS = ("q", "source", "lang", "city", "pair", "speaker", "org", "type", "topic", "events_only")
REPEATED = ("source", "city")
MODES = {"immediate": ("immediate", "daily"), "daily": ("digest", "daily"), "weekly": ("digest", "weekly")}


def rule_page_url(name: str) -> str:
    return "/rules/" + quote(name, safe="")


@router.get("/rules")
def rules_page(request: Request) -> Response:
    """Every watch rule: its search (a link to the search page), channels (masked), mode, last run, counts;
    then the latest alerts with their deliveries."""
    reject_unknown(request, ())
    return render(request, "rules.html", {"view": watch.rules_view(services_of(request)), "rule_url": rule_page_url})


@router.get("/rules/{name}")
def rule_page(request: Request, name: str) -> Response:
    """One watch rule with its latest alerts and a preview of what a run would send now (nothing is sent)."""
    reject_unknown(request, ("saved",))
    services = services_of(request)
    row, messages = watch.preview(services, name)
    return render(request, "rule.html", {
        "row": row, "messages": messages, "history": watch.alert_history(services, 20, row.rule.name),
        "saved_now": request.query_params.get("saved") == "1",
    })


async def form_of(request: Request) -> dict[str, list[str]]:
    """Return the fields of a posted form (the body is bounded by the app)."""
    body = (await request.body()).decode("utf-8", "replace")
    return parse_qs(body, keep_blank_values=True)


def rule_request(form: dict[str, list[str]]) -> dict:
    """Return the request to save a rule from the "watch this search" form."""
    first = lambda name: (form.get(name) or [""])[0].strip()  # noqa: E731
    search: dict = {name: [v for v in form.get(name, []) if v.strip()] for name in REPEATED}
    search.update({name: first(name) or None for name in SEARCH_FIELDS if name not in REPEATED})
    search["q"] = search["q"] or ""
    search["events_only"] = first("events_only") == "true"
    mode = first("mode") or "immediate"
    if mode not in MODES:
        raise BadParameter("mode", f"{mode[:20]!r}: choose immediate, daily or weekly")
    channel = first("channel")
    return {"name": first("name"), "search": search, "channels": [channel] if channel else [],
            "mode": MODES[mode][0], "period": MODES[mode][1], "description": first("description") or None}


@router.post("/rules", dependencies=[Depends(check_same_origin)])
async def save_rule_form(request: Request) -> Response:
    """Save the search of the "watch this search" form as a rule, then show it."""
    form = await form_of(request)
    try:
        row = watch.save_rule(services_of(request), rule_request(form))
    except BadParameter as exc:
        back = (form.get("back") or ["/"])[0]
        return render(request, "error.html", {"status": exc.status, "message": str(exc),
                                              "back": back if back.startswith("/") and not back.startswith("//") else "/",
                                              "back_label": "Back to the search"}, exc.status)
    return RedirectResponse(rule_page_url(row.rule.name) + "?saved=1", status_code=303)


@router.post("/rules/{name}/delete", dependencies=[Depends(check_same_origin)])
def delete_rule_form(request: Request, name: str) -> Response:
    """Delete a saved rule, then show the rules."""
    watch.delete_rule(services_of(request), name)
    return RedirectResponse("/rules", status_code=303)
