"""Score the structurer against hand-annotated event reports (per language), for bench/ and the quality gate.

Matching conventions (see ../shared/data/events/README.md): speaker names are compared without honorifics,
with normalised whitespace, case and script (traditional = simplified); title and affiliation are scored on
matched speakers and count as right when the normalised strings are equal or one contains the other; roles are
exact, with host≈moderator and opening_remarks≈speaker reported as near-matches; symposium≈seminar likewise for
event types; dates, city pairs and classification are exact.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.extract import ExtractionError
from ingest.models import Article, EventReport

from .placenames import place_name
from .registry import normalise_name
from .report import parse_event_report, report_to_json, structure_html
from .textutil import strip_pinyin_glosses, to_simplified

NEAR_TYPES = {frozenset({"symposium", "seminar"})}
NEAR_ROLES = {frozenset({"host", "moderator"}), frozenset({"opening_remarks", "speaker"})}


@dataclass
class Counts:
    """True positives, false positives and false negatives of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    def prf(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Ratio:
    """Correct over total, for accuracy-style fields."""

    correct: float = 0
    total: int = 0

    def add(self, ok: bool | float) -> None:
        self.correct += float(ok)
        self.total += 1

    def value(self) -> float:
        return round(self.correct / self.total, 4) if self.total else 1.0


@dataclass
class LangScores:
    """All scores for one language."""

    pages: int = 0
    classification: Ratio = field(default_factory=Ratio)
    event_type: Ratio = field(default_factory=Ratio)
    event_type_near: Ratio = field(default_factory=Ratio)
    event_date: Ratio = field(default_factory=Ratio)
    participant_count: Ratio = field(default_factory=Ratio)
    theme: Ratio = field(default_factory=Ratio)
    venue: Ratio = field(default_factory=Ratio)
    event_name: Ratio = field(default_factory=Ratio)  # only on sets whose annotations give it
    speaker_name: Counts = field(default_factory=Counts)
    speaker_title: Counts = field(default_factory=Counts)
    speaker_affiliation: Counts = field(default_factory=Counts)
    speaker_role: Ratio = field(default_factory=Ratio)
    speaker_role_near: Ratio = field(default_factory=Ratio)
    cities: Counts = field(default_factory=Counts)
    city_pairs: Counts = field(default_factory=Counts)
    organizers: Counts = field(default_factory=Counts)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pages": self.pages}
        for name, value in self.__dict__.items():
            if isinstance(value, Ratio):
                out[name] = {"accuracy": value.value(), "n": value.total}
            elif isinstance(value, Counts):
                out[name] = value.prf()
        return out


def norm_text(value: str | None) -> str:
    """Normalise a phrase for lenient comparison: script, case, quotes, punctuation, leading 'the'."""
    if not value:
        return ""
    value = to_simplified(strip_pinyin_glosses(value)).lower()
    value = re.sub(r"[“”\"‘’'「」『』《》()（）,.，。:：;；!?！？\-–—·・]", " ", value)
    value = re.sub(r"^\s*the\s+", "", value)
    return re.sub(r"\s+", " ", value).strip()


def lenient_equal(a: str | None, b: str | None) -> bool:
    """Tell whether two phrases agree: equal after normalising, or one contains the other."""
    na, nb = norm_text(a), norm_text(b)
    if not na or not nb:
        return na == nb
    return na == nb or na in nb or nb in na


def name_key(name: str) -> str:
    """Return the comparison form of a person's name (no honorifics, case, spaces or script differences)."""
    return re.sub(r"[\s.\-’'“”]", "", normalise_name(strip_pinyin_glosses(name)))


def held_view(pred: dict[str, Any]) -> dict[str, Any]:
    """Return what a prediction says about a held event: an announcement's planned fields count as nothing.

    The annotations describe events that took place (a negative has every field empty, what it announces is in
    its notes), so an announced preview (is_event_report False, status "announced") is scored as a negative.
    """
    if pred["is_event_report"]:
        return pred
    return {**report_to_json(EventReport()), "is_event_report": False}


def score_case(pred: dict[str, Any], truth: dict[str, Any], s: LangScores) -> dict[str, Any]:
    """Add one page's comparison to the language scores and return a per-page breakdown."""
    pred = held_view(pred)
    s.pages += 1
    s.classification.add(pred["is_event_report"] == truth["is_event_report"])
    detail: dict[str, Any] = {"class_ok": pred["is_event_report"] == truth["is_event_report"]}
    if truth["is_event_report"]:
        _score_event_fields(pred, truth, s, detail)
    detail.update(_score_speakers(pred, truth, s))
    detail["pairs"] = _score_set(s.city_pairs, [tuple(p) for p in pred["city_pairs"]], [tuple(p) for p in truth["city_pairs"]])
    detail["cities"] = _score_set(s.cities, pred["cities"], truth["cities"])
    detail["organizers"] = _score_lenient_list(s.organizers, pred["organizers"], truth["organizers"])
    return detail


def _score_event_fields(pred: dict[str, Any], truth: dict[str, Any], s: LangScores, detail: dict[str, Any]) -> None:
    """Score the single-valued fields of a true event report."""
    same_type = pred["event_type"] == truth["event_type"]
    near = same_type or frozenset({pred["event_type"], truth["event_type"]}) in NEAR_TYPES
    s.event_type.add(same_type)
    s.event_type_near.add(near)
    s.event_date.add(pred["event_date"] == truth["event_date"])
    s.participant_count.add(pred["participant_count"] == truth["participant_count"])
    s.theme.add(lenient_equal(pred["theme"], truth["theme"]))
    s.venue.add(lenient_equal(pred["venue"], truth["venue"]))
    if "event_name" in truth:
        s.event_name.add(lenient_equal(pred["event_name"], truth["event_name"]))
    detail.update(date_ok=pred["event_date"] == truth["event_date"], type_ok=same_type)


def _score_set(counts: Counts, pred: list[Any], truth: list[Any]) -> float:
    """Add exact set overlap to counts and return the page F1."""
    p, t = set(pred), set(truth)
    c = Counts(len(p & t), len(p - t), len(t - p))
    counts.add(c.tp, c.fp, c.fn)
    return c.prf()["f1"]


def _score_lenient_list(counts: Counts, pred: list[str], truth: list[str]) -> float:
    """Add a lenient one-to-one match of phrase lists to counts and return the page F1."""
    left = list(truth)
    tp = 0
    for item in pred:
        hit = next((t for t in left if lenient_equal(item, t)), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    c = Counts(tp, len(pred) - tp, len(left))
    counts.add(c.tp, c.fp, c.fn)
    return c.prf()["f1"]


def _score_speakers(pred: dict[str, Any], truth: dict[str, Any], s: LangScores) -> dict[str, Any]:
    """Match speakers by name and score names, then title/affiliation/role on the matched ones."""
    gold = {name_key(x["name"]): x for x in truth["speakers"]}
    got = {name_key(x["name"]): x for x in pred["speakers"]}
    matched = set(gold) & set(got)
    c = Counts(len(matched), len(set(got) - matched), len(set(gold) - matched))
    s.speaker_name.add(c.tp, c.fp, c.fn)
    for key in matched:
        g, p = gold[key], got[key]
        _score_slot(s.speaker_title, p["title"], g["title"])
        _score_slot(s.speaker_affiliation, p["affiliation"], g["affiliation"])
        s.speaker_role.add(p["role"] == g["role"])
        s.speaker_role_near.add(p["role"] == g["role"] or frozenset({p["role"], g["role"]}) in NEAR_ROLES)
    return {
        "speaker_f1": c.prf()["f1"],
        "missed": sorted(gold[k]["name"] for k in set(gold) - matched),
        "extra": sorted(got[k]["name"] for k in set(got) - matched),
    }


def _score_slot(counts: Counts, pred: str | None, truth: str | None) -> None:
    """Score one optional attribute of a matched speaker (empty on both sides counts for nothing)."""
    if pred and truth and lenient_equal(pred, truth):
        counts.add(tp=1)
        return
    counts.add(fp=1 if pred else 0, fn=1 if truth else 0)


def load_cases(path: Path) -> list[dict[str, Any]]:
    """Read the annotated cases (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def case_article(case: dict[str, Any]) -> Article:
    """Build the Article for a case: text only, no publication date (dates come from the text, never the URL)."""
    return Article(url=case.get("url") or "", source="dev", title=None, text=case["text"], published=None, language=case["lang"])


def evaluate(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the structurer on every case and return per-language scores, per-case details and timing."""
    scores = {"en": LangScores(), "zh": LangScores()}
    details = []
    start = time.perf_counter()
    predictions = [report_to_json(parse_event_report(case_article(c))) for c in cases]
    elapsed = time.perf_counter() - start
    for case, pred in zip(cases, predictions):
        detail = score_case(pred, case["truth"], scores[case["lang"]])
        detail.update(id=case["id"], lang=case["lang"], badness=_badness(detail, case["truth"]))
        details.append(detail)
    return {
        "scores": {lang: sc.summary() for lang, sc in scores.items()},
        "cases": details,
        "predictions": {c["id"]: p for c, p in zip(cases, predictions)},
        "seconds": elapsed,
        "pages_per_second": round(len(cases) / elapsed, 1) if elapsed else None,
    }


def _badness(detail: dict[str, Any], truth: dict[str, Any]) -> float:
    """Return how wrong a page came out (0 = perfect), to list the worst cases first."""
    bad = 0.0 if detail["class_ok"] else 3.0
    bad += 1.0 - detail["speaker_f1"]
    bad += 1.0 - detail["pairs"]
    if truth["is_event_report"]:
        bad += 0.0 if detail.get("date_ok") else 1.0
        bad += 0.0 if detail.get("type_ok") else 0.5
    return round(bad, 3)


def measure_speed(cases: list[dict[str, Any]], rounds: int = 5) -> float:
    """Return pages per second for parse_event_report over the cases (best of several rounds)."""
    articles = [case_article(c) for c in cases]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for article in articles:
            parse_event_report(article)
        best = min(best, time.perf_counter() - start)
    return len(articles) / best if best else float("inf")


def demo_pages(demo_dir: Path) -> list[tuple[dict[str, Any], str]]:
    """Return (article entry, decoded HTML) for every demo page that exists, decoded as articles.json says."""
    entries = json.loads((demo_dir / "articles.json").read_text(encoding="utf-8"))
    out = []
    for entry in entries:
        page = demo_dir / "sites" / entry["site"] / entry["path"].lstrip("/")
        if page.is_file():
            out.append((entry, page.read_bytes().decode(entry.get("encoding") or "utf-8")))
    return out


def english_pair(pair: list[str]) -> tuple[str, str]:
    """Return a city pair with English gazetteer names (上海 -> Shanghai), sorted."""
    names = [place_name(place) or place for place in pair]
    return tuple(sorted(names))  # type: ignore[return-value]


def evaluate_demo(demo_dir: Path) -> dict[str, Any]:
    """Structure every bundled demo page and score it against demo/articles.json.

    Pages are events when their kind is "event". Speakers are matched by name on event pages; dates are exact;
    city pairs are scored for precision against the generous demo list (every combination the page mentions),
    and for recall against that list too (reported, not a target: most of those pairs are not joined in the text).
    """
    totals = {"speakers": Counts(), "pairs": Counts(), "dates": Ratio(), "classes": Ratio(), "venue": Ratio(),
              "organizers": Counts(), "theme": Ratio()}
    pages = [_score_demo_page(entry, _structure_or_nothing(html, entry), totals) for entry, html in demo_pages(demo_dir)]
    return {
        "classification": {"accuracy": totals["classes"].value(), "n": totals["classes"].total},
        "speaker_name": totals["speakers"].prf(),
        "event_date": {"accuracy": totals["dates"].value(), "n": totals["dates"].total},
        "city_pairs_vs_generous_list": totals["pairs"].prf(),
        "venue": {"accuracy": totals["venue"].value(), "n": totals["venue"].total},
        "organizers": totals["organizers"].prf(),
        "theme": {"accuracy": totals["theme"].value(), "n": totals["theme"].total},
        "pages": pages,
    }


def _structure_or_nothing(html: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Structure a demo page as the crawl does; a page with no article (an image gallery) is no event."""
    try:
        return structure_html(html, entry["path"], entry.get("language"))
    except ExtractionError:
        return report_to_json(EventReport())


def _score_demo_page(entry: dict[str, Any], pred: dict[str, Any], totals: dict[str, Any]) -> dict[str, Any]:
    """Add one demo page's comparison to the totals and return its prediction with what went wrong."""
    is_event = entry["kind"] == "event"
    totals["classes"].add(pred["is_event_report"] == is_event)
    page = {"site": entry["site"], "path": entry["path"], "kind": entry["kind"], "prediction": pred}
    if not is_event:
        return page
    facts = entry["facts"]
    gold = {name_key(x["name"]) for x in facts["speakers"]}
    got = {name_key(x["name"]) for x in pred["speakers"]}
    totals["speakers"].add(len(gold & got), len(got - gold), len(gold - got))
    totals["dates"].add(pred["event_date"] == facts["event_date"])
    totals["venue"].add(lenient_equal(pred["venue"], facts.get("venue")))
    totals["theme"].add(lenient_equal(pred["theme"], facts.get("theme")))
    _score_lenient_list(totals["organizers"], pred["organizers"], facts.get("organisers") or [])
    gold_pairs = {english_pair(p) for p in facts.get("pairs") or []}
    got_pairs = {tuple(p) for p in pred["city_pairs"]}
    totals["pairs"].add(len(gold_pairs & got_pairs), len(got_pairs - gold_pairs), len(gold_pairs - got_pairs))
    page.update(missed=sorted(gold - got), extra=sorted(got - gold), date_ok=pred["event_date"] == facts["event_date"])
    return page
