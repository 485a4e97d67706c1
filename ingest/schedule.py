"""Check a source's ``schedule`` the way Airflow will read it, without importing Airflow.

Accepted: ``null`` (manual runs only), a preset (``@daily``, ``@hourly``, ...) or a five-field cron
expression (minute hour day-of-month month day-of-week) with numbers in range, ``*``, ranges, steps,
lists, month and weekday names, ``L``/``W`` in the day of month and ``#`` in the day of week.
"""

from __future__ import annotations

import re

PRESETS = frozenset({"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly",
                     "@annually", "@midnight"})
MONTHS = {m: n for n, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
WEEKDAYS = {d: n for n, d in enumerate("sun mon tue wed thu fri sat".split())}
FIELDS = (  # name, lowest, highest, names
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
)
ITEM = re.compile(r"^(?P<range>\*|\?|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>\d+))?$")
SPECIAL = {"day of month": re.compile(r"^(?:l|lw|\d{1,2}w)$"),  # last day, nearest weekday
           "day of week": re.compile(r"^[0-7]#[1-5]$")}  # nth weekday of the month


def schedule_problem(value: object) -> str | None:
    """Return what is wrong with a schedule value, or None when Airflow can use it."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return "is not a schedule"
    text = value.strip().lower()
    if text.startswith("@"):
        return None if text in PRESETS else f"is not a preset (known: {', '.join(sorted(PRESETS))})"
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} field(s), a cron expression has 5 (minute hour day month weekday)"
    for text_field, spec in zip(fields, FIELDS, strict=True):
        problem = _field_problem(text_field, *spec)
        if problem:
            return problem
    return None


def _field_problem(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    for item in text.split(","):
        if name in SPECIAL and SPECIAL[name].match(item):
            continue
        match = ITEM.match(item)
        if not match:
            return f"has {item!r} in the {name} field"
        if match["step"] is not None and int(match["step"]) == 0:
            return f"has a step of 0 in the {name} field"
        if match["range"] in ("*", "?"):
            continue
        bounds = [_number(part, names) for part in match["range"].split("-")]
        if any(b is None or not low <= b <= high for b in bounds):
            return f"has {item!r} in the {name} field (allowed {low}-{high})"
    return None


def _number(text: str, names: dict[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text)
