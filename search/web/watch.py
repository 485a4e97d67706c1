"""Watch rules and alerts for the pages and the API: list rules, save a search as one, delete it, preview, history.

Rules come from the rules file (read-only here) and the alerts database (saved from the web page). A rule saved
here goes through ``parse_rule`` like a rule of the file, names only channels that are configured, and may not
take a name the file uses. Channels are shown by name, variable and scheme (``Channels.describe``), never by URL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.alerts.channels import CONSOLE, ENV_PREFIX
from search.alerts.rules import Rule, RuleError, SavedSearch, load_rules, parse_rule
from search.alerts.runner import AlertRunner
from search.alerts.store import Message, RuleState
from search.web.params import BadParameter, Filters, check_vocabulary
from search.web.services import WebServices
from search.web.views import NotFound

SAVED_ORIGIN = "alerts database"
MAX_HISTORY = 200
# search-page parameter -> the saved search's key (the others have the same name)
SEARCH_KEYS = {"q": "text"}
NOT_WATCHABLE = ("since", "until")
DELIVERY_STATES = ("sent", "pending", "failed", "dead")


@dataclass
class ChannelView:
    """A channel as staff may see it: name, variable and scheme (never the URL), and why it cannot send."""

    name: str
    shown: str
    problem: str | None


@dataclass
class RuleRow:
    """A watch rule with where it is defined, its searches as search-page links, channels, state and counts."""

    rule: Rule
    saved: bool  # in the alerts database (the web page may delete it) rather than the rules file
    defined_in: str
    searches: list[tuple[Filters, str]]  # (the search as search-page filters, the CLI's words for it)
    channels: list[ChannelView]
    state: RuleState | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELIVERY_STATES, 0))

    @property
    def mode_label(self) -> str:
        return self.rule.mode if self.rule.mode == "immediate" else f"digest ({self.rule.period})"


@dataclass
class RulesView:
    """Every rule, the problem that keeps the rules file from loading (if any) and the latest messages."""

    rules: list[RuleRow]
    problem: str | None
    history: list[dict[str, Any]]
    rules_path: str | None


# the runner ------------------------------------------------------------------------------------------------


def runner_of(services: WebServices) -> AlertRunner:
    """Return the alert runner the app was built with, or say that alerts are not set up."""
    if services.alerts is None:
        raise NotFound("alerts are not set up on this server (coopwatch serve wires the alerts database)")
    return services.alerts


def file_rules(runner: AlertRunner) -> tuple[list[Rule], str | None]:
    """Return the rules of the rules file, or none and the reason it cannot be read (file:line, fix)."""
    if not runner.settings.rules_path:
        return [], None
    try:
        return load_rules(runner.settings.rules_path), None
    except (RuleError, OSError) as exc:
        return [], str(exc)


# reading ---------------------------------------------------------------------------------------------------


def channel_view(runner: AlertRunner, name: str) -> ChannelView:
    """Return a channel for display (masked) with its problem, if any."""
    return ChannelView(name, runner.channels.describe(name), runner.channels.problem(name))


def configured_channels(runner: AlertRunner) -> list[ChannelView]:
    """Return the channels a rule saved now could use: every configured COOPWATCH_CHANNEL_* that works, then console."""
    names = [variable[len(ENV_PREFIX):].lower().replace("_", "-") for variable in sorted(runner.channels.env)
             if variable.startswith(ENV_PREFIX) and runner.channels.env[variable].strip()]
    views = [channel_view(runner, name) for name in dict.fromkeys([*names, CONSOLE])]
    return [v for v in views if v.problem is None]


def filters_of(search: SavedSearch) -> Filters:
    """Return a saved search as the search page's filters (so it links to the search page)."""
    return Filters(q=search.text, source=list(search.source), lang=search.lang, city=list(search.city),
                   pair=",".join(sorted(search.pair)) if search.pair else None, speaker=search.speaker, org=search.org,
                   type=search.type, topic=search.topic, events_only=search.events_only)


def rule_row(runner: AlertRunner, rule: Rule, saved: bool, states: dict[str, RuleState],
             counts: dict[str, dict[str, int]]) -> RuleRow:
    """Return one rule laid out for the rules page."""
    defined_in = SAVED_ORIGIN if saved else Path(rule.origin).name
    row = RuleRow(rule, saved, defined_in, [(filters_of(s), s.describe()) for s in rule.search],
                  [channel_view(runner, c) for c in rule.channels], states.get(rule.name))
    row.counts.update(counts.get(rule.name, {}))
    return row


def rules_view(services: WebServices, history: int = 20) -> RulesView:
    """Return every rule (file, then saved) with state, counts and the latest messages queued or sent."""
    runner = runner_of(services)
    from_file, problem = file_rules(runner)
    saved = runner.store.saved_rules()
    clash = sorted({r.name for r in from_file} & {r.name for r in saved})
    if clash and not problem:
        problem = (f"rule {clash[0]!r} is defined both in {runner.settings.rules_path} and in the alerts database: "
                   "alert runs stop until one is renamed or deleted")
    states, counts = runner.store.states(), runner.store.delivery_counts()
    rows = [rule_row(runner, r, False, states, counts) for r in from_file]
    rows += [rule_row(runner, r, True, states, counts) for r in saved]
    return RulesView(rows, problem, alert_history(services, history), runner.settings.rules_path)


