"""SQLite facet counts are exact on all three paths: kept counts (nothing filtered), SQL (few matches) and
in-memory bitmaps (many matches). Each is checked against counts computed here from the documents."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict

import pytest

import search.sqlite as sqlite_backend
from ingest.models import Document, Speaker
from search.base import FACET_LIMIT, FACET_NAMES, Query
from search.facets import FacetGroup, FacetIndex, posting
from search.sqlite import SQLiteBackend, facet_rows
from tests.search.contract import make_doc

CITIES = ["Shanghai", "shanghai", "Hong Kong", "HONG KONG", "Shenzhen", "Macau", "Guangzhou", "Ningbo"]
PEOPLE = ["Fan Gang", "fan gang", "Alice Wong", "Chen Wei", "樊纲", "Grace Liu"]
ORGS = ["Pearl River Policy Lab", "pearl river policy lab", "China Development Institute", "香港大学"]
WORDS = "cooperation forum trade finance harbour talent green energy digital".split()
SIDE_KINDS = {"city": "city", "city_pair": "city_pair", "speaker": "speaker", "organization": "organization",
              "topic": "topic"}


def random_document(rng: random.Random, n: int) -> Document:
    """Return a document with random facet values, case variants and missing fields included."""
    fields = {}
    if rng.random() < 0.7:
        cities = rng.sample(CITIES, rng.randint(0, 3))
        fields = dict(
            event_type=rng.choice(["forum", "Forum", "seminar", None]),
            event_date=rng.choice([None, "2024", f"2024-{rng.randint(1, 12):02d}-03", f"2023-{rng.randint(1, 3):02d}"]),
            speakers=[Speaker(name) for name in rng.sample(PEOPLE, rng.randint(0, 3))],
            organizers=rng.sample(ORGS, rng.randint(0, 2)), cities=cities,
            pairs=[cities[:2]] if len(cities) >= 2 and cities[0].lower() != cities[1].lower() else [],
            topics=rng.sample(["finance", "Finance", "trade", "金融"], rng.randint(0, 2)),
        )
    return make_doc(f"d{n}", "Report", " ".join(rng.choices(WORDS, k=12)),
                    source=rng.choice(["thinktank-a", "thinktank-b", "thinktank-c"]),
                    language=rng.choice(["en", "zh", None]), published=rng.choice([None, "2022-05-01"]), **fields)


def expected_facets(docs: list[Document]) -> tuple[dict, list]:
    """Count facets the slow, obvious way: per value, the documents that have it."""
    facets = {}
    for name, attr in (("source", "source"), ("language", "language")):
        facets[name] = top(count_by({d.id: [(getattr(d, attr),) * 2] for d in docs if getattr(d, attr) is not None}))
    facets["event_type"] = top(count_by({d.id: [(d.event.event_type,) * 2] for d in docs
                                         if d.event and d.event.event_type is not None}))
    for name, kind in SIDE_KINDS.items():
        facets[name] = top(count_by({d.id: [(norm, value) for k, value, norm in facet_rows(d.event) if k == kind]
                                     for d in docs}))
    months = count_by({d.id: [(d.event.event_date[:7],) * 2] for d in docs
                       if d.event and d.event.event_date and len(d.event.event_date) >= 7})
    return {name: facets[name] for name in FACET_NAMES}, sorted(months)


def count_by(keyed: dict[str, list[tuple[str, str]]]) -> list[tuple[str, int]]:
    """Count documents per key (a document counts once); show each key's smallest value."""
    holders, spellings = defaultdict(set), defaultdict(set)
    for doc, pairs in keyed.items():
        for key, value in pairs:
            holders[key].add(doc)
            spellings[key].add(value)
    return [(min(spellings[key]), len(holders[key])) for key in holders]


