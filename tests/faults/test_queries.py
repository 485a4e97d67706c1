"""Faults in what users type: huge numbers, query syntax, odd characters, on both backends."""

from __future__ import annotations

import pytest

from coopwatch.cli import main
from ingest.models import Document, EventReport, doc_id

QUERIES = ['"unbalanced', "NEAR(Shanghai Hong", "* OR AND NOT", "title:Hong", "^Kong -Shanghai +", "a\x00b\x1b[5m",
           "香港 AND 上海 OR", "🙂" * 50, "x" * 5000, "\\", "''; DROP TABLE documents; --"]


def seed_documents() -> list[Document]:
    docs = []
    for n in range(3):
        url = f"https://q.example.org/news/{n}.html"
        event = EventReport(is_event_report=True, event_type="forum", event_date=f"2025-0{n + 1}-01",
                            cities=["Shanghai", "Hong Kong"], city_pairs=[["Hong Kong", "Shanghai"]])
        docs.append(Document(id=doc_id(url), url=url, source="q", title=f"Shanghai–Hong Kong forum {n}",
                             text=f"Shanghai and Hong Kong met for forum {n}. 上海与香港举行论坛。" * 5, language="en",
                             published=f"2025-0{n + 1}-02", event=event))
    return docs


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request, tmp_path, monkeypatch):
    """A store of each kind with three documents; the environment points the CLI at it."""
    monkeypatch.setenv("COOPWATCH_CONFIG", "/dev/null")
    if request.param == "sqlite":
        from search.sqlite import SQLiteBackend

        path = str(tmp_path / "store.sqlite")
        with SQLiteBackend(path) as backend:
            backend.upsert(seed_documents())
        monkeypatch.setenv("COOPWATCH_STORE", path)
        yield path
        return
    from tests.search.es_support import backend_factory, require_test_node, unique_prefix

    url = require_test_node()
    prefix = unique_prefix()
    make, cleanup = backend_factory(url, str(tmp_path / "deadletter.sqlite"))
    backend = make(prefix)
    backend.upsert(seed_documents())
    backend.refresh()
    monkeypatch.setenv("COOPWATCH_STORE", url)
    monkeypatch.setenv("COOPWATCH_ES_INDEX", prefix)
    monkeypatch.setenv("COOPWATCH_ES_DEADLETTER", str(tmp_path / "deadletter.sqlite"))
    try:
        yield url
    finally:
        cleanup()


@pytest.mark.parametrize("option", ["--limit", "--offset"])
def test_huge_limit_or_offset_is_a_clear_error(fault, store, capsys, option):
    """--limit/--offset 99999999999999999999 is refused with a clear message and status 2, not an OverflowError."""
    fault.expect(f"status 2, '{option}: ... at most 10000'; no traceback")
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "forum", option, "99999999999999999999"])
    err = capsys.readouterr().err
    fault.saw(f"status {exit_info.value.code}: {err.strip().splitlines()[-1]}")
    assert exit_info.value.code == 2 and "at most 10000" in err and "Traceback" not in err


def test_paging_past_the_window_is_a_clear_error(fault, store, capsys):
    """--offset 9995 --limit 10 (past the 10,000-result window) is refused with the way out."""
    fault.expect("status 2, 'may be at most 10000: narrow the search ...'")
    status = main(["search", "forum", "--offset", "9995", "--limit", "10"])
    err = capsys.readouterr().err
    fault.saw(f"status {status}: {err.strip()}")
    assert status == 2 and "may be at most 10000" in err


def test_query_syntax_and_odd_characters_never_crash(fault, store, capsys):
    """Search syntax, quotes, NUL/ESC, emoji, 5,000 characters and SQL in a query: status 0 on both backends."""
    fault.expect(f"status 0 for all {len(QUERIES)} queries; JSON output parses")
    import json

    statuses = []
    for query in QUERIES:
        statuses.append(main(["search", query, "--json"]))
        json.loads(capsys.readouterr().out)
    found = main(["search", "forum", "--json"])
    total = json.loads(capsys.readouterr().out)["total"]
    fault.saw(f"statuses {statuses}; a plain search still finds {total}")
    assert statuses == [0] * len(QUERIES) and found == 0 and total == 3
