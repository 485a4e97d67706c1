"""The bilingual vocabulary of event kinds (``terms.yaml``), loaded and validated once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .vocab import simplified

TERMS_FILE = Path(__file__).with_name("terms.yaml")
SPECIFIC = 1.5  # terms weighing this much or more name a kind of event precisely


class TermsError(ValueError):
    """A bad entry in the terms file; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Term:
    """One kind of event: its canonical name, weight and how it is written in each language."""

    name: str
    weight: float
    english: re.Pattern[str] | None
    chinese: tuple[str, ...]

    @property
    def specific(self) -> bool:
        return self.weight >= SPECIFIC


@lru_cache(maxsize=4)
def load_terms(path: Path = TERMS_FILE) -> tuple[Term, ...]:
    """Read and validate the terms file; raise TermsError naming the file and line of a bad entry."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise TermsError(f"{path}: not valid YAML: {exc}") from None
    if data is None or not isinstance(data, yaml.MappingNode):
        raise TermsError(f"{path}: expected a mapping of term name -> {{weight, en, zh}}")
    return tuple(_term(path, key, value) for key, value in data.value)


def _term(path: Path, key: yaml.Node, value: yaml.Node) -> Term:
    """Build one Term from its YAML nodes, or explain what is wrong with it."""
    where = f"{path}:{key.start_mark.line + 1}"
    entry = yaml.safe_load(yaml.serialize(value))
    if not isinstance(entry, dict) or not isinstance(entry.get("weight"), (int, float)):
        raise TermsError(f"{where}: term {key.value!r} needs a numeric 'weight' and lists 'en' and 'zh'")
    english = [str(p) for p in entry.get("en") or []]
    chinese = tuple(simplified(str(w)) for w in entry.get("zh") or [])
    try:
        pattern = re.compile(r"\b(?:" + "|".join(english) + r")\b", re.I) if english else None
    except re.error as exc:
        raise TermsError(f"{where}: term {key.value!r}: bad English pattern ({exc})") from None
    if pattern is None and not chinese:
        raise TermsError(f"{where}: term {key.value!r} has neither 'en' patterns nor 'zh' words")
    return Term(str(key.value), float(entry["weight"]), pattern, chinese)


def terms_in(text: str) -> list[str]:
    """Return the names of the event kinds a text names (English patterns and Chinese words)."""
    simp = simplified(text)
    found = []
    for term in load_terms():
        if (term.english is not None and term.english.search(text)) or any(w in simp for w in term.chinese):
            found.append(term.name)
    return found


def term_weights() -> dict[str, float]:
    """Return {term name: weight}."""
    return {t.name: t.weight for t in load_terms()}
