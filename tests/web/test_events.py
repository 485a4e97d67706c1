"""Events as records over both backends: /api/events, /api/events/{id}, the event page, collapsed results, people by event.

The corpus is grouped as the indexing path groups it: the English and the Chinese report of the Shanghai-Hong Kong
forum are one event; the seminar and the hostile report are events of their own; the two news items are none.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.test_pages import Markup, assert_inert

pytestmark = pytest.mark.usefixtures("web_backend")


def get(client, url: str, **params) -> dict:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def forum_id(web_docs) -> str:
    event_id = web_docs["en_forum"].event_id
    assert event_id and event_id == web_docs["zh_forum"].event_id
    return event_id


# the event record ------------------------------------------------------------------------------------------


def test_event_record_merges_its_reports(client, web_docs, forum_id):
    event = get(client, f"/api/events/{forum_id}")
    assert event["id"] == forum_id and event["status"] == "held" and event["event_date"] == "2024-03-08"
    assert event["name"] == "Shanghai-Hong Kong Cooperation Forum"
    assert set(event["names"]) == {"Shanghai-Hong Kong Cooperation Forum", "第五届沪港合作论坛"}
    assert event["languages"] == ["en", "zh"] and event["sources"] == ["thinktank-a", "thinktank-c"]
    assert event["venue"] == "Shanghai Exhibition Centre" and event["city_pairs"] == [["Hong Kong", "Shanghai"]]
    assert event["sessions"] == ["Finance panel", "Talent panel"]
    fan = next(s for s in event["speakers"] if s["key"] == "person:fan-gang")
    assert (fan["name"], fan["title"], fan["aka"]) == ("Fan Gang", "President", ["樊纲"])  # one person, two spellings
    reports = event["reports"]
    assert [(r["id"], r["language"], r["published"], r["source"]) for r in reports] == [
        (web_docs["en_forum"].id, "en", "2024-03-10", "thinktank-a"),
        (web_docs["zh_forum"].id, "zh", "2024-03-11", "thinktank-c")]
    assert reports[0]["reason"] == ["started the event"]
    assert reports[1]["reason"][0].startswith("joined: same date 2024-03-08") and "樊纲" in reports[1]["reason"][0]
    assert reports[1]["links"]["page"] == f"/documents/{web_docs['zh_forum'].id}"
    assert event["links"] == {"event": f"/api/events/{forum_id}", "page": f"/events/{forum_id}"}


def test_event_errors(client):
    assert client.get("/api/events/evt-0000000000000000").status_code == 404
    response = client.get("/api/events/" + "x" * 101)
    assert response.status_code == 422 and response.json()["error"]["param"] == "id"


@pytest.mark.parametrize("params, expected", [
    ({}, {"forum", "seminar", "hostile"}),
    ({"q": "沪港"}, {"forum"}),  # a Chinese name of the event finds the event, English report and all
    ({"lang": "zh"}, {"forum"}),
    ({"speaker": "樊纲"}, {"forum", "seminar"}),
    ({"pair": "Hong Kong,Shanghai"}, {"forum"}),
    ({"since": "2025"}, {"seminar", "hostile"}),
    ({"type": "seminar"}, {"seminar"}),
    ({"status": "held"}, {"forum", "seminar", "hostile"}),
    ({"status": "announced"}, set()),
])
def test_event_search_applies_the_filters_to_event_records(client, web_docs, params, expected):
    by_event = {web_docs["en_forum"].event_id: "forum", web_docs["en_seminar"].event_id: "seminar",
                web_docs["hostile"].event_id: "hostile"}
    payload = get(client, "/api/events", **params)
    assert {by_event[e["id"]] for e in payload["events"]} == expected and payload["total"] == len(expected)


def test_event_search_pages_newest_first(client):
    first, second = (get(client, "/api/events", limit=2, offset=o) for o in (0, 2))
    dates = [e["event_date"] for e in first["events"] + second["events"]]
    assert dates == ["2025-05-20", "2025-01-10", "2024-03-08"] and first["total"] == 3
    forum = second["events"][0]
    assert forum["report_count"] == 2 and forum["links"]["page"].startswith("/events/evt-")


def test_event_search_refuses_what_does_not_apply_to_events(client):
    for params, status in (({"events_only": "true"}, 400), ({"sort": "date"}, 400), ({"status": "cancelled"}, 422)):
        response = client.get("/api/events", params=params)
        assert response.status_code == status, (params, response.text)


# collapsed results -----------------------------------------------------------------------------------------


def test_collapse_gives_one_row_per_event_with_its_report_count(client, web_docs, forum_id):
    every = get(client, "/api/search", pair="Hong Kong,Shanghai", collapse="false")
    assert every["total"] == 2 and not every["collapse"]
    grouped = get(client, "/api/search", pair="Hong Kong,Shanghai", collapse="true")
    assert grouped["total"] == 1 and grouped["collapse"]
    (row,) = grouped["results"]
    assert row["event_id"] == forum_id and row["group_size"] == 2
    assert row["links"]["event_page"] == f"/events/{forum_id}"


def test_collapse_is_on_by_default_for_event_reports_only(client):
    assert get(client, "/api/search", events_only="true")["collapse"]
    assert get(client, "/api/search", events_only="true")["total"] == 3  # three events, four reports
    assert get(client, "/api/search", events_only="true", collapse="false")["total"] == 4
    assert not get(client, "/api/search")["collapse"] and get(client, "/api/search")["total"] == 6


def test_search_page_toggle_is_carried_in_the_url(client):
    grouped = client.get("/?pair=Hong+Kong%2CShanghai&events_only=true")
    assert grouped.status_code == 200 and "one row per event" in grouped.text
    markup = Markup(grouped.text)
    toggle = next(a for a in markup.named("a") if a.get("id") == "group-toggle")
    assert parse_qs(urlsplit(toggle["href"]).query) == {"pair": ["Hong Kong,Shanghai"], "events_only": ["true"],
                                                        "collapse": ["false"]}
    assert len([li for li in markup.named("li") if li.get("class") == "hit"]) == 1
    every = client.get(toggle["href"])
    assert len([li for li in Markup(every.text).named("li") if li.get("class") == "hit"]) == 2
    assert 'name="collapse" value="false"' in every.text  # the form keeps the choice when the words change
    redundant = client.get("/?events_only=true&collapse=true", follow_redirects=False)
    assert redundant.status_code == 303 and redundant.headers["location"] == "/?events_only=true"


# pages -----------------------------------------------------------------------------------------------------


def test_event_page_is_built_from_the_event_record(client, web_docs, forum_id):
    response = client.get(f"/events/{forum_id}")
    assert response.status_code == 200
    text = response.text
    for value in ("Shanghai-Hong Kong Cooperation Forum", "第五届沪港合作论坛", "held", "Shanghai Exhibition Centre",
                  "A new chapter", "Shanghai Institutes for International Studies", "Finance panel", "(樊纲)",
                  "China Development Institute", "started the event", "joined: same date 2024-03-08", "thinktank-c"):
        assert value in text, value
    markup = Markup(text)
    hrefs = [a.get("href") for a in markup.named("a")]
    assert f"/documents/{web_docs['en_forum'].id}" in hrefs and f"/documents/{web_docs['zh_forum'].id}" in hrefs
    assert "/people/person%3Afan-gang" in hrefs
    assert_inert(markup)
    report_page = client.get(f"/documents/{web_docs['zh_forum'].id}").text
    assert f'href="/events/{forum_id}"' in report_page  # each report leads to its event


def test_hostile_event_page_is_inert(client, web_docs):
    response = client.get(f"/events/{web_docs['hostile'].event_id}")
    assert response.status_code == 200 and "<script>alert" not in response.text
    assert "&lt;script&gt;alert(" in response.text
    assert_inert(Markup(response.text))


def test_person_lists_events_not_reports(client, web_docs, forum_id):
    person = get(client, "/api/people/person:fan-gang")
    assert person["total"] == 3 and len(person["appearances"]) == 3  # three reports name him ...
    events = person["events"]
    assert [(e["event_id"], e["date"], len(e["reports"])) for e in events] == [
        (forum_id, "2024-03-08", 2), (web_docs["en_seminar"].event_id, "2025-05-20", 1)]  # ... at two events
    assert {r["title"] for r in events[0]["reports"]} == {"President", "副会长"}
    assert events[0]["links"]["page"] == f"/events/{forum_id}" and events[0]["status"] == "held"
    markup = Markup(client.get("/people/person:fan-gang").text)
    rows = [attrs for tag, attrs in markup.tags if tag == "tr" and attrs.get("data-event-id")]
    assert [r["data-event-id"] for r in rows] == [forum_id, web_docs["en_seminar"].event_id]


def test_collapsed_results_honour_the_date_sort(client):
    for params in ({"q": "Hong Kong"}, {}):
        payload = get(client, "/api/search", events_only="true", sort="date", **params)
        dates = [hit["date"] for hit in payload["results"]]
        assert payload["collapse"] and len(dates) >= 2 and dates == sorted(dates, reverse=True), params
