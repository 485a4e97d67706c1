"""What counts as new, one message per event, never twice: on both stores, through a real webhook receiver."""

from __future__ import annotations

from dataclasses import replace

from ingest.models import Speaker, store_stamp
from search.alerts.runner import shift
from search.reindex import reindex
from tests.search.alerts.conftest import index, report
from tests.support.receivers import WebhookReceiver


def hook_env(hook: WebhookReceiver) -> dict[str, str]:
    return {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}


def subjects(hook: WebhookReceiver) -> list[str]:
    return [body["title"] for _, body in hook.received]


def test_one_message_per_new_event_and_none_on_a_second_run(store, make_runner):
    index(store, report("sym", "Shanghai–Hong Kong Symposium on Urban Renewal", speakers=["Albert Fong"]),
          report("news", "Hong Kong housing figures", is_event=False),
          report("gz", "Guangzhou–Macao Signing", cities=("Guangzhou", "Macao"), date="2025-05-01"))
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        first = runner.run()
        second = runner.run()
    assert subjects(hook) == ["[coopwatch] New: Shanghai–Hong Kong Symposium on Urban Renewal (2025-03-12)"]
    assert (first.rules[0].new, first.sent, second.rules[0].new, second.sent) == (1, 1, 0, 0)


def test_english_and_chinese_reports_of_one_event_make_one_message_listing_both(store, make_runner):
    index(store,
          report("en", "Shanghai–Hong Kong Symposium Explores Urban Renewal", speakers=["Albert Fong Chi-keung"]),
          report("zh", "沪港城市更新研讨会在港举行", source="donghai", language="zh", speakers=["方志强"]))
    with WebhookReceiver() as hook:
        make_runner(store, env=hook_env(hook)).run()
    assert len(hook.received) == 1
    alert = hook.received[0][1]["alert"]
    assert {r["title"] for r in alert["items"][0]["reports"]} == {
        "Shanghai–Hong Kong Symposium Explores Urban Renewal", "沪港城市更新研讨会在港举行"}
    assert "沪港城市更新研讨会在港举行" in hook.received[0][1]["message"]


def test_reports_sharing_an_event_id_make_one_message(store, make_runner):
    first = replace(report("a", "Forum report", date="2025-03-12"), event_id="evt-7")
    second = replace(report("b", "论坛报道", language="zh", date="2025-03-13"), event_id="evt-7")
    for doc in (first, second):
        doc.content_hash = doc.compute_hash()
    index(store, first, second)
    with WebhookReceiver() as hook:
        make_runner(store, env=hook_env(hook)).run()
    assert len(hook.received) == 1
    assert len(hook.received[0][1]["alert"]["items"][0]["reports"]) == 2


def test_report_published_long_ago_but_found_today_alerts(store, make_runner):
    index(store, report("old", "Shanghai–Hong Kong Roundtable of 2019", date="2019-05-02", published="2019-05-03"))
    with WebhookReceiver() as hook:
        make_runner(store, env=hook_env(hook)).run()
    assert subjects(hook) == ["[coopwatch] New: Shanghai–Hong Kong Roundtable of 2019 (2019-05-02)"]


def test_edited_report_without_material_change_does_not_alert_again(store, make_runner):
    doc = report("sym", "Shanghai–Hong Kong Symposium", speakers=["Albert Fong"])
    index(store, doc)
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        runner.run()
        index(store, replace(doc, text="Edited: a typo fixed in the report.", content_hash=""))
        again = runner.run()
    assert len(hook.received) == 1 and again.rules[0].updated == 0


def test_new_speakers_make_one_updated_message_that_says_so(store, make_runner):
    doc = report("sym", "Shanghai–Hong Kong Symposium", speakers=["Albert Fong"])
    index(store, doc)
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        runner.run()
        edited = report("sym", "Shanghai–Hong Kong Symposium", "The programme now lists a second speaker.",
                        speakers=["Albert Fong", "Zhou Jianping"])
        index(store, edited)
        updated = runner.run()
        quiet = runner.run()
    assert subjects(hook)[1] == "[coopwatch] Updated: Shanghai–Hong Kong Symposium (2025-03-12)"
    assert "new speakers: Zhou Jianping" in hook.received[1][1]["message"]
    assert (updated.rules[0].updated, quiet.rules[0].updated, len(hook.received)) == (1, 0, 2)
    assert len(set(hook.keys())) == 2  # an update is a new message with its own key


def test_restructured_report_with_the_same_text_sends_nothing(store, make_runner):
    doc = report("sym", "Shanghai–Hong Kong Symposium", "Same text.", speakers=["Albert Fong"])
    index(store, doc)
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        runner.run()
        index(store, report("sym", "Shanghai–Hong Kong Symposium", "Same text.", date="2025-03-13",
                            speakers=["Albert Fong", "Someone Else"]))  # reprocessed by a newer structurer
        runner.run()
    assert len(hook.received) == 1


def test_copying_the_store_elsewhere_sends_nothing_again(sqlite_store, make_runner, tmp_path):
    from search.sqlite import SQLiteBackend

    index(sqlite_store, report("sym", "Shanghai–Hong Kong Symposium"))
    with WebhookReceiver() as hook:
        make_runner(sqlite_store, env=hook_env(hook)).run()
        with SQLiteBackend(str(tmp_path / "copy.sqlite")) as copy:
            reindex(sqlite_store, copy)
            make_runner(copy, env=hook_env(hook)).run()
    assert len(hook.received) == 1


