"""Rule 12: the SSRF guard refuses non-public addresses unless allow-listed, on every redirect hop."""

from __future__ import annotations

import socket

import pytest

from ingest.fetch.errors import FetchRefused
from ingest.fetch.guard import AddressGuard
from tests.support.httpd import LocalServer, Response


def fake_dns(table: dict[str, list[str]]):
    """Return a resolver answering from a table and failing like getaddrinfo for unknown names."""

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("[::1]", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.10.10", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not globally routable"),
    ],
)
def test_r12_guard_refuses_non_public_ip_literals(host: str, kind: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        AddressGuard().check_host(host)
    assert refused.value.reason.startswith("blocked: ")
    assert refused.value.reason.endswith(kind)


def test_r12_guard_message_names_the_address() -> None:
    with pytest.raises(FetchRefused, match=r"^blocked: 127\.0\.0\.1 is loopback$"):
        AddressGuard().check_host("127.0.0.1")


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:4700:4700::1111", "[2606:4700:4700::1111]"])
def test_r12_guard_lets_public_addresses_through(host: str) -> None:
    AddressGuard().check_host(host)


def test_r12_guard_resolves_names_and_refuses_any_private_answer() -> None:
    guard = AddressGuard(resolve=fake_dns({
        "public.test": ["93.184.216.34"],
        "intranet.test": ["10.0.0.5"],
        "mixed.test": ["93.184.216.34", "10.0.0.5"],
        "metadata.test": ["169.254.169.254"],
    }))
    guard.check_host("public.test")
    with pytest.raises(FetchRefused, match=r"^blocked: intranet\.test resolves to 10\.0\.0\.5, private$"):
        guard.check_host("intranet.test")
    with pytest.raises(FetchRefused, match=r"^blocked: mixed\.test resolves to 10\.0\.0\.5"):
        guard.check_host("mixed.test")
    with pytest.raises(FetchRefused, match="cloud metadata"):
        guard.check_host("METADATA.test.")


def test_r12_guard_reports_unresolvable_names() -> None:
    with pytest.raises(FetchRefused, match=r"^dns: cannot resolve nowhere\.test"):
        AddressGuard(resolve=fake_dns({})).check_host("nowhere.test")


def test_r12_allow_hosts_accepts_names_ips_and_networks() -> None:
    dns = fake_dns({"intranet.test": ["10.0.0.5"], "other.test": ["10.9.9.9"]})
    AddressGuard(["intranet.test"], resolve=dns).check_host("intranet.test")
    AddressGuard(["10.0.0.5"], resolve=dns).check_host("intranet.test")
    AddressGuard(["10.0.0.0/8"], resolve=dns).check_host("other.test")
    AddressGuard(["127.0.0.0/8"]).check_host("127.0.0.2")
    AddressGuard(["::1"]).check_host("[::1]")
    with pytest.raises(FetchRefused):
        AddressGuard(["127.0.0.1"]).check_host("127.0.0.2")
    with pytest.raises(FetchRefused):
        AddressGuard(["intranet.test"], resolve=dns).check_host("other.test")


def test_r12_real_resolver_blocks_localhost() -> None:
    with pytest.raises(FetchRefused, match=r"^blocked: localhost resolves to .*loopback$"):
        AddressGuard().check_host("localhost")


def test_r12_fetch_refuses_loopback_without_allow_list(server: LocalServer, make_fetcher) -> None:
    server.route("/", Response(200, "<p>secret</p>", {"Content-Type": "text/html"}))
    page = make_fetcher(allow_hosts=()).fetch(server.url("/"))
    assert page.error == "blocked: 127.0.0.1 is loopback"
    assert page.status == 0 and not page.ok
    assert server.requests == []  # not even robots.txt was asked for


def test_r12_fetch_allowed_host_works(server: LocalServer, make_fetcher) -> None:
    server.route("/", Response(200, "<p>hello</p>", {"Content-Type": "text/html"}))
    page = make_fetcher(allow_hosts=["127.0.0.1"]).fetch(server.url("/"))
    assert page.ok and page.text == "<p>hello</p>"


def test_r12_redirect_to_other_loopback_address_is_refused_without_connecting(
    server: LocalServer, make_fetcher
) -> None:
    with LocalServer({"/inside": Response(200, "internal")}, host="127.0.0.2") as inner:
        server.route("/hop", Response(302, "", {"Location": inner.url("/inside")}))
        page = make_fetcher(allow_hosts=["127.0.0.1"]).fetch(server.url("/hop"))
        assert page.error == "blocked: 127.0.0.2 is loopback"
        assert page.final_url == inner.url("/inside")
        assert inner.requests == []
    assert [r.path for r in server.requests] == ["/robots.txt", "/hop"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "blocked: 169.254.169.254 is cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "blocked: fd00:ec2::254 is cloud metadata"),
        ("http://10.0.0.1/admin", "blocked: 10.0.0.1 is private"),
        ("http://[::1]:8080/", "blocked: ::1 is loopback"),
    ],
)
def test_r12_redirect_to_guarded_address_is_refused(
    server: LocalServer, make_fetcher, target: str, reason: str
) -> None:
    server.route("/hop", Response(301, "", {"Location": target}))
    page = make_fetcher().fetch(server.url("/hop"))
    assert page.error == reason
    assert page.final_url == target


