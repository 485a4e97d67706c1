"""Assemble an EventReport from an Article: classification, date, people, places, fields, topics, evidence."""

from __future__ import annotations

import re
from typing import Any

from ingest.models import Article, EventReport, Speaker

from . import fields, people_en, people_zh
from .classify import classify
from .dates import extract_event_date
from .places import cities_and_pairs, official_places
from .registry import normalise_name, person_key
from .roles import merge_role
from .textutil import detect_language, split_sentences, strip_pinyin_glosses, to_simplified, unwrap_hard_lines
from .topics import assign_topics

JSON_KEYS = (
    "is_event_report", "status", "event_type", "event_name", "theme", "event_date", "venue", "organizers", "speakers",
    "cities", "city_pairs", "sessions", "participant_count", "topics",
)
SPEAKER_KEYS = ("name", "title", "affiliation", "role", "evidence")


def parse_event_report(article: Article) -> EventReport:
    """Structure an extracted article as an EventReport.

    A report of a held event has is_event_report=True and status "held". A preview of a future event keeps
    is_event_report=False (it is not a report of an event that took place, so "events only" searches leave it
    out) but has status "announced" and its planned date, venue, organisers and speakers filled in. Any other
    page has status None and every other field empty.
    """
    text = strip_pinyin_glosses(article.text or "")
    lang = detect_language(text, article.language)
    if lang == "en":
        text = unwrap_hard_lines(text)
    simp = to_simplified(text) if lang == "zh" else text
    head = "\n".join(x for x in (strip_pinyin_glosses(article.title or ""), text) if x)
    verdict = classify(to_simplified(head) if lang == "zh" else head, lang)
    if verdict.status is None:
        return EventReport(is_event_report=False, evidence={"is_event_report": verdict.reason})
    report = EventReport(is_event_report=verdict.is_event_report, status=verdict.status, event_type=verdict.event_type)
    report.evidence["is_event_report"] = verdict.reason
    if verdict.type_evidence:
        report.evidence["event_type"] = verdict.type_evidence
    _fill_fields(report, article, text, simp, lang)
    return report


def _fill_fields(report: EventReport, article: Article, text: str, simp: str, lang: str) -> None:
    """Fill every field of a report that was classified as an event report."""
    sentences = split_sentences(text, lang)
    ev = report.evidence
    announced = report.status == "announced"
    report.event_date, ev_date = extract_event_date(text, lang, article.published, simp, ahead=announced)
    report.theme, ev_theme = fields.theme(text, simp, lang)
    report.event_name, ev_name = fields.event_name(text, simp, lang)
    event_year = int(report.event_date[:4]) if report.event_date else None
    report.venue, ev_venue = fields.venue(text, simp, lang, sentences, announced, event_year)
    report.organizers, ev_org = fields.organizers(text, simp, lang, report.event_type)
    report.participant_count, ev_count = fields.participant_count(text, simp, lang, sentences)
    report.speakers, host_orgs = extract_speakers(text, simp, lang, sentences)
    for org in host_orgs:
        if org not in report.organizers:
            report.organizers.append(org)
    report.sessions, ev_sessions = fields.sessions(text, lang, sentences, report.theme)
    focus = [article.title or "", _first_line(text), report.event_name or "", report.theme or ""]
    title = strip_pinyin_glosses(article.title or "")
    head, head_simp = (f"{title}\n{text}", f"{to_simplified(title)}\n{simp}") if title else (text, simp)
    report.cities, report.city_pairs, ev_cities = cities_and_pairs(head, head_simp, lang, focus, report.venue)
    _add_official_places(report, ev_cities)
    report.topics, why = assign_topics(text, simp, " ".join(focus))
    for key, value in (("event_date", ev_date), ("theme", ev_theme), ("event_name", ev_name), ("venue", ev_venue),
                       ("organizers", ev_org), ("participant_count", ev_count), ("sessions", ev_sessions)):
        if value:
            ev[key] = value
    if ev_cities:
        ev["cities"] = "; ".join(f"{k}: {v}" for k, v in ev_cities.items())
    if why:
        ev["topics"] = "; ".join(f"{k}: {v}" for k, v in why.items())


def _add_official_places(report: EventReport, evidence: dict[str, str]) -> None:
    """Add the places mayors and governors stand for, and the pair of two signing parties."""
    cities, pairs, why = official_places(report.speakers)
    for pair in pairs:
        if pair not in report.city_pairs:
            report.city_pairs = sorted(report.city_pairs + [pair])
        cities = pair + cities
    for place in cities:
        if place not in report.cities:
            report.cities.append(place)
            evidence[place] = why.get(place, "")


def _first_line(text: str) -> str:
    """Return the first line of the text when it is a headline: short, one sentence (a lead paragraph is none)."""
    line = text.strip().split("\n", 1)[0].strip()
    cjk = len(re.findall(r"[\u4e00-\u9fff]", line))
    if len(line) > 200 or (cjk > 20 and len(line) > 80) or re.search(r"[。！？]|\.\s+[A-Z]", line.rstrip("。.!?！？")):
        return ""
    return line