def test_overlap_window_catches_a_report_indexed_while_the_last_run_read(sqlite_store, make_runner):
    with WebhookReceiver() as hook:
        runner = make_runner(sqlite_store, env=hook_env(hook))
        runner.run(now="2026-12-01T10:00:00Z")
        late = report("late", "Shanghai–Hong Kong Youth Dialogue")
        late.indexed_at = late.changed_at = "2026-12-01T09:59:50Z"  # committed while the last run was reading
        index(sqlite_store, late)
        runner.run(now="2026-12-01T11:00:00Z")
    assert subjects(hook) == ["[coopwatch] New: Shanghai–Hong Kong Youth Dialogue (2025-03-12)"]


def test_a_new_rule_looks_back_only_its_lookback_period(sqlite_store, make_runner):
    now = store_stamp()
    recent, old = report("recent", "Recent Shanghai–Hong Kong Forum"), report("old", "Old Shanghai–Hong Kong Forum")
    recent.indexed_at = recent.changed_at = shift(now, days=-2)
    old.indexed_at = old.changed_at = shift(now, days=-30)
    index(sqlite_store, recent, old)
    with WebhookReceiver() as hook:
        make_runner(sqlite_store, env=hook_env(hook), lookback_days=7).run(now=now)
    assert subjects(hook) == ["[coopwatch] New: Recent Shanghai–Hong Kong Forum (2025-03-12)"]


def test_a_later_report_of_a_told_event_is_recorded_quietly_unless_it_adds_speakers(store, make_runner):
    index(store, report("en", "Shanghai–Hong Kong Symposium", speakers=[Speaker("Albert Fong", key="fong")]))
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        runner.run()
        index(store, report("zh", "沪港研讨会", source="donghai", language="zh", speakers=[Speaker("方志强", key="fong")]))
        quiet = runner.run()
        index(store, report("partner", "Symposium notes", source="pearl",
                            speakers=[Speaker("Albert Fong", key="fong"), Speaker("Helen Yip", key="yip")]))
        updated = runner.run()
    assert (quiet.rules[0].new, quiet.rules[0].updated) == (0, 0)
    assert (updated.rules[0].new, updated.rules[0].updated) == (0, 1)
    assert "new speakers: Helen Yip" in hook.received[-1][1]["message"] and len(hook.received) == 2


DIGEST = """\
rules:
  - name: weekly
    search: {events_only: true}
    channels: [hook]
    mode: digest
    period: daily
"""


def test_digest_sends_one_message_per_period_listing_every_match(sqlite_store, make_runner):
    with WebhookReceiver() as hook:
        runner = make_runner(sqlite_store, rules=DIGEST, env=hook_env(hook))
        index(sqlite_store, report("a", "First Forum", date="2025-01-01"))
        runner.run(now="2026-12-01T08:00:00Z")
        index(sqlite_store, report("b", "Second Forum", date="2025-02-01", cities=("Shenzhen", "Hong Kong")))
        runner.run(now="2026-12-01T20:00:00Z")
        assert hook.received == []  # the day is not over
        runner.run(now="2026-12-02T07:00:00Z")
        runner.run(now="2026-12-02T08:00:00Z")
    assert subjects(hook) == ["[coopwatch] weekly: 2 event(s), 2026-12-01 digest"]
    items = hook.received[0][1]["alert"]["items"]
    assert [i["event"]["name"] for i in items] == ["First Forum", "Second Forum"]


FLOOD = """\
rules:
  - name: everything
    search: {events_only: true}
    channels: [hook]
    max_messages: 3
"""


def test_a_flood_of_events_becomes_a_few_messages_and_one_listing_the_rest(sqlite_store, make_runner):
    index(sqlite_store, *[report(f"e{n}", f"Forum number {n}", date=f"2025-01-{n + 1:02d}") for n in range(6)])
    with WebhookReceiver() as hook:
        result = make_runner(sqlite_store, rules=FLOOD, env=hook_env(hook)).run()
    assert result.rules[0].new == 6 and len(hook.received) == 3
    assert subjects(hook)[-1] == "[coopwatch] everything: 4 event(s), more matches"


def test_an_unconfigured_channel_keeps_the_window_until_it_is_set(sqlite_store, make_runner):
    index(sqlite_store, report("sym", "Shanghai–Hong Kong Symposium"))
    missing = make_runner(sqlite_store).run()
    assert "COOPWATCH_CHANNEL_HOOK" in missing.rules[0].problem and not missing.ok
    with WebhookReceiver() as hook:
        make_runner(sqlite_store, env=hook_env(hook)).run()
    assert len(hook.received) == 1


def test_a_report_first_indexed_before_the_window_is_not_new_when_edited(sqlite_store, make_runner):
    now = store_stamp()
    edited = report("edited", "Shanghai–Hong Kong Forum of last year")
    edited.indexed_at, edited.changed_at = shift(now, days=-30), shift(now, minutes=-5)
    index(sqlite_store, edited)
    with WebhookReceiver() as hook:
        result = make_runner(sqlite_store, env=hook_env(hook)).run(now=now)
    assert result.rules[0].new == 0 and hook.received == []


def test_an_event_told_before_its_reports_had_an_event_id_is_not_told_again(store, make_runner):
    first = report("en", "Shanghai–Hong Kong Symposium", speakers=[Speaker("Albert Fong", key="fong")])
    index(store, first)
    with WebhookReceiver() as hook:
        runner = make_runner(store, env=hook_env(hook))
        runner.run()
        grouped = replace(first, event_id="evt-1", content_hash="")  # event grouping arrives later
        late = replace(report("zh", "沪港研讨会", source="donghai", language="zh", speakers=[Speaker("方志强", key="fong")]),
                       event_id="evt-1", content_hash="")
        index(store, grouped, late)
        result = runner.run()
    assert (result.rules[0].new, result.rules[0].updated, len(hook.received)) == (0, 0, 1)
