"""The seed report and the dev-set quality gate (needs ../shared/data; skipped when absent unless CI=true)."""

import json

import pytest

from ingest.structure import structure_html
from ingest.structure.evaluation import evaluate, load_cases, name_key
from tests.structure.shared_data import shared_data

# Floors reached on the dev set (a drop below any of them fails); the targets are the minimum.
FLOORS = {
    "en": {"classification": 0.95, "event_type": 0.95, "event_date": 0.95, "speaker_name": 0.95,
           "speaker_affiliation": 0.85, "speaker_title": 0.95, "city_pairs": 0.95, "cities": 0.90, "organizers": 0.70},
    "zh": {"classification": 0.95, "event_type": 0.95, "event_date": 0.95, "speaker_name": 0.95,
           "speaker_affiliation": 0.95, "speaker_title": 0.95, "city_pairs": 0.95, "cities": 0.88, "organizers": 0.90},
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
