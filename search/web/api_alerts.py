"""The JSON API of watch rules and alerts: list rules, save a search as a rule, delete one, preview, history.

Saving and deleting change the alerts database, so they are refused unless the request comes from this
server's own pages or from a client that is not a browser (``check_same_origin``), and, when the server
has an API key, unless it carries the key (as every route).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from search.alerts.rules import MAX_TEXT, NAME_RE
from search.web import watch
from search.web.api import ERRORS, ErrorResponse, services_of
from search.web.auth import check_same_origin
from search.web.params import MAX_LIST_VALUES, MAX_VALUE_CHARS, reject_unknown

router = APIRouter(responses=ERRORS)
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not from this server's own pages (cross-site)"},
    409: {"model": ErrorResponse, "description": "the name is taken, or the rule belongs to the rules file"},
    411: {"model": ErrorResponse, "description": "a request body without Content-Length"},
}


# models ----------------------------------------------------------------------------------------------------


class ChannelOut(BaseModel):
    name: str
    shown: str = Field(description="name, environment variable and scheme; the URL (which holds secrets) never")
    problem: str | None = Field(description="why it cannot send now (not configured, unusable URL), else null")


class RuleSearchOut(BaseModel):
    params: dict[str, Any] = Field(description="the search in the search page's parameters")
    words: str = Field(description="the search in the words of `coopwatch search`")
    page: str = Field(description="the search page with this search")


class DeliveryCounts(BaseModel):
    sent: int
    pending: int = Field(description="queued, not tried yet")
    failed: int = Field(description="tried, waiting for the next attempt")
    dead: int = Field(description="dead-lettered after the last attempt (`coopwatch alerts retry`)")


class RuleLinks(BaseModel):
    rule: str
    page: str
    preview: str


class RuleOut(BaseModel):
    name: str
    description: str | None
    enabled: bool
    editable: bool = Field(description="saved from the web page or API (deletable); false: a rule of the rules file")
    defined_in: str = Field(description="the rules file and line, or 'alerts database'")
    mode: str = Field(description="immediate or digest")
    period: str = Field(description="daily or weekly (digest rules)")
    searches: list[RuleSearchOut] = Field(description="a document matching any of them matches the rule")
    channels: list[ChannelOut]
    first_seen: str | None
    last_run: str | None
    last_success: str | None
    last_error: str | None
    deliveries: DeliveryCounts
    links: RuleLinks


class RulesResponse(BaseModel):
    rules: list[RuleOut] = Field(description="the rules file's rules, then the saved ones")
    problem: str | None = Field(description="why the rules file cannot be used (file:line and fix), else null")
    channels: list[ChannelOut] = Field(description="the configured channels a saved rule may name")


class SearchIn(BaseModel):
    """A search in the search page's parameters (the ones a watch rule can keep)."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field("", max_length=MAX_TEXT, description="words to find, English or Chinese")
    source: list[str] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    lang: str | None = Field(None, max_length=10, description="en or zh")
    city: list[str] = Field(default_factory=list, max_length=MAX_LIST_VALUES)
    pair: str | None = Field(None, max_length=MAX_VALUE_CHARS, description="two cities: 'Hong Kong,Shanghai'")
    speaker: str | None = Field(None, max_length=MAX_VALUE_CHARS)
    org: str | None = Field(None, max_length=MAX_VALUE_CHARS)
    type: str | None = Field(None, max_length=60)
    topic: str | None = Field(None, max_length=60)
    events_only: bool = False
    since: str | None = Field(None, max_length=10, description="refused: a watch rule has no date range")
    until: str | None = Field(None, max_length=10, description="refused: a watch rule has no date range")


