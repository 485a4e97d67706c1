"""End to end on the demo sites: the harbour urban-renewal symposium, reported in English (harbour) and Chinese
(donghai), is one event through `coopwatch events` and `coopwatch event`; ids survive reprocessing and copying;
a split holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYMPOSIUM_EN = "/news/2025/shanghai-hong-kong-urban-renewal-symposium.html"
SYMPOSIUM_ZH = "/xwdt/202503/t20250314_4110.html"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Crawl the three demo sites into a fresh store; return the CLI runner bound to it."""
    from coopwatch.demo import DemoSites, render_sources

    tmp = tmp_path_factory.mktemp("demo-events")
    env = {**os.environ, "COOPWATCH_ALLOW_HOSTS": "127.0.0.1", "COOPWATCH_MIN_DELAY": "0",
           "COOPWATCH_MAX_CRAWL_DELAY": "0", "COOPWATCH_STORE": str(tmp / "store.sqlite"),
           "COOPWATCH_STATE_PATH": str(tmp / "state.sqlite"), "COOPWATCH_ARCHIVE_DIR": str(tmp / "warc")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "coopwatch.cli", *args], capture_output=True, text=True,
                              env=env, cwd=tmp, timeout=300)

    with DemoSites(port_base=0) as sites:
        sources = tmp / "demo.yaml"
        sources.write_text(render_sources(sites.origins), encoding="utf-8")
        env["COOPWATCH_SOURCES"] = str(sources)
        result = cli("crawl")
        assert result.returncode == 0, result.stderr
        yield cli, tmp


def symposium(cli) -> dict:
    result = cli("events", "urban renewal", "--pair", "Hong Kong,Shanghai", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["total"] == 1, found
    return found["events"][0]


def test_the_demo_symposium_is_one_event_in_english_and_chinese(crawled):
    cli, _ = crawled
    event = symposium(cli)
    paths = sorted(r["url"].split(":", 2)[2].split("/", 1)[1] for r in event["reports"])
    assert paths == sorted(p.lstrip("/") for p in (SYMPOSIUM_EN, SYMPOSIUM_ZH))
    assert {r["language"] for r in event["reports"]} == {"en", "zh"}
    assert event["event_date"] == "2025-03-12" and event["status"] == "held"
    names = {s["name"] for s in event["speakers"]}
    assert {"Zhou Jianping", "Shen Yuqing"} <= names and "周建平" not in names  # one person, written twice
    shown = cli("event", event["id"])
    assert shown.returncode == 0, shown.stderr
    assert "2 report(s)" in shown.stdout and "沪港城市更新研讨会在香港举行" in shown.stdout
    assert "why: joined: same date 2025-03-12" in shown.stdout and "Zhou Jianping (周建平)" in shown.stdout


def test_other_demo_events_stay_apart(crawled):
    cli, _ = crawled
    listed = json.loads(cli("events", "--json", "--limit", "100").stdout)
    reports = sorted(len(e["reports"]) for e in listed["events"])
    assert reports.count(2) == 1 and max(reports) == 2  # only the symposium has two reports
    fifth = json.loads(cli("events", "第五届沪港城市合作研讨会", "--json").stdout)["events"]
    assert len(fifth) == 1 and fifth[0]["id"] != symposium(cli)["id"]


def test_search_collapses_the_symposium_to_one_row(crawled):
    cli, _ = crawled
    result = json.loads(cli("search", "", "--pair", "Hong Kong,Shanghai", "--collapse", "--json").stdout)
    rows = [r for r in result["results"] if r["event_id"] == symposium(cli)["id"]]
    assert len(rows) == 1 and rows[0]["group_size"] == 2
    plain = json.loads(cli("search", "", "--pair", "Hong Kong,Shanghai", "--json").stdout)
    assert plain["total"] == result["total"] + 1


def test_event_ids_survive_reprocessing_and_copying_and_a_split_holds(crawled):
    cli, tmp = crawled
    event = symposium(cli)
    assert cli("reprocess").returncode == 0
    assert symposium(cli)["id"] == event["id"]
    copy = tmp / "copy.sqlite"
    assert cli("--store", str(copy), "reindex", "--from", str(tmp / "store.sqlite")).returncode == 0
    copied = json.loads(cli("--store", str(copy), "event", event["id"], "--json").stdout)
    assert [r["doc_id"] for r in copied["reports"]] == [r["doc_id"] for r in event["reports"]]

    chinese = next(r["doc_id"] for r in event["reports"] if r["language"] == "zh")
    split = cli("event", event["id"], "--split", chinese[:12])
    assert split.returncode == 0 and "left" in split.stdout, split.stdout + split.stderr
    assert cli("reprocess").returncode == 0
    after = json.loads(cli("event", event["id"], "--json").stdout)
    assert [r["language"] for r in after["reports"]] == ["en"]
    assert any("split off" in line for line in after["history"])
    doc = json.loads(cli("show", chinese, "--json").stdout)
    assert doc["event_id"] and doc["event_id"] != event["id"]