def top(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(counts, key=lambda vc: (-vc[1], vc[0]))[:FACET_LIMIT]


QUERIES = [Query(), Query(language="en"), Query(text="cooperation"), Query(text="trade finance"),
           Query(cities=["Shanghai"]), Query(events_only=True, since="2023-01-01"), Query(org="policy lab"),
           Query(speaker="fan gang"), Query(sources=["thinktank-b"], text="forum"), Query(text="nothingmatches")]


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    rng = random.Random(13)
    return [random_document(rng, n) for n in range(400)]


@pytest.fixture
def store(tmp_path, corpus):
    with SQLiteBackend(str(tmp_path / "store.sqlite")) as backend:
        backend.upsert(corpus)
        yield backend


def matching(store: SQLiteBackend, query: Query, corpus: list[Document]) -> list[Document]:
    ids = {hit.id for hit in store.search(Query(**{**query.__dict__, "limit": 10_000})).hits}
    return [d for d in corpus if d.id in ids]


@pytest.mark.parametrize("path", ["sql", "bitmaps"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr({k: v for k, v in q.__dict__.items() if v}))
def test_facets_equal_counts_from_the_documents(store, corpus, query, path, monkeypatch):
    monkeypatch.setattr(sqlite_backend, "SMALL_MATCH", 10_000 if path == "sql" else 0)
    wanted = matching(store, query, corpus)
    result = store.search(Query(**{**query.__dict__, "facets": True}))
    assert result.total == len(wanted)
    assert (result.facets, result.histogram) == expected_facets(wanted)


def test_kept_counts_follow_updates_and_deletes(store, corpus):
    rng = random.Random(5)
    changed = [random_document(rng, n) for n in range(0, 400, 3)]  # same ids, new values
    store.upsert(changed)
    gone = corpus[1::7]
    for doc in gone:
        assert store.delete(doc.id)
    current = {d.id: d for d in corpus} | {d.id: d for d in changed}
    remaining = [d for i, d in current.items() if i not in {g.id for g in gone}]
    result = store.search(Query(facets=True))
    assert result.total == len(remaining)
    assert (result.facets, result.histogram) == expected_facets(remaining)


def test_bitmaps_notice_writes_from_another_connection(store, corpus, monkeypatch, tmp_path):
    monkeypatch.setattr(sqlite_backend, "SMALL_MATCH", 0)
    before = store.search(Query(language="en", facets=True))  # builds the bitmaps
    other = SQLiteBackend(store.path)
    extra = make_doc("late", "Late", "cooperation", language="en", source="thinktank-z", cities=["Xiamen"])
    other.upsert([extra])
    other.close()
    after = store.search(Query(language="en", facets=True))
    assert after.total == before.total + 1
    assert ("thinktank-z", 1) in after.facets["source"] and ("Xiamen", 1) in after.facets["city"]


def test_upgrade_from_version_2_recounts_everything(tmp_path, corpus):
    path = str(tmp_path / "old.sqlite")
    with SQLiteBackend(path) as backend:
        backend.upsert(corpus[:50])
        expected = backend.search(Query(facets=True))
    with sqlite3.connect(path) as conn:  # as an older coopwatch left it: no kept counts, schema 2
        conn.execute("DELETE FROM facet_counts")
        conn.execute("PRAGMA user_version=2")
    with SQLiteBackend(path) as backend:
        upgraded = backend.search(Query(facets=True))
    assert (upgraded.facets, upgraded.histogram) == (expected.facets, expected.histogram)
    assert (upgraded.facets, upgraded.histogram) == expected_facets(corpus[:50])


def test_top_values_are_exact_when_the_search_stops_early():
    rng = random.Random(3)
    size = 3000
    values = {f"v{n:03d}": sorted(rng.sample(range(size), rng.choice([1, 5, 40, 60, 200]))) for n in range(120)}
    groups = [FacetGroup([posting(v, ids, size)]) for v, ids in values.items()]
    rng.shuffle(groups)  # tied values are then visited out of order: the smaller one must still win
    index = FacetIndex(size, {"f": groups})
    for share in (0.02, 0.3, 1.0):
        match = set(rng.sample(range(size), int(size * share)))
        for limit in (1, 3, 10, 50):
            counts = [(v, sum(1 for r in ids if r in match)) for v, ids in values.items()]
            expected = sorted(((v, c) for v, c in counts if c), key=lambda vc: (-vc[1], vc[0]))[:limit]
            assert index.top("f", index.match_set(match), limit) == expected
