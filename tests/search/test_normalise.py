"""Query normalisation without a backend: how typed names become what the structurer stores.

What normalised queries find on each backend is in the contract suite (tests/search/contract.py).
"""

from __future__ import annotations

import pytest

from search.base import Query
from search.normalise import QueryError, normalise_query, parse_pair
from search.text import AnyOf, QueryTerm, match_terms
from tests.search.contract import structurer_vocabulary


@pytest.fixture(scope="module")
def vocab():
    return structurer_vocabulary()


@pytest.mark.parametrize("typed", ["Hong Kong|Shenzhen", "Shenzhen,Hong Kong", "深圳，香港", "深港", "Shenzhen / HKSAR",
                                   "Hong Kong–Shenzhen"])
def test_pair_is_read_in_every_form_a_user_copies(vocab, typed):
    assert parse_pair(typed, vocab) == ("Hong Kong", "Shenzhen")


@pytest.mark.parametrize("typed", ["Hong Kong", "A,B,C", "", "港"])
def test_pair_that_is_not_two_places_says_what_is_expected(vocab, typed):
    with pytest.raises(QueryError, match="expected two places") as caught:
        parse_pair(typed, vocab)
    assert "Hong Kong|Shanghai" in str(caught.value)


def test_unknown_names_are_kept_as_typed(vocab):
    query = normalise_query(Query(cities=[" Atlantis "], event_type="hackathon", pair=("Atlantis", "Lemuria")), vocab)
    assert query.cities == ["Atlantis"] and query.event_type == "hackathon"
    assert query.pair == ("Atlantis", "Lemuria")


def test_normalising_twice_changes_nothing(vocab):
    once = normalise_query(Query(text="滬港 forum", cities=["澳門"], pair=("香港", "上海"), event_type="研讨会",
                                 speaker="樊綱"), vocab)
    assert normalise_query(once, vocab) == once


def test_speaker_gets_the_registry_keys_of_every_name(vocab):
    query = normalise_query(Query(speaker="C.Y. Leung"), vocab)
    assert query.speaker == "C.Y. Leung" and query.speaker_key == "person:leung-chun-ying"


def test_text_names_match_their_other_names_and_scripts(vocab):
    match = normalise_query(Query(text="滬港 Hong Kong"), vocab).text_match
    first, second = match.items
    assert isinstance(first, AnyOf) and {QueryTerm("滬港", True), QueryTerm("沪港", True)} <= set(first.items)
    assert {t.text for t in match_terms(first)} >= {"Shanghai", "上海", "Hong Kong", "香港"}
    assert {t.text for t in match_terms(second)} >= {"Hong Kong", "香港", "HKSAR"}


def test_a_lone_abbreviation_is_not_a_place_in_text(vocab):
    assert normalise_query(Query(text="港"), vocab).text_match.items == (QueryTerm("港", True),)


def test_empty_text_has_no_match(vocab):
    assert normalise_query(Query(text="  "), vocab).text_match is None
