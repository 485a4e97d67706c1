"""The sources file: which sites to watch and how, validated on load with file:line errors.

Smallest valid file::

    sources:
      - name: sass-en
        start_urls: [https://english.sass.org.cn/news/]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.settings import ConfigError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Source(BaseModel):
    """One watched site."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="unique id: lower-case letters, digits, '-' or '_'")
    start_urls: list[str] = Field(min_length=1, description="listing pages to start from")
    feeds: list[str] = Field(default_factory=list, description="RSS or Atom feed URLs")
    sitemaps: list[str] = Field(default_factory=list, description="sitemap URLs")
    include: list[str] = Field(default_factory=list, description="regexes an article URL must match (any)")
    exclude: list[str] = Field(default_factory=list, description="regexes that drop a URL")
    next_page: str | None = Field(None, description="CSS selector of the pagination link")
    max_pages: int = Field(3, ge=1, le=1000, description="listing pages to follow per start URL")
    language: str | None = Field(None, description="language hint: en or zh")
    min_delay: float | None = Field(None, ge=0, description="seconds between requests to this site")
    max_crawl_delay: float | None = Field(None, ge=0)
    schedule: str | None = Field("@daily", description="cron expression or preset for the Airflow DAG")
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("use lower-case letters, digits, '-' or '_' (e.g. sass-en)")
        return value

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _check_urls(cls, values: list[str]) -> list[str]:
        for url in values:
            if not re.match(r"^https?://[^/\s]+", url or ""):
                raise ValueError(f"{url!r} is not an absolute http(s) URL (e.g. https://example.org/news/)")
        return values

    @field_validator("include", "exclude")
    @classmethod
    def _check_patterns(cls, values: list[str]) -> list[str]:
        for pattern in values:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return values

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        if value is not None and value not in ("en", "zh"):
            raise ValueError("expected 'en' or 'zh'")
        return value

    def wants(self, url: str) -> bool:
        """Return whether an article URL passes this source's include/exclude patterns."""
        if any(re.search(p, url) for p in self.exclude):
            return False
        return not self.include or any(re.search(p, url) for p in self.include)


def load_sources(path: str | Path, enabled_only: bool = True) -> list[Source]:
    """Load and validate a sources file; raise ConfigError naming file, line, key and fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read sources file ({exc.strerror}); set COOPWATCH_SOURCES or --sources") from None
    root = _compose(text, path)
    items = _source_nodes(root, path)
    sources = [_build_source(node, path) for node in items]
    _check_unique(sources, items, path)
    return [s for s in sources if s.enabled or not enabled_only]


def _compose(text: str, path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def _source_nodes(root: yaml.Node | None, path: Path) -> list[yaml.MappingNode]:
    hint = "the file must start with 'sources:' followed by a list of '- name: ...' entries"
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:1: {hint}")
    for key, value in root.value:
        if key.value == "sources":
            if not isinstance(value, yaml.SequenceNode):
                raise ConfigError(f"{path}:{value.start_mark.line + 1}: key 'sources': expected a list; {hint}")
            for item in value.value:
                if not isinstance(item, yaml.MappingNode):
                    raise ConfigError(f"{path}:{item.start_mark.line + 1}: each source must be a mapping with 'name' and 'start_urls'")
            return value.value
    raise ConfigError(f"{path}:1: key 'sources' is missing; {hint}")


def _build_source(node: yaml.MappingNode, path: Path) -> Source:
    data: dict[str, Any] = yaml.SafeLoader(yaml.serialize(node)).get_single_data()
    try:
        return Source(**data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, node, path, data)) from None


def _explain(exc: ValidationError, node: yaml.MappingNode, path: Path, data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    key = str(err["loc"][0]) if err["loc"] else "?"
    line = _line_of(node, key)
    name = data.get("name", "?")
    if err["type"] == "extra_forbidden":
        known = ", ".join(Source.model_fields)
        return f"{path}:{line}: source {name!r}: unknown key {key!r}; known keys: {known}"
    if err["type"] == "missing":
        return f"{path}:{line}: source {name!r}: key {key!r} is required ({Source.model_fields[key].description})"
    expected = Source.model_fields[key].description if key in Source.model_fields else None
    fix = f"; expected {expected}" if expected else ""
    return f"{path}:{line}: source {name!r}: key {key!r}: {err['msg'].removeprefix('Value error, ')}{fix}"


def _line_of(node: yaml.MappingNode, key: str) -> int:
    for k, v in node.value:
        if k.value == key:
            return v.start_mark.line + 1
    return node.start_mark.line + 1


def _check_unique(sources: list[Source], nodes: list[yaml.MappingNode], path: Path) -> None:
    seen: set[str] = set()
    for source, node in zip(sources, nodes, strict=True):
        if source.name in seen:
            raise ConfigError(f"{path}:{_line_of(node, 'name')}: source name {source.name!r} is used twice; names must be unique")
        seen.add(source.name)
