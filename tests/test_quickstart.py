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
    env.pop("COOPWATCH_REGISTRY_DIR", None)  # the demo's registry is the default
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


def test_first_run_explains_the_deliberate_failures_and_lists_the_new_events(demo_runs):
    first, _, _, _ = demo_runs
    out = " ".join(first.stdout.split())  # the table wraps long lines on narrow terminals
    assert "harbour: 1 page(s) not stored (robots 1)" in out
    assert "/private/2025/board-retreat-notes.html robots: disallowed - the site's robots.txt disallows it" in out
    assert "/en/news/2026/annual-report-2025.html http: 404 - " in out and "the page is gone" in out
    assert "/en/news/2025/gallery-gba-data-seminar.html extract: " in out and "no article text" in out
    events = [a for a in ARTICLES if a["kind"] == "event"]
    assert f"new event reports ({len(events)}):" in out
    ids = {}
    for line in first.stdout.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and len(parts[0]) == 12 and parts[1] in ("harbour", "donghai", "pearl"):
            ids[parts[2].strip()] = parts[0]
    assert set(ids) == {a["title"] for a in events}


def test_demo_sites_fall_back_to_free_ports_when_8701_is_taken():
    from coopwatch.demo import DemoSites, first_free_sites, port_base_of

    taken, free = free_port_base(), free_port_base()
    with DemoSites(port_base=taken):  # someone else holds the preferred ports
        with first_free_sites((taken, free)) as sites:
            assert port_base_of(sites) == free  # a fixed fallback: the same ids on the next run
        with first_free_sites((taken,)) as sites:
            assert port_base_of(sites) not in (0, taken)  # no fixed base free: ephemeral ports


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


def test_chinese_query_returns_the_shanghai_hong_kong_reports_in_both_languages(demo_runs):
    _, _, cwd, env = demo_runs
    hits = search_json("沪港", cwd, env)["results"]  # as a user runs it
    paths = [h["url"].split("/", 3)[3] for h in hits]
    assert {"xwdt/202511/t20251119_4188.html", "news/2025/shanghai-hong-kong-urban-renewal-symposium.html"} <= set(paths)
    assert search_json("滬港", cwd, env)["results"] == hits  # traditional script: the same results
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
    # written two ways on two English pages, and as 曾美玲 on a Chinese one (the demo registry knows all three)
    tsang = search_json("", cwd, env, "--speaker", "Vivian Tsang")["results"]
    assert len(tsang) == 3 and {h["language"] for h in tsang} == {"en", "zh"}
    forums = search_json("", cwd, env, "--type", "forum", "--events-only")["results"]
    assert forums and all(h["event_type"] == "forum" for h in forums)
    macao = search_json("", cwd, env, "--city", "Macao", "--events-only", "--lang", "en")["results"]
    assert macao and all("Macao" in h["cities"] and h["language"] == "en" for h in macao)


@pytest.fixture
def searcher(demo_runs, capsys):
    """Return a function running `coopwatch search ... --json` on the demo store in this process (quicker)."""
    from coopwatch.cli import main
    from coopwatch.demo import DEMO_REGISTRY, REGISTRY_ENV
    from ingest.structure.registry import reload_registries

    _, _, cwd, env = demo_runs
    before = os.environ.get(REGISTRY_ENV)
    os.environ[REGISTRY_ENV] = str(DEMO_REGISTRY)  # as the coopwatch command has it by default in a checkout
    reload_registries()

    def search(query, *options):
        capsys.readouterr()
        assert main(["--store", str(Path(cwd) / "var" / "coopwatch.sqlite"), "search", query, "--json",
                     "--limit", "50", *options]) == 0
        return json.loads(capsys.readouterr().out)

    yield search
    if before is None:
        os.environ.pop(REGISTRY_ENV)
    else:
        os.environ[REGISTRY_ENV] = before
    reload_registries()


def paths_of(search, query, *options):
    return {h["url"].split("/", 3)[3] for h in search(query, *options)["results"]}


def test_chinese_filters_find_what_english_ones_do(searcher):
    macao = paths_of(searcher, "", "--city", "Macao")
    assert macao and paths_of(searcher, "", "--city", "澳门") == macao == paths_of(searcher, "", "--city", "澳門")
    pair = paths_of(searcher, "", "--pair", "Hong Kong,Shanghai")
    assert pair >= {"news/2025/shanghai-hong-kong-urban-renewal-symposium.html", "xwdt/202511/t20251119_4188.html"}
    for typed in ("上海,香港", "Hong Kong|Shanghai", "沪港"):
        assert paths_of(searcher, "", "--pair", typed) == pair, typed
    symposia = paths_of(searcher, "", "--type", "symposium")
    assert len(symposia) >= 2 and paths_of(searcher, "", "--type", "研讨会") == symposia


def test_facet_pair_as_printed_is_accepted(searcher):
    facets = searcher("", "--facets")["facets"]["city_pair"]
    printed, count = facets[0]
    assert "|" in printed and len(paths_of(searcher, "", "--pair", printed)) == count


def test_place_names_find_reports_in_both_languages(searcher):
    chinese, english = paths_of(searcher, "上海"), paths_of(searcher, "Shanghai")
    assert chinese == english
    assert "news/2025/shanghai-hong-kong-urban-renewal-symposium.html" in chinese  # English, says "Shanghai"
    assert "xwdt/202511/t20251119_4188.html" in english  # Chinese, says 上海


def test_every_name_of_a_demo_person_finds_the_same_reports(searcher):
    from coopwatch.demo import DEMO_REGISTRY
    from ingest.structure.registry import load_people

    for person in load_people([DEMO_REGISTRY / "people.yaml"])[0].values():
        names = person.names
        found = [searcher("", "--speaker", name)["results"] for name in names]
        assert all(hits == found[0] for hits in found), names
        assert {h["language"] for h in found[0]} == {"en", "zh"}, names  # each is named in both languages
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
