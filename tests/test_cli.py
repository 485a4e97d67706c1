"""The coopwatch command: help that teaches, clear config errors, JSON output shapes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coopwatch.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None, cwd=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "coopwatch.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=120)


def test_help_lists_commands_examples_and_configuration():
    result = run_cli("--help")
    assert result.returncode == 0
    for word in ("crawl", "search", "show", "sources", "reprocess", "stats", "structure", "examples:",
                 "COOPWATCH_STORE", "COOPWATCH_ALLOW_HOSTS"):
        assert word in result.stdout
    search_help = run_cli("search", "--help").stdout
    for option in ("--source", "--since", "--until", "--lang", "--limit", "--json", "--city", "--pair",
                   "--speaker", "--org", "--type", "--events-only"):
        assert option in search_help


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "coopwatch"
    assert script.exists(), "pip install -e . should install the coopwatch console script"
    assert subprocess.run([str(script), "--help"], capture_output=True, timeout=60).returncode == 0


def test_bad_sources_file_names_file_line_and_fix(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: a\n    start_urls: [https://a.org/]\n    max_pages: many\n", encoding="utf-8")
    result = run_cli("--sources", str(bad), "sources", "check")
    assert result.returncode == 2
    assert f"{bad}:4:" in result.stderr and "max_pages" in result.stderr
    assert "Traceback" not in result.stderr


def test_sources_check_prints_the_plan(tmp_path):
    good = tmp_path / "sources.yaml"
    good.write_text("sources:\n  - name: a\n    start_urls: [https://a.org/news/]\n    feeds: [https://a.org/feed.xml]\n"
                    "    max_pages: 4\n", encoding="utf-8")
    result = run_cli("--sources", str(good), "sources", "check")
    assert result.returncode == 0, result.stderr
    assert "1 source(s), valid" in result.stdout
    assert "listing  https://a.org/news/  (+ up to 3 next pages)" in result.stdout
    assert "feed     https://a.org/feed.xml" in result.stdout


def test_unknown_source_name_lists_known_ones(tmp_path, capsys):
    good = tmp_path / "sources.yaml"
    good.write_text("sources:\n  - name: a\n    start_urls: [https://a.org/news/]\n", encoding="utf-8")
    code = main(["--sources", str(good), "--store", str(tmp_path / "s.sqlite"), "crawl", "--source", "nope"])
    assert code == 2
    assert "no source named 'nope'; known: a" in capsys.readouterr().err


def test_search_on_empty_store_gives_json_with_total_and_results(tmp_path, capsys):
    code = main(["--store", str(tmp_path / "empty.sqlite"), "search", "anything", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload == {"total": 0, "results": []}


def test_bad_pair_is_explained(tmp_path, capsys):
    code = main(["--store", str(tmp_path / "s.sqlite"), "search", "x", "--pair", "Hong Kong"])
    assert code == 2 and "expected two places" in capsys.readouterr().err


def test_bad_dates_and_counts_are_refused_with_the_expected_form(tmp_path):
    for args, expected in ((["--since", "yesterday"], "use YYYY-MM-DD"), (["--until", "2025-02-30"], "is not a date"),
                           (["--limit", "-5"], "0 or more")):
        result = run_cli("--store", str(tmp_path / "s.sqlite"), "search", "x", *args)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert run_cli("--store", str(tmp_path / "s.sqlite"), "search", "x", "--since", "2025-02").returncode == 0


def test_unreachable_elasticsearch_is_one_clear_line(tmp_path):
    result = run_cli("--store", "http://127.0.0.1:9", "search", "x", env={"COOPWATCH_ES_TIMEOUT": "2"})
    assert result.returncode == 2
    assert "cannot be used" in result.stderr and "Traceback" not in result.stderr


def test_sources_check_discover_lists_urls_and_marks_robots_disallowed(tmp_path):
    from coopwatch.demo import DemoSites, render_sources

    with DemoSites(port_base=0) as sites:
        sources = tmp_path / "demo.yaml"
        sources.write_text(render_sources(sites.origins), encoding="utf-8")
        result = run_cli("--sources", str(sources), "sources", "check", "--discover",
                         env={"COOPWATCH_ALLOW_HOSTS": "127.0.0.1", "COOPWATCH_MIN_DELAY": "0",
                              "COOPWATCH_MAX_CRAWL_DELAY": "0", "COLUMNS": "200"})
        article_requests = [r for r in sites.request_log if "/news/20" in r.path or "/xwdt/20" in r.path]
    assert result.returncode == 0, result.stderr
    assert "would fetch 9 article URL(s)" in result.stdout
    assert "/private/2025/board-retreat-notes.html   (disallowed by robots.txt: skipped)" in result.stdout
    assert article_requests == []  # discovery reads listings, feeds and sitemaps only


BLOCK_EXTRAS = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('airflow', 'elasticsearch', 'elastic_transport'):
            raise ImportError(f'{name} is blocked: the core CLI must not need it')
sys.meta_path.insert(0, Block())
from coopwatch.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_core_cli_needs_neither_airflow_nor_elasticsearch(tmp_path):
    """Crawl, search and structure on the embedded store with the airflow and es extras made unimportable."""
    from coopwatch.demo import DemoSites, render_sources

    def core(*args):
        return subprocess.run([sys.executable, "-c", BLOCK_EXTRAS, "--store", str(tmp_path / "s.sqlite"), *args],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path,
                              env={**os.environ, "COOPWATCH_ALLOW_HOSTS": "127.0.0.1", "COOPWATCH_MIN_DELAY": "0",
                                   "COOPWATCH_MAX_CRAWL_DELAY": "0", "COOPWATCH_STATE_PATH": str(tmp_path / "st.sqlite"),
                                   "COOPWATCH_ARCHIVE_DIR": str(tmp_path / "warc")})

    with DemoSites(port_base=0) as sites:
        sources = tmp_path / "demo.yaml"
        sources.write_text(render_sources(sites.origins), encoding="utf-8")
        crawl = core("--sources", str(sources), "crawl", "--source", "harbour")
    assert crawl.returncode == 0, crawl.stderr
    found = core("search", "Hong Kong", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] > 0, found.stderr
    page = ROOT / "demo" / "sites" / "harbour" / "news" / "2025" / "greater-bay-area-mobility-forum.html"
    assert core("structure", str(page), "--json").returncode == 0


def test_global_options_work_on_either_side_of_the_command(tmp_path, capsys):
    store = str(tmp_path / "s.sqlite")
    assert main(["search", "x", "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0 and Path(store).exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: 3\n", encoding="utf-8")
    for args in (["--sources", str(bad), "sources", "check"], ["sources", "check", "--sources", str(bad)],
                 ["crawl", "--sources", str(bad), "--store", store, "-v"]):
        assert main(args) == 2 and str(bad) in capsys.readouterr().err, args


def test_show_with_a_short_prefix_says_how_long_a_prefix_must_be(tmp_path, capsys):
    assert main(["show", "bb6f", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "an id prefix needs 8 or more characters" in capsys.readouterr().err
    assert main(["show", "bb6f2f0dcedb", "--store", str(tmp_path / "s.sqlite")]) == 1
    assert "no document has an id starting with 'bb6f2f0dcedb'" in capsys.readouterr().err


def test_crawl_refused_by_the_private_address_guard_fails_and_names_the_fix(tmp_path, capsys, monkeypatch):
    from coopwatch.demo import DemoSites

    for name, value in {"COOPWATCH_STATE_PATH": tmp_path / "st.sqlite", "COOPWATCH_ARCHIVE_DIR": tmp_path / "warc",
                        "COOPWATCH_MIN_DELAY": "0"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("COOPWATCH_ALLOW_HOSTS", raising=False)
    with DemoSites(port_base=0, sites=("harbour",)) as sites:
        sources = tmp_path / "demo.yaml"
        sources.write_text(f"sources:\n  - name: harbour\n    start_urls: [{sites.url('harbour', '/news/')}]\n",
                           encoding="utf-8")
        code = main(["crawl", "--sources", str(sources), "--store", str(tmp_path / "s.sqlite")])
        assert sites.request_log == []  # refused before any request
    output = capsys.readouterr().out
    assert code == 1
    row = next(line for line in output.splitlines() if "harbour" in line and "│" in line)
    assert row.split("│")[-2].strip() == "1"  # the failed listing page counts as failed
    assert "harbour: source failed: no start page could be read (listing: blocked: 127.0.0.1" in output
    assert "COOPWATCH_ALLOW_HOSTS=127.0.0.1" in output
