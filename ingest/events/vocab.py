"""What grouping borrows from the structurer: script conversion, places and the person registry.

Every import from ``ingest.structure`` that event grouping needs sits here, so that the grouper reads the same
registries as the structurer and search (梁振英 = Leung Chun-ying; 沪 = 上海 = Shanghai) through one seam.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.structure import person_key
from ingest.structure.gazetteer import abbreviation_compounds, find_places
from ingest.structure.textutil import strip_pinyin_glosses, to_simplified, zh_number

__all__ = ["fold", "org_identity", "person_key", "places_in", "simplified", "zh_number"]

HAN = re.compile(r"[\u3400-\u9fff]")


def simplified(text: str) -> str:
    """Return text in simplified script without the pinyin glosses broken mirrors insert (會(huì) -> 会)."""
    return to_simplified(strip_pinyin_glosses(text or ""))


def fold(text: str | None) -> str:
    """Return a comparable form of a short value: simplified script, lower case, single spaces."""
    return " ".join(simplified(text or "").lower().split())


@lru_cache(maxsize=4096)
def places_in(text: str) -> tuple[str, ...]:
    """Return the canonical (English) names of the places a short text names, abbreviations (沪港) included."""
    simp = simplified(text)
    found = [hit.name for hit in find_places(text, simp)]
    for _, _, places, _ in abbreviation_compounds(simp):
        found += places
    return tuple(dict.fromkeys(found))


def org_identity(name: str) -> str:
    """Return the registry key of an organisation when the structurer has one, else its folded name."""
    try:
        from ingest.structure.registry import org_key  # the organisation registry, where present
    except ImportError:
        return "org:" + fold(name)
    return org_key(name)
