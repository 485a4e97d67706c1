"""Whether a report (or an event) describes the same real event as another event, and why.

``compare(a, b)`` weighs the evidence two sets of reports give and returns a score, the reasons behind it and,
when something rules the match out, a veto. Numbers decide first: a different edition, anniversary or name
year, or two reports of held events on days more than three days apart, are different events whatever else
they share. Then dates (same day, day and month only, or the days before a report's publication), the
kind of event, places, people, theme, venue and organisers add up. A match also needs an anchor, something
only one occurrence of an event has (its date, edition, anniversary or theme), because the same officials
meet about the same places many times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .signature import Signature, parse_day
from .terms import SPECIFIC, term_weights

JOIN_SCORE = 5.0  # score a match needs
IDENTITY_SCORE = 2.0  # of which this much must come from what the event is (kind, places, people, theme ...)
NEAR_DAYS = 3  # reports of one held event give days at most this far apart (multi-day events, datelines)


@dataclass
class Evidence:
    """What a set of reports (one report, or an event's members) says about the event."""

    held: list[date] = field(default_factory=list)
    announced: list[date] = field(default_factory=list)
    windows: list[tuple[date, date]] = field(default_factory=list)
    days: set[tuple[int, int]] = field(default_factory=set)
    editions: set[int] = field(default_factory=set)
    anniversaries: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    terms: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    pairs: set[str] = field(default_factory=set)
    people: list[tuple[str, frozenset[str]]] = field(default_factory=list)  # (name, identity keys)
    mentions: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    venues: set[str] = field(default_factory=set)
    orgs: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    main_places: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, signatures: list[Signature], extra_mentions: set[str] | None = None) -> Evidence:
        """Gather the evidence of some reports (``extra_mentions``: names found in a new report's full text)."""
        ev = cls(mentions=set(extra_mentions or ()))
        for sig in signatures:
            ev.add(sig)
        return ev

    def add(self, sig: Signature) -> None:
        """Add one report's signature."""
        day = parse_day(sig.date)
        if day is not None:
            (self.announced if sig.status == "announced" else self.held).append(day)
        else:
            self.days |= {(m, d) for m, d in sig.days}
            window = sig.window()
            if window is not None:
                self.windows.append(window)
        for value, target in ((sig.edition, self.editions), (sig.anniversary, self.anniversaries),
                              (sig.year, self.years), (sig.theme, self.themes), (sig.venue, self.venues)):
            if value:
                target.add(value)
        self.terms |= set(sig.terms)
        self.places |= set(sig.places)
        self.main_places |= set(sig.main_places)
        self.pairs |= set(sig.pairs)
        self.orgs |= set(sig.orgs)
        self.words |= set(sig.words)
        self.mentions |= set(sig.mentions)
        self.people += [(p[0], frozenset(p[1:])) for p in sig.people if len(p) > 1]

    @property
    def points(self) -> list[tuple[date, str]]:
        return [(d, "held") for d in self.held] + [(d, "announced") for d in self.announced]

    def person_keys(self) -> set[str]:
        return {k for _, keys in self.people for k in keys} | self.mentions


@dataclass
class Match:
    """The outcome of comparing two sets of reports."""

    score: float = 0.0
    identity: float = 0.0  # the part of the score that says what the event is, rather than when
    same_kind: bool = True  # the reports agree on what kind of event it is (or one of them does not say)
    reasons: list[str] = field(default_factory=list)
    anchors: list[str] = field(default_factory=list)
    veto: str | None = None

    @property
    def joins(self) -> bool:
        """Tell whether the two describe one event."""
        return (self.veto is None and bool(self.anchors) and self.same_kind and self.score >= JOIN_SCORE
                and self.identity >= IDENTITY_SCORE)

    def add(self, points: float, reason: str, identity: bool = True, anchor: bool = False) -> None:
        self.score += points
        if identity:
            self.identity += points
        self.reasons.append(f"{reason} ({points:+g})")
        if anchor:
            self.anchors.append(reason)


def compare(a: Evidence, b: Evidence) -> Match:
    """Compare two sets of reports; see the module docstring for the rules."""
    match = Match()
    compare_numbers(a, b, match)
    if match.veto:
        return match
    compare_dates(a, b, match)
    if match.veto:
        return match
    compare_kinds(a, b, match)
    compare_places(a, b, match)
    compare_people(a, b, match)
    compare_details(a, b, match)
    return match