def find_rule(services: WebServices, name: str) -> RuleRow:
    """Return the rule with this name (a saved one when the file is broken), else NotFound."""
    view = rules_view(services, history=0)
    row = next((r for r in view.rules if r.rule.name == name), None)
    if row is None:
        hint = f" (the rules file cannot be read: {view.problem})" if view.problem else ""
        raise NotFound(f"no watch rule named {name[:64]!r}{hint}")
    return row


def alert_history(services: WebServices, limit: int = 20, rule: str | None = None) -> list[dict[str, Any]]:
    """Return the newest messages with their deliveries, each status one of sent, pending, failed, dead."""
    if limit <= 0:
        return []
    messages = runner_of(services).store.history(min(limit, MAX_HISTORY), rule)
    for message in messages:
        for delivery in message["deliveries"]:
            if delivery["status"] == "pending" and delivery["attempts"]:
                delivery["status"] = "failed"  # tried and waiting for its next attempt
    return messages


def preview(services: WebServices, name: str) -> tuple[RuleRow, list[Message]]:
    """Return a rule and the messages a run would send now, rendered; nothing is recorded or sent."""
    row = find_rule(services, name)
    return row, runner_of(services).preview(row.rule)


# saving and deleting ---------------------------------------------------------------------------------------


def saved_search_data(search: dict[str, Any]) -> dict[str, Any]:
    """Return the saved-search mapping of the search page's parameters; dates cannot be watched."""
    for name in NOT_WATCHABLE:
        if search.get(name):
            raise BadParameter(f"search.{name}", "a watch rule tells about reports as they are first indexed, so it "
                                                 "has no date range: remove since and until")
    data = {SEARCH_KEYS.get(k, k): v for k, v in search.items() if k not in NOT_WATCHABLE}
    return {k: v for k, v in data.items() if v not in (None, "", [], False)}


def rule_data(request: dict[str, Any]) -> dict[str, Any]:
    """Return a rule mapping, as the rules file would give it, from a request to save a search."""
    data = {"name": request.get("name"), "search": saved_search_data(request.get("search") or {}),
            "channels": request.get("channels"), "mode": request.get("mode") or "immediate",
            "period": request.get("period") or "daily"}
    if request.get("description"):
        data["description"] = request["description"]
    return data


def validate_rule(services: WebServices, request: dict[str, Any]) -> Rule:
    """Validate a rule exactly as the rules file is validated, then its vocabulary and channels."""
    try:
        rule = parse_rule(rule_data(request), "request")
    except RuleError as exc:
        text = str(exc).removeprefix("request: ").replace("'search.text'", "'search.q'")
        key = re.search(r"key '([^']+)'", text)
        raise BadParameter(key.group(1) if key else "rule", text) from None
    for search in rule.search:
        check_vocabulary("search.type", search.type, services.event_types)
        check_vocabulary("search.topic", search.topic, services.topics)
    runner = runner_of(services)
    for channel in rule.channels:
        problem = runner.channels.problem(channel)
        if problem:
            known = ", ".join(c.name for c in configured_channels(runner))
            raise BadParameter("channels", f"{problem}; configured channels: {known}")
    return rule


def save_rule(services: WebServices, request: dict[str, Any], replace: bool = False) -> RuleRow:
    """Save a search as a watch rule in the alerts database; refuse a name the file (or, unless replacing, a
    saved rule) already uses."""
    rule = validate_rule(services, request)
    runner = runner_of(services)
    from_file, problem = file_rules(runner)
    if problem:
        raise BadParameter("name", f"the rules file must be fixed before rules can be saved: {problem}", status=409)
    taken = {r.name: r for r in from_file}
    if rule.name in taken:
        raise BadParameter("name", f"{rule.name!r} is a rule of the rules file ({Path(taken[rule.name].origin).name}), "
                                   "which the web page cannot change: choose another name", status=409)
    if not replace and any(r.name == rule.name for r in runner.store.saved_rules()):
        raise BadParameter("name", f"a saved rule is already named {rule.name!r}: choose another name (or replace it)",
                           status=409)
    runner.store.save_rule(rule, taken=set(taken))
    return find_rule(services, rule.name)


def delete_rule(services: WebServices, name: str) -> None:
    """Delete a saved rule (what it sent stays recorded); a rule of the rules file is read-only."""
    runner = runner_of(services)
    from_file, _ = file_rules(runner)
    defined = next((r for r in from_file if r.name == name), None)
    if defined is not None:
        raise BadParameter("name", f"{name!r} is defined in the rules file ({Path(defined.origin).name}): the web page "
                                   "cannot change it; edit or remove it there", status=409)
    if not runner.store.delete_rule(name):
        raise NotFound(f"no saved watch rule named {name[:64]!r}")


def suggest_name(filters: Filters) -> str:
    """Return a rule name for a search: its words in lower case (``hong-kong-forum``), else one from a hash."""
    words = [filters.q, filters.pair or "", *filters.city, filters.speaker or "", filters.org or "", filters.type or "",
             filters.topic or ""]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(words).lower()).strip("-")[:48].strip("-")
    if slug:
        return slug
    digest = hashlib.sha256(repr(filters.params()).encode("utf-8")).hexdigest()[:8]
    return f"watch-{digest}"

