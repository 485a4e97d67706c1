"""`make run`'s job, for real: serve the demo sites, crawl twice, then search from the command line."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = json.loads((ROOT / "demo" / "articles.json").read_text(encoding="utf-8"))


def free_port_base() -> int:
    """Return a base port whose next three ports are free on 127.0.0.1."""
    for _ in range(50):
        base = random.randint(20000, 40000)
        try:
            socks = []
            for port in range(base, base + 3):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                socks.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    pytest.fail("no three consecutive free ports")


def run(args, cwd, env):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def search_json(query, cwd, env, *extra):
    result = run(["coopwatch.cli", "search", query, "--json", "--limit", "50", *extra], cwd, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """Run the quick-start job twice in a fresh directory; return (first, second, cwd, env, base)."""
    cwd = tmp_path_factory.mktemp("quickstart")
    env = {**os.environ, "COOPWATCH_DEMO_PORT_BASE": str(free_port_base()), "COLUMNS": "200"}
    env.pop("COOPWATCH_STORE", None)
    first = run(["coopwatch.quickstart"], cwd, env)
    second = run(["coopwatch.quickstart"], cwd, env)
    return first, second, cwd, env


def summary_rows(output: str) -> dict[str, list[int]]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 9 and cells[0] in ("harbour", "donghai", "pearl"):
            rows[cells[0]] = [int(c) for c in cells[1:]]
    return rows


def test_first_run_exits_0_and_indexes_the_demo_sites(demo_runs):
    first, _, cwd, env = demo_runs
    assert first.returncode == 0, first.stderr + first.stdout
    rows = summary_rows(first.stdout)
    assert set(rows) == {"harbour", "donghai", "pearl"}, first.stdout
    listed = [a for a in ARTICLES if a["kind"] in ("event", "non-event", "future-event")]
    assert sum(r[3] for r in rows.values()) == len(listed)  # new documents = the pages that exist and have text
    assert (Path(cwd) / "var" / "coopwatch.sqlite").exists()


def test_second_run_fetches_nothing_again_and_writes_no_duplicates(demo_runs):
    first, second, cwd, env = demo_runs
    assert second.returncode == 0, second.stderr
    rows = summary_rows(second.stdout)
    assert set(rows) == {"harbour", "donghai", "pearl"}, second.stdout
    for name, (discovered, fetched, not_modified, new, updated, unchanged, events, failed) in rows.items():
        assert fetched == 0 and new == 0 and updated == 0, (name, rows[name])
        assert not_modified > 0
    total = search_json("", cwd, env)["total"]
    assert total == sum(r[3] for r in summary_rows(first.stdout).values())


def test_search_hong_kong_returns_the_hong_kong_event_reports(demo_runs):
    _, _, cwd, env = demo_runs
    urls = {hit["url"].split("/", 3)[3] for hit in search_json("Hong Kong", cwd, env)["results"]}
    expected = {a["path"].lstrip("/") for a in ARTICLES
                if a["kind"] == "event" and a["site"] == "harbour" and "Hong Kong" in a["facts"].get("cities", [])}
    assert expected and expected <= urls


def test_chinese_query_returns_the_shanghai_hong_kong_report(demo_runs):
    _, _, cwd, env = demo_runs
    hits = search_json("沪港", cwd, env)["results"]
    assert any(h["url"].endswith("/xwdt/202511/t20251119_4188.html") for h in hits)
    assert all(h["language"] == "zh" for h in hits)
    gbk = search_json("沪澳", cwd, env)["results"]  # the GBK-encoded page, decoded correctly
    assert any(h["url"].endswith("/xwdt/202412/t20241210_4052.html") for h in gbk)


def test_robots_disallowed_page_is_never_stored(demo_runs):
    _, _, cwd, env = demo_runs
    assert not any("/private/" in h["url"] for h in search_json("", cwd, env)["results"])


def cli(args, cwd, env):
    result = run(["coopwatch.cli", *args], cwd, env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_structured_filters_find_the_demo_events(demo_runs):
    _, _, cwd, env = demo_runs
    pair = search_json("", cwd, env, "--pair", "Hong Kong,Shanghai", "--events-only")["results"]
    assert {h["url"].split("/", 3)[3] for h in pair} >= {"news/2025/shanghai-hong-kong-urban-renewal-symposium.html",
                                                          "xwdt/202511/t20251119_4188.html"}
    assert all(h["is_event_report"] for h in pair)
    tsang = search_json("", cwd, env, "--speaker", "Vivian Tsang")["results"]  # written two ways on two pages
    assert len(tsang) == 2
    forums = search_json("", cwd, env, "--type", "forum", "--events-only")["results"]
    assert forums and all(h["event_type"] == "forum" for h in forums)
    macao = search_json("", cwd, env, "--city", "Macao", "--events-only", "--lang", "en")["results"]
    assert macao and all("Macao" in h["cities"] and h["language"] == "en" for h in macao)


def table_rows(printed: str) -> dict[str, list[str]]:
    """Return {first cell: other cells} of a rich table, joining the lines of cells that wrapped."""
    rows: dict[str, list[str]] = {}
    key = None
    for line in printed.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells[0] or key is None:
            key = cells[0]
            rows[key] = cells[1:]
        else:
            rows[key] = [" ".join(filter(None, (a, b))) for a, b in zip(rows[key], cells[1:], strict=True)]
    return rows


def test_show_stats_and_reprocess_commands(demo_runs):
    _, _, cwd, env = demo_runs
    hit = search_json("沪港", cwd, env, "--events-only")["results"][0]
    shown = json.loads(cli(["show", hit["id"][:10], "--json"], cwd, env))
    assert shown["id"] == hit["id"] and shown["event"]["is_event_report"]
    assert any(s["name"] for s in shown["event"]["speakers"])
    assert "speaker:" in cli(["show", hit["id"]], cwd, env)
    rows = table_rows(cli(["stats"], cwd, env))
    # after the second (unchanged) run: documents stored, nothing fetched or new in the last run
    assert rows["harbour"][1] == "ok" and rows["harbour"][2] == "9" and rows["harbour"][3:6] == ["0", "0", "0"]
    assert rows["harbour"][6].startswith("robots 1")
    assert rows["pearl"][6].startswith("http 1") and "extract 1" in rows["pearl"][6]
    total = search_json("", cwd, env)["total"]
    reprocessed = cli(["reprocess"], cwd, env)  # from the WARC archive: unchanged documents stay unchanged
    assert "reprocess summary" in reprocessed
    assert search_json("", cwd, env)["total"] == total


def test_structure_command_prints_the_report_json(demo_runs):
    _, _, cwd, env = demo_runs
    page = ROOT / "demo" / "sites" / "harbour" / "news" / "2025" / "shanghai-hong-kong-urban-renewal-symposium.html"
    report = json.loads(cli(["structure", str(page), "--json"], cwd, env))
    assert list(report) == ["is_event_report", "status", "event_type", "event_name", "theme", "event_date", "venue",
                            "organizers", "speakers", "cities", "city_pairs", "sessions", "participant_count", "topics"]
    assert report["is_event_report"] and report["city_pairs"] == [["Hong Kong", "Shanghai"]]
    assert all(set(s) == {"name", "title", "affiliation", "role", "evidence"} for s in report["speakers"])


def test_first_run_ends_with_the_alert_messages_and_the_second_with_none(demo_runs):
    first, second, cwd, env = demo_runs
    sent = [line for line in first.stdout.splitlines() if line.startswith("--- alert: [coopwatch] New: ")]
    assert "--- alert: [coopwatch] New: Shanghai–Hong Kong Symposium Explores Shared Paths to Urban Renewal (2025-03-12)" in sent
    assert "--- alert: [coopwatch] New: 第五届沪港城市合作研讨会在沪举行 (2025-11-18)" in sent
    assert "alert cycle" in second.stdout and "--- alert:" not in second.stdout
    history = run(["coopwatch.cli", "alerts", "history", "--limit", "100"], cwd, env)
    assert history.returncode == 0 and history.stdout.count("console: sent") == len(sent)