def compare_numbers(a: Evidence, b: Evidence, match: Match) -> None:
    """Editions, anniversaries and name years: equal ones anchor a match, different ones rule it out."""
    for label, x, y, points in (("edition", a.editions, b.editions, 4.0),
                                ("anniversary", a.anniversaries, b.anniversaries, 3.0),
                                ("year in the name", a.years, b.years, 1.5)):
        if not (x and y):
            continue
        if x & y:
            shown = ", ".join(str(v) for v in sorted(x & y))
            anchor = label != "year in the name" or bool(_specific(a.terms) & _specific(b.terms))
            match.add(points, f"same {label} {shown}", anchor=anchor)
        else:
            match.veto = f"different {label}s ({_show(x)} / {_show(y)})"
            return


def compare_dates(a: Evidence, b: Evidence, match: Match) -> None:
    """Score the dates, most precise evidence first: full dates, day and month, publication windows."""
    if a.points and b.points:
        _full_dates(a, b, match)
    elif a.points or b.points:
        dated, other = (a, b) if a.points else (b, a)
        if other.days:
            _day_mentions([d for d, _ in dated.points], other.days, other.windows, match)
        elif other.windows:
            _in_window([d for d, _ in dated.points], other.windows, match)
    else:
        if a.days and b.windows or b.days and a.windows:
            days, windows = (a.days, b.windows) if a.days and b.windows else (b.days, a.windows)
            _days_in_window(days, windows, match)
        if a.windows and b.windows:
            _windows(a.windows, b.windows, match)


def _full_dates(a: Evidence, b: Evidence, match: Match) -> None:
    """Compare full dates: the same day anchors; days far apart rule out two held reports, else cost."""
    gap, da, db = min(((abs((x - y).days), x, y) for x, _ in a.points for y, _ in b.points), key=lambda t: t[0])
    if gap == 0:
        match.add(3.0, f"same date {da.isoformat()}", identity=False, anchor=True)
    elif gap == 1:
        match.add(1.0, f"dates a day apart ({da.isoformat()} / {db.isoformat()})", identity=False)
    elif gap > NEAR_DAYS:
        held_gap = min((abs((x - y).days) for x in a.held for y in b.held), default=None)
        if held_gap is not None and held_gap > NEAR_DAYS:
            match.veto = f"held on different dates ({da.isoformat()} / {db.isoformat()})"
        else:
            match.add(-3.0, f"announced for another date ({da.isoformat()} / {db.isoformat()})", identity=False)


def _day_mentions(points: list[date], days: set[tuple[int, int]], windows: list[tuple[date, date]],
                  match: Match) -> None:
    """Compare full dates with days given without a year (July 12, 12日), in the years the reports appeared."""
    years = {y for start, end in windows for y in (start.year, end.year)}
    near = False
    for point in points:
        if years and point.year not in years:
            continue
        for month, day in days:
            if day == point.day and month in (0, point.month):
                when = f"{point.month}-{point.day}" if month else f"day {day}"
                match.add(2.5, f"same day ({when})", identity=False, anchor=True)
                return
            near = near or (month == point.month and abs(day - point.day) == 1)
    if near:
        match.add(0.5, "days a day apart", identity=False)
    else:
        match.add(-3.0, "mentions other days than the event's date", identity=False)


def _in_window(points: list[date], windows: list[tuple[date, date]], match: Match) -> None:
    """Compare full dates with the days a report without a date may describe (from its publication date).

    Outside the window costs more the further away it is: a mirror may re-date a page by months, but a
    report published years away from an event is not about it.
    """
    distance = min(max((start - p).days, (p - end).days, 0) for p in points for start, end in windows)
    if distance == 0:
        match.add(1.5, "date fits the publication date", identity=False, anchor=True)
    else:
        cost = -1.0 if distance <= 60 else -3.0 if distance <= 365 else -6.0
        match.add(cost, f"date {distance} days from the publication date", identity=False)


def _days_in_window(days: set[tuple[int, int]], windows: list[tuple[date, date]], match: Match) -> None:
    """Place days without a year in the publication window of the other reports."""
    for start, end in windows:
        for year in {start.year, end.year}:
            for month, day in days:
                if month and _valid(year, month, day) and start <= date(year, month, day) <= end:
                    match.add(1.5, f"day {month}-{day} fits the publication date", identity=False, anchor=True)
                    return
    if any(month for month, _ in days):
        match.add(-1.0, "days outside the publication dates", identity=False)


