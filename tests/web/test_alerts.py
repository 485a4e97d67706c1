"""Watch rules and alerts over both backends: list, save a search as a rule, delete, preview, history, CSRF, secrets.

The rules file has two rules (``shanghai-hong-kong`` on the ``hook`` channel, a real JSON webhook on 127.0.0.1
whose URL holds a secret; ``weekly-forums`` on ``staff-email``, which is not configured). Deliveries go through
the real alert runner to that webhook.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import HOOK_SECRET
from tests.web.test_pages import Markup, assert_inert

pytestmark = pytest.mark.usefixtures("web_backend")
SAME_SITE = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}


def rules_of(client) -> dict[str, dict]:
    response = client.get("/api/rules")
    assert response.status_code == 200, response.text
    return {rule["name"]: rule for rule in response.json()["rules"]}


def save(client, body: dict, headers: dict | None = None):
    return client.post("/api/rules", json=body, headers=headers or SAME_SITE)


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["error"]["message"]


@pytest.fixture
def saved_rule(client):
    """Save a search as a rule for one test, and delete it afterwards."""
    body = {"name": "hong-kong-forums", "search": {"q": "Hong Kong", "type": "forum", "events_only": True},
            "channels": ["hook"], "mode": "digest", "period": "weekly"}
    response = save(client, body)
    assert response.status_code == 201, response.text
    yield response
    client.delete("/api/rules/hong-kong-forums", headers=SAME_SITE)


# reading ---------------------------------------------------------------------------------------------------


def test_rules_from_the_file_with_masked_channels_and_search_links(client):
    rules = rules_of(client)
    pair = rules["shanghai-hong-kong"]
    assert not pair["editable"] and pair["defined_in"] == "alerts.yaml:2" and pair["mode"] == "immediate"
    (search,) = pair["searches"]
    assert search["params"] == {"pair": "Hong Kong,Shanghai", "events_only": True}
    assert search["page"] == "/?pair=Hong+Kong%2CShanghai&events_only=true"
    (hook,) = pair["channels"]
    assert hook["shown"] == "hook (COOPWATCH_CHANNEL_HOOK: json://…)" and hook["problem"] is None
    weekly = rules["weekly-forums"]
    assert weekly["mode"] == "digest" and weekly["period"] == "weekly" and len(weekly["searches"]) == 2
    assert "COOPWATCH_CHANNEL_STAFF_EMAIL" in weekly["channels"][0]["problem"]  # named but not configured
    assert weekly["deliveries"] == {"sent": 0, "pending": 0, "failed": 0, "dead": 0}
    configured = [c["name"] for c in client.get("/api/rules").json()["channels"]]
    assert configured == ["broken", "hook", "console"]  # what a saved rule may use; staff-email is not there


def test_search_link_of_a_rule_finds_what_the_rule_watches(client, web_docs):
    page = rules_of(client)["shanghai-hong-kong"]["searches"][0]["page"]
    results = client.get("/api" + page.replace("/?", "/search?") + "&collapse=false").json()["results"]
    assert {hit["id"] for hit in results} == {web_docs["en_forum"].id, web_docs["zh_forum"].id}


def test_channel_urls_never_appear(client, hook_server):
    where = hook_server.url("/hook").removeprefix("http://")
    for url in ("/api/rules", "/rules", "/rules/shanghai-hong-kong", "/api/rules/shanghai-hong-kong/preview",
                "/api/alerts", "/?q=Hong+Kong"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert HOOK_SECRET not in response.text and where not in response.text, url


def test_preview_renders_what_would_be_sent_without_recording(client, web_docs):
    preview = client.get("/api/rules/shanghai-hong-kong/preview").json()
    (message,) = preview["messages"]  # the forum: one event, reported in English and Chinese
    assert message["kind"] == "new" and message["subject"].startswith("[coopwatch] New: ")
    assert "2024-03-08" in message["subject"] and web_docs["zh_forum"].url in message["text"]
    assert client.get("/api/rules/shanghai-hong-kong/preview").json()["messages"] == preview["messages"]
    assert rules_of(client)["shanghai-hong-kong"]["last_run"] is None  # a preview runs nothing
    page = client.get("/rules/shanghai-hong-kong")
    assert page.status_code == 200 and message["subject"] in page.text and "nothing is sent" in page.text
    assert_inert(Markup(page.text))
    assert client.get("/api/rules/nothing-here/preview").status_code == 404


# saving ----------------------------------------------------------------------------------------------------


def test_save_a_search_as_a_rule_and_see_it_listed(client, saved_rule):
    rule = saved_rule.json()
    assert saved_rule.headers["location"] == "/api/rules/hong-kong-forums"
    assert rule["editable"] and rule["defined_in"] == "alerts database" and rule["period"] == "weekly"
    assert rule["searches"][0]["params"] == {"q": "Hong Kong", "type": "forum", "events_only": True}
    assert rule["searches"][0]["words"] == "'Hong Kong' --type forum --events-only"
    assert "hong-kong-forums" in rules_of(client)
    text = client.get("/rules").text
    assert "hong-kong-forums" in text and "/?q=Hong+Kong&amp;type=forum&amp;events_only=true" in text


@pytest.mark.parametrize("body, status, words", [
    ({"name": "Bad Name", "channels": ["hook"]}, 422, "lower-case letters"),
    ({"name": "x", "channels": []}, 422, "channels"),
    ({"name": "x", "channels": ["staff-email"]}, 422, "COOPWATCH_CHANNEL_STAFF_EMAIL"),
    ({"name": "x", "channels": ["nowhere"]}, 422, "configured channels: broken, hook, console"),
    ({"name": "x", "channels": ["hook"], "mode": "hourly"}, 422, "immediate or digest"),
    ({"name": "x", "channels": ["hook"], "search": {"lang": "fr"}}, 422, "'en' or 'zh'"),
    ({"name": "x", "channels": ["hook"], "search": {"pair": "Hong Kong"}}, 422, "two cities"),
    ({"name": "x", "channels": ["hook"], "search": {"type": "banquet"}}, 422, "unknown value"),
    ({"name": "x", "channels": ["hook"], "search": {"since": "2024"}}, 422, "no date range"),
    ({"name": "x", "channels": ["hook"], "search": {"colour": "red"}}, 422, "colour"),
    ({"name": "shanghai-hong-kong", "channels": ["hook"]}, 409, "rules file (alerts.yaml:2)"),
])
def test_bad_rules_are_a_clear_4xx_and_save_nothing(client, body, status, words):
    assert words in error_of(save(client, body), status)
    assert set(rules_of(client)) == {"shanghai-hong-kong", "weekly-forums"}


def test_a_saved_name_is_not_overwritten_unless_asked(client, saved_rule):
    again = {"name": "hong-kong-forums", "search": {"q": "Macau"}, "channels": ["hook"]}
    assert "already named" in error_of(save(client, again), 409)
    assert save(client, {**again, "replace": True}).status_code == 201
    assert rules_of(client)["hong-kong-forums"]["searches"][0]["params"] == {"q": "Macau"}


def test_delete_a_saved_rule_but_never_a_file_rule(client, saved_rule):
    message = error_of(client.delete("/api/rules/shanghai-hong-kong", headers=SAME_SITE), 409)
    assert "rules file (alerts.yaml:2)" in message and "edit or remove it there" in message
    assert client.delete("/api/rules/hong-kong-forums", headers=SAME_SITE).json() == {"deleted": "hong-kong-forums"}
    assert "hong-kong-forums" not in rules_of(client)
    assert client.delete("/api/rules/hong-kong-forums", headers=SAME_SITE).status_code == 404


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example.org", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example.org"},  # an older browser, without Sec-Fetch-Site
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "null"},
    {"Host": "rebound.example.org"},  # a site that rebinds its name to 127.0.0.1
])
def test_changes_from_other_sites_are_refused(client, headers):
    body = {"name": "csrf-rule", "channels": ["hook"], "search": {"q": "Hong Kong"}}
    assert "refused" in error_of(save(client, body, headers), 403)
    form = client.post("/rules", data={"name": "csrf-rule", "channel": "hook", "q": "x"}, headers=headers)
    assert form.status_code == 403 and form.headers["content-type"].startswith("text/html")
    assert client.delete("/api/rules/shanghai-hong-kong", headers=headers).status_code == 403
    assert "csrf-rule" not in rules_of(client)


def test_a_body_without_length_is_refused(client):
    def chunks():
        yield b'{"name": "streamed", "channels": ["hook"]}'

    response = client.post("/api/rules", content=chunks(), headers={**SAME_SITE, "Content-Type": "application/json"})
    assert response.status_code == 411 and "streamed" not in rules_of(client)


# the "watch this search" form ------------------------------------------------------------------------------


def test_watch_form_saves_the_search_of_the_page(client):
    page = client.get("/?q=Hong+Kong&type=forum&since=2024")
    markup = Markup(page.text)
    form = next(f for f in markup.named("form") if f.get("action") == "/rules")
    assert form["method"] == "post" and "the since date is not kept" in page.text
    hidden = {i["name"]: i["value"] for i in markup.named("input") if i.get("type") == "hidden" and i.get("name") != "back"}
    assert hidden == {"q": "Hong Kong", "type": "forum"}
    options = [o.get("value") for o in markup.named("option")]
    assert {"hook", "broken", "console"} <= set(options) and "staff-email" not in options
    fields = {**hidden, "name": "hong-kong-forum", "channel": "hook", "mode": "daily", "back": "/?q=Hong+Kong"}
    saved = client.post("/rules", data=fields, headers=SAME_SITE, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/rules/hong-kong-forum?saved=1"
    rule = rules_of(client)["hong-kong-forum"]
    assert (rule["mode"], rule["period"], rule["searches"][0]["params"]) == ("digest", "daily",
                                                                             {"q": "Hong Kong", "type": "forum"})
    again = client.post("/rules", data=fields, headers=SAME_SITE)
    assert again.status_code == 409 and "already named" in again.text and 'href="/?q=Hong+Kong"' in again.text
    deleted = client.post("/rules/hong-kong-forum/delete", headers=SAME_SITE, follow_redirects=False)
    assert deleted.status_code == 303 and "hong-kong-forum" not in rules_of(client)


# history ---------------------------------------------------------------------------------------------------


def test_alerts_sent_appear_with_their_delivery_status(client, web_backend, hook_server, web_docs):
    body = {"name": "forum-on-two-channels", "search": {"q": "forum", "events_only": True},
            "channels": ["hook", "broken"]}
    assert save(client, body).status_code == 201
    runner = client.app.state.services.alerts
    report = runner.run(["forum-on-two-channels", "shanghai-hong-kong"])
    assert report.sent >= 2 and report.retrying >= 1  # the hook accepted; the broken channel answered 500
    alerts = client.get("/api/alerts", params={"limit": 50}).json()["alerts"]
    statuses = {(a["rule"], d["channel"], d["status"]) for a in alerts for d in a["deliveries"]}
    assert ("shanghai-hong-kong", "hook", "sent") in statuses
    assert ("forum-on-two-channels", "broken", "failed") in statuses
    broken = next(d for a in alerts for d in a["deliveries"] if d["channel"] == "broken")
    assert broken["attempts"] == 1 and broken["last_error"] == "http 500"
    rules = rules_of(client)
    assert rules["shanghai-hong-kong"]["deliveries"]["sent"] == 1 and rules["shanghai-hong-kong"]["last_run"]
    counts = rules["forum-on-two-channels"]["deliveries"]
    assert counts["sent"] == counts["failed"] >= 1
    only = client.get("/api/alerts", params={"rule": "shanghai-hong-kong"}).json()["alerts"]
    assert {a["rule"] for a in only} == {"shanghai-hong-kong"} and "2024-03-08" in only[0]["subject"]
    page = client.get("/rules")
    assert only[0]["subject"] in page.text and "broken: failed (http 500)" in page.text
    assert HOOK_SECRET not in page.text and hook_server.requests_for("/hook")
    assert_inert(Markup(page.text))
    assert client.get("/api/rules/shanghai-hong-kong/preview").json()["messages"] == []  # nothing new any more
    assert client.delete("/api/rules/forum-on-two-channels", headers=SAME_SITE).status_code == 200


def test_alerts_parameters_are_bounded(client):
    assert client.get("/api/alerts", params={"limit": 0}).status_code == 422
    assert client.get("/api/alerts", params={"limit": 500}).status_code == 422
    assert client.get("/api/alerts", params={"what": 1}).status_code == 400
