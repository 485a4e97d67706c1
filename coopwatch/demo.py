"""Serve the bundled offline demo sites (demo/sites/<site>/) on 127.0.0.1, one HTTP server per site.

Library use::

    from coopwatch.demo import DemoSites, render_sources

    with DemoSites() as sites:                      # ephemeral ports; DemoSites(port_base=8701) for fixed ones
        sites.origins                                # {"harbour": "http://127.0.0.1:40123", ...}
        yaml_text = render_sources(sites.origins)    # sources file for the demo
        sites.request_log                            # [RequestRecord(site, method, path, status, conditional, ...)]

Command line::

    python -m coopwatch.demo serve [--port-base 8701|auto] [--write-sources FILE]   # serve until Ctrl-C
    python -m coopwatch.demo sources --port-base 8701     # print the sources YAML for those ports

The servers answer like a careful static web server: ETag (sha256 of the body) and Last-Modified (file
mtime), 304 for conditional GETs that match, gzip when the client accepts it, Content-Type with a
charset for UTF-8 text (and none for legacy-encoded HTML, so a client must sniff the meta tag), 301 to
the slash form of a directory, 404 for anything else. ``{{ORIGIN}}`` in a served file becomes the
site's origin. Tests can inject failures with :meth:`DemoSites.fail`.
"""

from __future__ import annotations

import argparse
import os
import gzip
import hashlib
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urlsplit

SITE_NAMES: tuple[str, ...] = ("harbour", "donghai", "pearl")
DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
SITES_DIR = DEMO_DIR / "sites"
SOURCES_TEMPLATE = DEMO_DIR / "sources.template.yaml"
ORIGIN_PLACEHOLDER = b"{{ORIGIN}}"
DEFAULT_PORT_BASE = 8701
DEMO_REGISTRY = DEMO_DIR / "registries"  # the demo's invented people, registered under all their names
REGISTRY_ENV = "COOPWATCH_REGISTRY_DIR"

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".js": "text/javascript",
}
XML_TYPES = {"feed.xml": "application/rss+xml", "rss.xml": "application/rss+xml", "atom.xml": "application/atom+xml"}
TEXT_PREFIXES = ("text/", "application/rss", "application/atom", "application/xml", "image/svg", "application/json")


@dataclass(frozen=True)
class RequestRecord:
    """One request a demo site answered."""

    site: str
    method: str
    path: str  # path plus query, as requested
    status: int
    conditional: bool  # the request carried If-None-Match or If-Modified-Since
    gzip: bool  # the answer was gzip-encoded
    user_agent: str | None
    at: float = field(default=0.0, compare=False)  # time.time() of arrival


@dataclass
class Fault:
    """A canned failure answer for one path, used up after ``times`` requests."""

    status: int
    times: int
    headers: dict[str, str]
    body: bytes


class RequestLog:
    """Thread-safe, append-only list of RequestRecord shared by all servers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


@dataclass
class Resource:
    """A file ready to serve: body with the origin filled in, validators and content type."""

    body: bytes
    etag: str
    mtime: float
    content_type: str

    @property
    def last_modified(self) -> str:
        return formatdate(int(self.mtime), usegmt=True)


def content_type_for(path: Path, body: bytes) -> str:
    """Return the Content-Type for a file; UTF-8 text gets a charset, legacy-encoded HTML gets none."""
    if path.suffix == ".xml":
        base = XML_TYPES.get(path.name, "application/xml")
    else:
        base = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    if not base.startswith(TEXT_PREFIXES) or base == "image/svg+xml":
        return base
    return f"{base}; charset=utf-8" if is_utf8(body) else base


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def load_resource(path: Path, origin: str) -> Resource:
    """Read a file, fill in {{ORIGIN}} and compute its ETag and Last-Modified."""
    raw = path.read_bytes()
    body = raw.replace(ORIGIN_PLACEHOLDER, origin.encode("ascii"))
    etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
    return Resource(body, etag, path.stat().st_mtime, content_type_for(path, body))


def resolve_path(root: Path, url_path: str) -> tuple[Path | None, str | None]:
    """Map a URL path to (file, None), (None, redirect_location) or (None, None) for not found."""
    rel = unquote(url_path).lstrip("/")
    candidate = (root / rel).resolve()
    if candidate != root and root not in candidate.parents:
        return None, None
    if candidate.is_dir():
        if not url_path.endswith("/"):
            return None, url_path + "/"
        candidate = candidate / "index.html"
    return (candidate, None) if candidate.is_file() else (None, None)


def etag_matches(header: str, etag: str) -> bool:
    """Return True when an If-None-Match header names the given ETag (weak comparison)."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified_since(header: str, mtime: float) -> bool:
    """Return True when a file's mtime is not newer than an If-Modified-Since date."""
    try:
        since = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    return int(mtime) <= since


