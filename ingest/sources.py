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
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.config_files import compose, construct, read_text
from ingest.schedule import schedule_problem
from ingest.settings import ConfigError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
URL_CHARS = re.compile(r"^[^\x00-\x20\x7f]+$")  # no spaces, newlines or control characters anywhere


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
            problem = url_problem(url)
            if problem:
                raise ValueError(f"{url!r} {problem}")
        return values

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        problem = schedule_problem(value)
        if problem:
            raise ValueError(f"{value!r} {problem}: 'schedule' must be a cron expression such as '0 6 * * *' or a "
                             "preset such as '@daily' (null: manual runs only)")
        return value

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


def url_problem(url: object) -> str | None:
    """Return what is wrong with a configured URL (not absolute http(s), spaces, credentials ...), or None."""
    hint = "is not an absolute http(s) URL (e.g. https://example.org/news/)"
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        return hint
    if not URL_CHARS.match(url):
        return "contains a space, a line break or a control character: write the URL on one line, %-encoded"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        return f"{hint}: {exc}"
    if not parts.hostname or "\\" in parts.netloc:
        return hint
    if "@" in parts.netloc:
        return "contains credentials (user@host): remove them, the crawler does not log in"
    return None


def load_sources(path: str | Path, enabled_only: bool = True) -> list[Source]:
    """Load and validate a sources file; raise ConfigError naming file, line, key and fix."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: cannot read sources file (no such file); set COOPWATCH_SOURCES or --sources")
    root = compose(read_text(path, "the sources file"), path)
    items = _source_nodes(root, path)
    sources = [_build_source(node, path) for node in items]
    _check_unique(sources, items, path)
    return [s for s in sources if s.enabled or not enabled_only]


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
    data: dict[str, Any] = construct(node, path)
    try:
        return Source(**{str(k): v for k, v in data.items()})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, node, path, data)) from None


def _explain(exc: ValidationError, node: yaml.MappingNode, path: Path, data: dict[str, Any]) -> str:
    err = exc.errors()[0]
    key = str(err["loc"][0]) if err["loc"] else "?"
    line = _line_of(node, key)
    name = str(data.get("name", "?"))[:100]
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
