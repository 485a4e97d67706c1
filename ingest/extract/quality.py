"""Extraction quality against the article-extraction benchmark's ground truth (shingle precision/recall).

The metric is the benchmark's own: tokenise with ``\\w+``, build 4-word shingles, count true positives,
false positives and false negatives per page as multisets, normalise each page's three counts to sum
to 1, macro-average precision and recall over the pages, F1 = harmonic mean of the two averages.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

WORD = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Return the multiset of ``size``-word shingles of a text (fewer words: the whole text as one)."""
    words = WORD.findall((text or "").lower())
    if len(words) < size:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i:i + size]) for i in range(len(words) - size + 1))


def page_counts(predicted: str, truth: str) -> tuple[float, float, float]:
    """Return (tp, fp, fn) for one page, normalised to sum to 1."""
    pred, gold = shingles(predicted), shingles(truth)
    tp = sum((pred & gold).values())
    fp = sum((pred - gold).values())
    fn = sum((gold - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Return macro precision, recall and F1 over (predicted, truth) pairs."""
    precisions, recalls = [], []
    for predicted, truth in pairs:
        tp, fp, fn = page_counts(predicted, truth)
        precisions.append(tp / (tp + fp) if tp + fp else 0.0)
        recalls.append(tp / (tp + fn) if tp + fn else 0.0)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "pages": len(pairs)}


def benchmark_pages(aeb_dir: Path) -> Iterator[tuple[str, str, str]]:
    """Yield (url, html, true article body) for every page of the benchmark folder."""
    truth = json.loads((aeb_dir / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, item in sorted(truth.items()):
        path = aeb_dir / "html" / f"{page_id}.html.gz"
        if path.exists():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            yield item.get("url") or "", html, item.get("articleBody") or ""


def evaluate(aeb_dir: Path, extract: Callable[[str, str], str]) -> dict[str, float]:
    """Score an extractor ``(html, url) -> text`` on the benchmark; a page it rejects counts as empty."""
    return score([(extract(html, url), truth) for url, html, truth in benchmark_pages(aeb_dir)])
