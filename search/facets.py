"""Exact facet counts over large match sets, from in-memory bitmaps of document rowids.

Counting the values of every facet over tens of thousands of matches row by row takes SQLite hundreds of
milliseconds. Here each facet value keeps the set of documents that have it: a frequent value as a
bitmap (a Python int, bit ``r`` for rowid ``r``), a rare one as an array of rowids. A match set becomes
a bitmap and a byte-per-document table once per query; a frequent value's count is then one AND and a
popcount, a rare value's count one table lookup per document. Values are visited from the most frequent
down and the visit stops as soon as no remaining value can enter the top ``limit``, so counts stay exact.

The store builds a :class:`FacetIndex` from its tables (``search.sqlite``) and rebuilds it when the data
has changed; this module knows nothing about SQL.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

DENSE_SHARE = 64  # a value held by at least 1/64 of the documents gets a bitmap (smaller than its rowids)
_ASCII_BITS = bytes.maketrans(b"\x00\x01", b"01")


@dataclass
class Posting:
    """The documents holding one value of a facet: a bitmap when frequent, else their rowids."""

    value: str
    count: int
    bits: int = 0
    rowids: array | None = None

    def count_in(self, match: MatchSet) -> int:
        """Return how many of this value's documents are in the match set."""
        if self.rowids is None:
            return (self.bits & match.bits).bit_count()
        return sum(map(match.flags.__getitem__, self.rowids))


@dataclass
class FacetGroup:
    """One facet entry: the postings of every spelling that folds to the same key (usually one)."""

    postings: list[Posting]
    count: int = field(init=False)

    def __post_init__(self) -> None:
        self.count = sum(p.count for p in self.postings)

    def count_in(self, match: MatchSet) -> tuple[int, str]:
        """Return (matching documents, the smallest spelling among them); a document holds one spelling."""
        counts = [(p.count_in(match), p.value) for p in self.postings]
        return sum(c for c, _ in counts), min((v for c, v in counts if c), default="")


class MatchSet:
    """A set of document rowids as a bitmap and as a byte per rowid (1 = in the set)."""

    def __init__(self, rowids: Iterable[int], size: int) -> None:
        self.flags = bytearray(size)
        for rowid in rowids:
            self.flags[rowid] = 1
        self.bits = bitmap_of_flags(self.flags)


def bitmap_of_flags(flags: bytes | bytearray) -> int:
    """Return the int whose bit r is set when flags[r] is 1."""
    return int(flags[::-1].translate(_ASCII_BITS), 2) if flags else 0


def posting(value: str, rowids: list[int], size: int) -> Posting:
    """Build the posting of one value: a bitmap when the value is frequent, its rowids otherwise."""
    if len(rowids) * DENSE_SHARE >= size:
        flags = bytearray(size)
        for rowid in rowids:
            flags[rowid] = 1
        return Posting(value, len(rowids), bits=bitmap_of_flags(flags))
    return Posting(value, len(rowids), rowids=array("q", rowids))


class FacetIndex:
    """Every facet's groups, most frequent first, for exact top-N counts over any match set."""

    def __init__(self, size: int, facets: dict[str, list[FacetGroup]]) -> None:
        self.size = size  # one more than the largest rowid
        self.facets = {name: sorted(groups, key=lambda g: -g.count) for name, groups in facets.items()}

    def match_set(self, rowids: Iterable[int]) -> MatchSet:
        return MatchSet(rowids, self.size)

    def top(self, name: str, match: MatchSet, limit: int) -> list[tuple[str, int]]:
        """Return the ``limit`` values with the most matching documents: count descending, then value."""
        best: list[tuple[int, _Descending]] = []  # min-heap of the best so far, the worst on top
        for group in self.facets.get(name, []):
            if len(best) >= limit and best[0][0] > group.count:
                break  # no later group can reach the worst count kept (groups come most frequent first)
            count, value = group.count_in(match)
            if count:
                entry = (count, _Descending(value))
                if len(best) < limit:
                    heapq.heappush(best, entry)
                elif entry > best[0]:
                    heapq.heapreplace(best, entry)
        return [(d.value, count) for count, d in sorted(best, reverse=True)]

    def all_counts(self, name: str, match: MatchSet) -> list[tuple[str, int]]:
        """Return every value with matching documents (for the histogram), in no particular order."""
        counted = (group.count_in(match) for group in self.facets.get(name, []))
        return [(value, count) for count, value in counted if count]


class _Descending:
    """A string that sorts backwards, so a heap of (count, value) keeps the smaller value as the better one."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __gt__(self, other: _Descending) -> bool:
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value
