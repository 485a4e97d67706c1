"""Behaviour every crawl-state implementation must show: one suite, inherited by each implementation's class.

Usage::

    class TestMyState(StateContract):
        @pytest.fixture
        def target(self):  # where a fresh, empty state lives (a file path or a database URL)
            ...

        def make_newer(self, target, version):  # record a schema version newer than the code knows
            ...

Every test opens the state with :func:`ingest.state.open_state` / :func:`ingest.state.open_host_state`,
as the crawler does, so the suite checks the choice by target too.
"""

from __future__ import annotations

import threading
import time

import pytest

from ingest.fetch.hostnotes import CrawlDelayNote, Deferral
from ingest.migrations import SchemaTooNew, latest_version
from ingest.state import ANY_STORE, open_host_state, open_state

E1 = ('"e1"', "Tue, 18 Nov 2025 10:00:00 GMT", "hash1")


class StateContract:
    dialect = ""  # "sqlite" or "postgres"

    @pytest.fixture
    def target(self) -> str:
        raise NotImplementedError

    def make_newer(self, target: str, version: int) -> None:
        raise NotImplementedError

    def schema_version(self, target: str) -> int:
        raise NotImplementedError

    # validators ----------------------------------------------------------------------------------------
    def test_validators_stay_pending_until_indexed(self, target):
        with open_state(target) as state:
            state.record_success("http://h/a", "demo", *E1)
            assert state.validators("http://h/a") == (None, None, None)  # a crash here -> refetched in full
            state.mark_indexed(["http://h/a"], "store-1")
            assert state.validators("http://h/a") == E1
            assert state.validators("http://h/a", "store-1") == E1
            assert state.validators("http://h/a", "store-2") == (None, None, None)

    def test_commit_on_record_and_reopen_keeps_everything(self, target):
        with open_state(target) as state:
            state.record_success("http://h/a", "demo", *E1, commit=True)
        with open_state(target) as state:
            assert state.validators("http://h/a") == E1
            row = state.get("http://h/a")
            assert (row.status, row.source, row.failures, row.reason) == ("ok", "demo", 0, None)
            assert row.first_seen and row.last_success

    def test_no_article_keeps_validators_for_any_store(self, target):
        with open_state(target) as state:
            state.record_no_article("http://h/g", "demo", "extract: too little text", '"g"', None, "hg")
            assert state.validators("http://h/g", "any-store") == ('"g"', None, "hg")
            state.record_not_modified("http://h/g", "demo")
            row = state.get("http://h/g")
            assert (row.status, row.reason) == ("no_article", "extract: too little text")
            assert ANY_STORE == "*"

    def test_not_modified_clears_a_failure(self, target):
        with open_state(target) as state:
            state.record_failure("http://h/a", "demo", "http: 500")
            state.record_failure("http://h/a", "demo", "http: 500")
            assert state.get("http://h/a").failures == 2
            state.record_not_modified("http://h/a", "demo")
            row = state.get("http://h/a")
            assert (row.status, row.reason, row.failures) == ("not_modified", None, 0)

    def test_unknown_url_has_no_state(self, target):
        with open_state(target) as state:
            assert state.get("http://h/none") is None
            assert state.validators("http://h/none") == (None, None, None)

    # runs and health -----------------------------------------------------------------------------------
    def test_runs_are_listed_newest_first_with_their_counts(self, target):
        with open_state(target) as state:
            first = state.start_run("demo")
            state.finish_run(first, {"discovered": 3, "new": 2}, ok=True)
            second = state.start_run("demo")
            state.finish_run(second, {"discovered": 0, "error": "boom"}, ok=False)
            runs = state.runs("demo")
            assert [r["id"] for r in runs] == [second, first] and second > first
            assert runs[0]["counts"] == {"discovered": 0, "error": "boom"} and runs[0]["ok"] is False
            assert runs[1]["ok"] is True and runs[1]["finished"]
            assert len(state.runs("demo", limit=1)) == 1

    def test_failures_are_kept_with_reasons_and_health_reports_them(self, target):
        with open_state(target) as state:
            run = state.start_run("demo")
            state.record_failure("http://h/x", "demo", "http: 404")
            state.record_no_article("http://h/g", "demo", "extract: too little text (12 characters)", None, None, "h")
            state.record_success("http://h/ok", "demo", *E1, commit=True)
            state.finish_run(run, {"discovered": 3, "new": 1}, ok=True)
            [health] = state.source_health()
            assert health["failures"] == {"http": 1, "extract": 1} and health["pages_ok"] == 1
            assert health["last_success"] and health["warning"] is None and health["last_run_failure"] is None
            assert state.get("http://h/x").reason == "http: 404" and state.get("http://h/x").failures == 1
            assert state.failure_reasons("demo") == {"http": 1, "extract": 1}

    def test_health_warns_when_a_source_yields_nothing_for_n_runs(self, target):
        with open_state(target) as state:
            for _ in range(3):
                state.finish_run(state.start_run("quiet"), {"discovered": 0, "new": 0})
            [health] = state.source_health(empty_runs_warning=3)
            assert health["empty_runs"] == 3 and "listing page layout" in health["warning"]

    def test_an_unfinished_run_is_reported_as_such(self, target):
        with open_state(target) as state:
            state.start_run("demo")
            [health] = state.source_health()
            assert health["last_run_failure"] == "did not finish (killed or still running)"

    def test_sources_and_their_urls(self, target):
        with open_state(target) as state:
            state.record_failure("http://b/2", "beta", "http: 404")
            state.record_success("http://b/1", "beta", *E1)
            state.finish_run(state.start_run("alpha"), {})
            assert state.sources() == ["alpha", "beta"]
            assert state.urls_of("beta") == ["http://b/1", "http://b/2"] and state.urls_of("alpha") == []

    def test_prune_forgets_old_rows(self, target):
        with open_state(target) as state:
            state.record_failure("http://h/x", "demo", "http: 500")
            state.record_failure("http://h/y", "demo", "http: 500")
            state.db.execute("UPDATE urls SET last_seen='2000-01-01T00:00:00+00:00' WHERE url='http://h/x'")
            state.db.execute("UPDATE failures SET at='2000-01-01T00:00:00+00:00' WHERE url='http://h/x'")
            assert state.prune(older_than_days=30) == 2
            assert state.get("http://h/x") is None and state.get("http://h/y") is not None

    # host notes ----------------------------------------------------------------------------------------
    def test_deferrals_outlive_the_object_that_stored_them(self, target):
        until = time.time() + 600
        open_host_state(target).defer(Deferral("h.example:80", until, 999_999, True, "deferred: asked 999999s"))
        fresh = open_host_state(target)
        found = fresh.deferral("h.example:80")
        assert found is not None and found.capped and found.asked == 999_999 and abs(found.until - until) < 1e-3
        assert fresh.deferral("other.example:80") is None
        assert fresh.host_notes({"h.example:80"}) == ["h.example:80: asked 999999s"]

    def test_a_deferral_that_ended_is_only_listed_on_request(self, target):
        notes = open_host_state(target)
        notes.defer(Deferral("old.example:80", time.time() - 5, 10, False, "deferred: over"))
        assert open_host_state(target).deferral("old.example:80") is None
        assert notes.deferrals() == []
        assert [d.host for d in notes.deferrals(include_past=True)] == ["old.example:80"]

    def test_crawl_delay_notes_say_when_they_were_capped(self, target):
        notes = open_host_state(target)
        notes.note_crawl_delay(CrawlDelayNote("slow.example:80", 120.0, 30.0))
        notes.note_crawl_delay(CrawlDelayNote("fine.example:80", 2.0, 2.0))
        assert sorted((n.host, n.capped) for n in notes.crawl_delays()) == [("fine.example:80", False),
                                                                           ("slow.example:80", True)]
        lines = notes.host_notes({"slow.example:80", "fine.example:80"})
        assert lines == ["slow.example:80: robots.txt asks Crawl-delay 120s; capped at 30s (max_crawl_delay)"]

    # schema ----------------------------------------------------------------------------------------------
    def test_a_new_state_is_at_the_newest_schema_version(self, target):
        open_state(target).close()
        assert self.schema_version(target) == latest_version(self.dialect)

    def test_concurrent_first_opens_apply_each_step_once(self, target):
        errors: list[BaseException] = []

        def open_once() -> None:
            try:
                with open_state(target) as state:
                    state.finish_run(state.start_run("demo"), {})
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_once) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert self.schema_version(target) == latest_version(self.dialect)
        with open_state(target) as state:
            assert len(state.runs("demo")) == 4

    def test_a_newer_schema_is_refused_clearly(self, target):
        with open_state(target) as state:
            state.record_success("http://h/a", "demo", *E1, commit=True)
        newer = latest_version(self.dialect) + 1
        self.make_newer(target, newer)
        with pytest.raises(SchemaTooNew) as refused:
            open_state(target)
        message = str(refused.value)
        assert f"schema version {newer} is newer than this coopwatch knows ({newer - 1})" in message
        assert "install that version" in message
        with pytest.raises(SchemaTooNew):
            open_host_state(target)
