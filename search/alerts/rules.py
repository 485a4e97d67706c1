"""Watch rules: a name, a saved search in the query model of ``coopwatch search``, channels and a mode.

Rules come from a YAML file (``alerts.yaml`` beside the sources file) or from the alerts database (saved
from the web page); both go through :func:`parse_rule`, so they validate and behave the same. A mistake in
the file is reported with the file, the line, the key and what is expected::

    rules:
      - name: shanghai-hong-kong
        search: {pair: [Shanghai, Hong Kong], events_only: true}
        channels: [staff-email]
      - name: greater-bay-area-weekly
        search:                       # a list: a document matching any of the searches
          - {text: Greater Bay Area, events_only: true}
          - {text: 粤港澳大湾区, events_only: true}
        channels: [staff-email]
        mode: digest
        period: weekly

Channel URLs and secrets never appear here: a rule names its channels, and each name is looked up in the
environment (see :mod:`search.alerts.channels`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from search.base import Query

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_FILE_BYTES = 1_000_000
MAX_TEXT = 500


class RuleError(ValueError):
    """A watch rule a user can fix; the message names where it is, the key and what is expected."""


class SavedSearch(BaseModel):
    """One saved search: the words and filters of ``coopwatch search``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field("", max_length=MAX_TEXT, description="words to find, English or Chinese (ANDed)")
    city: list[str] = Field(default_factory=list, description="a city name or a list of them (any)")
    pair: list[str] | None = Field(None, description='two cities, e.g. [Shanghai, Hong Kong] or "Hong Kong,Shanghai"')
    speaker: str | None = Field(None, max_length=200, description="a speaker's name, e.g. Fan Gang")
    org: str | None = Field(None, max_length=200, description="an organiser or speaker affiliation (substring)")
    type: str | None = Field(None, max_length=60, description="event type: symposium, forum, seminar, ...")
    topic: str | None = Field(None, max_length=60, description="a topic: trade, finance, talent, ...")
    lang: Literal["en", "zh"] | None = Field(None, description="en or zh")
    source: list[str] = Field(default_factory=list, description="a source name or a list of them (any)")
    events_only: bool = Field(False, description="true to match event reports only")

    @field_validator("city", "source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("pair", mode="before")
    @classmethod
    def _split_pair(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = re.split(r"[,|]", value)
        if isinstance(value, list):
            value = [v.strip() for v in value if isinstance(v, str) and v.strip()] or value
            if len(value) != 2:
                raise ValueError("expected two cities, e.g. [Shanghai, Hong Kong]")
        return value

    def to_query(self) -> Query:
        """Return the search-backend query of this saved search."""
        return Query(
            text=self.text, sources=list(self.source), language=self.lang, cities=list(self.city),
            pair=tuple(sorted(self.pair)) if self.pair else None, speaker=self.speaker, org=self.org,
            event_type=self.type, topic=self.topic, events_only=self.events_only,
        )

    def describe(self) -> str:
        """Return the search in the words of the CLI (``Hong Kong --pair Hong Kong,Shanghai``)."""
        parts = [repr(self.text)] if self.text else []
        for key, value in self.model_dump(exclude={"text"}, exclude_defaults=True).items():
            shown = ",".join(value) if isinstance(value, list) else value
            parts.append(f"--{key.replace('_', '-')}" if value is True else f"--{key} {shown}")
        return " ".join(parts) or "(everything)"


class Rule(BaseModel):
    """A watch rule: what to look for, whom to tell, and how often."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="unique id: lower-case letters, digits, '-' or '_'")
    search: list[SavedSearch] = Field(min_length=1, description="a saved search (a mapping) or a list of them (any)")
    channels: list[str] = Field(min_length=1, description="channel names, e.g. [staff-email, team-chat]")
    mode: Literal["immediate", "digest"] = Field("immediate", description="immediate or digest")
    period: Literal["daily", "weekly"] = Field("daily", description="daily or weekly (digest rules)")
    max_messages: int = Field(20, ge=1, le=1000, description="immediate messages per run before the rest go in one")
    description: str | None = Field(None, max_length=300, description="a line for staff")
    enabled: bool = True
    origin: str = Field("", exclude=True)  # where the rule was defined: "file:line" or "alerts database"

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("use lower-case letters, digits, '-' or '_' (e.g. shanghai-hong-kong)")
        return value

    @field_validator("search", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_names(cls, value: Any) -> Any:
        value = [value] if isinstance(value, str) else value
        for name in value or []:
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise ValueError(f"{name!r} is not a channel name: use a name such as staff-email; the channel's "
                                 "URL goes in the environment (COOPWATCH_CHANNEL_STAFF_EMAIL), never in this file")
        return value

    def queries(self) -> list[Query]:
        """Return the backend queries of this rule (a document matching any of them matches the rule)."""
        return [s.to_query() for s in self.search]

    def describe(self) -> str:
        """Return the rule's searches in the words of the CLI, ``or`` between them."""
        return " or ".join(s.describe() for s in self.search)

    def definition(self) -> dict[str, Any]:
        """Return the rule as it would be written in the rules file (for the alerts database)."""
        return self.model_dump(exclude_defaults=True, exclude={"origin"}) | {"name": self.name}


def parse_rule(data: Any, origin: str) -> Rule:
    """Validate one rule given as plain data (a mapping); raise RuleError naming the origin and the key."""
    if not isinstance(data, dict):
        raise RuleError(f"{origin}: each rule must be a mapping with name, search and channels")
    try:
        return Rule(**data, origin=origin)
    except ValidationError as exc:
        raise RuleError(explain(exc, origin, data)) from None
    except TypeError as exc:
        raise RuleError(f"{origin}: {exc}") from None


def explain(exc: ValidationError, origin: str, data: dict[str, Any], lines: dict[str, int] | None = None) -> str:
    """Turn the first validation error into ``origin: rule 'x': key 'k': problem; expected ...``."""
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"]]
    key = next((p for p in loc if not p.isdigit()), "?")
    where = origin
    if lines and loc and loc[0] in lines:
        where = re.sub(r":\d+$", f":{lines[loc[0]]}", origin)
    name = data.get("name", "?")
    if loc[:1] == ["search"] and isinstance(data.get("search"), dict) and loc[1:2] == ["0"]:
        loc = [loc[0], *loc[2:]]  # the rule gave one search, not a list: no index to show
    path = ".".join(loc) or "?"
    if err["type"] == "extra_forbidden":
        model = SavedSearch if loc[0] == "search" else Rule
        known = ", ".join(k for k in model.model_fields if k != "origin")
        return f"{where}: rule {name!r}: unknown key {path!r}; known keys: {known}"
    if err["type"] == "missing":
        return f"{where}: rule {name!r}: key {path!r} is required ({Rule.model_fields[key].description})"
    field = (SavedSearch.model_fields if loc[0] == "search" else Rule.model_fields).get(key)
    fix = f"; expected {field.description}" if field is not None and field.description else ""
    return f"{where}: rule {name!r}: key {path!r}: {err['msg'].removeprefix('Value error, ')}{fix}"


def load_rules(path: str | Path) -> list[Rule]:
    """Load and validate a rules file; a missing file means no rules. Raise RuleError with file:line."""
    path = Path(path)
    if not path.exists():
        return []
    text = read_rules_text(path)
    root = compose(text, path)
    if root is None:
        return []
    items = rule_nodes(root, path)
    rules = [build_rule(node, path) for node in items]
    check_unique(rules, path)
    return rules


def read_rules_text(path: Path) -> str:
    """Read the file as UTF-8 text, refusing a huge or undecodable one with a clear message."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise RuleError(f"{path}: {len(data)} bytes is too large for a rules file (limit {MAX_FILE_BYTES})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RuleError(f"{path}:{line}: not UTF-8 text: save the file as UTF-8") from None


def compose(text: str, path: Path) -> yaml.Node | None:
    """Parse YAML into nodes (line numbers kept); refuse anchors/aliases and duplicate keys."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise RuleError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    check_nodes(root, path, set())
    return root


def check_nodes(node: yaml.Node | None, path: Path, seen: set[int]) -> None:
    """Refuse a node reached twice (a YAML alias) and a mapping that repeats a key."""
    if node is None:
        return
    if node.tag.startswith("tag:yaml.org,2002:python") or not node.tag.startswith("tag:yaml.org,2002:"):
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise RuleError(f"{path}:{node.start_mark.line + 1}: the YAML tag {shown!r} is not allowed: write plain "
                        "values (text, numbers, lists, mappings)")
    if id(node) in seen:
        raise RuleError(f"{path}:{node.start_mark.line + 1}: YAML anchors and aliases are not allowed in a rules "
                        "file: write each value out")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if key.value in keys:
                raise RuleError(f"{path}:{key.start_mark.line + 1}: key {key.value!r} appears twice in one mapping")
            keys.add(key.value)
            check_nodes(value, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            check_nodes(item, path, seen)


def rule_nodes(root: yaml.Node, path: Path) -> list[yaml.MappingNode]:
    """Return the rule mappings under the top-level ``rules`` key."""
    hint = "the file must start with 'rules:' followed by a list of '- name: ...' entries"
    if not isinstance(root, yaml.MappingNode):
        raise RuleError(f"{path}:1: {hint}")
    for key, value in root.value:
        if key.value != "rules":
            raise RuleError(f"{path}:{key.start_mark.line + 1}: unknown top-level key {key.value!r}; {hint}")
    for key, value in root.value:
        if not isinstance(value, yaml.SequenceNode):
            raise RuleError(f"{path}:{value.start_mark.line + 1}: key 'rules': expected a list; {hint}")
        for item in value.value:
            if not isinstance(item, yaml.MappingNode):
                raise RuleError(f"{path}:{item.start_mark.line + 1}: each rule must be a mapping with name, search "
                                "and channels")
        return value.value
    return []


def build_rule(node: yaml.MappingNode, path: Path) -> Rule:
    """Validate one rule node, reporting errors at the line of the offending key."""
    try:
        data = yaml.SafeLoader(yaml.serialize(node)).get_single_data()
    except yaml.YAMLError as exc:  # e.g. a !!python tag
        raise RuleError(f"{path}:{node.start_mark.line + 1}: {getattr(exc, 'problem', None) or exc}") from None
    lines = {k.value: v.start_mark.line + 1 for k, v in node.value}
    origin = f"{path}:{node.start_mark.line + 1}"
    try:
        return Rule(**data, origin=origin)
    except ValidationError as exc:
        raise RuleError(explain(exc, origin, data, lines)) from None


def check_unique(rules: list[Rule], path: Path) -> None:
    """Refuse two rules with one name."""
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RuleError(f"{rule.origin}: rule name {rule.name!r} is used twice; names must be unique")
        seen.add(rule.name)