def accepts_gzip(header: str | None) -> bool:
    """Return True when an Accept-Encoding header allows gzip (q > 0)."""
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            match = re.search(r"q\s*=\s*([0-9.]+)", params)
            return not match or float(match.group(1)) > 0
    return False


class SiteServer(ThreadingHTTPServer):
    """One demo site: a threading HTTP server rooted at demo/sites/<site>/."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, site: str, root: Path, port: int, log: RequestLog, host: str = "127.0.0.1") -> None:
        self.site = site
        self.root = root.resolve()
        self.log = log
        self.faults: dict[str, Fault] = {}
        self.faults_lock = threading.Lock()
        super().__init__((host, port), DemoHandler)

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def take_fault(self, path: str) -> Fault | None:
        """Return and use up the fault registered for a path, if any."""
        with self.faults_lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                del self.faults[path]
            return fault


class DemoHandler(BaseHTTPRequestHandler):
    """Answer GET and HEAD from the site's directory with validators, 304s and gzip."""

    server: SiteServer
    arrived: float = 0.0
    zipped: bool = False
    protocol_version = "HTTP/1.1"
    server_version = "coopwatch-demo/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms stalls

    def do_GET(self) -> None:
        self.respond(send_body=True)

    def do_HEAD(self) -> None:
        self.respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence stderr logging
        return

    def respond(self, send_body: bool) -> None:
        self.arrived, self.zipped = time.time(), False
        path = urlsplit(self.path).path or "/"
        fault = self.server.take_fault(path)
        if fault is not None:
            self.send_fault(fault, send_body)
        else:
            self.send_file(path, send_body)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Log the request before the first byte of the answer goes out, then start the answer."""
        headers = getattr(self, "headers", None) or {}  # absent when the request line was malformed
        conditional = bool(headers.get("If-None-Match") or headers.get("If-Modified-Since"))
        method, path = self.command or "", getattr(self, "path", "")
        record = RequestRecord(self.server.site, method, path, int(code), conditional, self.zipped, headers.get("User-Agent"), self.arrived)
        self.server.log.add(record)
        super().send_response(code, message)

    def send_fault(self, fault: Fault, send_body: bool) -> None:
        self.send_simple(fault.status, fault.body, "text/plain; charset=utf-8", fault.headers, send_body)

    def send_file(self, path: str, send_body: bool) -> None:
        file, redirect = resolve_path(self.server.root, path)
        if redirect:
            self.send_simple(301, b"Moved Permanently\n", "text/plain; charset=utf-8", {"Location": redirect}, send_body)
        elif file is None:
            self.send_simple(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", "text/html; charset=utf-8", {}, send_body)
        else:
            resource = load_resource(file, self.server.origin)
            if self.is_not_modified(resource):
                self.send_response(304)
                self.send_validators(resource)
                self.end_headers()
            else:
                self.send_resource(resource, send_body)

    def is_not_modified(self, resource: Resource) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag_matches(inm, resource.etag)
        ims = self.headers.get("If-Modified-Since")
        return ims is not None and not_modified_since(ims, resource.mtime)

    def send_validators(self, resource: Resource) -> None:
        self.send_header("ETag", resource.etag)
        self.send_header("Last-Modified", resource.last_modified)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Vary", "Accept-Encoding")

    def send_resource(self, resource: Resource, send_body: bool) -> None:
        body = resource.body
        if accepts_gzip(self.headers.get("Accept-Encoding")) and resource.content_type.startswith(TEXT_PREFIXES):
            body, self.zipped = gzip.compress(body, mtime=0), True
        self.send_response(200)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_validators(resource)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def send_simple(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str], send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class DemoSites:
    """Serve every demo site from its own server on 127.0.0.1; a context manager.

    ``port_base=0`` (default) gives each site an ephemeral port; ``port_base=8701`` puts the sites on
    8701, 8702, 8703 in SITE_NAMES order; ``ports={"harbour": 9000, ...}`` sets them one by one (0 =
    ephemeral). Sockets are bound in the constructor, so a busy port raises OSError right away.
    ``root`` serves another copy of the sites (e.g. a tmp copy a test edits).
    """

    def __init__(
        self,
        port_base: int = 0,
        *,
        ports: Mapping[str, int] | None = None,
        root: Path | str | None = None,
        sites: tuple[str, ...] | list[str] = SITE_NAMES,
        host: str = "127.0.0.1",
    ) -> None:
        self.root = Path(root) if root is not None else SITES_DIR
        check_sites_dir(self.root, sites)
        self.log = RequestLog()
        self.servers: dict[str, SiteServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for index, name in enumerate(sites):
                port = (ports or {}).get(name, port_base + index if port_base else 0)
                self.servers[name] = SiteServer(name, self.root / name, port, self.log, host)
        except OSError:
            self.close_sockets()
            raise

    @property
    def origins(self) -> dict[str, str]:
        """Return {site: "http://127.0.0.1:PORT"} for every served site."""
        return {name: server.origin for name, server in self.servers.items()}

    def url(self, site: str, path: str = "/") -> str:
        """Return the absolute URL of a path on one site."""
        return self.servers[site].origin + path

    @property
    def request_log(self) -> list[RequestRecord]:
        """Return a copy of every request answered so far, in arrival order."""
        return self.log.snapshot()

    def requests_for(self, site: str, path: str | None = None) -> list[RequestRecord]:
        """Return the logged requests of one site, optionally only those for one path (query ignored)."""
        return [r for r in self.log.snapshot() if r.site == site and (path is None or urlsplit(r.path).path == path)]

    def clear_log(self) -> None:
        self.log.clear()

    def fail(self, site: str, path: str, status: int = 503, times: int = 1, headers: Mapping[str, str] | None = None, body: bytes = b"") -> None:
        """Answer the next ``times`` requests for a path with ``status`` (e.g. 503 with Retry-After)."""
        server = self.servers[site]
        with server.faults_lock:
            server.faults[path] = Fault(status, times, dict(headers or {}), body or f"status {status}\n".encode())

    def sources_yaml(self) -> str:
        """Return the demo sources YAML for the origins being served."""
        return render_sources(self.origins)

    def start(self) -> DemoSites:
        """Start serving in daemon threads; idempotent."""
        if not self._threads:
            for name, server in self.servers.items():
                thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"demo-{name}", daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop every server and release the ports."""
        if self._threads:
            for server in self.servers.values():
                server.shutdown()
            for thread in self._threads:
                thread.join(timeout=5)
            self._threads = []
        self.close_sockets()

    def close_sockets(self) -> None:
        for server in self.servers.values():
            server.server_close()

    def __enter__(self) -> DemoSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def use_demo_registry(env=os.environ) -> None:
    """Add the demo's registry files (demo/registries) to the structurer's, unless COOPWATCH_REGISTRY_DIR is set.

    So in a checkout the demo's people are one person under each of their names. Outside a checkout there is
    no demo folder and nothing changes; a deployment names its own folder in COOPWATCH_REGISTRY_DIR.
    """
    if REGISTRY_ENV not in env and DEMO_REGISTRY.is_dir():
        env[REGISTRY_ENV] = str(DEMO_REGISTRY)


