"""Reindex and reprocess hold one batch at a time, not the corpus: four times the documents, about the same
peak of Python memory (traced with tracemalloc; the measure is memory, never time). Reprocess extracts on a
worker process, so the extractor's own bounded caches (which grow as they fill) stay out of the measure."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import coopwatch.run as run
from ingest.archive import WarcArchive
from ingest.models import Page
from ingest.settings import Settings
from search import open_backend
from search.reindex import reindex
from tests.ingest.test_pipeline import article_html
from tests.search.contract import make_doc


def traced_peak(work) -> int:
    """Return the peak of traced Python memory (bytes) while work() runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def filled_store(path: Path, count: int) -> str:
    text = "Shanghai and Hong Kong researchers met to discuss cooperation in trade and finance. " * 40
    with open_backend(str(path)) as backend:
        backend.upsert(make_doc(f"d{n}", f"Report {n}", f"{text} Number {n}.", cities=["Shanghai"])
                       for n in range(count))
    return str(path)


def reindex_peak(tmp_path: Path, count: int) -> int:
    source = filled_store(tmp_path / f"source-{count}.sqlite", count)
    with open_backend(source) as origin, open_backend(str(tmp_path / f"target-{count}.sqlite")) as target:
        peak = traced_peak(lambda: reindex(origin, target, batch_size=100))
        assert target.count() == count
    return peak


def test_reindex_memory_does_not_grow_with_the_corpus(tmp_path):
    small, large = reindex_peak(tmp_path, 400), reindex_peak(tmp_path, 1600)
    assert large < 1.5 * small, f"peak {large} bytes for 1600 documents, {small} for 400"


LONG_TEXT = "Shenzhen and Hong Kong teams compared notes on port logistics and cross-border finance. " * 40


def archived_settings(tmp_path: Path, count: int) -> Settings:
    folder = tmp_path / str(count)
    with WarcArchive(folder / "warc", "site") as archive:
        for n in range(count):
            html = article_html(f"Shenzhen and Hong Kong report {n}", n % 28 + 1, LONG_TEXT)  # ~15 KB a page
            archive.write_page(Page(url=f"http://h/{n}.html", final_url=f"http://h/{n}.html", status=200,
                                    headers={"Content-Type": "text/html; charset=utf-8"}, body=html.encode(),
                                    fetched_at="2025-11-20T08:00:00+00:00"))
    return Settings.load(env={}, store=str(folder / "store.sqlite"), archive_dir=str(folder / "warc"),
                         state_path=str(folder / "state.sqlite"), sources=str(folder / "none.yaml"))


def test_reprocess_memory_does_not_grow_with_the_archive(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "INDEX_BATCH", 4)
    run.reprocess(archived_settings(tmp_path, 1))  # untraced: imports are not the corpus
    peaks = {}
    for count in (16, 64):
        settings = archived_settings(tmp_path, count)
        counts = {}
        peaks[count] = traced_peak(lambda s=settings: counts.update(run.reprocess(s)))
        assert counts["archived"] == count and counts["new"] == count
    assert peaks[64] < 1.5 * peaks[16], f"peak {peaks[64]} bytes for 64 pages, {peaks[16]} for 16"
