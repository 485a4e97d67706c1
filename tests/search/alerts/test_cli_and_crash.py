"""`coopwatch alerts` as users run it, and a process killed between sending and recording."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from search.sqlite import SQLiteBackend
from tests.search.alerts.conftest import report
from tests.support.receivers import SmtpReceiver, WebhookReceiver

ROOT = Path(__file__).resolve().parents[3]
RULES = """\
rules:
  - name: shanghai-hong-kong
    description: Any new event pairing Shanghai and Hong Kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [hook]
"""


@pytest.fixture
def setup(tmp_path):
    """A store with one event, a rules file, and the environment that points coopwatch at them."""
    store = tmp_path / "store.sqlite"
    with SQLiteBackend(str(store)) as backend:
        backend.upsert([report("sym", "Shanghai–Hong Kong Symposium", speakers=["Albert Fong"])])
    rules = tmp_path / "alerts.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPWATCH_")}
    env.update(COOPWATCH_STORE=str(store), COOPWATCH_ALERTS=str(rules),
               COOPWATCH_ALERTS_DB=str(tmp_path / "alerts.sqlite"), COOPWATCH_PUBLIC_URL="http://127.0.0.1:8000")
    return env


def cli(env, *args, **options):
    return subprocess.run([sys.executable, "-m", "coopwatch.cli", "alerts", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **options)


def test_list_shows_rules_and_channels_with_secrets_masked(setup):
    env = {**setup, "COOPWATCH_CHANNEL_HOOK": "json://user:hunter2@127.0.0.1:9/secret-token-path"}
    done = cli(env, "list")
    assert done.returncode == 0, done.stderr
    for shown in ("shanghai-hong-kong", "COOPWATCH_CHANNEL_HOOK", "json://…", "alerts.yaml:2"):
        assert shown in done.stdout
    assert "hunter2" not in done.stdout + done.stderr and "secret-token" not in done.stdout + done.stderr


def test_test_renders_without_sending_and_send_sends_once(setup):
    with WebhookReceiver() as hook:
        env = {**setup, "COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}
        shown = cli(env, "test", "shanghai-hong-kong")
        assert shown.returncode == 0 and "Shanghai–Hong Kong Symposium" in shown.stdout
        assert "nothing was sent" in shown.stdout and hook.received == []
        assert cli(env, "test", "shanghai-hong-kong", "--send").returncode == 0
        assert cli(env, "run").returncode == 0
    assert len(hook.received) == 1


def test_status_and_history_after_a_failure(setup):
    with SmtpReceiver(script=["550 5.7.1 relaying denied"]) as smtp:
        env = {**setup, "COOPWATCH_CHANNEL_HOOK": smtp.apprise_url()}
        run = cli(env, "run")
        status = cli(env, "status")
        history = cli(env, "history")
    assert run.returncode == 1 and "smtp 550" in run.stdout and "dead-lettered" in run.stdout
    row = next(line for line in status.stdout.splitlines() if "shanghai-hong-kong" in line)
    assert [cell.strip() for cell in row.split("│")[4:8]] == ["0", "0", "0", "1"]  # sent, pending, failed, dead
    assert "hook: dead (smtp 550)" in history.stdout


def test_a_bad_rules_file_is_a_clear_error_with_exit_status_2(setup, tmp_path):
    Path(setup["COOPWATCH_ALERTS"]).write_text(RULES + "    colour: red\n", encoding="utf-8")
    done = cli(setup, "run")
    assert done.returncode == 2 and "alerts.yaml:6: rule 'shanghai-hong-kong': unknown key 'colour'" in done.stderr
    assert "Traceback" not in done.stderr


def test_killed_between_send_and_record_repeats_at_most_once_with_the_same_key(setup):
    with WebhookReceiver() as hook:
        hook.hold_first = True  # the receiver has the message but the sender never hears back
        env = {**setup, "COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}
        proc = subprocess.Popen([sys.executable, "-m", "coopwatch.cli", "alerts", "run"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert hook.arrived.wait(60), "the alert never reached the receiver"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        hook.release.set()
        again = cli(env, "run")
        third = cli(env, "run")
    assert again.returncode == 0 and third.returncode == 0
    assert len(hook.received) == 2 and len(set(hook.keys())) == 1 and hook.keys()[0].startswith("cw-")
