"""A real PostgreSQL server for tests: Debian's binaries, started in a temporary folder by an unprivileged user.

``pg_server`` (one per test session) runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/<version>/bin``
(or ``COOPWATCH_TEST_PG_BIN``) on a free loopback port; as root it runs them as ``nobody``, since PostgreSQL
refuses to run as root. ``pg_url`` gives each test a fresh, empty database. Without the binaries the tests
skip, or fail when CI=true (``.ci/run`` installs Debian's ``postgresql``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SUPERUSER = "coopwatch"
SERVER_OPTIONS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                  " -c max_connections=100")


def find_pg_bin() -> Path | None:
    """Return the folder of PostgreSQL's server binaries (initdb, pg_ctl), newest version first, or None."""
    named = os.environ.get("COOPWATCH_TEST_PG_BIN")
    candidates = [Path(named)] if named else sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                                                    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                                                    reverse=True)
    return next((path for path in candidates if (path / "initdb").exists() and (path / "pg_ctl").exists()), None)


def require_pg_bin() -> Path:
    """Return the PostgreSQL binaries; skip when missing, or fail when CI=true (CI must run these tests)."""
    found = find_pg_bin()
    if found:
        return found
    message = ("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: apt-get install postgresql "
               "(the tests start their own server), or set COOPWATCH_TEST_PG_BIN")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgServer:
    """One PostgreSQL cluster in a temporary folder, owned by an unprivileged user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.user = "nobody" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
        # as nobody, under /tmp: a private TMPDIR of root's would not let the server into its own folder
        self.folder = Path(tempfile.mkdtemp(prefix="coopwatch-pg-", dir="/tmp" if self.user else None))
        self.data = self.folder / "data"
        self.port = free_port()
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self.group = pwd.getpwnam(self.user).pw_gid if self.user else None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "HOME": str(self.folder)}
        done = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], cwd=self.folder, env=env, user=self.user,
                              group=self.group, extra_groups=[] if self.user else None,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace") if (self.folder / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}{log[-2000:]}")
        return done

    def start(self) -> None:
        """Create the cluster and start the server; wait until it accepts connections."""
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.folder} {SERVER_OPTIONS}", "start")

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh empty database; return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test database, closing whatever connections are left in it."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start one real PostgreSQL server for the test session."""
    server = PgServer(require_pg_bin())
    try:
        server.start()
    except Exception:
        shutil.rmtree(server.folder, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """Return the URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    url = pg_server.create_database()
    try:
        yield url
    finally:
        pg_server.drop_database(url)
