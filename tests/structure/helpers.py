"""Shared helpers for the structure tests: run the structurer on one invented sentence or text."""

from __future__ import annotations

from ingest.models import Article, EventReport
from ingest.structure import parse_event_report
from ingest.structure.gazetteer import en_pairs, zh_pairs
from ingest.structure.people_en import people_in_sentence as en_people_in_sentence
from ingest.structure.people_zh import people_in_sentence as zh_people_in_sentence
from ingest.structure.textutil import to_simplified

# (name, title, affiliation, role); role is None when no role cue applies
Person = tuple[str, "str | None", "str | None", "str | None"]


def report_of(text: str, title: str | None = None, language: str | None = None) -> EventReport:
    """Structure a text as an Article without URL, source or publication date."""
    return parse_event_report(Article(url="", source="", title=title, text=text, language=language))


def zh_people(sentence: str) -> list[Person]:
    """Return every person the Chinese rules find in one sentence."""
    return [(m.name, m.title, m.affiliation, r) for m, r in zh_people_in_sentence(to_simplified(sentence), sentence)]


def en_people(sentence: str) -> list[Person]:
    """Return every person the English rules find in one sentence (no names known beforehand)."""
    return [(m.name, m.title, m.affiliation, r) for m, r in en_people_in_sentence(sentence, set())]


def with_roles(people: list[Person]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Return {name: (title, affiliation, role)} for the people a role cue applies to."""
    return {name: (title, aff, role) for name, title, aff, role in people if role}


def names(people: list[Person], cued_only: bool = False) -> list[str]:
    """Return the names, in order (only those with a role when cued_only)."""
    return [name for name, _, _, role in people if role or not cued_only]


def en_pair_list(text: str) -> list[list[str]]:
    """Return the co-operation pairs the English rules find, without their evidence."""
    return [pair for pair, _ in en_pairs(text)]


def zh_pair_list(text: str) -> list[list[str]]:
    """Return the co-operation pairs the Chinese rules find (either script), without their evidence."""
    return [pair for pair, _ in zh_pairs(to_simplified(text))]
