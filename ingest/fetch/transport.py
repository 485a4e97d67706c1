"""A requests adapter whose new connections are checked against the guard before any byte is sent.

The guard already refuses a URL whose host resolves to a guarded address; this second check covers a
DNS answer that changes between that check and the client's own lookup (DNS rebinding): the socket's
real peer address is checked right after connecting and the socket is closed when it is guarded.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ingest.fetch.errors import BlockedConnection, FetchRefused
from ingest.fetch.guard import AddressGuard

GuardGetter = Callable[[], AddressGuard]


class _PeerCheck:
    """Mixin for urllib3 connections: check the connected peer address with the guard."""

    guard_getter: GuardGetter

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            self.guard_getter().check_peer(self.host, sock.getpeername()[0])  # type: ignore[attr-defined]
        except FetchRefused as refused:
            sock.close()
            raise BlockedConnection(self, refused.reason) from None
        return sock


def guarded_adapter(guard_getter: GuardGetter) -> HTTPAdapter:
    """Return an HTTPAdapter whose http and https connections are peer-checked by the current guard."""
    extra = {"guard_getter": staticmethod(guard_getter)}
    http_conn = type("GuardedHTTPConnection", (_PeerCheck, HTTPConnection), extra)
    https_conn = type("GuardedHTTPSConnection", (_PeerCheck, HTTPSConnection), extra)
    pools = {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: object, **kwargs: object) -> None:
            super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
            self.poolmanager.pool_classes_by_scheme = pools

    return GuardedAdapter()