def check_sites_dir(root: Path, sites: tuple[str, ...] | list[str]) -> None:
    """Raise FileNotFoundError naming the fix when the demo sites are missing."""
    missing = [name for name in sites if not (root / name).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"demo site folder(s) {', '.join(missing)} not found under {root}; "
            "run from a source checkout (the demo/ folder is not installed with the package) "
            "or rebuild them with: python demo/build_sites.py"
        )


def render_sources(origins: Mapping[str, str], template: Path | None = None) -> str:
    """Return the demo sources YAML with each {{site}} placeholder replaced by that site's origin."""
    path = template or SOURCES_TEMPLATE
    text = path.read_text(encoding="utf-8")
    for name, origin in origins.items():
        text = text.replace("{{" + name + "}}", origin.rstrip("/"))
    left = sorted(set(re.findall(r"\{\{(\w+)\}\}", text)))
    if left:
        raise ValueError(f"{path}: no origin given for {', '.join(left)}; pass origins for every demo site ({', '.join(SITE_NAMES)})")
    return text


FALLBACK_PORT_BASES = tuple(range(DEFAULT_PORT_BASE + 10, DEFAULT_PORT_BASE + 100, 10))  # 8711, 8721, ... 8791


def first_free_sites(bases: tuple[int, ...] = (DEFAULT_PORT_BASE, *FALLBACK_PORT_BASES)) -> DemoSites:
    """Return the demo sites bound to the first port base whose ports are all free, else to ephemeral ports.

    Fixed ports keep the demo's URLs, and so its document ids, the same from one run to the next.
    """
    for base in bases:
        try:
            return DemoSites(port_base=base)
        except OSError:
            continue
    return DemoSites()


