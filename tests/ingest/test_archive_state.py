"""WARC archive round trip and crawl-state bookkeeping."""

import os
import time

from ingest.archive import WarcArchive, iter_archive, latest_responses, prune_warcs
from ingest.models import Page
from ingest.state import CrawlState


def page(url, body=b"<html>x</html>", status=200, **kw):
    return Page(url=url, final_url=url, status=status, body=body, fetched_at="2025-11-20T08:00:00+00:00",
                headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, **kw)


def test_archive_round_trip_keeps_newest_article_per_url(tmp_path):
    with WarcArchive(tmp_path, "demo", run_id="r1") as archive:
        archive.write_page(page("http://h/a", "旧".encode()))
        archive.write_page(page("http://h/list", b"<a>"), kind="listing")
        archive.write_page(page("http://h/b", b"", status=304))
        archive.write_page(page("http://h/gone", b"", status=0))  # nothing came back: not archived
    with WarcArchive(tmp_path, "demo", run_id="r2") as archive:
        archive.write_page(page("http://h/a", "新".encode()))
    records = list(iter_archive(tmp_path))
    assert [r.url for r in records] == ["http://h/a", "http://h/list", "http://h/b", "http://h/a"]
    latest = latest_responses(tmp_path)
    assert set(latest) == {"http://h/a"} and latest["http://h/a"].body.decode() == "新"
    # the body is stored decoded, so the encoding header must not claim gzip
    assert "Content-Encoding" not in latest["http://h/a"].headers and latest["http://h/a"].source == "demo"


def test_empty_archive_file_is_removed_and_old_files_pruned(tmp_path):
    with WarcArchive(tmp_path, "demo", run_id="empty") as archive:
        pass
    assert not archive.path.exists()
    with WarcArchive(tmp_path, "demo", run_id="old") as archive:
        archive.write_page(page("http://h/a"))
    old = time.time() - 40 * 86400
    os.utime(archive.path, (old, old))
    assert prune_warcs(tmp_path, older_than_days=30) == 1 and not archive.path.exists()


def test_validators_commit_only_after_indexing(tmp_path):
    with CrawlState(tmp_path / "state.sqlite") as state:
        state.record_success("http://h/a", "demo", '"e1"', "Tue, 18 Nov 2025 10:00:00 GMT", "hash1")
        assert state.validators("http://h/a") == (None, None, None)  # crash here -> refetched in full
        state.mark_indexed(["http://h/a"])
        assert state.validators("http://h/a") == ('"e1"', "Tue, 18 Nov 2025 10:00:00 GMT", "hash1")


def test_failures_are_kept_with_reasons_and_health_reports_them(tmp_path):
    with CrawlState(tmp_path / "state.sqlite") as state:
        run = state.start_run("demo")
        state.record_failure("http://h/x", "demo", "http: 404")
        state.record_no_article("http://h/g", "demo", "extract: too little text (12 characters)", None, None, "h")
        state.finish_run(run, {"discovered": 2, "new": 0}, ok=True)
        [health] = state.source_health()
        assert health["failures"] == {"http": 1, "extract": 1}
        assert health["last_success"] and health["warning"] is None
        assert state.get("http://h/x").reason == "http: 404" and state.get("http://h/x").failures == 1


def test_health_warns_when_a_source_yields_nothing_for_n_runs(tmp_path):
    with CrawlState(tmp_path / "state.sqlite") as state:
        for _ in range(3):
            state.finish_run(state.start_run("quiet"), {"discovered": 0, "new": 0})
        [health] = state.source_health(empty_runs_warning=3)
        assert health["empty_runs"] == 3 and "listing page layout" in health["warning"]


def test_prune_forgets_old_rows(tmp_path):
    with CrawlState(tmp_path / "state.sqlite") as state:
        state.record_failure("http://h/x", "demo", "http: 500")
        state.db.execute("UPDATE urls SET last_seen='2000-01-01T00:00:00+00:00'")
        state.db.execute("UPDATE failures SET at='2000-01-01T00:00:00+00:00'")
        assert state.prune(older_than_days=30) == 2
        assert state.get("http://h/x") is None
