"""The developer commands tell the truth: scripts/es.sh, the make targets around it, the descriptions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ES = ROOT / "scripts" / "es.sh"


def run(args, env=None, cwd=ROOT):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd, env={**os.environ, **(env or {})})


def tools_without_java(tmp_path: Path) -> str:
    """Return a PATH with what es.sh needs (and printenv) but no java or mvn."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "dirname", "seq", "cat", "printenv", "ps", "curl"):
        if shutil.which(tool):
            (folder / tool).symlink_to(shutil.which(tool))
    return str(folder)


def test_status_of_a_stopped_node_names_its_home_by_http_port():
    done = run([str(ES), "status"], env={"ES_BASE_PORT": "9370"})
    assert done.returncode == 3 and "not running" in done.stdout
    assert "var/es/node-9371" in done.stdout  # the home (and so es.log) named by the port the node listens on


def test_make_es_status_on_a_stopped_node_is_not_an_error():
    done = run(["make", "--no-print-directory", "es-status"], env={"ES_BASE_PORT": "9370"})
    assert done.returncode == 0, done.stderr
    assert "not running" in done.stdout and "Error" not in done.stdout + done.stderr


def test_with_uses_the_node_it_is_given():
    done = run([str(ES), "with", "printenv", "COOPWATCH_TEST_ES"], env={"COOPWATCH_TEST_ES": "http://127.0.0.1:1"})
    assert done.returncode == 0 and done.stdout.strip() == "http://127.0.0.1:1"


def test_with_runs_the_command_without_a_node_when_java_is_missing(tmp_path):
    env = {"PATH": tools_without_java(tmp_path), "CI": "false", "COOPWATCH_TEST_ES": ""}
    done = run(["bash", str(ES), "with", "printenv", "CI"], env=env)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "false"
    assert "no Java 17+ and Maven here" in done.stdout and "apt-get install" in done.stdout


def test_with_fails_under_ci_when_java_is_missing(tmp_path):
    env = {"PATH": tools_without_java(tmp_path), "CI": "true", "COOPWATCH_TEST_ES": ""}
    done = run(["bash", str(ES), "with", "printenv", "CI"], env=env)
    assert done.returncode == 1 and "CI=true" in done.stderr and done.stdout == ""


def test_skipped_tests_are_summed_up_with_how_to_run_them(tmp_path):
    test = tmp_path / "test_needs_es.py"
    test.write_text("import pytest\n\ndef test_a():\n    pytest.skip('COOPWATCH_TEST_ES is not set: ...')\n",
                    encoding="utf-8")
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)], cwd=tmp_path,
               env={"CI": "false"})
    assert "1 test(s) skipped: what they need and how to run them" in done.stdout
    assert "1 need an Elasticsearch node: install Java 17+ and Maven" in done.stdout


def test_descriptions_promise_only_what_is_built():
    """The project and `search` package descriptions name alerts, an API or a web page only once they exist."""
    import tomllib

    import search
    from coopwatch.cli import COMMANDS

    description = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["description"]
    for text in (description.lower(), (search.__doc__ or "").lower()):
        if "alert" in text:
            assert (ROOT / "search" / "alerts").exists(), text
        if "web page" in text or "api" in text.split():
            assert "serve" in COMMANDS or any((ROOT / p).exists() for p in ("search/api.py", "search/web")), text


def test_project_metadata_uses_the_current_license_form():
    """setuptools warns three times per install about a ``license`` table or License classifiers: use SPDX text."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert isinstance(project["license"], str) and project["license"] == "Apache-2.0"
    assert not [c for c in project.get("classifiers", []) if c.startswith("License ::")]
