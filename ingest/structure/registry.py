"""People and organisations registries: one key however a name is written (梁振英 = Leung Chun-ying = C.Y. Leung).

Entries come from ``registries/people.yaml`` and ``registries/organisations.yaml`` (plus the same files in
``COOPWATCH_REGISTRY_DIR``), loaded and validated on first use; a bad entry raises RegistryError naming its file
and line. ``person_key(name)`` returns ``"person:<key>"`` for a registered person and otherwise a slug of the
normalised name: honorifics and honours removed, simplified script, lower case, romanised name parts sorted so
"Chan Ronnie" and "Ronnie Chan" agree. ``org_key(name)`` does the same for organisations ("org:sass" for SASS,
上海社会科学院 and Shanghai Academy of Social Sciences).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .people_en import HONORIFIC
from .registry_files import RegistryError, check_keys, entries, names_of, read_yaml, registry_paths
from .textutil import to_simplified

HONORIFICS = re.compile(
    rf"^{HONORIFIC}\s+|\s+(?:CMG|OBE|MBE|CBE|GBS|SBS|JP|BBS|PhD)$|(?:先生|女士|博士|教授|院士|同志)$", re.I
)
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Title:
    """A position a person held, with the years it was held (None when open or unknown)."""

    title: str
    org: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Person:
    """A registered person: key, every written form of the name, positions over time."""

    key: str
    names: tuple[str, ...]
    titles: tuple[Title, ...] = ()

    def title_in(self, year: int) -> Title | None:
        """Return the position held in a year (the latest one that covers it)."""
        held = [t for t in self.titles if (t.start or 0) <= year <= (t.end or 9999)]
        return held[-1] if held else None


@dataclass(frozen=True)
class Organisation:
    """A registered organisation: key, every written form, the English name to show, the parent body's key."""

    key: str
    names: tuple[str, ...]
    en: str | None = None
    parent: str | None = None


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


def normalise_org(name: str) -> str:
    """Return a comparable form of an organisation's name: script, case, "the", spaces and punctuation folded."""
    name = to_simplified(unicodedata.normalize("NFKC", name)).lower().strip()
    name = re.sub(r"^the\s+", "", name)
    name = name.replace("&", "and").replace("’", "'")
    return re.sub(r"[\s.,;:'\"()（）《》“”·・\-–—]+", "", name)


@dataclass(frozen=True)
class Registries:
    """The loaded people and organisation registries with their lookup tables."""

    people: dict[str, Person]
    person_alias: dict[str, str]  # slug of a written form -> person key
    orgs: dict[str, Organisation]
    org_alias: dict[str, str]  # normalised written form -> organisation key


def _year(path: Path, line: int, value: object) -> int | None:
    """Return a year field, rejecting anything that is not a plausible year."""
    if value is None:
        return None
    if not isinstance(value, int) or not 1900 <= value <= 2100:
        raise RegistryError(path, line, f"year {value!r} must be a number such as 2017")
    return value


def _titles(path: Path, line: int, entry: dict) -> tuple[Title, ...]:
    """Return a person's positions over time."""
    out = []
    for item in entry.get("titles") or []:
        item_line = getattr(item, "line", line)
        if not isinstance(item, dict) or not isinstance(item.get("title"), str):
            raise RegistryError(path, item_line, "each title must be a mapping such as {title: Mayor, org: Shanghai, from: 2020}")
        check_keys(path, item_line, item, {"title", "org", "from", "to"}, {"title"})
        start, end = _year(path, item_line, item.get("from")), _year(path, item_line, item.get("to"))
        if start and end and end < start:
            raise RegistryError(path, item_line, f"'to' ({end}) is before 'from' ({start})")
        out.append(Title(item["title"], item.get("org"), start, end))
    return tuple(out)


