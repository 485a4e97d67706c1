"""The seed report and the dev-set quality gate (needs ../shared/data; skipped when absent unless CI=true)."""

import json

import pytest

from ingest.structure import structure_html
from ingest.structure.evaluation import evaluate, load_cases, name_key
from tests.structure.shared_data import shared_data

# Floors reached on the dev set (a drop below any of them fails); the targets are the minimum.
FLOORS = {
    "en": {"classification": 0.95, "event_type": 0.95, "event_date": 0.95, "speaker_name": 0.95,
           "speaker_affiliation": 0.85, "speaker_title": 0.95, "city_pairs": 0.95, "cities": 0.90, "organizers": 0.85,
           "venue": 0.85},
    "zh": {"classification": 0.95, "event_type": 0.95, "event_date": 0.95, "speaker_name": 0.98,
           "speaker_affiliation": 0.95, "speaker_title": 0.95, "city_pairs": 0.95, "cities": 0.90, "organizers": 0.94,
           "venue": 0.95},
}


@pytest.fixture(scope="module")
def data():
    return shared_data()


@pytest.fixture(scope="module")
def dev_result(data):
    return evaluate(load_cases(data / "events" / "dev.jsonl"))


def test_seed_report(data):
    seed = data / "seed"
    expected = json.loads(next(seed.glob("*.expected.json")).read_text(encoding="utf-8"))["truth"]
    got = structure_html(next(seed.glob("*.html")).read_text(encoding="utf-8"))
    assert got["is_event_report"] and got["event_type"] == "symposium"
    assert got["event_date"] == "2025-11-18"
    assert got["theme"] == expected["theme"]
    assert ["Hong Kong", "Shanghai"] in got["city_pairs"]
    by_key = {name_key(s["name"]): s for s in got["speakers"]}
    for person in expected["speakers"]:
        found = by_key[name_key(person["name"])]
        assert found["title"] and found["affiliation"] and found["role"] == person["role"]
        assert person["title"].startswith(found["title"]) or found["title"] in person["title"]
    assert len(got["speakers"]) == 6


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quality_gate(dev_result, lang):
    scores = dev_result["scores"][lang]
    low = {}
    for field, floor in FLOORS[lang].items():
        value = scores[field].get("f1", scores[field].get("accuracy"))
        if value < floor:
            low[field] = (value, floor)
    assert not low, f"{lang} scores fell below the floor: {low}"


# Floors on dev2 (50 pages from 30 other sites): scored on arrival at speaker F1 0.70 | 0.86, city pairs 0.57 | 0.67,
# venue 0.33 | 0.60 (en | zh); these are the values reached since (round 2: delegation lists, names inside titles,
# ranked venues, every organiser clause, weekday and bare-day dates), a drop below any of them fails.
DEV2_FLOORS = {
    "en": {"classification": 0.96, "event_date": 0.95, "speaker_name": 0.85, "speaker_affiliation": 0.82,
           "city_pairs": 0.85, "cities": 0.95, "organizers": 0.93, "venue": 0.90},
    "zh": {"classification": 0.96, "event_date": 0.95, "speaker_name": 0.97, "speaker_affiliation": 0.95,
           "city_pairs": 0.92, "cities": 0.85, "organizers": 0.93, "venue": 0.85},
}


@pytest.fixture(scope="module")
def dev2_result(data):
    return evaluate(load_cases(data / "events" / "dev2.jsonl"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quality_gate_on_dev2(dev2_result, lang):
    scores = dev2_result["scores"][lang]
    low = {f: (scores[f].get("f1", scores[f].get("accuracy")), floor) for f, floor in DEV2_FLOORS[lang].items()
           if scores[f].get("f1", scores[f].get("accuracy")) < floor}
    assert not low, f"{lang} dev2 scores fell below the floor: {low}"
