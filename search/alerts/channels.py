"""Alert channels: names in the rules, URLs in the environment, delivery through apprise.

A rule names its channels (``staff-email``); the URL of a channel comes from the environment variable
``COOPWATCH_CHANNEL_STAFF_EMAIL`` (or the same line in an env file), in any form apprise understands:
``mailtos://user:password@smtp.example.org?to=staff@example.org``, ``slack://...``, ``msteams://...``,
``tgram://...``, ``dingtalk://...``, ``wecombot://...``, ``lark://...``, ``matrix://...``,
``json://host/path`` (a JSON webhook), and so on. The built-in channel ``console`` prints messages to
standard output (the quick start uses it). URLs hold secrets: they are never logged, shown or stored;
only a channel's name, its variable and its scheme are.

Every message carries an idempotency key: the ``Idempotency-Key`` and ``X-Coopwatch-Idempotency-Key``
headers of a webhook (plus ``idempotency_key`` in its JSON body), the ``X-Coopwatch-Idempotency-Key``
header of an email. A message sent again after a crash has the same key, so a receiver can drop it.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apprise
from apprise.decorators import notify as apprise_notify

ENV_PREFIX = "COOPWATCH_CHANNEL_"
CONSOLE = "console"
KEY_HEADER = "X-Coopwatch-Idempotency-Key"
SMTP_CODE = re.compile(r"\((\d{3}),\s*b?['\"]")
HTTP_CODE = re.compile(r"error=(\d{3})")
RETRYABLE_HTTP = {408, 425, 429}
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # crawled text must not drive the terminal
_console_lock = threading.Lock()
logging.getLogger("apprise").propagate = False  # apprise may quote parts of a channel URL: keep its log to itself


def terminal_safe(text: str) -> str:
    """Return text with control characters (ESC, BEL, CSI ...) shown as ``\\xNN`` instead of acting on a terminal."""
    return CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@apprise_notify(on=CONSOLE, name="coopwatch console")
def _print_to_console(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    """Print a message to standard output (the ``console`` channel), control characters made visible."""
    with _console_lock:
        print(terminal_safe(f"\n--- alert: {' '.join(title.split())}\n{body}"), file=sys.stdout, flush=True)
    return True


class ChannelError(ValueError):
    """A channel that cannot be used as configured; the message names the variable, never its value."""


def channel_variable(name: str) -> str:
    """Return the environment variable holding a channel's URL (``staff-email`` -> COOPWATCH_CHANNEL_STAFF_EMAIL)."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def read_env_file(path: str | Path) -> dict[str, str]:
    """Read ``NAME=value`` lines (``export``, quotes and ``#`` comments allowed); errors name the file and line."""
    values: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ChannelError(f"{path}: cannot read the channels env file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ChannelError(f"{path}: not UTF-8 text: save the env file as UTF-8") from None
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = re.fullmatch(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", text)
        if not match:
            raise ChannelError(f"{path}:{number}: expected NAME=value (e.g. COOPWATCH_CHANNEL_STAFF_EMAIL=mailtos://...)")
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[match.group(1)] = value
    return values


def scheme_of(url: str) -> str | None:
    """Return the lower-cased scheme of a channel URL, or None when it has none."""
    match = SCHEME.match(url.strip())
    return match.group(1).lower() if match else None


@dataclass
class Channels:
    """Channel URLs by variable name: the environment over an optional env file."""

    env: Mapping[str, str] = field(default_factory=dict)
    env_file: str | None = None

    @classmethod
    def from_environment(cls, env_file: str | None = None, environ: Mapping[str, str] | None = None) -> Channels:
        """Read channel variables from the env file (when given) and the environment (which wins)."""
        values = read_env_file(env_file) if env_file and Path(env_file).exists() else {}
        values.update({k: v for k, v in (os.environ if environ is None else environ).items() if k.startswith(ENV_PREFIX)})
        return cls(values, env_file)

    def url(self, name: str) -> str:
        """Return a channel's URL; raise ChannelError saying which variable to set, or why it is unusable."""
        if name == CONSOLE:
            return "console://"
        variable = channel_variable(name)
        url = (self.env.get(variable) or "").strip()
        where = f"the environment or {self.env_file}" if self.env_file else "the environment"
        if not url:
            raise ChannelError(f"channel {name!r} is not configured: set {variable} in {where} to an apprise URL, "
                               "e.g. mailtos://user:password@smtp.example.org?to=staff@example.org")
        scheme = scheme_of(url)
        if scheme is None or scheme not in supported_schemes():
            shown = f"scheme {scheme!r}" if scheme else "no scheme"
            raise ChannelError(f"channel {name!r}: {variable} has {shown}, which no apprise channel supports; "
                               "use e.g. mailto://, mailtos://, slack://, msteams://, tgram://, dingtalk://, "
                               "wecombot://, lark://, matrix://, json://")
        if apprise.Apprise.instantiate(url) is None:
            raise ChannelError(f"channel {name!r}: {variable} is a {scheme}:// URL that apprise cannot use (check "
                               f"its parts against the apprise documentation for {scheme}://)")
        return url

    def problem(self, name: str) -> str | None:
        """Return why a channel cannot be used, or None when it can."""
        try:
            self.url(name)
        except ChannelError as exc:
            return str(exc)
        return None

    def describe(self, name: str) -> str:
        """Return a channel for display: its name, variable and scheme (never the URL, which holds secrets)."""
        if name == CONSOLE:
            return "console (standard output)"
        url = (self.env.get(channel_variable(name)) or "").strip()
        scheme = scheme_of(url) if url else None
        state = f"{scheme}://…" if scheme else "not configured"
        return f"{name} ({channel_variable(name)}: {state})"


@functools.lru_cache(maxsize=1)
def supported_schemes() -> frozenset[str]:
    """Return every URL scheme the installed apprise plugins (and our console channel) can send to."""
    schemes = {CONSOLE}
    for entry in apprise.Apprise().details().get("schemas", []):
        for key in ("protocols", "secure_protocols"):
            schemes.update(str(s).lower() for s in entry.get(key) or [])
    return frozenset(schemes)


@dataclass
class Outgoing:
    """A rendered message, ready for any channel."""

    key: str  # idempotency key, stable for one message
    subject: str
    text: str
    html: str
    markdown: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """The outcome of one attempt to send a message to one channel."""

    ok: bool
    reason: str = ""
    permanent: bool = False


def deliver(url: str, message: Outgoing, timeout: float = 30.0) -> Delivery:
    """Send one message to one channel URL through apprise, within ``timeout`` seconds.

    The body format follows the channel: HTML for email, Markdown for chat services, plain text otherwise.
    Failures are classified from apprise's log (SMTP and HTTP status codes) without keeping its text, which
    could hold parts of the URL.
    """
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return Delivery(False, "channel URL not understood by apprise", permanent=True)
    body, body_format = body_for(plugin, message)
    attach_key(plugin, message)
    outcome: dict[str, bool] = {}
    with apprise.LogCapture(level=logging.DEBUG) as captured:
        worker = threading.Thread(target=lambda: outcome.update(ok=_notify(plugin, body, message.subject, body_format)),
                                  daemon=True, name=f"alert-{message.key[:8]}")
        worker.start()
        worker.join(timeout)
        log = captured.getvalue()
    if worker.is_alive():
        return Delivery(False, f"timeout: no answer within {timeout:g} s")
    if outcome.get("ok"):
        return Delivery(True)
    return classify_failure(log)


def _notify(plugin: Any, body: str, title: str, body_format: str) -> bool:
    """Call the plugin; an exception counts as a failed delivery."""
    try:
        return bool(plugin.notify(body=body, title=title, body_format=body_format))
    except Exception:  # noqa: BLE001 - a plugin bug must not stop the alert run
        logging.getLogger("apprise").warning("Connection error: plugin raised")
        return False


def body_for(plugin: Any, message: Outgoing) -> tuple[str, str]:
    """Return (body, apprise body format) suiting the channel's preferred format."""
    formats = getattr(plugin, "notify_format", "text")
    preferred = str(getattr(formats[0] if isinstance(formats, (tuple, list)) else formats, "value", formats))
    if preferred == apprise.NotifyFormat.HTML.value:
        return message.html, apprise.NotifyFormat.HTML.value
    if preferred == apprise.NotifyFormat.MARKDOWN.value:
        return message.markdown, apprise.NotifyFormat.MARKDOWN.value
    return message.text, apprise.NotifyFormat.TEXT.value


def attach_key(plugin: Any, message: Outgoing) -> None:
    """Put the idempotency key (and, for JSON webhooks, the structured alert) on the outgoing request."""
    headers = getattr(plugin, "headers", None)
    if isinstance(headers, dict):
        headers[KEY_HEADER] = message.key
        if hasattr(plugin, "payload_extras"):  # JSON/XML/form webhooks: the common header name too
            headers["Idempotency-Key"] = message.key
    extras = getattr(plugin, "payload_extras", None)
    if isinstance(extras, dict) and type(plugin).__name__ == "NotifyJSON":
        extras["idempotency_key"] = message.key
        extras["alert"] = message.payload


def classify_failure(log: str) -> Delivery:
    """Turn apprise's log of a failed send into a reason; SMTP 5xx and HTTP 4xx are permanent."""
    smtp = SMTP_CODE.search(log)
    if smtp:
        code = int(smtp.group(1))
        return Delivery(False, f"smtp {code}", permanent=500 <= code < 600)
    http = HTTP_CODE.search(log)
    if http:
        code = int(http.group(1))
        return Delivery(False, f"http {code}", permanent=400 <= code < 500 and code not in RETRYABLE_HTTP)
    lowered = log.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return Delivery(False, "timeout")
    if "connection" in lowered or "socket" in lowered:
        return Delivery(False, "connection error")
    return Delivery(False, "delivery failed")