def _entry_key(path: Path, line: int, entry: dict, seen: dict[str, int]) -> str:
    """Return an entry's key, rejecting a malformed or repeated one."""
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise RegistryError(path, line, f"key {key!r} must be lower-case letters, digits and hyphens, e.g. key: fan-gang")
    if key in seen:
        raise RegistryError(path, line, f"key {key!r} is already used on line {seen[key]}; pick another or merge the entries")
    seen[key] = line
    return key


def _claim(path: Path, line: int, alias: dict[str, str], where: dict[str, int], form: str, key: str, name: str) -> None:
    """Map one written form to a key, rejecting a form that already names someone else."""
    if form in alias and alias[form] != key:
        raise RegistryError(path, line, f"{name!r} already names {alias[form]!r} (line {where[form]}); a name may name one entry only")
    alias[form], where[form] = key, line


def load_people(paths: list[Path]) -> tuple[dict[str, Person], dict[str, str]]:
    """Load and validate people files: {key: Person} and {name slug: key}."""
    people: dict[str, Person] = {}
    alias: dict[str, str] = {}
    where: dict[str, int] = {}
    seen: dict[str, int] = {}
    for path in paths:
        for line, entry in entries(path, read_yaml(path)):
            check_keys(path, line, entry, {"key", "names", "titles"}, {"key", "names"})
            key = _entry_key(path, line, entry, seen)
            names = names_of(path, line, entry)
            for name in names:
                _claim(path, line, alias, where, _slug(normalise_name(name)), key, name)
            people[key] = Person(key, tuple(names), _titles(path, line, entry))
    return people, alias


def load_organisations(paths: list[Path]) -> tuple[dict[str, Organisation], dict[str, str]]:
    """Load and validate organisation files: {key: Organisation} and {normalised name: key}."""
    orgs: dict[str, Organisation] = {}
    alias: dict[str, str] = {}
    where: dict[str, int] = {}
    seen: dict[str, int] = {}
    parents: list[tuple[Path, int, str]] = []
    for path in paths:
        for line, entry in entries(path, read_yaml(path)):
            check_keys(path, line, entry, {"key", "names", "en", "parent"}, {"key", "names"})
            key = _entry_key(path, line, entry, seen)
            names = names_of(path, line, entry)
            for name in names:
                _claim(path, line, alias, where, normalise_org(name), key, name)
            en = entry.get("en") or next((n for n in names if not re.search(r"[\u4e00-\u9fff]", n) and len(n) > 6), None)
            if entry.get("parent"):
                parents.append((path, line, entry["parent"]))
            orgs[key] = Organisation(key, tuple(names), en, entry.get("parent"))
    for path, line, parent in parents:
        if parent not in orgs:
            raise RegistryError(path, line, f"parent {parent!r} is not the key of any organisation; add it or fix the key")
    return orgs, alias


@lru_cache(maxsize=1)
def registries() -> Registries:
    """Return the people and organisation registries, loading and validating them on first use."""
    people, person_alias = load_people(registry_paths("people.yaml"))
    orgs, org_alias = load_organisations(registry_paths("organisations.yaml"))
    return Registries(people, person_alias, orgs, org_alias)


def reload_registries() -> Registries:
    """Forget the loaded registries and read the files again (after staff edited them)."""
    registries.cache_clear()
    return registries()


def person_key(name: str) -> str:
    """Return the registry key of a person: registered people share one key across spellings and scripts."""
    slug = _slug(normalise_name(name))
    return "person:" + registries().person_alias.get(slug, slug)


def person(name: str) -> Person | None:
    """Return the registered person a name refers to, or None."""
    key = registries().person_alias.get(_slug(normalise_name(name)))
    return registries().people.get(key) if key else None


def org_key(name: str) -> str:
    """Return the registry key of an organisation: "org:<key>" when registered, else a slug of the normalised name."""
    form = normalise_org(name)
    return "org:" + registries().org_alias.get(form, form)


def organisation(name: str) -> Organisation | None:
    """Return the registered organisation a name (full, English or abbreviation) refers to, or None."""
    key = registries().org_alias.get(normalise_org(name))
    return registries().orgs.get(key) if key else None
