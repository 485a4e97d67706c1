"""Kinds of page fixed in round 2, checked on the real dev2 pages against their own annotations.

The pages are read from ../shared/data at test time (skipped when absent, failing under CI=true); nothing of their
text is in the repository. Each case names a kind of page and the field it guards; the expected values are the
page's hand annotation, so the test holds the kind, not a copy of the answer.
"""

import pytest

from ingest.structure import find_places, parse_event_report, report_to_json
from ingest.structure.evaluation import case_article, lenient_equal, load_cases, name_key
from tests.structure.shared_data import shared_data

KINDS = [
    ("dev2-fogcity-sf-shanghai-mou-2005", "hard-wrapped signing page: every person, the pair, the date, the hotel"),
    ("dev2-shanghaigov-shanghai-hamburg-30th-reception", "hyphenated title inside the name run (Vice-Mayor)"),
    ("dev2-seoulgov-seoul-beijing-integration-council-mou", "title clause before the name (the mayor of X, Y)"),
    ("dev2-gmw-world-mayors-dialogue-hangzhou-2024", "long transliterated names, a mayor's representative, their cities"),
    ("dev2-peoplecn-sh-gong-zheng-meets-osaka-mayor-2024", "Japanese names without a Chinese surname, bare day"),
    ("dev2-gdhmo-liao-jingshan-meets-hengqin-niu-jing", "a meeting citing a plan is a report; 我办 is no organisation"),
    ("dev2-govmo-zhuhai-macao-cooperation-meeting-2023", "a lead paragraph is no headline (no extra cities)"),
    ("dev2-chinadaily-cn-siis-world-cities-day-symposium-2016", "联合主办 then 协办: every organiser clause"),
]


@pytest.fixture(scope="module")
def dev2_cases():
    return {c["id"]: c for c in load_cases(shared_data() / "events" / "dev2.jsonl")}


def _people(speakers: list[dict]) -> set[str]:
    return {name_key(s["name"]) for s in speakers}


@pytest.mark.parametrize("case_id,kind", KINDS)
def test_speakers_of_the_page_kind_are_all_found(dev2_cases, case_id: str, kind: str):
    case = dev2_cases[case_id]
    got = report_to_json(parse_event_report(case_article(case)))
    assert got["is_event_report"] == case["truth"]["is_event_report"], kind
    assert _people(got["speakers"]) >= _people(case["truth"]["speakers"]), kind


def test_hard_wrapped_signing_page_fields(dev2_cases):
    case = dev2_cases["dev2-fogcity-sf-shanghai-mou-2005"]
    got, truth = report_to_json(parse_event_report(case_article(case))), case["truth"]
    assert got["event_date"] == truth["event_date"] and got["city_pairs"] == truth["city_pairs"]
    assert lenient_equal(got["venue"], truth["venue"])


def test_every_chinese_organiser_clause(dev2_cases):
    case = dev2_cases["dev2-chinadaily-cn-siis-world-cities-day-symposium-2016"]
    got = report_to_json(parse_event_report(case_article(case)))["organizers"]
    assert len(got) == len(case["truth"]["organizers"])
    assert all(any(lenient_equal(g, t) for g in got) for t in case["truth"]["organizers"])


def test_lead_paragraph_adds_no_cities(dev2_cases):
    case = dev2_cases["dev2-govmo-zhuhai-macao-cooperation-meeting-2023"]
    got = report_to_json(parse_event_report(case_article(case)))
    theme_places = {h.name for h in find_places(got["theme"] or "")} | ({"Greater Bay Area"} if "大湾区" in (got["theme"] or "") else set())
    assert set(case["truth"]["cities"]) <= set(got["cities"]) <= set(case["truth"]["cities"]) | theme_places
