"""Processes killed with SIGKILL mid-crawl and mid-index, an Elasticsearch node that dies, a DAG task killed holding a
host lock: the next run leaves nothing lost and nothing doubled."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coopwatch.run import run_crawl
from ingest.fetch.throttle import lock_file_name
from ingest.models import Document, doc_id
from tests.faults.support import (
    HTML,
    ROOT,
    article_html,
    crawl_settings,
    env_for,
    last_run,
    listing_html,
    start_cli,
    stored_urls,
)
from tests.support.httpd import LocalServer, RecordedRequest, Response

WAIT = 300  # seconds: generous bounds for a loaded machine, never expected to be reached


def wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"process exited while waiting for {what}: {process.stdout.read()[-3000:] if process.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class GatedSite:
    """A local news site whose article ``held`` is held until released (to kill a crawler mid-request)."""

    def __init__(self, count: int, held: int) -> None:
        self.paths = [f"/news/a{n}.html" for n in range(count)]
        self.held_path = self.paths[held]
        self.arrived, self.release = threading.Event(), threading.Event()
        routes = {"/robots.txt": Response(200, "", {"Content-Type": "text/plain"}),
                  "/news/": Response(200, listing_html(self.paths), HTML)}
        routes |= {p: self._answer for p in self.paths}
        self.server = LocalServer(routes)
        self.gate_on = True

    def _answer(self, request: RecordedRequest) -> Response:
        n = self.paths.index(request.bare_path)
        if request.bare_path == self.held_path and self.gate_on:
            self.arrived.set()
            self.release.wait(WAIT)
        etag = f'"v1-{n}"'
        if request.header("If-None-Match") == etag:
            return Response(304, "", {"ETag": etag})
        return Response(200, article_html(f"Report {n}", n), {**HTML, "ETag": etag})

    def urls(self) -> list[str]:
        return [self.server.url(p) for p in self.paths]

    def __enter__(self) -> GatedSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.stop()


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_crawl_killed_mid_fetch_then_rerun(fault, tmp_path):
    """A `coopwatch crawl` killed with SIGKILL mid-fetch: its extraction worker exits too, and the next run stores every page once."""
    fault.expect("worker child gone after the kill; rerun stores all 6 pages, no duplicate, pages not indexed refetched in full")
    with GatedSite(6, held=3) as site:
        settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.server.url("/news/")]}])
        crawler = start_cli(["crawl"], env_for(settings))
        wait_for(site.arrived.is_set, "the crawler to request the held page", crawler)
        workers = children_of(crawler.pid)
        os.kill(crawler.pid, signal.SIGKILL)
        crawler.wait(30)
        wait_for(lambda: not any(alive(p) for p in workers), "the orphaned extraction worker to exit")
        before = {r.bare_path for r in site.server.requests if r.bare_path.startswith("/news/a")}
        site.server.clear()
        site.gate_on = False
        site.release.set()
        [summary] = run_crawl(settings)
        conditional = [r.bare_path for r in site.server.requests if r.header("If-None-Match")]
        expected = site.urls()
    urls = stored_urls(settings.store)
    fault.saw(f"workers {workers} exited; fetched before kill {sorted(before)}; rerun new={summary.new}, "
              f"conditional {conditional}; stored {len(urls)} ({len(set(urls))} distinct)")
    assert workers and sorted(urls) == sorted(expected) and len(urls) == len(set(urls)) == 6
    assert conditional == []  # nothing was indexed before the kill: no validator may be trusted
    assert last_run(settings, "site")["ok"]


def write_docs(path: Path, count: int) -> list[str]:
    """Write a crawl batch file of ``count`` documents; return their ids."""
    ids = []
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            url = f"https://bulk.example.org/news/{n}.html"
            doc = Document(id=doc_id(url), url=url, source="bulk", title=f"Shanghai–Hong Kong report {n}",
                           text=f"Report {n} on Shanghai and Hong Kong cooperation in trade and finance. " * 8,
                           language="en", published="2025-05-01")
            out.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            ids.append(doc.id)
    return ids


INDEX_SCRIPT = "import sys; from coopwatch.run import index_stage; index_stage([sys.argv[1]], sys.argv[2], sys.argv[3])"


def kill_while_indexing(docs: Path, store: str, state: str, env: dict[str, str], count_stored) -> int:
    """Start the crawl's index stage in a process, SIGKILL it once some documents are stored; return how many were."""
    proc = subprocess.Popen([sys.executable, "-c", INDEX_SCRIPT, str(docs), store, state], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: count_stored() > 0, "the first documents to be stored", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return count_stored()


def test_killed_while_indexing_into_sqlite(fault, tmp_path):
    """SIGKILL in the middle of indexing 3,000 documents into SQLite: the store stays sound; the rerun completes it, once each."""
    fault.expect("integrity_check ok after the kill; rerun: 3000 documents, full-text search finds 3000, none twice")
    docs, store, state = tmp_path / "docs.jsonl", str(tmp_path / "store.sqlite"), str(tmp_path / "state.sqlite")
    ids = write_docs(docs, 3000)
    from search.sqlite import SQLiteBackend

    SQLiteBackend(store).close()

    def count() -> int:
        with sqlite3.connect(store, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPWATCH_")}
    at_kill = kill_while_indexing(docs, store, state, env, count)
    with sqlite3.connect(store) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
    from coopwatch.run import index_stage
    from search.base import Query

    again = index_stage([docs], store, state)
    with SQLiteBackend(store) as backend:
        total, found = backend.count(), backend.search(Query(text="cooperation", limit=0)).total
        stored_ids = [d.id for d in backend.iter_documents()]
    fault.saw(f"{at_kill} stored at the kill; integrity {integrity}; rerun new={again['new']} unchanged={again['unchanged']}; "
              f"count {total}, search {found}")
    assert 0 < at_kill < 3000 and integrity == "ok"
    assert total == found == 3000 and sorted(stored_ids) == sorted(ids)


def test_killed_while_indexing_into_elasticsearch(fault, tmp_path):
    """SIGKILL in the middle of indexing 3,000 documents into the real Elasticsearch node: the rerun completes it, once each."""
    fault.expect("rerun: count 3000 = search total, every id once")
    from tests.search.es_support import require_test_node, unique_prefix

    url = require_test_node()
    prefix = unique_prefix()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPWATCH_")}
    env |= {"COOPWATCH_ES_INDEX": prefix, "COOPWATCH_ES_DEADLETTER": str(tmp_path / "deadletter.sqlite")}
    docs, state = tmp_path / "docs.jsonl", str(tmp_path / "state.sqlite")
    ids = write_docs(docs, 3000)
    from elasticsearch import Elasticsearch

    from search.base import Query
    from search.elastic import ElasticsearchBackend

    backend = ElasticsearchBackend.from_url(url, env=env)
    client = Elasticsearch(url, request_timeout=30)

    def count() -> int:
        client.indices.refresh(index=prefix)
        return client.count(index=prefix)["count"]

    try:
        at_kill = kill_while_indexing(docs, url, state, env, count)
        from coopwatch.run import index_stage

        os.environ.update({"COOPWATCH_ES_INDEX": prefix, "COOPWATCH_ES_DEADLETTER": env["COOPWATCH_ES_DEADLETTER"]})
        try:
            again = index_stage([docs], url, state)
        finally:
            for key in ("COOPWATCH_ES_INDEX", "COOPWATCH_ES_DEADLETTER"):
                os.environ.pop(key, None)
        backend.refresh()
        total, found = backend.count(), backend.search(Query(text="cooperation", limit=0)).total
        stored_ids = {d.id for d in backend.iter_documents()}
        fault.saw(f"{at_kill} stored at the kill; rerun new={again['new']} unchanged={again['unchanged']} "
                  f"failed={again['failed']}; count {total}, search {found}")
        assert 0 < at_kill < 3000 and again["failed"] == 0
        assert total == found == 3000 and stored_ids == set(ids)
    finally:
        backend.drop()
        backend.close()
        client.close()


def test_elasticsearch_node_that_dies_mid_run(fault, tmp_path):
    """The Elasticsearch node dies (SIGKILL) during a crawl: the run fails with the reason; after a restart the next run
    fetches the unindexed pages in full and stores every page once."""
    fault.expect("crawl exit 1, run record failed naming the connection; after restart: no conditional request, "
                 "6 documents, none twice")
    from tests.search.es_support import private_node

    nodes = private_node(tmp_path / "node")
    node = next(nodes)
    try:
        with GatedSite(6, held=4) as site:
            settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.server.url("/news/")]}],
                                      store=node.url)
            env = env_for(settings, COOPWATCH_ES_INDEX="faults", COOPWATCH_ES_TIMEOUT="5",
                          COOPWATCH_ES_DEADLETTER=str(tmp_path / "deadletter.sqlite"))
            crawler = start_cli(["crawl"], env)
            wait_for(site.arrived.is_set, "the crawler to request the held page", crawler)
            os.kill(node.pid(), signal.SIGKILL)
            site.release.set()
            output, _ = crawler.communicate(timeout=WAIT)
            first = last_run(settings, "site")
            site.gate_on = False
            node.start()
            site.server.clear()
            second = subprocess.run([sys.executable, "-m", "coopwatch.cli", "crawl"], env=env, cwd=ROOT,
                                    capture_output=True, text=True, timeout=WAIT)
            conditional = [r.bare_path for r in site.server.requests if r.header("If-None-Match")]
            expected = site.urls()
        from search.elastic import ElasticsearchBackend

        backend = ElasticsearchBackend.from_url(node.url, env=env)
        backend.refresh()
        urls = [d.url for d in backend.iter_documents()]
        backend.close()
        reason = first["counts"].get("error") or first["counts"].get("failure")
        fault.saw(f"first crawl exit {crawler.returncode}, run ok={first['ok']}, reason {reason!r:.120}; second exit "
                  f"{second.returncode}, conditional {conditional}; stored {len(urls)} ({len(set(urls))} distinct)")
        assert crawler.returncode == 1 and not first["ok"] and reason
        assert second.returncode == 0 and conditional == []
        assert sorted(urls) == sorted(expected)
    finally:
        next(nodes, None)