def port_base_of(sites: DemoSites) -> int:
    """Return the port of the first demo site."""
    return sites.servers[SITE_NAMES[0]].server_address[1]


def port_base_origins(port_base: int, host: str = "127.0.0.1") -> dict[str, str]:
    """Return the origins DemoSites(port_base=...) would serve, without starting anything."""
    return {name: f"http://{host}:{port_base + i}" for i, name in enumerate(SITE_NAMES)}


def serve(port_base: int | None, sources_file: str | None = None) -> int:
    """Serve the demo sites until interrupted or terminated; print the origins (and write the sources file) first.

    ``port_base`` None: the first free base of 8701, 8711, ... (else ephemeral ports).
    """
    import signal

    sites = first_free_sites() if port_base is None else DemoSites(port_base=port_base)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with sites:
        for name, origin in sites.origins.items():
            print(f"{name:8} {origin}/", flush=True)
        if sources_file:
            write_atomically(Path(sources_file), sites.sources_yaml())
        print("serving the demo sites; press Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def port_base_arg(value: str) -> int | None:
    """Read --port-base: a port number, 0 for ephemeral ports, or "auto" for the first free of 8701, 8711, ..."""
    if value == "auto":
        return None
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: use a port number, 0 (ephemeral) or auto")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m coopwatch.demo", description="Offline demo sites for coopwatch.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = sub.add_parser("serve", help="serve the demo sites until Ctrl-C")
    serve_p.add_argument("--port-base", type=port_base_arg, default=DEFAULT_PORT_BASE,
                         help="first port (default 8701); 0 = ephemeral; auto = the first free of 8701, 8711, ...")
    serve_p.add_argument("--write-sources", metavar="FILE", help="write the demo sources file for the ports served")
    sources_p = sub.add_parser("sources", help="print the sources YAML for the demo sites")
    sources_p.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE, help="port of the first site (default 8701)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args.port_base, args.write_sources)
        sys.stdout.write(render_sources(port_base_origins(args.port_base)))
        return 0
    except OSError as exc:
        print(f"error: {exc}; choose other ports with --port-base", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
