"""The event record: fields merged from its reports, and the blocking keys that find it again.

Each field takes the best evidence the reports give: the date most held reports agree on (a preview's date
only until a report says when it took place), the most common name, venue and theme (the longest among
equals), every organiser and city once, and every person once (the same person in English and Chinese is one
speaker, with the most complete title and affiliation any report gives and the other written forms in ``aka``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from ingest.models import Event, EventMember, EventReport, Speaker

from .people import identity_keys
from .signature import Signature, parse_day
from .vocab import HAN, fold, org_identity

MONTH_MARGIN = 35  # days: a report dated near a month's edge is also looked for in the neighbouring month
ROLE_ORDER = ("keynote", "opening_remarks", "closing_remarks", "moderator", "panelist", "signatory", "host",
              "speaker", "attendee")


def rebuild(event: Event) -> Event:
    """Recompute every merged field and the blocking keys of an event from its member reports."""
    event.reports.sort(key=lambda m: (m.published or "9999", m.joined_at, m.doc_id))
    reports = [EventReport.from_dict(m.report) or EventReport() for m in event.reports]
    held = [m for m in event.reports if m.status == "held"]
    event.status = "held" if held else "announced"
    event.names = _distinct([r.event_name for r in reports if r.event_name])
    event.name = _most_common([r.event_name for r in reports])
    event.event_date = event_date_of(event.reports)
    event.event_type = _most_common([r.event_type for r in reports])
    event.venue = _most_common([r.venue for r in reports])
    event.theme = _most_common([r.theme for r in reports])
    event.organizers = _organisers(reports)
    event.speakers, event.aka = merge_speakers(reports)
    event.cities = [c for c, _ in Counter(c for r in reports for c in r.cities).most_common()]
    event.city_pairs = sorted({tuple(sorted(p)) for r in reports for p in r.city_pairs if len(p) == 2})
    event.city_pairs = [list(p) for p in event.city_pairs]
    event.topics = _distinct([t for r in reports for t in r.topics])
    event.first_seen = min((m.joined_at for m in event.reports if m.joined_at), default=event.first_seen)
    event.keys = sorted(set().union(*(blocking_keys(Signature.from_dict(m.signature)) for m in event.reports)))
    return event


def event_date_of(members: list[EventMember]) -> str | None:
    """Return the date most held reports give (the earliest among equals), else the latest preview's date."""
    held = [m.event_date for m in members if m.status == "held" and parse_day(m.event_date)]
    if held:
        counts = Counter(held)
        return min(counts, key=lambda d: (-counts[d], d))
    announced = sorted((m for m in members if m.status == "announced" and m.event_date),
                       key=lambda m: m.published or "")
    if announced:
        return announced[-1].event_date  # the latest preview knows of any change of date
    partial = [m.event_date for m in members if m.event_date]
    return partial[0] if partial else None


def blocking_keys(sig: Signature) -> set[str]:
    """Return the keys under which a report (or an event holding it) is looked up: months, numbers, people."""
    keys: set[str] = set()
    day = parse_day(sig.date)
    if day is not None:
        keys |= _months(day - timedelta(days=MONTH_MARGIN), day + timedelta(days=MONTH_MARGIN))
    else:
        window = sig.window()
        if window is not None:
            keys |= _months(window[0] - timedelta(days=MONTH_MARGIN), window[1] + timedelta(days=MONTH_MARGIN))
    for prefix, value in (("edition", sig.edition), ("anniversary", sig.anniversary), ("year", sig.year),
                          ("theme", sig.theme)):
        if value:
            keys.add(f"{prefix}:{value}")
    for month, dom in sig.days:  # a day given without a year meets an event on that day of any year
        keys.add(f"day:{month:02d}-{dom:02d}" if month else f"day:{dom:02d}")
    if day is not None:
        keys |= {f"day:{day.month:02d}-{day.day:02d}", f"day:{day.day:02d}"}
    keys |= {f"pair:{p}" for p in sig.pairs}
    keys |= {k for p in sig.people for k in p[1:]}
    return keys


def lookup_keys(sig: Signature) -> set[str]:
    """Return the keys to look a new report's events up by: its blocking keys and the names in its text."""
    return blocking_keys(sig) | set(sig.mentions)


def _months(start: date, end: date) -> set[str]:
    """Return month:YYYY-MM for every month from start to end."""
    months, current = set(), date(start.year, start.month, 1)
    while current <= end:
        months.add(f"month:{current.year:04d}-{current.month:02d}")
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def merge_speakers(reports: list[EventReport]) -> tuple[list[Speaker], dict[str, list[str]]]:
    """Return one speaker per person across the reports, and each person's other written names."""
    people: list[tuple[set[str], list[Speaker]]] = []
    for report in reports:
        for speaker in report.speakers:
            if not speaker.name:
                continue
            keys = identity_keys(speaker.name, speaker.key)
            group = next((g for g in people if g[0] & keys), None)
            if group is None:
                people.append((set(keys), [speaker]))
            else:
                group[0].update(keys)
                group[1].append(speaker)
    merged, aka = [], {}
    for keys, mentions in people:
        speaker = _best_speaker(keys, mentions)
        merged.append(speaker)
        others = _distinct([m.name for m in mentions if fold(m.name) != fold(speaker.name)])
        if others:
            aka[speaker.key or speaker.name] = others
    return merged, aka


def _best_speaker(keys: set[str], mentions: list[Speaker]) -> Speaker:
    """Merge the mentions of one person: the fullest title and affiliation, the most telling role."""
    fullest = max(mentions, key=lambda s: (bool(s.title) + bool(s.affiliation), len(s.title or "")))
    latin = [m for m in mentions if not HAN.search(m.name)]
    name = (latin or mentions)[0].name
    registry = sorted(k for k in keys if not HAN.search(k))
    key = next((m.key for m in mentions if m.key and not HAN.search(m.key)), None) or \
        (registry[0] if registry else mentions[0].key)
    roles = [m.role for m in mentions if m.role]
    role = min(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER), default="speaker")
    return Speaker(name=name, title=fullest.title, affiliation=fullest.affiliation, role=role,
                   evidence=fullest.evidence, key=key)


def _organisers(reports: list[EventReport]) -> list[str]:
    """Return every organiser once (by registry key), most often named first, as first written."""
    first: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for report in reports:
        for org in report.organizers:
            key = org_identity(org)
            first.setdefault(key, org)
            counts[key] += 1
    return [first[k] for k, _ in counts.most_common()]


def _most_common(values: list[str | None]) -> str | None:
    """Return the most common value (compared folded), the longest among equals."""
    present = [v for v in values if v]
    if not present:
        return None
    counts = Counter(fold(v) for v in present)
    return max(present, key=lambda v: (counts[fold(v)], len(v)))


def _distinct(values: list[str]) -> list[str]:
    """Return values once each (compared folded), in order."""
    seen, out = set(), []
    for value in values:
        if value and fold(value) not in seen:
            seen.add(fold(value))
            out.append(value)
    return out
