"""Helpers for the fault suite: a small real site, crawl settings in a temporary folder, the CLI, TLS certificates."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.settings import Settings
from tests.support.httpd import LocalServer, Response

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS_OK = Response(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})


def article_html(title: str, n: int = 0, extra: str = "") -> str:
    """Return a plausible article page (distinct paragraphs, enough text to be an article)."""
    paragraphs = "".join(
        f"<p>Paragraph {i} of report {n}: delegations from Shanghai and Hong Kong met on {i + 1} May 2025 to discuss "
        f"cooperation in trade, finance and talent exchange, item {i * 7 + n}.</p>" for i in range(6))
    return (f"<html><head><title>{title}</title></head><body><nav>Home · News</nav><article><h1>{title}</h1>"
            f"{paragraphs}{extra}</article><footer>Contact</footer></body></html>")


def listing_html(paths: list[str]) -> str:
    links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in paths)
    return f"<html><body><h1>News</h1><ul>{links}</ul></body></html>"


@dataclass
class Site:
    """A local site: robots.txt, a listing page /news/ and article pages /news/a<N>.html."""

    server: LocalServer
    articles: list[str]

    @property
    def listing(self) -> str:
        return self.server.url("/news/")

    def article_requests(self, status: int | None = None) -> list:
        return [r for r in self.server.requests if r.bare_path.startswith("/news/a")]


def make_site(server: LocalServer, count: int = 3, robots: Response | None = None) -> Site:
    """Give a started server the routes of a small news site with ``count`` articles."""
    paths = [f"/news/a{n}.html" for n in range(count)]
    server.route("/robots.txt", robots or ROBOTS_OK)
    server.route("/news/", Response(200, listing_html(paths), HTML))
    for n, path in enumerate(paths):
        server.route(path, Response(200, article_html(f"Report {n}", n), {**HTML, "ETag": f'"v1-{n}"'}))
    return Site(server, paths)


def write_sources(folder: Path, sources: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return path


def crawl_settings(folder: Path, sources: list[dict], **overrides) -> Settings:
    """Return settings for a crawl into files under ``folder`` (a fresh state, store, archive, lock directory)."""
    options = dict(
        sources=str(write_sources(folder, sources)), store=str(folder / "store.sqlite"),
        state_path=str(folder / "state" / "crawl-state.sqlite"), archive_dir=str(folder / "warc"),
        lock_dir=str(folder / "locks"), allow_hosts=["127.0.0.1"], min_delay=0.0, max_crawl_delay=0.0, retries=0,
        backoff=0.0, connect_timeout=5.0, read_timeout=5.0, total_timeout=10.0)
    options.update(overrides)
    return Settings.load(env={}, config_path=os.devnull, **options)


def squeezed(text: str) -> str:
    """Return text without whitespace and table borders (for finding a phrase in a table whose cells wrapped)."""
    return "".join(c for c in text if not c.isspace() and c not in "│┃")


def table_cells(printed: str) -> list[str]:
    """Return the cells of a printed rich table, the lines of a wrapped cell joined."""
    rows: list[list[str]] = []
    current: list[str] | None = None
    for line in printed.splitlines():
        if not line.startswith("│"):
            current = None
            continue
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells[0] or current is None:
            current = cells
            rows.append(current)
        else:
            for n, cell in enumerate(cells[: len(current)]):
                current[n] += " " + cell
    return [cell for row in rows for cell in row]


def shows(printed: str, phrase: str) -> bool:
    """Return True when a CLI output shows the phrase, in its lines or in one (wrapped) table cell."""
    wanted = squeezed(phrase)
    return wanted in squeezed(printed) or any(wanted in squeezed(cell) for cell in table_cells(printed))


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """Return an environment that points a coopwatch process at these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPWATCH_")}
    for name in ("sources", "store", "state_path", "archive_dir", "lock_dir", "min_delay", "max_crawl_delay",
                 "retries", "backoff", "connect_timeout", "read_timeout", "total_timeout", "extract_timeout",
                 "extract_memory_mb", "max_deferral", "url_timeout"):
        env[f"COOPWATCH_{name.upper()}"] = str(getattr(settings, name))
    env["COOPWATCH_ALLOW_HOSTS"] = ",".join(settings.allow_hosts)
    env["COOPWATCH_CONFIG"] = os.devnull
    env.update(extra)
    return env


def cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``coopwatch ARGS`` as a user would, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "coopwatch.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "coopwatch.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stored_urls(store: str) -> list[str]:
    from search import open_backend

    with open_backend(store) as backend:
        return [d.url for d in backend.iter_documents()]


def last_run(settings: Settings, source: str) -> dict:
    from ingest.state import CrawlState

    with CrawlState(settings.state_path) as state:
        return state.runs(source, limit=1)[0]


def health(settings: Settings, source: str) -> dict:
    from ingest.state import CrawlState

    with CrawlState(settings.state_path) as state:
        return next(h for h in state.source_health() if h["source"] == source)


# TLS -------------------------------------------------------------------------------------------------
def make_certificate(folder: Path, name: str, hosts: list[str], *, days: tuple[int, int] = (-1, 30),
                     issuer: tuple | None = None) -> tuple[Path, Path, object, object]:
    """Write a certificate and key for ``hosts`` (valid from days[0] to days[1] relative to now).

    ``issuer`` is (certificate, key) of a CA to sign with; without one the certificate signs itself.
    Returns (certificate path, key path, certificate, key).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    issuer_cert, issuer_key = issuer or (None, key)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=days[0])).not_valid_after(now + dt.timedelta(days=days[1])))
    if hosts:
        import ipaddress

        names = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h) for h in hosts]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    is_ca = not hosts
    builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    cert = builder.sign(issuer_key, hashes.SHA256())
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, cert, key


class TlsServer(LocalServer):
    """LocalServer speaking HTTPS with the given certificate and key."""

    def __init__(self, routes: dict, cert: Path, key: Path, host: str = "127.0.0.1") -> None:
        super().__init__(routes, host)
        self.cert, self.key = cert, key

    def start(self) -> TlsServer:
        import ssl
        import threading

        from tests.support.httpd import _make_handler, _QuietServer

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._httpd = _QuietServer((self.host, 0), _make_handler(self))
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"https://{self.netloc}"