class RuleIn(BaseModel):
    """A search to save as a watch rule; validated as a rule of the rules file is."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="lower-case letters, digits, '-' or '_' (e.g. hong-kong-forums)",
                      json_schema_extra={"pattern": NAME_RE.pattern})  # documented; parse_rule enforces it
    search: SearchIn = Field(default_factory=SearchIn)
    channels: list[str] = Field(max_length=MAX_LIST_VALUES, description="configured channel names (GET /api/rules)")
    mode: str = Field("immediate", max_length=20, description="immediate or digest",
                      json_schema_extra={"enum": ["immediate", "digest"]})
    period: str = Field("daily", max_length=20, description="daily or weekly (digest rules)",
                        json_schema_extra={"enum": ["daily", "weekly"]})
    description: str | None = Field(None, max_length=300)
    replace: bool = Field(False, description="replace a saved rule of the same name")


class DeliveryOut(BaseModel):
    channel: str
    status: str = Field(description="sent, pending, failed (will retry) or dead")
    attempts: int
    last_error: str | None
    sent_at: str | None


class AlertOut(BaseModel):
    id: str = Field(description="the message's idempotency key")
    rule: str
    kind: str = Field(description="new, updated, overflow, digest or ops")
    subject: str
    created_at: str
    deliveries: list[DeliveryOut]


class AlertsResponse(BaseModel):
    alerts: list[AlertOut] = Field(description="newest first")


class PreviewMessage(BaseModel):
    id: str = Field(description="the idempotency key it would be sent with")
    kind: str
    subject: str
    text: str = Field(description="the plain-text rendering")


class PreviewResponse(BaseModel):
    rule: str
    channels: list[ChannelOut]
    messages: list[PreviewMessage] = Field(description="what a run would send now; nothing was sent or recorded")


class Deleted(BaseModel):
    deleted: str


# conversions -----------------------------------------------------------------------------------------------


def channel_out(view: watch.ChannelView) -> ChannelOut:
    return ChannelOut(name=view.name, shown=view.shown, problem=view.problem)


def rule_links(name: str) -> RuleLinks:
    quoted = quote(name, safe="")
    return RuleLinks(rule=f"/api/rules/{quoted}", page=f"/rules/{quoted}", preview=f"/api/rules/{quoted}/preview")


def rule_out(row: watch.RuleRow) -> RuleOut:
    rule, state = row.rule, row.state
    return RuleOut(
        name=rule.name, description=rule.description, enabled=rule.enabled, editable=row.saved,
        defined_in=row.defined_in, mode=rule.mode, period=rule.period,
        searches=[RuleSearchOut(params=dict_params(filters.params()), words=words, page=filters.url("/"))
                  for filters, words in row.searches],
        channels=[channel_out(c) for c in row.channels],
        first_seen=state.first_seen if state else None, last_run=state.last_run if state else None,
        last_success=state.last_success if state else None, last_error=state.last_error if state else None,
        deliveries=DeliveryCounts(**row.counts), links=rule_links(rule.name),
    )


def dict_params(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Return URL parameters as a mapping, repeated ones (source, city) as lists."""
    out: dict[str, Any] = {}
    for name, value in items:
        if name in ("source", "city"):
            out.setdefault(name, []).append(value)
        else:
            out[name] = True if value == "true" else value
    return out


# routes ----------------------------------------------------------------------------------------------------


@router.get("/api/rules", response_model=RulesResponse, summary="Watch rules with their state and delivery counts")
def api_rules(request: Request) -> RulesResponse:
    """Return every watch rule (rules file and saved), its searches, channels (masked), mode, last run, counts."""
    reject_unknown(request, ())
    services = services_of(request)
    view = watch.rules_view(services, history=0)
    return RulesResponse(rules=[rule_out(r) for r in view.rules], problem=view.problem,
                         channels=[channel_out(c) for c in watch.configured_channels(watch.runner_of(services))])


@router.post("/api/rules", response_model=RuleOut, status_code=201, responses=WRITE_ERRORS,
             dependencies=[Depends(check_same_origin)], summary="Save a search as a watch rule")
def api_save_rule(request: Request, rule: RuleIn) -> JSONResponse:
    """Save a search (the search page's parameters) as a watch rule with channels and a mode.

    Validated as a rule of the rules file is; a channel that is not configured is refused, and so is a name the
    rules file uses (or a saved rule's, unless ``replace``).
    """
    reject_unknown(request, ())
    row = watch.save_rule(services_of(request), rule.model_dump(exclude={"replace"}), replace=rule.replace)
    return JSONResponse(rule_out(row).model_dump(), status_code=201, headers={"Location": rule_links(row.rule.name).rule})


@router.get("/api/rules/{name}", response_model=RuleOut, summary="One watch rule")
def api_rule(request: Request, name: str) -> RuleOut:
    """Return one watch rule with its state and delivery counts."""
    reject_unknown(request, ())
    return rule_out(watch.find_rule(services_of(request), name))


@router.delete("/api/rules/{name}", response_model=Deleted, responses=WRITE_ERRORS,
               dependencies=[Depends(check_same_origin)], summary="Delete a saved rule")
def api_delete_rule(request: Request, name: str) -> Deleted:
    """Delete a rule saved from the web page or API (what it sent stays recorded); rules of the file are read-only."""
    reject_unknown(request, ())
    watch.delete_rule(services_of(request), name)
    return Deleted(deleted=name)


@router.get("/api/rules/{name}/preview", response_model=PreviewResponse, summary="What a rule would send now")
def api_preview(request: Request, name: str) -> PreviewResponse:
    """Render what a run of the rule would send now; nothing is sent or recorded."""
    reject_unknown(request, ())
    row, messages = watch.preview(services_of(request), name)
    return PreviewResponse(rule=row.rule.name, channels=[channel_out(c) for c in row.channels],
                           messages=[PreviewMessage(id=m.id, kind=m.kind, subject=m.subject, text=m.text)
                                     for m in messages])


@router.get("/api/alerts", response_model=AlertsResponse, summary="The latest alert messages and their deliveries")
def api_alerts(
    request: Request,
    limit: Annotated[int, Param(ge=1, le=watch.MAX_HISTORY, description="how many messages")] = 20,
    rule: Annotated[str | None, Param(max_length=64, description="only this rule's messages")] = None,
) -> AlertsResponse:
    """Return the newest alert messages (queued or sent) with each delivery's status, attempts and error."""
    reject_unknown(request, ("limit", "rule"))
    messages = watch.alert_history(services_of(request), limit, rule or None)
    return AlertsResponse(alerts=[AlertOut(**{k: m[k] for k in ("id", "rule", "kind", "subject", "created_at")},
                                           deliveries=[DeliveryOut(**d) for d in m["deliveries"]])
                                  for m in messages])
