"""Person registry: one key per person however the name is written (Leung Chun-ying, 梁振英, C.Y. Leung).

``person_key(name)`` returns ``"person:<slug>"``. Known speakers (aliases below, public information) map to a
shared slug; other names get a slug from their normalised form: honorifics and honours removed, simplified
script, lower case, spaces/hyphens/dots dropped, and romanised name parts sorted so "Chan Ronnie" and
"Ronnie Chan" agree. Extend KNOWN_PEOPLE as the product learns regular speakers.
"""

from __future__ import annotations

import re
import unicodedata

from .people_en import HONORIFIC
from .textutil import to_simplified

KNOWN_PEOPLE: dict[str, tuple[str, ...]] = {
    "leung-chun-ying": ("Leung Chun-ying", "Leung Chun Ying", "C.Y. Leung", "CY Leung", "梁振英"),
    "ronnie-chan": ("Ronnie Chan", "Ronnie C Chan", "Ronnie C. Chan", "Chan Chi-chung", "陈启宗"),
    "john-lee-ka-chiu": ("John Lee", "John Lee Ka-chiu", "Lee Ka-chiu", "李家超"),
    "carrie-lam": ("Carrie Lam", "Carrie Lam Cheng Yuet-ngor", "Lam Cheng Yuet-ngor", "林郑月娥"),
    "paul-chan-mo-po": ("Paul Chan", "Paul Chan Mo-po", "陈茂波"),
    "chan-kwok-ki": ("Chan Kwok-ki", "Eric Chan", "陈国基"),
    "fan-gang": ("Fan Gang", "樊纲"),
    "zhang-daogen": ("Zhang Daogen", "张道根"),
    "wang-huiyao": ("Wang Huiyao", "Henry Huiyao Wang", "Henry Wang Huiyao", "王辉耀"),
    "guo-wanda": ("Guo Wanda", "GUO Wanda", "郭万达"),
    "edward-yau": ("Edward Yau", "Edward Yau Tang-wah", "邱腾华"),
    "gong-zheng": ("Gong Zheng", "龚正"),
    "dong-yunhu": ("Dong Yunhu", "董云虎"),
    "wang-dezhong": ("Wang Dezhong", "王德忠"),
    "quan-heng": ("Quan Heng", "权衡"),
    "li-luoli": ("Li Luoli", "李罗力"),
}
HONORIFICS = re.compile(
    rf"^{HONORIFIC}\s+|\s+(?:CMG|OBE|MBE|CBE|GBS|SBS|JP|BBS|PhD)$|(?:先生|女士|博士|教授|院士|同志)$", re.I
)


def normalise_name(name: str) -> str:
    """Return a comparable form of a person's name: no honorifics, simplified script, lower case, one space."""
    name = unicodedata.normalize("NFKC", name)
    previous = None
    while previous != name:
        previous = name
        name = HONORIFICS.sub("", name.strip())
    name = re.sub(r"[\s\u3000]+", " ", to_simplified(name)).strip().lower()
    return re.sub(r"\s*\([^)]*\)", "", name)


def _slug(name: str) -> str:
    """Return the order-free slug of a normalised name."""
    if re.search(r"[\u4e00-\u9fff]", name):
        return re.sub(r"\s+", "", name)
    parts = sorted(p for p in re.split(r"[\s.\-’']+", name) if p)
    return "-".join(parts)


_ALIASES = {_slug(normalise_name(alias)): key for key, aliases in KNOWN_PEOPLE.items() for alias in aliases}


def person_key(name: str) -> str:
    """Return the registry key of a person: known speakers share one key across spellings and scripts."""
    slug = _slug(normalise_name(name))
    return "person:" + _ALIASES.get(slug, slug)
