"""The crawl-state contract on SQLite (the default) and on a real PostgreSQL server; what only one of them has."""

from __future__ import annotations

import sqlite3

import pytest

from ingest.migrations import latest_version, migrations
from ingest.settings import ConfigError, Settings
from ingest.state import CrawlState, open_state, state_target
from tests.ingest.state_contract import E1, StateContract
from tests.support.postgres import pg_server, pg_url  # noqa: F401 - fixtures


class TestSqliteState(StateContract):
    dialect = "sqlite"

    @pytest.fixture
    def target(self, tmp_path) -> str:
        return str(tmp_path / "state" / "crawl-state.sqlite")

    def make_newer(self, target: str, version: int) -> None:
        with sqlite3.connect(target) as db:
            db.execute(f"PRAGMA user_version = {version}")

    def schema_version(self, target: str) -> int:
        with sqlite3.connect(target) as db:
            return db.execute("PRAGMA user_version").fetchone()[0]


class TestPostgresState(StateContract):
    dialect = "postgres"

    @pytest.fixture
    def target(self, pg_url) -> str:  # noqa: F811 - the fixture imported above
        return pg_url

    def make_newer(self, target: str, version: int) -> None:
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("INSERT INTO coopwatch_schema(version, name) VALUES (%s, 'from a newer coopwatch')",
                         (version,))

    def schema_version(self, target: str) -> int:
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            return conn.execute("SELECT max(version) FROM coopwatch_schema").fetchone()[0]


def test_a_state_file_from_before_versioning_is_upgraded_in_place(tmp_path):
    """A file made by the unversioned schema (with or without indexed_in) keeps its rows and gets every step."""
    first = migrations("sqlite")[0].sql
    for has_indexed_in in (False, True):
        path = tmp_path / f"old-{has_indexed_in}.sqlite"
        with sqlite3.connect(path) as db:
            db.executescript(first)
            if has_indexed_in:
                db.execute("ALTER TABLE urls ADD COLUMN indexed_in TEXT")
            db.execute("INSERT INTO urls(url, source, status, first_seen, last_seen, etag) VALUES"
                       " ('http://h/a', 'demo', 'ok', '2025-01-01', '2025-01-01', '\"old\"')")
        with open_state(path) as state:
            assert state.get("http://h/a").status == "ok"
            state.record_success("http://h/a", "demo", *E1)
            state.mark_indexed(["http://h/a"], "store")
            assert state.validators("http://h/a", "store") == E1
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == latest_version("sqlite")


def test_state_url_chooses_postgres_and_sqlite_stays_the_default(tmp_path):
    """Without state_url the SQLite file state_path is the state; a postgresql:// URL replaces it."""
    default = Settings.load(env={}, config_path="/dev/null", state_path=str(tmp_path / "s.sqlite"))
    assert state_target(default) == str(tmp_path / "s.sqlite")
    assert isinstance(open_state(state_target(default)), CrawlState)
    shared = Settings.load(env={"COOPWATCH_STATE_URL": "postgresql://crawler@db.example:5432/coopwatch"},
                           config_path="/dev/null")
    assert state_target(shared) == "postgresql://crawler@db.example:5432/coopwatch"


def test_a_state_url_that_is_not_postgres_is_a_clear_error():
    with pytest.raises(ConfigError) as refused:
        Settings.load(env={"COOPWATCH_STATE_URL": "mysql://db/coopwatch"}, config_path="/dev/null")
    assert "COOPWATCH_STATE_URL='mysql://db/coopwatch'" in str(refused.value)
    assert "is not a PostgreSQL URL" in str(refused.value)


def test_an_unreachable_postgres_state_names_the_url_without_its_password():
    from ingest.state_pg import StateUnavailable

    with pytest.raises(StateUnavailable) as refused:
        open_state("postgresql://crawler:s3cret@127.0.0.1:1/coopwatch")
    message = str(refused.value)
    assert "cannot reach the crawl state at postgresql://crawler:***@127.0.0.1:1/coopwatch" in message
    assert "s3cret" not in message and "COOPWATCH_STATE_URL" in message
