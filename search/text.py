"""Text helpers every backend shares: Chinese segmentation, query terms, escaping and HTML snippets.

Chinese has no spaces, so for indexing we rewrite each run of Han characters into space-separated jieba
words (search mode, which also emits the shorter words inside long ones). Because jieba sometimes splits
person names oddly, a second form lists the character bigrams of each run, so that any Han sequence of
two or more characters can be found as a phrase of bigrams.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.models import EventReport

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]+")
WORD_CHAR = re.compile(r"[^\W_]")
LATIN_WORD = "0-9A-Za-z\u00c0-\u024f"
WHITESPACE = re.compile(r"\s+")
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
MAX_QUERY_TERMS = 64  # longer input is cut: no one types more, and it bounds the backend expression
STEM_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ies", "ied", "ers", "er", "ed", "es", "s", "e")
SNIPPET_SIZE = 240

_jieba_lock = threading.Lock()
_jieba_tokenizer: Any = None


def _jieba() -> Any:
    """Return the one jieba tokenizer, loading it on first use with its start-up logging silenced."""
    global _jieba_tokenizer
    if _jieba_tokenizer is None:
        with _jieba_lock:
            if _jieba_tokenizer is None:
                _jieba_tokenizer = _load_jieba()
    return _jieba_tokenizer


def _load_jieba() -> Any:
    """Import jieba, silence its logger and build its dictionary."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def han_runs(text: str) -> list[str]:
    """Return the runs of Han characters in text."""
    return HAN_RUN.findall(text or "")


def has_han(text: str) -> bool:
    """Tell whether text holds any Han character."""
    return HAN_RUN.search(text or "") is not None


def segment_for_index(text: str) -> str:
    """Return text with every Han run replaced by its space-separated jieba search-mode words."""
    if not has_han(text):
        return text or ""
    tokenizer = _jieba()
    return HAN_RUN.sub(lambda m: " " + " ".join(tokenizer.cut_for_search(m.group(0))) + " ", text)


def han_bigrams(run: str) -> list[str]:
    """Return the character bigrams of one Han run, closed by its last character alone.

    The closing single character keeps bigrams of neighbouring runs from forming a false phrase, and lets
    a one-character query find the end of a run.
    """
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def cjk_bigrams(text: str) -> str:
    """Return the space-separated bigrams of every Han run in text (empty when there is none)."""
    return " ".join(" ".join(han_bigrams(run)) for run in han_runs(text))


def segment_query_run(run: str) -> list[str]:
    """Split one Han run of a query into jieba words (precise mode)."""
    return [word for word in _jieba().lcut(run) if has_han(word)]


@dataclass(frozen=True)
class QueryTerm:
    """One term of a user query: a run of Han characters or a non-Han chunk (a word, maybe with punctuation).

    ``exact``: a name (香港, 方志强) matched as its exact character sequence, not by its jieba words.
    """

    text: str
    is_han: bool
    exact: bool = False


def query_terms(text: str) -> list[QueryTerm]:
    """Split user input into terms: by whitespace, then Han runs apart from the rest; drop punctuation-only bits.

    Control characters count as spaces; only the first ``MAX_QUERY_TERMS`` chunks are kept.
    """
    terms: list[QueryTerm] = []
    for chunk in CONTROL_CHARS.sub(" ", text or "").split()[:MAX_QUERY_TERMS]:
        position = 0
        for match in HAN_RUN.finditer(chunk):
            _add_plain_term(terms, chunk[position : match.start()])
            terms.append(QueryTerm(match.group(0), True))
            position = match.end()
        _add_plain_term(terms, chunk[position:])
    return terms


@dataclass(frozen=True)
class AnyOf:
    """A part of a query that matches when any of its items does (上海 or Shanghai)."""

    items: tuple[TextMatch, ...]


@dataclass(frozen=True)
class AllOf:
    """A part of a query that matches when all of its items do (the words of a query)."""

    items: tuple[TextMatch, ...]


TextMatch = QueryTerm | AnyOf | AllOf  # a term is one phrase: a Han run or a chunk of other characters


def plain_match(text: str) -> AllOf | None:
    """Return the match of user text taken as typed: all of its terms (None when it has none)."""
    terms = query_terms(text)
    return AllOf(tuple(terms)) if terms else None


def query_match(query: Any) -> TextMatch | None:
    """Return what a query's text must match: its normalised ``text_match``, else its words as typed."""
    match = getattr(query, "text_match", None)
    return match if match is not None else plain_match(query.text)


MAX_RANKED_TERMS = 8  # query terms whose fields count for ranking (a longer query ranks by its first ones)


def ranked_terms(match: TextMatch | None) -> list[TextMatch]:
    """Return the parts of a match that earn ranking points: the items of its top AllOf, or the match itself."""
    if match is None:
        return []
    items = match.items if isinstance(match, AllOf) else (match,)
    return list(items[:MAX_RANKED_TERMS])


