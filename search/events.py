"""What both backends share about event records: their search text, their filter values, and the query rules.

``search_events(query)`` reads a ``Query`` the way document searches do, on the event's merged fields:

- ``text``: words ANDed over the event's names, theme, venue, people (every written form, titles and
  affiliations), organisers, cities and the titles of its reports; Chinese as for documents.
- ``sources`` / ``language``: an event with a report from one of those sources / in that language.
- ``since`` / ``until``: the event's date (inclusive, YYYY, YYYY-MM or YYYY-MM-DD); ``event_type``;
  ``cities``, ``pair``, ``speaker`` (+ ``speaker_key``), ``org``, ``topic`` as for documents.
- ``event_status``: held or announced; ``event_ids``: events with these ids (or ids merged into them).
- ``indexed_since`` / ``changed_since``: the event was first seen / last updated at or after the stamp.
- Order: best match first when there is text, else the newest event date first (undated last), then the
  most recently updated.
"""

from __future__ import annotations

from ingest.models import Event
from search.text import fold, name_words, pair_key

EVENTS_LIMIT = 1000  # most events one search returns


def event_search_text(event: Event) -> str:
    """Return the text a search of events sees."""
    people = [s.name for s in event.speakers if s.name]
    people += [name for names in event.aka.values() for name in names]
    people += [x for s in event.speakers for x in (s.title, s.affiliation) if x]
    parts = [*event.names, event.name, event.theme, event.venue, *people, *event.organizers, *event.cities,
             *(m.title for m in event.reports)]
    return "\n".join(p for p in parts if p)


def event_facets(event: Event) -> list[tuple[str, str]]:
    """Return the distinct (kind, folded value) rows that event filters and grouping lookups match."""
    rows = [("member", m.doc_id) for m in event.reports]
    rows += [("merged", i) for i in event.merged_from]
    rows += [("key", k) for k in event.keys]
    rows += [("source", s) for s in event.sources]
    rows += [("language", fold(lang)) for lang in event.languages]
    rows += [("city", fold(c)) for c in event.cities]
    rows += [("city_pair", pair_key(p)) for p in event.city_pairs if len(p) == 2]
    rows += [("speaker_key", fold(s.key)) for s in event.speakers if s.key]
    names = [s.name for s in event.speakers if s.name] + [n for ns in event.aka.values() for n in ns]
    rows += [("speaker_key", fold(n)) for n in names]
    rows += [("speaker_words", name_words(n)) for n in names]
    rows += [("organization", fold(o)) for o in event.organizers]
    rows += [("organization", fold(s.affiliation)) for s in event.speakers if s.affiliation]
    rows += [("topic", fold(t)) for t in event.topics]
    return list(dict.fromkeys(r for r in rows if r[1]))
