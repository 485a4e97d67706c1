"""Real local receivers for alert tests: an SMTP server (aiosmtpd) and a JSON webhook (a real HTTP server).

Usage::

    with SmtpReceiver(script=["451 4.3.0 try again later"]) as smtp:   # the first message is refused (4xx)
        url = smtp.apprise_url(to="staff@example.org")                 # mailto://127.0.0.1:PORT?...
        ...
        smtp.messages          # email.message.EmailMessage objects, in arrival order
        smtp.attempts          # every DATA command, accepted or not

    with WebhookReceiver(script=[500, 200]) as hook:                 # answers 500, then 200 from then on
        hook.apprise_url()     # json://127.0.0.1:PORT/hook
        hook.received          # (headers, JSON body) of every request, in arrival order

A script entry ``"hang"`` holds that exchange for ``hang_seconds`` without answering.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.httpd import LocalServer, RecordedRequest, Response


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    """aiosmtpd handler: follow the script for each DATA, store accepted messages."""

    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self.receiver.next_answer()
        self.receiver.attempts.append(envelope.content)
        if answer == "hang":
            await asyncio.sleep(self.receiver.hang_seconds)
            return "451 4.4.2 timed out"
        if answer.startswith("250"):
            self.receiver.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return answer


class SmtpReceiver:
    """A real SMTP server on 127.0.0.1 that keeps what it accepts."""

    def __init__(self, script: list[str] | None = None, hang_seconds: float = 30.0) -> None:
        self.script = list(script or [])
        self.hang_seconds = hang_seconds
        self.messages: list[EmailMessage] = []
        self.attempts: list[bytes] = []
        self.port = free_port()
        self._lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def next_answer(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "250 OK"

    def apprise_url(self, to: str = "staff@example.org", sender: str = "coopwatch@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from={sender}&name=coopwatch"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Wait until ``count`` messages were accepted; return them."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class WebhookReceiver:
    """A real HTTP server taking JSON webhooks on /hook; answers follow a script of status codes."""

    def __init__(self, script: list[int | str] | None = None, hang_seconds: float = 30.0) -> None:
        self.script = list(script or [])
        self.hang_seconds = hang_seconds
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.hold_first = False  # hold the first request until release is set (kill tests)
        self._lock = threading.Lock()
        self.server = LocalServer({"/hook": self._answer})

    def _answer(self, request: RecordedRequest) -> Response:
        with self._lock:
            status = self.script.pop(0) if len(self.script) > 1 else (self.script[0] if self.script else 200)
            self.received.append((dict(request.headers), json.loads(request.body or b"{}")))
            first = len(self.received) == 1
        self.arrived.set()
        if self.hold_first and first:
            self.release.wait(self.hang_seconds)
        if status == "hang":
            return Response(200, "late", delay=self.hang_seconds)
        return Response(int(status), "ok" if int(status) < 300 else "error")

    def apprise_url(self) -> str:
        return self.server.url("/hook").replace("http://", "json://", 1)

    def keys(self) -> list[str]:
        """Return the Idempotency-Key header of every request received."""
        return [next((v for k, v in h.items() if k.lower() == "idempotency-key"), "") for h, _ in self.received]

    def __enter__(self) -> WebhookReceiver:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.__exit__(*exc)
