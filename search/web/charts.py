"""Chart geometry for the server-rendered inline SVGs: events over time, and the city-pair matrix.

Only numbers and labels are computed here; the templates draw them (autoescaped), so no script and no
third-party code is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from search.web.params import Filters
from search.web.views import PairsView, month_range

CHART_WIDTH, CHART_HEIGHT = 640, 150
PLOT_LEFT, PLOT_BOTTOM, PLOT_TOP = 30, 22, 8
MAX_MONTH_BARS = 72  # beyond this many months, bars are years
MAX_TICKS = 8
CELL, LABEL_WIDTH, LABEL_HEIGHT = 40, 120, 96


@dataclass
class Bar:
    """One bar: its box, period label, count and the search limited to that period."""

    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    url: str


@dataclass
class TimeChart:
    """Bars of matching events per month (or year), with a few axis labels."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    max_count: int
    unit: str
    baseline: float = field(init=False)

    def __post_init__(self) -> None:
        self.baseline = self.height - PLOT_BOTTOM


def time_chart(histogram: list[tuple[str, int]], filters: Filters, path: str = "/") -> TimeChart | None:
    """Return the bars of a monthly histogram (zero months filled in; years when it spans too long)."""
    counts = {month: count for month, count in histogram if count}
    if not counts:
        return None
    labels, unit = month_range(min(counts), max(counts)), "month"
    if len(labels) > MAX_MONTH_BARS:
        labels, unit = sorted({m[:4] for m in labels}), "year"
        counts = {year: sum(c for m, c in counts.items() if m.startswith(year)) for year in labels}
    top = max(counts.values())
    plot_width, plot_height = CHART_WIDTH - PLOT_LEFT, CHART_HEIGHT - PLOT_BOTTOM - PLOT_TOP
    step = plot_width / len(labels)
    bars = []
    for n, label in enumerate(labels):
        count = counts.get(label, 0)
        height = plot_height * count / top
        bars.append(Bar(round(PLOT_LEFT + n * step + step * 0.1, 2), round(CHART_HEIGHT - PLOT_BOTTOM - height, 2),
                        round(max(step * 0.8, 1.0), 2), round(height, 2), label, count,
                        filters.changed(since=label, until=label).url(path)))
    every = max(1, math.ceil(len(labels) / MAX_TICKS))
    ticks = [(round(PLOT_LEFT + n * step + step / 2, 2), label) for n, label in enumerate(labels) if n % every == 0]
    return TimeChart(CHART_WIDTH, CHART_HEIGHT, bars, ticks, top, unit)


@dataclass
class Cell:
    """One city pair in the matrix: centre, radius (area follows the count) and the pair's search."""

    cx: float
    cy: float
    r: float
    count: int
    cities: tuple[str, str]
    url: str


@dataclass
class Matrix:
    """The city-pair matrix: cities on both axes, a circle per pair sized by its number of events."""

    width: int
    height: int
    cities: list[tuple[str, float]]  # name, centre along the axis
    cells: list[Cell]
    grid: int  # side of the square grid
    label_width: int = LABEL_WIDTH
    label_height: int = LABEL_HEIGHT


def pair_matrix(view: PairsView) -> Matrix | None:
    """Return the matrix of the view's pairs among its most connected cities."""
    cities = view.cities()
    if len(cities) < 2:
        return None
    centre = {city: n * CELL + CELL / 2 for n, city in enumerate(cities)}
    top = max((row.total for row in view.pairs), default=1)
    cells = []
    for row in view.pairs:
        a, b = row.cities
        if a not in centre or b not in centre:
            continue
        radius = round(max(3.0, (CELL / 2 - 2) * math.sqrt(row.total / top)), 2)
        url = view.filters.changed(pair=f"{a},{b}", events_only=True).url("/")
        for x, y in ((a, b), (b, a)):  # symmetric: both halves of the grid
            cells.append(Cell(LABEL_WIDTH + centre[x], LABEL_HEIGHT + centre[y], radius, row.total, row.cities, url))
    size = len(cities) * CELL
    width = LABEL_WIDTH + size + LABEL_HEIGHT * 2 // 3  # room for the last slanted label
    return Matrix(width, LABEL_HEIGHT + size + 4, [(c, centre[c]) for c in cities], cells, size)
