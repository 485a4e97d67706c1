"""Faults in the files people write: the sources file and the settings file, each refused with file:line and status 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coopwatch.cli import main

GOOD_SOURCE = "sources:\n  - name: site\n    start_urls: [https://example.org/news/]\n"
ALIAS_BOMB = "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9) if n else 'lol'}]\n" for n in range(9)) + \
    "sources:\n  - name: *l8\n    start_urls: [https://example.org/news/]\n"

SOURCES_CASES = {
    "not UTF-8": (b"sources:\n  - name: caf\xe9\n    start_urls: [https://example.org/]\n", 2, "not UTF-8 text"),
    "alias bomb": (ALIAS_BOMB.encode(), 1, "anchors and aliases"),
    "python tag": (b"sources:\n  - name: !!python/object/apply:os.system [echo hi]\n"
                   b"    start_urls: [https://example.org/]\n", 2, "tag '!!python/object/apply:os.system' is not allowed"),
    "newline in start URL": (b'sources:\n  - name: site\n    start_urls: ["https://example.org/\\nhttp://127.0.0.1/"]\n',
                             3, "line break"),
    "duplicated key": (b"sources:\n  - name: site\n    start_urls: [https://example.org/]\n    name: other\n", 4,
                       "key 'name' appears twice"),
    "invalid schedule": (b"sources:\n  - name: site\n    start_urls: [https://example.org/]\n    schedule: every day\n",
                         4, "'schedule' must be a cron expression"),
    "credentials in a URL": (b"sources:\n  - name: site\n    start_urls: [https://user:pw@example.org/]\n", 3,
                             "credentials"),
    "deep nesting": (b"sources: " + b"[" * 5000 + b"]" * 5000 + b"\n", 1, "nested more than 50 levels"),
}


def run(args: list[str], capsys) -> tuple[int, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.mark.parametrize("case", list(SOURCES_CASES))
def test_bad_sources_file_is_a_clear_error(fault, tmp_path, capsys, monkeypatch, case):
    """A sources file with a fault gives file:line and exit status 2, at once."""
    body, line, words = SOURCES_CASES[case]
    fault.expect(f"{case}: 'error: sources.yaml:{line}: ... {words} ...', exit status 2, at once")
    monkeypatch.delenv("COOPWATCH_CONFIG", raising=False)
    path = tmp_path / "sources.yaml"
    path.write_bytes(body)
    started = time.monotonic()
    status, printed = run(["--sources", str(path), "sources", "check"], capsys)
    took = time.monotonic() - started
    fault.saw(f"status {status} in {took:.1f} s: {printed.strip().replace(str(tmp_path) + '/', '')[:200]}")
    assert status == 2 and f"{path}:{line}: " in printed and words in printed and "Traceback" not in printed
    assert took < 10


SETTINGS_CASES = {
    "not UTF-8": (b"min_delay: 1\nuser_agent: caf\xe9\n", 2, "not UTF-8 text"),
    "duplicated key": (b"min_delay: 2\nretries: 1\nmin_delay: 0\n", 3, "key 'min_delay' appears twice"),
    "python tag": (b"min_delay: !!python/name:os.system\n", 1, "is not allowed"),
    "alias": (b"allow_hosts: &h [127.0.0.1]\nuser_agent: *h\n", 1, "anchors and aliases"),
    "unknown setting": (b"min_delay: 1\nmax_delay: 3\n", 2, "unknown setting 'max_delay'"),
}


@pytest.mark.parametrize("case", list(SETTINGS_CASES))
def test_bad_settings_file_is_a_clear_error(fault, tmp_path, capsys, monkeypatch, case):
    """A settings file (coopwatch.yaml) with a fault gives file:line and status 2."""
    body, line, words = SETTINGS_CASES[case]
    fault.expect(f"{case}: 'error: coopwatch.yaml:{line}: ... {words} ...', exit status 2")
    path = tmp_path / "coopwatch.yaml"
    path.write_bytes(body)
    sources = tmp_path / "sources.yaml"
    sources.write_text(GOOD_SOURCE, encoding="utf-8")
    status, printed = run(["--config", str(path), "--sources", str(sources), "sources", "check"], capsys)
    fault.saw(f"status {status}: {printed.strip().replace(str(tmp_path) + '/', '')[:200]}")
    assert status == 2 and f"{path}:{line}: " in printed and words in printed and "Traceback" not in printed


def test_missing_sources_file(fault, tmp_path, capsys):
    """A sources file that does not exist names the file and how to point at another."""
    fault.expect("'cannot read sources file ... set COOPWATCH_SOURCES or --sources', status 2")
    status, printed = run(["--sources", str(tmp_path / "nope.yaml"), "sources", "check"], capsys)
    fault.saw(f"status {status}: {printed.strip().replace(str(tmp_path) + '/', '')}")
    assert status == 2 and "COOPWATCH_SOURCES" in printed and str(Path(tmp_path / "nope.yaml")) in printed
