"""SSRF guard: refuse URLs whose host resolves to a non-public address unless it is allow-listed.

Every resolved address must be public (or allow-listed): a name that resolves to one public and one
private address is refused, since the connection could go to either. ``allow_hosts`` entries are host
names (``intranet.example``), IP addresses (``127.0.0.1``) or networks (``10.0.0.0/8``); a host is let
through when its name, or each of its resolved addresses, is allow-listed.

The host is resolved here before any connection is made, and the HTTP client resolves it again when
it connects; ``ingest.fetch.transport`` re-checks the address each new connection actually reached
(``check_peer``) and closes it before a request is sent, so a DNS answer that changes in between
(DNS rebinding) is caught too.

The host checked is the one the HTTP client will connect to (:func:`connect_target`): a URL that two
parsers read differently (``http://127.0.0.2:8000\\@127.0.0.1:8000/`` is 127.0.0.1 to ``urlsplit`` and
127.0.0.2 to urllib3), or that carries credentials, spaces or control characters, is refused outright.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import requests
import urllib3.util

from ingest.fetch.errors import FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)


CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
UNSAFE_AUTHORITY_CHARS = re.compile(r"[\s\\]")  # parsers disagree on where an authority with these ends


def connect_target(url: str) -> str:
    """Return the host the HTTP client will connect to; refuse a URL that parsers would read differently."""
    if CONTROL_CHARS.search(url):
        raise FetchRefused("url: refused, it contains a control character")
    parts = urlsplit(url)
    if UNSAFE_AUTHORITY_CHARS.search(parts.netloc):
        raise FetchRefused("url: refused, a space or a backslash in the host part is read differently by parsers")
    if not parts.hostname:
        raise FetchRefused("url: no host")
    if "@" in parts.netloc:
        raise FetchRefused("url: refused, credentials (user@) in a crawled URL")
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        client = urllib3.util.parse_url(prepared.url)
    except (requests.RequestException, urllib3.exceptions.LocationValueError, ValueError) as exc:
        raise FetchRefused(f"url: invalid ({exc})") from None
    ours, theirs = _idna(parts.hostname or ""), (client.host or "").strip("[]").lower()
    if ours != theirs or (parts.port or None) != (client.port or None):
        raise FetchRefused(f"url: refused, ambiguous address (read as {ours}:{parts.port} and as "
                           f"{theirs}:{client.port})")
    return theirs


def _idna(host: str) -> str:
    """Return a host name as it goes on the wire (IDNA, lower case)."""
    host = host.strip("[]").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def resolve_host(host: str) -> list[str]:
    """Return every address the system resolver gives for a host name."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def forbidden_kind(address: IPAddress) -> str | None:
    """Return why an address is not a public internet address (e.g. ``"loopback"``), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_kind(address.ipv4_mapped)
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((kind for kind, hit in checks if hit), None)


def parse_address(host: str) -> IPAddress | None:
    """Return the host as an IP address when it is an IP literal (``[::1]`` brackets allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


class AddressGuard:
    """Decide whether a host may be contacted; raise FetchRefused("blocked: ...") when not."""

    def __init__(self, allow_hosts: Iterable[str] = (), resolve: Resolver = resolve_host) -> None:
        self.allowed_names: set[str] = set()
        self.allowed_networks: list[IPNetwork] = []
        for entry in allow_hosts:
            self._add_allowed(entry.strip())
        self._resolve = resolve

    def _add_allowed(self, entry: str) -> None:
        if not entry:
            return
        try:
            self.allowed_networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            self.allowed_names.add(_normal_name(entry))

    def is_allowed_address(self, address: IPAddress) -> bool:
        """Return True when an address falls in an allow-listed address or network."""
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(a in net for a in candidates for net in self.allowed_networks if a.version == net.version)

    def check_host(self, host: str) -> None:
        """Raise FetchRefused when a host name or address must not be contacted."""
        if not host:
            raise FetchRefused("url: no host")
        if _normal_name(host) in self.allowed_names:
            return
        literal = parse_address(host)
        if literal is not None:
            self._check_address(literal, f"{literal} is")
            return
        for text in self._addresses_of(host):
            address = ipaddress.ip_address(text)
            self._check_address(address, f"{host} resolves to {address},")

    def check_peer(self, host: str, peer: str) -> None:
        """Raise FetchRefused when the address a connection actually reached is guarded (DNS rebinding)."""
        if _normal_name(host) in self.allowed_names:
            return
        address = ipaddress.ip_address(peer.split("%", 1)[0])
        self._check_address(address, f"{_normal_name(host)} connected to {address},")

    def _addresses_of(self, host: str) -> list[str]:
        try:
            addresses = self._resolve(_normal_name(host))
        except (OSError, UnicodeError) as exc:
            raise FetchRefused(f"dns: cannot resolve {host} ({exc})") from None
        if not addresses:
            raise FetchRefused(f"dns: no address for {host}")
        return addresses

    def _check_address(self, address: IPAddress, subject: str) -> None:
        if self.is_allowed_address(address):
            return
        kind = forbidden_kind(address)
        if kind is not None:
            raise FetchRefused(f"blocked: {subject} {kind}")


def _normal_name(host: str) -> str:
    """Return a host name lower-cased, without brackets or a trailing dot."""
    return host.strip("[]").rstrip(".").lower()
