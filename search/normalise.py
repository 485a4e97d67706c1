"""Normalise a user's query before searching: names go through the place, person and event-type vocabularies.

Shared by every front end (CLI, web API): ``normalise_query(Query(...))`` returns the query to search with.

- Filters: ``cities`` and ``pair`` become the canonical place names the structurer stores (澳门, 澳門, Macau ->
  Macao; ``"上海,香港"``, ``"Hong Kong|Shanghai"`` as the facets print it, or the compound ``"沪港"``); the event
  type becomes the structurer's type (研讨会 -> symposium); a speaker also matches the registry keys of
  every other name of that person (方志强 = Albert Fong Chi-keung when a registry file says so).
- Text: a typed name of a place, person or event type also matches its other names in both languages
  (上海 -> 上海 or Shanghai; Hong Kong -> Hong Kong, HKSAR or 香港; 沪港 -> 沪港, or Shanghai and Hong Kong);
  a Chinese run also matches in the other script (滬港 -> 滬港 or 沪港). Everything else is kept as typed.

The vocabulary (``ingest.vocabulary``) is the structurer's own, so a search agrees with what was stored.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.vocabulary import TEXT_EVENT_TYPES, Vocabulary, load_vocabulary, simplified, to_traditional
from search.base import Query
from search.text import AllOf, AnyOf, QueryTerm, TextMatch, has_han, query_terms, segment_query_run

MAX_NAME_WORDS = 6  # longest name looked up among a query's words ("Guangdong-Hong Kong-Macao Greater Bay Area")
PAIR_SEPARATORS = re.compile(r"\s*[,|，、/–—]\s*")  # comma, the facets' "|", Chinese commas, slash, dashes
EDGE_PUNCTUATION = ".,;:!?\"'()[]{}“”‘’《》「」"


class QueryError(ValueError):
    """A query a user can fix; the message says how."""


def normalise_query(query: Query, vocabulary: Vocabulary | None = None) -> Query:
    """Return the query with its filters and text mapped through the vocabularies (see the module docstring)."""
    vocab = vocabulary or load_vocabulary()
    keys = vocab.person_keys(query.speaker) if query.speaker else []
    return replace(
        query,
        cities=[canonical_place(city, vocab) for city in query.cities],
        pair=normalise_pair(query.pair, vocab) if query.pair else None,
        event_type=canonical_event_type(query.event_type, vocab) if query.event_type else query.event_type,
        speaker_key=query.speaker_key or (keys[0] if keys else None),
        speaker_keys=list(dict.fromkeys([*query.speaker_keys, *keys])),
        text_match=text_match(query.text, vocab),
    )


def canonical_place(name: str, vocab: Vocabulary) -> str:
    """Return the canonical name of a place ("澳门" -> "Macao"), or the name as typed when it is unknown."""
    return vocab.place(name) or name.strip()


def canonical_event_type(word: str, vocab: Vocabulary | None = None) -> str:
    """Return the event type a word names ("研讨会" -> "symposium"), or the word as typed."""
    return (vocab or load_vocabulary()).event_type(word) or word.strip()


def parse_pair(text: str, vocabulary: Vocabulary | None = None) -> tuple[str, str]:
    """Read a city pair as typed: "Hong Kong,Shanghai", "Hong Kong|Shanghai" (as facets print it), "上海，香港", "沪港"."""
    vocab = vocabulary or load_vocabulary()
    parts = [part for part in PAIR_SEPARATORS.split(text.strip()) if part]
    if len(parts) == 1:
        parts = vocab.compound_places(parts[0]) or parts
    if len(parts) != 2:
        raise QueryError(f'pair {text!r}: expected two places separated by a comma, e.g. "Hong Kong,Shanghai" '
                         '(or "Hong Kong|Shanghai" as the facets print it)')
    return normalise_pair((parts[0], parts[1]), vocab)


def normalise_pair(pair: tuple[str, str] | list[str], vocab: Vocabulary) -> tuple[str, str]:
    """Return a pair as canonical place names, sorted."""
    first, second = sorted(canonical_place(place, vocab) for place in pair)
    return first, second


# ---------------------------------------------------------------------------------------------------- text


def text_match(text: str, vocab: Vocabulary) -> TextMatch | None:
    """Return what the text must match: every term, a name also by its other names and scripts."""
    terms = query_terms(text)
    items: list[TextMatch] = []
    position = 0
    while position < len(terms):
        item, position = _next_item(terms, position, vocab)
        items.append(item)
    return AllOf(tuple(items)) if items else None


def _next_item(terms: list[QueryTerm], start: int, vocab: Vocabulary) -> tuple[TextMatch, int]:
    """Return the match of the term at ``start`` (or of the longest name starting there) and where to go on."""
    if terms[start].is_han:
        return han_match(terms[start].text, vocab), start + 1
    for end in range(min(len(terms), start + MAX_NAME_WORDS), start, -1):
        words = terms[start:end]
        if any(term.is_han for term in words):
            continue
        typed = " ".join(term.text for term in words).strip(EDGE_PUNCTUATION)
        names = names_of(typed, vocab)
        if names:
            return any_of([typed, *names]), end
    return terms[start], start + 1


def han_match(run: str, vocab: Vocabulary, split: bool = True) -> TextMatch:
    """Return the match of a run of Han characters: as typed, in both scripts, and by the names it stands for.

    A run that is not a name as a whole may hold names among its words (上海合作 -> 上海 or Shanghai, and 合作).
    """
    simple = simplified(run)
    alternatives: list[TextMatch] = [_han(variant) for variant in dict.fromkeys([run, simple, to_traditional(simple)])]
    names = names_of(simple, vocab)
    compound = vocab.compound_places(simple)
    if names:
        alternatives += [_term(name) for name in _with_scripts(names)]
    elif compound:
        alternatives.append(AllOf(tuple(any_of(vocab.place_names(place)) for place in compound)))
    elif split:
        words = segment_query_run(simple)
        if len(words) > 1 and any(names_of(w, vocab) or vocab.compound_places(w) for w in words):
            alternatives.append(AllOf(tuple(han_match(word, vocab, split=False) for word in words)))
    return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(dict.fromkeys(alternatives)))


def names_of(name: str, vocab: Vocabulary) -> tuple[str, ...]:
    """Return every name of the place, person or (text-worthy) event type a name stands for; empty if none."""
    place = vocab.trusted_place(name) if len(simplified(name).strip()) > 1 else None  # one character: not alone
    if place:
        return vocab.place_names(place)
    person = vocab.person_names(name)
    if person:
        return person
    event_type = vocab.event_type(name)
    return vocab.event_type_words(event_type) if event_type in TEXT_EVENT_TYPES else ()


def any_of(names) -> TextMatch:
    """Return a match of any of the names (Chinese ones in both scripts)."""
    terms = tuple(dict.fromkeys(_term(name) for name in _with_scripts(names)))
    return terms[0] if len(terms) == 1 else AnyOf(terms)


def _with_scripts(names) -> list[str]:
    """Return the names, each Chinese one followed by its traditional form."""
    out: list[str] = []
    for name in names:
        out += [name, to_traditional(name)] if has_han(name) else [name]
    return list(dict.fromkeys(out))


def _term(name: str) -> QueryTerm:
    """Return a name as a term: a Chinese name is matched as its exact character sequence."""
    is_han = has_han(name) and not re.search(r"[^\u3400-\u9fff\U00020000-\U0003134f]", name)
    return QueryTerm(name, is_han, exact=is_han)


def _han(run: str) -> QueryTerm:
    return QueryTerm(run, True)