def match_terms(match: TextMatch | None) -> list[QueryTerm]:
    """Return every term (phrase) of a match, in order, without repeats."""
    if match is None:
        return []
    if isinstance(match, QueryTerm):
        return [match]
    return list(dict.fromkeys(term for item in match.items for term in match_terms(item)))


def _add_plain_term(terms: list[QueryTerm], piece: str) -> None:
    """Append a non-Han piece when it holds at least one letter or digit."""
    if WORD_CHAR.search(piece):
        terms.append(QueryTerm(piece, False))


def query_words(text: str) -> list[str]:
    """Return the plain words of a query (letters and digits only), lower-cased."""
    words = []
    for term in query_terms(text):
        if not term.is_han:
            words.extend(w.lower() for w in re.findall(r"[^\W_]+", term.text))
    return words


def quote_fts5(text: str) -> str:
    """Return text as one FTS5 string literal, so that nothing in it acts as query syntax."""
    return '"' + text.replace('"', '""') + '"'


def fold(value: str | None) -> str:
    """Return a value normalised for case-insensitive matching: casefolded, whitespace collapsed."""
    return WHITESPACE.sub(" ", (value or "").casefold()).strip()


def name_words(value: str | None) -> str:
    """Return a person's name as folded words joined by spaces ("Vivian M. L. Tsang" -> "vivian m l tsang")."""
    return " ".join(re.findall(r"\w+", fold(value)))


def speaker_terms(speaker: str, speaker_key: str | None = None,
                  speaker_keys: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Return what a speaker filter matches: the name's folded words (all required) and the registry keys."""
    words = name_words(speaker).split() or [fold(speaker)]
    keys = [fold(speaker)] + [fold(k) for k in (speaker_key, *speaker_keys) if k]
    return words, list(dict.fromkeys(keys))


def pair_key(pair: Iterable[str]) -> str:
    """Return the order-insensitive, case-folded key of a city pair ("A|B")."""
    return "|".join(sorted(fold(city) for city in pair))


def extra_search_text(event: EventReport | None) -> list[str]:
    """Return the event fields a text search should also see: speaker names and affiliations, organisers, cities."""
    if event is None:
        return []
    return [
        *(s.name for s in event.speakers if s.name),
        *(s.affiliation for s in event.speakers if s.affiliation),
        *event.organizers,
        *event.cities,
    ]


def crude_stem(word: str) -> str:
    """Strip one common English suffix so that a highlight also marks the word's other forms."""
    word = word.lower()
    for suffix in STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=256)
def highlight_pattern(query: str | TextMatch | None) -> re.Pattern[str] | None:
    """Return a regex matching, in stored text, the words a query (text or match) looks for; None when none."""
    terms = query_terms(query) if isinstance(query, str) else match_terms(query)
    han: set[str] = set()
    stems: set[str] = set()
    for term in terms:
        if term.is_han:
            han.add(term.text)
            if not term.exact:
                han.update(word for word in segment_query_run(term.text) if len(word) > 1)
        else:
            stems.update(crude_stem(word) for word in query_words(term.text))
    parts = [re.escape(h) for h in sorted(han, key=len, reverse=True)]
    parts += [rf"(?<![{LATIN_WORD}]){re.escape(s)}[{LATIN_WORD}]*" for s in sorted(stems, key=len, reverse=True)]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def make_snippet(text: str, query: str | TextMatch | None = "", size: int = SNIPPET_SIZE) -> str:
    """Return an HTML snippet of text: the best window for the query (text or match), matches in <mark>."""
    text = WHITESPACE.sub(" ", text or "").strip()
    pattern = highlight_pattern(query)
    start = best_window_start(text, pattern, size) if pattern else 0
    end = min(len(text), start + size)
    body = mark_matches(text[start:end], pattern)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def best_window_start(text: str, pattern: re.Pattern[str], size: int) -> int:
    """Return where the window holding the most matches starts, with a little context before the first."""
    starts = [m.start() for m in pattern.finditer(text)]
    if not starts or len(text) <= size:
        return 0
    best, best_count = 0, -1
    for first in starts:
        begin = max(0, first - size // 5)
        count = sum(1 for s in starts if begin <= s < begin + size - 10)
        if count > best_count:
            best, best_count = begin, count
    return _to_word_start(text, best)


def _to_word_start(text: str, position: int) -> int:
    """Move a cut point forward to the next space when one is close, so no word is cut in half."""
    if position == 0 or text[position - 1] == " ":
        return position
    space = text.find(" ", position, position + 20)
    return space + 1 if space != -1 else position


def mark_matches(text: str, pattern: re.Pattern[str] | None) -> str:
    """Return text HTML-escaped with every pattern match wrapped in <mark>."""
    if pattern is None:
        return html.escape(text)
    out, position = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        out.append(html.escape(text[position : match.start()]))
        out.append("<mark>" + html.escape(match.group(0)) + "</mark>")
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)
