"""Crawler settings: built-in defaults < config file < ``COOPWATCH_*`` environment variables.

The config file is YAML (``COOPWATCH_CONFIG``, else ``./coopwatch.yaml`` when present) with the same
keys as :class:`Settings`, e.g.::

    min_delay: 2.0
    allow_hosts: [127.0.0.1, 10.0.0.0/8]

Environment variables are the upper-cased keys with a ``COOPWATCH_`` prefix
(``COOPWATCH_MIN_DELAY=2``); lists are comma-separated (``COOPWATCH_ALLOW_HOSTS=127.0.0.1,::1``).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.config_files import ConfigError, load_yaml

__all__ = ["ConfigError", "Settings"]
DEFAULT_USER_AGENT = "coopwatch/0.1 (event-report research crawler; set COOPWATCH_USER_AGENT to add your contact)"


class Settings(BaseModel):
    """Everything the crawler can be told; defaults are polite and safe."""

    model_config = ConfigDict(extra="forbid")

    user_agent: str = DEFAULT_USER_AGENT
    allow_hosts: list[str] = Field(default_factory=list, description="hosts or networks exempt from the private-address guard")
    min_delay: float = Field(1.0, ge=0, description="seconds between two requests to one host")
    max_crawl_delay: float = Field(30.0, ge=0, description="cap on a robots.txt Crawl-delay")
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(30.0, gt=0)
    total_timeout: float = Field(60.0, gt=0, description="deadline for one whole response")
    max_bytes: int = Field(10_000_000, gt=0, description="limit on a decompressed response body")
    retries: int = Field(2, ge=0, description="retries after a failed attempt (5xx, timeout, connection)")
    backoff: float = Field(1.0, ge=0, description="first retry wait in seconds, doubled each retry")
    max_retry_after: float = Field(300.0, ge=0, description="longest Retry-After we wait for within a run")
    max_deferral: float = Field(86_400.0, ge=0, description="cap on how long a Retry-After defers a host (across runs)")
    url_timeout: float = Field(180.0, gt=0, description="time one URL may take in all: attempts, backoff, Retry-After waits")
    extract_timeout: float = Field(30.0, gt=0, description="seconds extraction (or structuring) may take per page")
    extract_memory_mb: int = Field(1024, ge=64, description="memory (MB) extraction may add per page")
    ca_bundle: str | None = Field(None, description="CA certificates (PEM file) to trust instead of the certifi bundle")
    lock_dir: str | None = Field(None, description="machine-wide directory of per-host locks (default: $TMPDIR/coopwatch-locks-<uid>)")
    state_path: str = "var/crawl-state.sqlite"
    state_url: str | None = Field(None, description="PostgreSQL crawl state shared by several machines "
                                  "(postgresql://user:password@host/db); default: the SQLite file state_path")
    archive_dir: str = "var/warc"
    store: str = "var/coopwatch.sqlite"
    sources: str = "sources/thinktanks.yaml"
    max_pages_per_source: int = Field(500, gt=0)
    crawl_workers: int = Field(8, ge=1, description="threads fetching from different hosts at once (one request per host)")
    cpu_workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=1,
                             description="extraction worker processes (each bounded per page in time and memory)")
    warc_gzip_level: int = Field(6, ge=1, le=9, description="gzip level of the WARC archive (9 is 0.5% smaller, twice the CPU)")
    retention_days: int = Field(90, ge=1, description="days to keep crawl state rows, WARC files and work directories")
    alerts: str | None = Field(None, description="watch rules file (default: alerts.yaml beside the sources file)")
    alerts_db: str = Field("var/alerts.sqlite", description="alerts database: saved rules, what was sent, the outbox")
    alerts_env_file: str | None = Field(None, description="env file with COOPWATCH_CHANNEL_* channel URLs")
    alerts_lookback_days: float = Field(7.0, ge=0, description="how far back a new rule looks on its first run")
    alerts_max_attempts: int = Field(6, ge=1, description="delivery attempts before a message is dead-lettered")
    alerts_backoff: float = Field(60.0, ge=0, description="seconds before the first retry of a failed delivery (doubles)")
    public_url: str = Field("http://127.0.0.1:8000", description="where `coopwatch serve` is reached (links in alerts)")

    def alerts_path(self) -> str:
        """Return the watch rules file: the configured one, else alerts.yaml beside the sources file."""
        return self.alerts or str(Path(self.sources).with_name("alerts.yaml"))

    @classmethod
    def load(cls, config_path: str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from defaults, the config file, the environment, then explicit overrides."""
        env = dict(os.environ if env is None else env)
        data: dict[str, Any] = {}
        origin: dict[str, str] = {}  # key -> where its value came from, for error messages
        path = config_path or env.get("COOPWATCH_CONFIG")
        if path is None and Path("coopwatch.yaml").exists():
            path = "coopwatch.yaml"
        layers = [(_read_config_file(path) if path else {}, "file"), (_read_env(env), "env"),
                  ({k: v for k, v in overrides.items() if v is not None}, "option")]
        for layer, where in layers:
            data.update(layer)
            origin.update(dict.fromkeys(layer, where))
        try:
            return cls(**data)
        except ValidationError as exc:
            raise ConfigError(_explain(exc, path, origin, env)) from None

    @field_validator("state_url")
    @classmethod
    def _check_state_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value!r} is not a PostgreSQL URL (postgresql://user:password@host:5432/dbname); "
                             "leave it unset to keep the crawl state in the SQLite file state_path")
        return value or None

    @field_validator("allow_hosts")
    @classmethod
    def _check_allow_hosts(cls, values: list[str]) -> list[str]:
        for entry in values:
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry.strip("[]"), strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is not a network (e.g. 10.0.0.0/8)") from None
            elif not re.fullmatch(r"[\w.:\[\]-]+", entry):
                raise ValueError(f"{entry!r} is not a host name, IP address or network") from None
        return values


def _read_config_file(path: str) -> dict[str, Any]:
    data, root = load_yaml(path, "the config file")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of setting: value")
    text = Path(path).read_text(encoding="utf-8")
    unknown = sorted((k for k in data if k not in Settings.model_fields), key=str)
    if unknown:
        line = _line_of_key(text, unknown[0])
        raise ConfigError(
            f"{path}:{line}: unknown setting {unknown[0]!r}; known settings: {', '.join(Settings.model_fields)}"
        )
    return data


def _read_env(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        value = env.get(f"COOPWATCH_{name.upper()}")
        if value is None:
            continue
        if info.annotation == list[str]:
            out[name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            out[name] = value
    return out


def _line_of_key(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(f"{key}:"):
            return number
    return 1


def _explain(exc: ValidationError, path: str | None, origin: dict[str, str], env: dict[str, str]) -> str:
    parts = []
    text = Path(path).read_text(encoding="utf-8") if path and Path(path).exists() else ""
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        variable = f"COOPWATCH_{key.upper()}"
        if origin.get(key) == "env":
            parts.append(f"environment variable {variable}={env.get(variable)!r}: {msg}")
        elif origin.get(key) == "file":
            parts.append(f"{path}:{_line_of_key(text, key)}: {key}: {msg} (or set {variable})")
        else:
            parts.append(f"option {key}: {msg}")
    return "; ".join(parts)
