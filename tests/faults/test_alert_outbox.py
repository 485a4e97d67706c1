"""Faults around the alert outbox not covered by tests/search/alerts: overlapping runs, a broken database, no store."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ingest.models import Document, EventReport, doc_id
from search.sqlite import SQLiteBackend
from tests.faults.support import ROOT
from tests.support.receivers import WebhookReceiver

RULES = ("rules:\n  - name: pair\n    search: {pair: [Shanghai, Hong Kong], events_only: true}\n"
         "    channels: [hook]\n")


def event_document(key: str, title: str, date: str, kind: str) -> Document:
    url = f"https://harbour.example.org/news/{key}.html"
    event = EventReport(is_event_report=True, event_type=kind, event_date=date,
                        cities=["Shanghai", "Hong Kong"], city_pairs=[["Hong Kong", "Shanghai"]])
    return Document(id=doc_id(url), url=url, source="harbour", title=title, text=f"{title}. Invented text. " * 4,
                    language="en", published="2025-03-14", event=event)


@pytest.fixture
def alert_env(tmp_path):
    """A store with two events, a rules file, an alerts database path, and the environment for `coopwatch alerts`."""
    store = tmp_path / "store.sqlite"
    with SQLiteBackend(str(store)) as backend:
        backend.upsert([event_document("a", "Shanghai–Hong Kong Symposium", "2025-03-12", "symposium"),
                        event_document("b", "Hong Kong–Shanghai Finance Forum", "2025-04-20", "forum")])
    (tmp_path / "alerts.yaml").write_text(RULES, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOPWATCH_")}
    env |= {"COOPWATCH_STORE": str(store), "COOPWATCH_ALERTS": str(tmp_path / "alerts.yaml"),
            "COOPWATCH_ALERTS_DB": str(tmp_path / "alerts.sqlite"), "COOPWATCH_CONFIG": os.devnull}
    return env


def alerts(env, *args, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coopwatch.cli", "alerts", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **options)


def test_two_alert_runs_at_once_send_each_message_once(fault, alert_env):
    """Two `alerts run` overlapping (the scheduler and a person): every message reaches the receiver exactly once."""
    fault.expect("2 events -> 2 messages received in all, 2 distinct idempotency keys, both runs status 0")
    with WebhookReceiver() as hook:
        hook.hold_first = True  # the first delivery hangs until the second run has started
        env = alert_env | {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}
        first = subprocess.Popen([sys.executable, "-m", "coopwatch.cli", "alerts", "run"], env=env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert hook.arrived.wait(60), "the first run never delivered"
        second = subprocess.Popen([sys.executable, "-m", "coopwatch.cli", "alerts", "run"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(3)  # let the second run reach its deliveries while the first is still sending
        hook.release.set()
        outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
        keys = hook.keys()
    fault.saw(f"statuses {[first.returncode, second.returncode]}; {len(keys)} received, {len(set(keys))} distinct keys")
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert len(keys) == 2 and len(set(keys)) == 2


def test_corrupt_alerts_database_is_a_clear_error(fault, alert_env, tmp_path):
    """An alerts database that is not a database stops `alerts run` with the file named, sending nothing."""
    fault.expect("status 2, message names alerts.sqlite; the receiver gets nothing; no traceback")
    (tmp_path / "alerts.sqlite").write_bytes(b"this is not a database, just text " * 200)
    with WebhookReceiver() as hook:
        done = alerts(alert_env | {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}, "run")
        received = len(hook.received)
    fault.saw(f"status {done.returncode}: {done.stderr.strip().replace(str(tmp_path) + '/', '')}; received {received}")
    assert done.returncode == 2 and "alerts.sqlite" in done.stderr and "Traceback" not in done.stderr
    assert received == 0


def test_store_unreachable_keeps_the_window(fault, alert_env, tmp_path):
    """`alerts run` against a store that cannot be reached fails clearly and loses nothing: the next good run sends."""
    fault.expect("status 2 naming the store; then, with the store back, both messages are sent once")
    with WebhookReceiver() as hook:
        env = alert_env | {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}
        down = alerts(env | {"COOPWATCH_STORE": "http://127.0.0.1:9/", "COOPWATCH_ES_TIMEOUT": "2"}, "run")
        back = alerts(env, "run")
        keys = hook.keys()
    fault.saw(f"down: status {down.returncode}: {down.stderr.strip().splitlines()[0][:90]}...; back: status "
              f"{back.returncode}, {len(keys)} received")
    assert down.returncode == 2 and "127.0.0.1:9" in down.stderr and "Traceback" not in down.stderr
    assert back.returncode == 0 and len(keys) == len(set(keys)) == 2