def extract_speakers(text: str, simp: str, lang: str, sentences: list[tuple[int, str]]) -> tuple[list[Speaker], list[str]]:
    """Return the people of the event in order of first mention, and organisers they represent (代表主办单位)."""
    people: dict[str, Speaker] = {}
    known: set[str] = set()
    known_keys: set[str] = set()  # normalise_name of every name in known
    host_orgs: list[str] = []
    previous: list[str] = []  # keys of the people named in the last sentence that named any
    for start, sentence in sentences:
        if previous and BOTH_SIDES_SIGNED.search(to_simplified(sentence) if lang == "zh" else sentence):
            for key in previous:  # "Mayor A met B. The two sides jointly signed a memorandum."
                people[key].role = merge_role(people[key].role, "signatory")
        if lang == "zh":
            s_simp = simp[start:start + len(sentence)]
            found = people_zh.people_in_sentence(s_simp, sentence, known)
            represents = bool(re.search(r"代表主办|代表承办", s_simp))
        else:
            found = people_en.people_in_sentence(sentence, known)
            represents = False
        named: list[str] = []
        for mention, role in found:
            if role is None and normalise_name(mention.name) not in known_keys:
                continue
            named.append(_merge(people, mention, role, sentence))
            known_name = to_simplified(mention.name) if lang == "zh" else mention.name
            known.add(known_name)
            known_keys.add(normalise_name(known_name))
            if represents and role == "opening_remarks" and mention.affiliation and mention.affiliation not in host_orgs:
                host_orgs.append(mention.affiliation)
        previous = named or previous
    return list(people.values()), host_orgs


# a sentence whose subject is the people just named: "The two sides jointly signed", "They signed", 双方签署
BOTH_SIDES_SIGNED = re.compile(
    r"^\s*(?:The two sides|Both sides|Both parties|The two parties|They|The two mayors|Both mayors|The two leaders)\b"
    r"[^.;]{0,40}?\b(?:signed|inked|sealed|re-?signed)\b|^\s*(?:双方|两人|二人)[^。；]{0,20}?(?:签署|签订|签约)(?!仪式)")


def _merge(people: dict[str, Speaker], mention: Any, role: str | None, sentence: str) -> str:
    """Add a mention to the people found so far, or complete the person already found; return the person's key."""
    key = _shorter_form_of(people, mention.name) or person_key(mention.name)
    current = people.get(key)
    if current is None:
        people[key] = Speaker(
            name=mention.name, title=mention.title, affiliation=mention.affiliation, role=role or "speaker",
            evidence=sentence.strip()[:300], key=key,
        )
        return key
    current.role = merge_role(current.role, role)
    if not current.title and mention.title:
        current.title, current.affiliation = mention.title, current.affiliation or mention.affiliation
    elif not current.affiliation and mention.affiliation and mention.title == current.title:
        current.affiliation = mention.affiliation
    return key


def _shorter_form_of(people: dict[str, Speaker], name: str) -> str | None:
    """Return the key of a person already found whose name contains this one (Dr Sequeira Ho -> Ana Sequeira Ho)."""
    tokens = normalise_name(name).split()
    if len(tokens) < 2 or person_key(name) in people:
        return None
    for key, person in people.items():
        full = normalise_name(person.name).split()
        runs = (full[i:i + len(tokens)] for i in range(len(full) - len(tokens) + 1))
        if len(full) > len(tokens) and tokens in runs:
            return key
    return None


def report_to_json(report: EventReport) -> dict[str, Any]:
    """Return the EventReport as a JSON-ready dict with exactly the keys of the public format."""
    data = report.to_dict()
    out = {key: data.get(key) for key in JSON_KEYS}
    out["speakers"] = [{key: s.get(key) for key in SPEAKER_KEYS} for s in data.get("speakers") or []]
    return out


def structure_html(html: str, url: str | None = None, language: str | None = None) -> dict[str, Any]:
    """Structure a saved page exactly as the crawl does (extract_article, then parse_event_report): the public JSON.

    Raises ingest.extract.ExtractionError when the page has no usable article, as the crawl records it.
    """
    return report_to_json(parse_event_report(article_from_html(html, url, language)))


def structure_page(body: bytes, url: str | None = None, language: str | None = None) -> dict[str, Any]:
    """Decode a saved page's bytes as the fetcher does (BOM, <meta charset>, detection), then structure it."""
    from ingest.fetch.charset import decode_body

    html, _ = decode_body(body)
    return structure_html(html, url, language)


def article_from_html(html: str, url: str | None = None, language: str | None = None) -> Article:
    """Extract the article of a saved page with the crawl's own extractor (raises ExtractionError when none)."""
    from ingest.extract import extract_article

    return extract_article(html, url or "", source="file", language_hint=language)
