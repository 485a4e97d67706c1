"""Numbered SQL migrations of the crawl state: ``<dialect>/NNNN_name.sql``, applied in order, each once.

A database records the last step applied to it (SQLite: ``PRAGMA user_version``; PostgreSQL: the table
``coopwatch_schema``, one row per step). Opening the state brings the database up to the newest step this
code knows, inside one transaction so concurrent openers apply each step once. A database whose version is
newer than that was written by newer code: it is refused with :class:`SchemaTooNew`, never misread.
Adding a step: a new file with the next number; never edit a step that has shipped.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.config_files import ConfigError

HERE = Path(__file__).parent
PG_LOCK_KEY = 0x636F6F70  # advisory lock held while a PostgreSQL state is migrated ("coop")


class SchemaTooNew(ConfigError):
    """The database was migrated by a newer coopwatch than this one."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """Return the numbered steps of a dialect ("sqlite" or "postgres"), oldest first."""
    steps = []
    for path in sorted((HERE / dialect).glob("*.sql")):
        number, _, name = path.stem.partition("_")
        steps.append(Migration(int(number), name, path.read_text(encoding="utf-8")))
    if [m.version for m in steps] != list(range(1, len(steps) + 1)):
        raise RuntimeError(f"{HERE / dialect}: migration numbers must run 1, 2, 3... without gaps")
    return steps


def latest_version(dialect: str) -> int:
    """Return the newest schema version this code knows for a dialect."""
    return len(migrations(dialect))


def refuse_newer(found: int, known: int, where: str) -> None:
    """Raise SchemaTooNew when a database's schema version is newer than the code knows."""
    if found > known:
        raise SchemaTooNew(
            f"{where}: crawl state schema version {found} is newer than this coopwatch knows ({known}): "
            "it was upgraded by a newer coopwatch; install that version here (every worker must run the same "
            "version), or point COOPWATCH_STATE_URL / COOPWATCH_STATE_PATH at another database")


def statements(sql: str) -> list[str]:
    """Split a migration into statements (``--`` comments dropped; ``;`` ends a statement)."""
    text = re.sub(r"--[^\n]*", "", sql)
    return [part.strip() for part in text.split(";") if part.strip()]


def migrate_sqlite(db: sqlite3.Connection, where: str) -> int:
    """Bring a SQLite crawl state (autocommit connection) to the newest version; return that version."""
    steps = migrations("sqlite")
    known = len(steps)
    found = db.execute("PRAGMA user_version").fetchone()[0]
    refuse_newer(found, known, where)
    if found == known:
        return known
    db.execute("BEGIN IMMEDIATE")
    try:
        found = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated meanwhile
        refuse_newer(found, known, where)
        present = _unversioned_steps_present(db) if found == 0 else set()
        for step in steps[found:]:
            if step.version not in present:
                for statement in statements(step.sql):
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {known}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return known


def _unversioned_steps_present(db: sqlite3.Connection) -> set[int]:
    """Return the steps a state file made before versioning already has (its ``indexed_in`` column)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(urls)")}
    return {2} if "indexed_in" in columns else set()


def migrate_postgres(conn: Any, where: str) -> int:
    """Bring a PostgreSQL crawl state (a psycopg connection) to the newest version; return that version."""
    steps = migrations("postgres")
    known = len(steps)
    found = _postgres_version(conn)
    refuse_newer(found, known, where)
    if found == known:
        return known
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS coopwatch_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        found = _postgres_version(conn)
        refuse_newer(found, known, where)
        for step in steps[found:]:
            for statement in statements(step.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO coopwatch_schema(version, name) VALUES (%s, %s)", (step.version, step.name))
    return known


def _postgres_version(conn: Any) -> int:
    """Return the schema version recorded in a PostgreSQL database (0 when it has none)."""
    if conn.execute("SELECT to_regclass('coopwatch_schema')").fetchone()[0] is None:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM coopwatch_schema").fetchone()[0]