def _windows(x: list[tuple[date, date]], y: list[tuple[date, date]], match: Match) -> None:
    """Compare reports that give no date by their publication dates: overlapping helps, years apart rules out."""
    gap = min(max((b0 - a1).days, (a0 - b1).days, 0) for a0, a1 in x for b0, b1 in y)
    if gap == 0:
        match.add(0.5, "published around the same days", identity=False)
    elif gap > 60:
        match.add(-3.0 if gap <= 365 else -6.0, f"published {gap} days apart", identity=False)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def compare_kinds(a: Evidence, b: Evidence, match: Match) -> None:
    """Shared kinds of event count by weight; specific kinds on both sides that never meet cost."""
    weights = term_weights()
    shared = a.terms & b.terms
    if shared:
        points = min(3.0, sum(weights.get(t, 0.5) for t in shared))
        match.add(points, "same kind: " + ", ".join(sorted(shared, key=lambda t: -weights.get(t, 0))[:3]))
    spec_a, spec_b = _specific(a.terms), _specific(b.terms)
    if spec_a and spec_b and not spec_a & spec_b:
        match.add(-4.0, f"different kinds ({_show(spec_a)} / {_show(spec_b)})")
    numbered = any(r.startswith(("same edition", "same anniversary", "same theme")) for r in match.anchors)
    named = {t for t in shared if weights.get(t, 0) >= 1}
    if (spec_a or spec_b) and not named and not numbered and not _same_theme(a.themes, b.themes):
        match.same_kind = False  # only one names the kind of event: a visit is not the meeting it includes


def compare_places(a: Evidence, b: Evidence, match: Match) -> None:
    """Shared city pairs and places count; two sets of places that never meet cost."""
    if a.pairs & b.pairs:
        match.add(2.0, "same city pair " + _show(a.pairs & b.pairs))
    only_a, only_b = a.main_places - b.places, b.main_places - a.places
    if a.main_places and b.main_places and only_a and only_b:
        match.add(-2.5, f"names other places ({_show(only_a)} / {_show(only_b)})")
    elif a.pairs and b.pairs and not a.pairs & b.pairs:
        match.add(-1.5, f"different city pairs ({_show(a.pairs)} / {_show(b.pairs)})")
    shared = a.places & b.places
    if shared:
        match.add(min(2.0, 0.75 * len(shared)), "same places " + _show(shared))
    elif a.places and b.places:
        match.add(-0.5, f"different places ({_show(a.places)} / {_show(b.places)})")


def compare_people(a: Evidence, b: Evidence, match: Match) -> None:
    """People named in both (registry and pinyin keys, in either report's speakers or text) count."""
    keys_a, keys_b = a.person_keys(), b.person_keys()
    found_a = _people_in(a.people, keys_b)
    found_b = _people_in(b.people, keys_a)
    found = found_a if len(found_a) >= len(found_b) else found_b
    if found:
        match.add(min(4.5, 1.5 * len(found)), "same people: " + ", ".join(found[:4]))


def _people_in(people: list[tuple[str, frozenset[str]]], keys: set[str]) -> list[str]:
    """Return the names of the distinct people whose keys appear among the other side's keys."""
    seen: list[frozenset[str]] = []
    names: list[str] = []
    for name, identity in people:
        if identity & keys and not any(identity & s for s in seen):
            seen.append(identity)
            names.append(name)
    return names


def compare_details(a: Evidence, b: Evidence, match: Match) -> None:
    """The theme (an anchor when equal), the venue and the organisers."""
    if _same_theme(a.themes, b.themes):
        match.add(3.0, "same theme", anchor=True)
    if a.venues & b.venues:
        match.add(0.5, "same venue")
    shared = a.words & b.words
    if shared:
        match.add(min(2.0, 0.5 * len(shared)), "same words in the title: " + _show(shared))
    if a.orgs & b.orgs:
        match.add(min(2.0, 1.0 * len(a.orgs & b.orgs)), "same organisers " + _show(a.orgs & b.orgs))


def _same_theme(x: set[str], y: set[str]) -> bool:
    """Tell whether two reports give the same theme (or one contains the other, both long enough)."""
    return any(s == t or (min(len(s), len(t)) >= 6 and (s in t or t in s)) for s in x for t in y)


def _specific(terms: set[str]) -> set[str]:
    weights = term_weights()
    return {t for t in terms if weights.get(t, 0) >= SPECIFIC}


def _show(values: set) -> str:
    return ", ".join(str(v) for v in sorted(values, key=str)[:4])