def lock_is_free(path: Path) -> bool:
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def test_dag_task_killed_while_holding_the_host_lock(fault, tmp_path):
    """An Airflow crawl task killed (SIGKILL) while its request holds the host lock: the lock is free at once and the
    next crawl stores every page once."""
    fault.expect("lock held during the request, free right after the kill; the next crawl stores all 5 pages, none twice")
    from tests.dags.harness import migrated_template, new_home, require_airflow

    require_airflow()
    template, _ = migrated_template(tmp_path / "airflow-template")
    with GatedSite(5, held=2) as site:
        settings = crawl_settings(tmp_path, [{"name": "site", "start_urls": [site.server.url("/news/")]}],
                                  read_timeout=600, total_timeout=600)
        env = {k: v for k, v in env_for(settings).items() if k.startswith("COOPWATCH_")}
        home = new_home(template, tmp_path / "airflow", env)
        run = home.start_dags_test("coopwatch_crawl_site")
        wait_for(site.arrived.is_set, "the fetch task to request the held page", run)
        lock = Path(settings.lock_dir) / lock_file_name(site.server.netloc)
        held = not lock_is_free(lock)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(60)
        free = lock_is_free(lock)
        site.gate_on = False
        site.release.set()
        [summary] = run_crawl(settings)
        expected = site.urls()
    urls = stored_urls(settings.store)
    fault.saw(f"lock held before the kill: {held}, free after: {free}; next crawl new={summary.new}; "
              f"stored {len(urls)} ({len(set(urls))} distinct)")
    assert held and free
    assert sorted(urls) == sorted(expected) and len(urls) == len(set(urls))