def test_r12_redirect_to_name_resolving_to_metadata_is_refused(server: LocalServer, make_fetcher) -> None:
    server.route("/hop", Response(302, "", {"Location": "http://metadata.test/computeMetadata/v1/"}))
    fetcher = make_fetcher()
    fetcher.guard = AddressGuard(["127.0.0.1"], resolve=fake_dns({"metadata.test": ["169.254.169.254"]}))
    page = fetcher.fetch(server.url("/hop"))
    assert page.error == "blocked: metadata.test resolves to 169.254.169.254, cloud metadata"


def test_r12_redirect_chain_checked_on_every_hop(server: LocalServer, make_fetcher) -> None:
    server.route("/1", Response(302, "", {"Location": "/2"}))
    server.route("/2", Response(307, "", {"Location": "http://127.0.0.3:9/3"}))
    page = make_fetcher().fetch(server.url("/1"))
    assert page.error == "blocked: 127.0.0.3 is loopback"
    assert [r.path for r in server.requests] == ["/robots.txt", "/1", "/2"]


def test_r12_redirect_to_name_with_any_unallowed_address_is_refused(server: LocalServer, make_fetcher) -> None:
    # localhost. answering both 127.0.0.1 (allowed) and ::1 (not allowed): the connection could use either.
    target = f"http://localhost.:{server.port}/inside"
    server.route("/hop", Response(302, "", {"Location": target}))
    server.route("/inside", Response(200, "internal"))
    fetcher = make_fetcher()
    fetcher.guard = AddressGuard(["127.0.0.1"], resolve=fake_dns({"localhost": ["127.0.0.1", "::1"]}))
    page = fetcher.fetch(server.url("/hop"))
    assert page.error == "blocked: localhost. resolves to ::1, loopback"
    assert server.requests_for("/inside") == []


def test_r12_redirect_to_unresolvable_name_is_refused(server: LocalServer, make_fetcher) -> None:
    server.route("/hop", Response(302, "", {"Location": "http://no-such-host.invalid./x"}))
    fetcher = make_fetcher()
    fetcher.guard = AddressGuard(["127.0.0.1"], resolve=fake_dns({}))  # no real DNS query leaves the machine
    page = fetcher.fetch(server.url("/hop"))
    assert page.error.startswith("dns: cannot resolve no-such-host.invalid.")


def test_r12_dns_rebinding_caught_at_connect_before_any_request(server: LocalServer, make_fetcher) -> None:
    # The guard's lookup says "public address"; the client's own lookup (/etc/hosts) then gives 127.0.0.1.
    server.route("/x", Response(200, "internal"))
    fetcher = make_fetcher(allow_hosts=())
    fetcher.guard = AddressGuard(resolve=fake_dns({"localhost": ["93.184.216.34"]}))
    page = fetcher.fetch(f"http://localhost:{server.port}/x", check_robots=False)
    assert page.error == "blocked: localhost connected to 127.0.0.1, loopback"
    assert server.requests == []  # connected, but closed before a request was sent
    assert fetcher.stats[f"localhost:{server.port}"] == 1
