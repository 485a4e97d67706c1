"""The vocabulary search reads: the structurer's places, people and event types, in both languages and scripts."""

from __future__ import annotations

import pytest

from ingest.vocabulary import Vocabulary, event_words


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary()


@pytest.mark.parametrize(("typed", "place"), [("澳门", "Macao"), ("澳門", "Macao"), ("Macau", "Macao"), ("HKSAR", "Hong Kong"),
                                              ("hong kong", "Hong Kong"), ("大湾区", "Greater Bay Area"), ("Atlantisz", None)])
def test_place_names_map_to_the_registrys_canonical_name(vocab, typed, place):
    assert vocab.place(typed) == place


def test_a_place_has_its_trusted_names_in_both_languages(vocab):
    names = vocab.place_names("Hong Kong")
    assert names[0] == "Hong Kong" and {"HKSAR", "香港"} <= set(names)
    assert "Xianggang" not in names  # a weak GeoNames variant: trusted only in context, so not a search name


def test_abbreviation_compounds_are_their_places(vocab):
    assert vocab.compound_places("沪港") == ["Shanghai", "Hong Kong"]
    assert vocab.compound_places("滬港") == ["Shanghai", "Hong Kong"]
    assert vocab.compound_places("香港") == [] and vocab.compound_places("港") == []


@pytest.mark.parametrize(("word", "etype"), [("研讨会", "symposium"), ("研討會", "symposium"), ("论坛", "forum"),
                                             ("Seminars", "seminar"), ("roundtable", "roundtable"), ("picnic", None),
                                             ("banquet", None), ("晚宴", None), ("other", "other")])
def test_event_words_map_to_the_classifiers_types(vocab, word, etype):
    assert vocab.event_type(word) == etype


def test_event_words_are_plain_words_not_regex_pieces():
    words = {w for ws in event_words().values() for w in ws}
    assert "award" not in words and not any(set(w) & set("()?[]|\\") for w in words)


def test_registry_people_have_all_their_names(vocab):
    assert {"Fan Gang", "樊纲"} <= set(vocab.person_names("樊綱"))
    assert vocab.person_names("Nobody Known") == ()


def test_extra_people_are_known_by_every_name():
    vocab = Vocabulary((("Albert Fong Chi-keung", "方志强"),))
    assert set(vocab.person_names("方志強")) == {"Albert Fong Chi-keung", "方志强"}
    assert len(vocab.person_keys("Albert Fong Chi-keung")) == 2  # not registered: one key per way of writing


def test_the_demo_registry_loads_and_names_the_demos_people_in_both_languages():
    from coopwatch.demo import DEMO_DIR
    from ingest.structure.registry import load_people
    from ingest.structure.registry_files import SHIPPED

    people, aliases = load_people([SHIPPED / "people.yaml", DEMO_DIR / "registries" / "people.yaml"])
    assert any({"Albert Fong Chi-keung", "方志强"} <= set(p.names) for p in people.values())


def test_search_place_table_is_cached_and_agrees_with_the_registry(tmp_path, monkeypatch):
    from ingest.structure import place_name
    from ingest.vocabulary import cache_dir, places_key, search_places

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    search_places.cache_clear()
    try:
        table = search_places()
        cached = cache_dir() / f"search-places-{places_key()}.json"
        assert cached.exists()
        for canonical in ("Shanghai", "Hong Kong", "Macao", "Greater Bay Area"):
            assert all(place_name(name) == canonical for name in table["forms"][canonical])
        cached.write_text("{not json", encoding="utf-8")  # a damaged cache is rebuilt, not trusted
        search_places.cache_clear()
        assert search_places()["forms"]["Hong Kong"] == table["forms"]["Hong Kong"]
    finally:
        search_places.cache_clear()


def test_search_place_table_is_rebuilt_when_the_place_rules_change(tmp_path, monkeypatch):
    from ingest.structure.registry_files import SHIPPED
    from ingest.vocabulary import places_key

    before = places_key()
    (tmp_path / "places.yaml").write_text((SHIPPED / "places.yaml").read_text(encoding="utf-8") + "\n",
                                          encoding="utf-8")
    monkeypatch.setenv("COOPWATCH_REGISTRY_DIR", str(tmp_path))
    assert places_key() != before
