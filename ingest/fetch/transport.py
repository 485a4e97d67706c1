"""A requests adapter whose connections are peer-checked by the guard and bounded by an exchange deadline.

The guard already refuses a URL whose host resolves to a guarded address; this second check covers a
DNS answer that changes between that check and the client's own lookup (DNS rebinding): the socket's
real peer address is checked right after connecting and the socket is closed when it is guarded.

Socket timeouts bound each read, not the exchange: a server that trickles one header byte every two
seconds never trips a 30 s read timeout. :class:`Exchange` is the whole exchange's deadline (connect,
TLS, headers and body): a timer that shuts the connection's socket down when the deadline passes, so
whatever read is blocked fails at once, and the fetcher reports it as a timeout.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ingest.fetch.errors import BlockedConnection, FetchRefused
from ingest.fetch.guard import AddressGuard

GuardGetter = Callable[[], AddressGuard]
RETRY_SHUTDOWN = 0.2  # seconds between attempts to cut an exchange whose socket is not open yet
_current = threading.local()


class Exchange:
    """The deadline of one HTTP exchange: past it, the connection's socket is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connection: object | None = None
        self._socket: socket.socket | None = None
        self._done = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Exchange:
        _current.exchange = self
        self._arm(self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self._socket is not None:
                self._socket.close()
        _current.exchange = None

    def attach(self, connection: object, sock: socket.socket | None = None) -> None:
        """Note the connection this exchange uses; called when it connects (with the new socket) or sends.

        A new socket is duplicated: TLS wrapping moves the original's descriptor into another object during
        the handshake, and the duplicate still reaches the same connection then.
        """
        self._connection = connection
        if sock is not None:
            with self._lock:
                if self._socket is not None:
                    self._socket.close()
                self._socket = sock.dup()

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = self._socket or getattr(self._connection, "sock", None)
            if sock is None:  # still resolving or connecting: try again shortly (connect has its own timeout)
                self._arm(RETRY_SHUTDOWN)
                return
            shut_down(sock)  # under the lock: __exit__ cannot close (and free for reuse) this descriptor meanwhile


def shut_down(sock: socket.socket) -> None:
    """Shut a (possibly TLS) socket down for reading and writing, ignoring one already closed."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def current_exchange() -> Exchange | None:
    """Return the exchange running in this thread, if any."""
    return getattr(_current, "exchange", None)


class _PeerCheck:
    """Mixin for urllib3 connections: check the connected peer address; join the thread's exchange."""

    guard_getter: GuardGetter

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            self.guard_getter().check_peer(self.host, sock.getpeername()[0])  # type: ignore[attr-defined]
        except FetchRefused as refused:
            sock.close()
            raise BlockedConnection(self, refused.reason) from None
        exchange = current_exchange()
        if exchange is not None:  # the TLS handshake comes next, before any request: bound it too
            exchange.attach(self, sock)
        return sock

    def request(self, *args: object, **kwargs: object) -> None:
        exchange = current_exchange()
        if exchange is not None:
            exchange.attach(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


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
