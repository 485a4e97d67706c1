"""The vocabulary search reads: the structurer's places, people and event types, plus people files."""

from __future__ import annotations

import pytest

from ingest.settings import ConfigError
from ingest.vocabulary import load_vocabulary, read_people_file


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary([])


@pytest.mark.parametrize(("typed", "place"), [("澳门", "Macao"), ("澳門", "Macao"), ("Macau", "Macao"), ("HKSAR", "Hong Kong"),
                                              ("hong kong", "Hong Kong"), ("大湾区", "Greater Bay Area"), ("Atlantis", None)])
def test_place_names_map_to_the_gazetteers_canonical_name(vocab, typed, place):
    assert vocab.place(typed) == place


def test_abbreviation_compounds_are_their_places(vocab):
    assert vocab.compound_places("沪港") == ["Shanghai", "Hong Kong"]
    assert vocab.compound_places("滬港") == ["Shanghai", "Hong Kong"]
    assert vocab.compound_places("香港") == [] and vocab.compound_places("港") == []


@pytest.mark.parametrize(("word", "etype"), [("研讨会", "symposium"), ("研討會", "symposium"), ("论坛", "forum"),
                                             ("Seminars", "seminar"), ("roundtable", "roundtable"), ("picnic", None)])
def test_event_words_map_to_the_classifiers_types(vocab, word, etype):
    assert vocab.event_type(word) == etype


def test_event_words_are_plain_words_not_regex_pieces(vocab):
    words = {w for ws in vocab.event_words.values() for w in ws}
    assert "award" not in words and not any(set(w) & set("()?[]|\\") for w in words)


def test_registry_people_have_all_their_names(vocab):
    assert set(vocab.person_names("樊綱")) == {"Fan Gang", "樊纲"}
    assert vocab.person_names("Nobody Known") == ()


def test_people_file_adds_people(tmp_path):
    path = tmp_path / "people.yaml"
    path.write_text("people:\n  - [Albert Fong Chi-keung, 方志强]\n", encoding="utf-8")
    vocab = load_vocabulary([str(path)])
    assert set(vocab.person_names("方志強")) == {"Albert Fong Chi-keung", "方志强"}
    assert len(vocab.person_keys("Albert Fong Chi-keung")) == 2


@pytest.mark.parametrize(("text", "line"), [("people:\n  - [Only One]\n", 2), ("people:\n  - Albert\n", 2),
                                            ("folks: []\n", 1), ("people: [\n", 2)])
def test_bad_people_file_names_file_line_and_form(tmp_path, text, line):
    path = tmp_path / "people.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{path}:{line}:"):
        read_people_file(path)


def test_missing_people_file_is_an_error_unless_it_is_the_default(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="people file .* not found"):
        load_vocabulary([str(tmp_path / "nope.yaml")])
    monkeypatch.chdir(tmp_path)  # no demo/ here: the default file is skipped
    assert load_vocabulary(["demo/people.yaml"]).person_names("樊纲")


def test_the_demo_people_file_is_valid():
    from coopwatch.demo import DEMO_DIR

    people = read_people_file(DEMO_DIR / "people.yaml")
    assert ("Albert Fong Chi-keung", "方志强") in people
