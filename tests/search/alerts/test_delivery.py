"""Delivery through real receivers: a local SMTP server and a local webhook; failures, retries, dead letters."""

from __future__ import annotations

import json

from ingest.models import Speaker
from search.alerts.runner import shift
from tests.search.alerts.conftest import index, report
from tests.support.receivers import SmtpReceiver, WebhookReceiver

MAIL_RULES = """\
rules:
  - name: shanghai-hong-kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [mail]
"""
HOOK_RULES = MAIL_RULES.replace("[mail]", "[hook]")
T0 = "2026-12-01T10:00:00Z"


def zh_event():
    return report("zh", "第五届沪港城市合作研讨会在沪举行", "2025年11月18日，第五届沪港城市合作研讨会在上海举行。",
                  source="donghai", language="zh", date="2025-11-18",
                  speakers=[Speaker("方志强", title="主席", affiliation="港湾城市研究所", role="keynote")])


def body_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def test_email_arrives_with_chinese_intact_and_its_idempotency_key(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with SmtpReceiver() as smtp:
        runner = make_runner(sqlite_store, MAIL_RULES, {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()})
        runner.run()
        [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[coopwatch] New: 第五届沪港城市合作研讨会在沪举行 (2025-11-18)"
    html, text = body_of(mail, "html"), body_of(mail, "plain")
    assert "方志强" in html and "主席, 港湾城市研究所" in html and "2025年11月18日" in html  # speakers, passage
    assert "方志强" in text
    assert mail["X-Coopwatch-Idempotency-Key"].startswith("cw-")
    assert mail["To"].endswith("staff@example.org>") or "staff@example.org" in mail["To"]


def test_webhook_gets_json_with_the_structured_alert_and_an_idempotency_header(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with WebhookReceiver() as hook:
        make_runner(sqlite_store, HOOK_RULES, {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}).run()
    headers, body = hook.received[0]
    assert hook.keys()[0] == body["idempotency_key"] == headers["X-Coopwatch-Idempotency-Key"]
    event = body["alert"]["items"][0]["event"]
    assert event["speakers"][0] == {"name": "方志强", "title": "主席", "affiliation": "港湾城市研究所", "role": "keynote"}
    assert "第五届沪港城市合作研讨会" in body["message"]


def test_smtp_temporary_refusal_is_retried_then_delivered_once(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with SmtpReceiver(script=["451 4.3.0 mailbox busy, try later"]) as smtp:
        runner = make_runner(sqlite_store, MAIL_RULES, {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()},
                             backoff_seconds=60)
        first = runner.run(now=T0)
        too_soon = runner.run(now=shift(T0, seconds=30))
        later = runner.run(now=shift(T0, seconds=61))
        smtp.wait_for(1)
    assert (first.retrying, too_soon.sent, later.sent) == (1, 0, 1)
    assert "smtp 451" in first.failures[0] and len(smtp.messages) == 1 and len(smtp.attempts) == 2
    assert runner.store.delivery_counts()["shanghai-hong-kong"] == {"sent": 1, "pending": 0, "failed": 0, "dead": 0}


def test_smtp_permanent_refusal_is_dead_lettered_at_once_and_can_be_retried(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with SmtpReceiver(script=["550 5.1.1 no such mailbox"]) as smtp:
        runner = make_runner(sqlite_store, MAIL_RULES, {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()})
        first = runner.run(now=T0)
        assert (first.dead, runner.store.delivery_counts()["shanghai-hong-kong"]["dead"]) == (1, 1)
        assert runner.run(now=shift(T0, days=1)).sent == 0  # dead letters wait for an operator
        assert runner.store.requeue_dead(shift(T0, days=1)) == 1
        assert runner.run(now=shift(T0, days=1)).sent == 1
        smtp.wait_for(1)
    assert len(smtp.messages) == 1 and "smtp 550" in first.failures[0] and "dead-lettered" in first.failures[0]
    assert runner.store.history()[0]["deliveries"][0]["status"] == "sent"


def test_webhook_answering_500_then_200_delivers_once_after_a_retry(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with WebhookReceiver(script=[500, 200]) as hook:
        runner = make_runner(sqlite_store, HOOK_RULES, {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()})
        first = runner.run(now=T0)
        second = runner.run(now=shift(T0, minutes=2))
    assert "http 500" in first.failures[0] and second.sent == 1
    assert len(hook.received) == 2 and len(set(hook.keys())) == 1  # the same message, the same key


def test_webhook_refusing_with_404_is_dead_lettered(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with WebhookReceiver(script=[404]) as hook:
        result = make_runner(sqlite_store, HOOK_RULES, {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}).run(now=T0)
    assert result.dead == 1 and "http 404" in result.failures[0]


def test_a_receiver_that_hangs_times_out_and_the_message_is_retried(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with WebhookReceiver(script=["hang", 200], hang_seconds=20) as hook:
        runner = make_runner(sqlite_store, HOOK_RULES, {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()},
                             delivery_timeout=2)
        first = runner.run(now=T0)
        second = runner.run(now=shift(T0, minutes=2))
    assert first.retrying == 1 and "timeout" in first.failures[0]
    assert second.sent == 1 and len(set(hook.keys())) == 1


def test_repeated_failures_end_in_the_dead_letters(sqlite_store, make_runner):
    index(sqlite_store, zh_event())
    with WebhookReceiver(script=[503]) as hook:
        runner = make_runner(sqlite_store, HOOK_RULES, {"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()},
                             max_attempts=3, backoff_seconds=1)
        reports = [runner.run(now=shift(T0, minutes=60 * n)) for n in range(5)]
    assert [r.retrying for r in reports] == [1, 1, 0, 0, 0] and [r.dead for r in reports] == [0, 0, 1, 0, 0]
    assert len(hook.received) == 3
    assert runner.store.delivery_counts()["shanghai-hong-kong"]["dead"] == 1


def test_header_injection_in_a_title_stays_in_the_subject(sqlite_store, make_runner):
    index(sqlite_store, report("inj", "Shanghai–Hong Kong Forum\r\nBcc: victim@example.org\r\nX-Evil: yes"))
    with SmtpReceiver() as smtp:
        make_runner(sqlite_store, MAIL_RULES, {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()}).run()
        [mail] = smtp.wait_for(1)
    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert mail["Subject"].startswith("[coopwatch] New: Shanghai–Hong Kong Forum Bcc: victim@example.org")


def test_html_and_script_in_crawled_text_are_escaped_in_the_html_email(sqlite_store, make_runner):
    hostile = report("xss", 'Shanghai <script>alert(1)</script> Forum <img src=x onerror="alert(2)">',
                     "Hong Kong <b onmouseover=alert(3)>bold</b> and <script>steal()</script> text.",
                     speakers=[Speaker('<a href="javascript:alert(4)">Eve</a>', title="<i>Chair</i>")])
    index(sqlite_store, hostile)
    rules = MAIL_RULES.replace("{pair: [Shanghai, Hong Kong], events_only: true}", "{text: Hong Kong}")
    with SmtpReceiver() as smtp:
        make_runner(sqlite_store, rules, {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url()}).run()
        [mail] = smtp.wait_for(1)
    html = body_of(mail, "html")
    for raw in ("<script", "<img", "<b ", "onerror=\"", 'href="javascript', "<i>", "<a href=\"java"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<mark>Hong</mark>" in html


def test_a_200_kb_report_makes_a_bounded_message(sqlite_store, make_runner):
    huge = report("huge", "Shanghai–Hong Kong Marathon Symposium " + "very long title " * 100,
                  "Shanghai and Hong Kong. " * 9000, speakers=[f"Speaker Number{n}" for n in range(400)])
    assert len(huge.text) > 200_000
    index(sqlite_store, huge)
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        env = {"COOPWATCH_CHANNEL_MAIL": smtp.apprise_url(), "COOPWATCH_CHANNEL_HOOK": hook.apprise_url()}
        make_runner(sqlite_store, MAIL_RULES.replace("[mail]", "[mail, hook]"), env).run()
        [mail] = smtp.wait_for(1)
    assert len(mail.as_bytes()) < 60_000 and "and 375 more" in body_of(mail, "html")
    assert len(json.dumps(hook.received[0][1])) < 120_000
