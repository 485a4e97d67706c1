"""The names a user may type for a place, a person or an event type: English and Chinese, either script.

Read from the structurer's own vocabularies, so that search agrees with what the structurer stored: the
gazetteer (places, their variants and their one-character abbreviations), the person registry
(``person_key`` and its known people) and the event nouns the classifier maps to event types. People files
(the ``people`` setting) add people the registry does not know, each with every name they go by, such as
the demo sites' invented speakers. ``search.normalise`` maps queries through a :class:`Vocabulary`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.settings import DEFAULT_PEOPLE_FILE, ConfigError, Settings

HAN_WORD = re.compile(r"[\u3400-\u9fff]+")
LATIN_WORDS = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
# event types whose words are specific enough to stand for each other in a text search (研讨会 <-> symposium);
# "meeting", "ceremony" and "other" cover words as broad as 会议, 成立 or 活动
TEXT_EVENT_TYPES = ("symposium", "seminar", "forum", "conference", "roundtable", "workshop", "lecture")


def fold(name: str) -> str:
    """Return a name for lookup: simplified script, case-folded, one space between words."""
    from ingest.structure.textutil import to_simplified

    return " ".join(to_simplified(name).casefold().split())


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


def simplified(text: str) -> str:
    """Return text with traditional characters mapped to simplified ones (the structurer's own mapping)."""
    from ingest.structure.textutil import to_simplified

    return to_simplified(text)


@dataclass(frozen=True)
class Vocabulary:
    """Lookups from a typed name to what it stands for, and back to every name of that thing."""

    places: dict[str, tuple[str, ...]]  # canonical English name -> its names, English and Chinese
    abbreviations: dict[str, str]  # one Chinese character -> canonical place (trusted only in compounds)
    people: list[tuple[str, ...]]  # every name of one person
    event_words: dict[str, tuple[str, ...]]  # event type -> the words for it, English and Chinese
    _place_index: dict[str, str] = field(default_factory=dict, repr=False)
    _person_index: dict[str, int] = field(default_factory=dict, repr=False)
    _event_index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._place_index.update({fold(n): canon for canon, names in self.places.items() for n in (canon, *names)})
        for number, names in enumerate(self.people):
            self._person_index.update({_person_key(n): number for n in names})
        self._event_index.update({fold(w): etype for etype, words in self.event_words.items() for w in (etype, *words)})

    def place(self, name: str) -> str | None:
        """Return the canonical name of a place ("澳門", "Macau" -> "Macao"), or None when unknown."""
        key = fold(name)
        if key in self._place_index:
            return self._place_index[key]
        return self.abbreviations.get(key) if len(key) == 1 else None

    def compound_places(self, name: str) -> list[str]:
        """Return the places of an abbreviation compound ("沪港" -> Shanghai, Hong Kong); [] for anything else."""
        from ingest.structure.gazetteer import expand_abbreviations

        key = fold(name)
        if len(key) < 2 or any(ch not in self.abbreviations for ch in key):
            return []
        places = expand_abbreviations(key)
        return places if len(places) >= 2 else []

    def place_names(self, canonical: str) -> tuple[str, ...]:
        """Return every name of a place (the canonical one first)."""
        return (canonical, *(n for n in self.places.get(canonical, ()) if n != canonical))

    def person_names(self, name: str) -> tuple[str, ...]:
        """Return every name of the person called ``name`` (empty when the registry does not know them)."""
        number = self._person_index.get(_person_key(name))
        return self.people[number] if number is not None else ()

    def person_keys(self, name: str) -> list[str]:
        """Return the registry keys of every name of the person (the key of ``name`` itself first)."""
        return list(dict.fromkeys([_person_key(name), *(_person_key(n) for n in self.person_names(name))]))

    def event_type(self, word: str) -> str | None:
        """Return the event type a word names ("研讨会" -> "symposium", "Seminars" -> "seminar"), or None."""
        key = fold(word)
        return self._event_index.get(key) or (self._event_index.get(key[:-1]) if key.endswith("s") else None)

    def event_type_words(self, event_type: str) -> tuple[str, ...]:
        """Return the words for an event type in both languages, the type's own name first."""
        return (event_type, *(w for w in self.event_words.get(event_type, ()) if w != event_type))


def _person_key(name: str) -> str:
    from ingest.structure.registry import person_key

    return person_key(name)


def structurer_places() -> dict[str, tuple[str, ...]]:
    """Return the gazetteer's places: canonical name -> English variants and Chinese names."""
    from ingest.structure.gazetteer import PLACES

    return {canon: (*english, *chinese) for canon, (english, chinese) in PLACES.items()}


def structurer_abbreviations() -> dict[str, str]:
    """Return the gazetteer's one-character abbreviations (沪 -> Shanghai)."""
    from ingest.structure.gazetteer import ABBREVIATIONS

    return dict(ABBREVIATIONS)


def structurer_people() -> list[tuple[str, ...]]:
    """Return the person registry's known people, each as all of their names."""
    from ingest.structure.registry import KNOWN_PEOPLE

    return [tuple(names) for names in KNOWN_PEOPLE.values()]


def structurer_event_words() -> dict[str, tuple[str, ...]]:
    """Return, per event type, the plain words of the classifier's event nouns (regex syntax left out)."""
    from ingest.structure.classify import EN_NOUNS, ZH_NOUNS

    words: dict[str, list[str]] = {}
    for pattern, etype in [*EN_NOUNS, *ZH_NOUNS]:
        for alternative in top_level_alternatives(pattern.replace("[- ]?", " ")):
            if HAN_WORD.fullmatch(alternative) or LATIN_WORDS.fullmatch(alternative):
                words.setdefault(etype, []).append(alternative)
    return {etype: tuple(dict.fromkeys(found)) for etype, found in words.items()}


def top_level_alternatives(pattern: str) -> list[str]:
    """Split a regex on the ``|`` outside any group ("a|(?:b|c)d" -> "a", "(?:b|c)d")."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(pattern[start:position])
            start = position + 1
    return parts + [pattern[start:]]


def read_people_file(path: str | Path) -> list[tuple[str, ...]]:
    """Read a people file: ``people:`` then one list of names per person; errors name the file and line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    entries = _people_entries(data, path)
    people = []
    for node in entries:
        names = [item.value.strip() for item in getattr(node, "value", []) if isinstance(item, yaml.ScalarNode)]
        if not isinstance(node, yaml.SequenceNode) or len(names) < 2 or len(names) != len(node.value) or not all(names):
            raise ConfigError(f"{path}:{node.start_mark.line + 1}: a person is a list of two or more names, "
                              "e.g. [Albert Fong Chi-keung, 方志强]")
        people.append(tuple(names))
    return people


def _people_entries(data, path) -> list:
    """Return the nodes listed under ``people:``, or explain the expected layout."""
    if isinstance(data, yaml.MappingNode):
        for key, value in data.value:
            if key.value == "people" and isinstance(value, yaml.SequenceNode):
                return value.value
    raise ConfigError(f"{path}:1: expected 'people:' followed by one list of names per person")


def load_vocabulary(people_files: list[str] | None = None) -> Vocabulary:
    """Return the structurer's vocabulary plus the people files (default: the ``people`` setting).

    A missing file is an error, except the default demo file when run outside a checkout.
    """
    if people_files is None:
        people_files = Settings.load().people
    found = []
    for path in people_files:
        if not Path(path).exists():
            if path == DEFAULT_PEOPLE_FILE:
                continue
            raise ConfigError(f"people file {path} not found (the 'people' setting, COOPWATCH_PEOPLE)")
        found.append((str(Path(path).resolve()), Path(path).stat().st_mtime_ns))
    return _vocabulary(tuple(found))


@functools.lru_cache(maxsize=8)
def _vocabulary(people_files: tuple[tuple[str, int], ...]) -> Vocabulary:
    """Build the vocabulary once per set of people files (path and modification time)."""
    people = structurer_people()
    for path, _ in people_files:
        people += read_people_file(path)
    return Vocabulary(structurer_places(), structurer_abbreviations(), people, structurer_event_words())
