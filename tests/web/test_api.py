"""The JSON API over both backends: search with every filter, facets and histogram, records, people, pairs, sources."""

from __future__ import annotations

import pytest

from tests.search.contract import NASTY_QUERIES

pytestmark = pytest.mark.usefixtures("web_backend")


def search(client, **params) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def titles(payload: dict) -> set[str]:
    return {hit["title"] for hit in payload["results"]}


def ids(payload: dict) -> list[str]:
    return [hit["id"] for hit in payload["results"]]


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


# search ----------------------------------------------------------------------------------------------------


def test_english_text_finds_the_forum_with_marked_snippet_and_links(client, web_docs):
    payload = search(client, q="financial cooperation")
    assert ids(payload) == [web_docs["en_forum"].id] and payload["total"] == 1
    hit = payload["results"][0]
    assert "<mark>" in hit["snippet"] and hit["is_event_report"] and hit["event_type"] == "forum"
    event_id = web_docs["zh_forum"].event_id
    assert hit["links"] == {"document": f"/api/documents/{hit['id']}", "page": f"/documents/{hit['id']}",
                            "archive": f"/api/documents/{hit['id']}/archive", "event": f"/api/events/{event_id}",
                            "event_page": f"/events/{event_id}"}
    assert hit["city_pairs"] == [["Hong Kong", "Shanghai"]] and "Fan Gang" in hit["speakers"]
    assert hit["event_id"] == web_docs["zh_forum"].event_id and hit["event_id"].startswith("evt-")  # one forum


def test_chinese_text_finds_the_chinese_report(client, web_docs):
    payload = search(client, q="沪港")  # normalised as the CLI does: also the English report on Shanghai and Hong Kong
    assert ids(payload) == [web_docs["zh_forum"].id, web_docs["en_forum"].id]
    assert "<mark>沪港</mark>" in payload["results"][0]["snippet"]


@pytest.mark.parametrize("params, expected", [
    ({"source": "thinktank-b"}, {"en_seminar"}),
    ({"source": ["thinktank-b", "thinktank-c"]}, {"en_seminar", "zh_forum", "zh_news"}),
    ({"since": "2025-01-01"}, {"en_seminar", "hostile"}),
    ({"until": "2023"}, {"en_news"}),
    ({"since": "2024-03", "until": "2024-04"}, {"en_forum", "zh_forum"}),
    ({"lang": "zh"}, {"zh_forum", "zh_news"}),
    ({"city": "Guangzhou"}, {"en_seminar"}),
    ({"pair": "Shanghai,Hong Kong", "lang": "en"}, {"en_forum"}),
    ({"pair": "Hong Kong|Shanghai"}, {"en_forum", "zh_forum"}),
    ({"speaker": "Wong Alice"}, {"en_forum"}),  # every word, any order
    ({"speaker": "樊纲"}, {"en_forum", "zh_forum", "en_seminar"}),  # same registry key: the same person
    ({"org": "peking univ"}, {"en_seminar"}),
    ({"type": "seminar"}, {"en_seminar"}),
    ({"topic": "technology"}, {"en_seminar"}),
    ({"events_only": "true", "lang": "en"}, {"en_forum", "en_seminar", "hostile"}),
    ({"q": "Hong Kong", "type": "forum", "lang": "en"}, {"en_forum", "hostile"}),
])
def test_every_cli_filter(client, web_docs, params, expected):
    by_id = {doc.id: key for key, doc in web_docs.items()}
    payload = search(client, limit=50, **params)
    assert {by_id[i] for i in ids(payload)} == expected
    assert payload["total"] == len(expected)


def test_sort_by_date_or_relevance(client, web_docs):
    by_date = search(client, q="Hong Kong", sort="date")
    dates = [hit["date"] for hit in by_date["results"]]
    assert dates == sorted(dates, reverse=True) and by_date["sort"] == "date"
    by_relevance = search(client, q="Hong Kong")
    assert set(ids(by_relevance)) == set(ids(by_date)) and by_relevance["sort"] == "relevance"


def test_paging_is_disjoint_and_total_stable(client):
    pages = [search(client, limit=2, offset=offset, facets="false") for offset in (0, 2, 4)]
    assert {p["total"] for p in pages} == {6}
    seen = [i for p in pages for i in ids(p)]
    assert len(seen) == len(set(seen)) == 6
    assert pages[1]["offset"] == 2 and pages[1]["limit"] == 2


def test_facets_with_counts_and_monthly_histogram(client):
    payload = search(client, events_only="true")
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in payload["facets"].items()}
    assert facets["event_type"] == {"forum": 3, "seminar": 1}
    assert facets["language"] == {"en": 3, "zh": 1}
    assert facets["city_pair"]["Hong Kong|Shanghai"] == 2
    assert facets["topic"]["finance"] == 3
    assert set(facets) == {"source", "language", "event_type", "city", "city_pair", "speaker", "organization", "topic"}
    assert payload["histogram"] == [{"month": "2024-03", "count": 2}, {"month": "2025-01", "count": 1},
                                    {"month": "2025-05", "count": 1}]
    assert search(client, facets="false")["facets"] == {}


# bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, status, param", [
    ({"since": "2024-13"}, 422, "since"),
    ({"until": "yesterday"}, 422, "until"),
    ({"since": "2025", "until": "2024"}, 422, "since"),
    ({"q": "x" * 5000}, 422, "q"),
    ({"lang": "fr"}, 422, "lang"),
    ({"type": "banquet"}, 422, "type"),
    ({"topic": "astrology"}, 422, "topic"),
    ({"sort": "random"}, 422, "sort"),
    ({"pair": "Hong Kong"}, 422, "pair"),
    ({"limit": "1000"}, 422, "limit"),
    ({"limit": "-1"}, 422, "limit"),
    ({"offset": "9999999999"}, 422, "offset"),
    ({"offset": "9995", "limit": "10"}, 422, "offset"),
    ({"events_only": "maybe"}, 422, "events_only"),
    ({"city": ["x"] * 21}, 422, "city"),
    ({"speaker": "y" * 201}, 422, "speaker"),
    ({"colour": "red"}, 400, "colour"),
    ({"q": ["a", "b"]}, 400, "q"),
])
def test_bad_input_is_a_clear_4xx(client, params, status, param):
    error = error_of(client.get("/api/search", params=params), status)
    assert error["param"] == param and error["status"] == status
    assert error["message"].startswith(f"{param}:") and len(error["message"]) > len(param) + 5
    if param in ("since", "until"):
        assert "YYYY-MM-DD" in error["message"] or "is after" in error["message"]


@pytest.mark.parametrize("text", NASTY_QUERIES)
def test_query_syntax_is_text_never_an_error(client, text):
    response = client.get("/api/search", params={"q": text[:500]})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["total"], int)


def test_oversized_requests_are_refused_before_any_work(client):
    error = error_of(client.get("/api/search?q=" + "a" * 9000), 414)
    assert "query string" in error["message"]
    assert error_of(client.post("/login", content=b"k=" + b"x" * 20_000), 413)["status"] == 413


def test_unknown_routes_and_methods_are_json_errors(client):
    assert error_of(client.get("/api/nothing"), 404)["message"] == "nothing at /api/nothing"
    assert error_of(client.delete("/api/search"), 405)["status"] == 405


# one document ----------------------------------------------------------------------------------------------


def test_document_is_the_full_record_with_evidence_and_links(client, web_docs):
    doc = web_docs["en_forum"]
    response = client.get(f"/api/documents/{doc.id[:12]}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["id"] == doc.id and record["text"] == doc.text and record["date"] == "2024-03-08"
    assert record["event"]["venue"] == "Shanghai Exhibition Centre"
    assert record["event"]["sessions"] == ["Finance panel", "Talent panel"]
    report = {row["field"]: row for row in record["report"]}
    assert report["event_date"] == {"field": "event_date", "value": "2024-03-08",
                                    "evidence": "It was held on 2024-03-08."}
    assert report["city_pairs"]["value"] == [["Hong Kong", "Shanghai"]]
    assert [(s["name"], s["title"], s["key"]) for s in record["event"]["speakers"]] == [
        ("Fan Gang", "President", "person:fan-gang"), ("Alice Wong", "Director", "person:alice-wong")]
    assert record["event"]["speakers"][0]["evidence"] == "Fan Gang (President) spoke."
    assert record["links"]["archive"] == f"/api/documents/{doc.id}/archive"
    assert record["event_id"] == web_docs["zh_forum"].event_id
    assert record["indexed_at"] and record["changed_at"] == record["indexed_at"]
    assert [r["id"] for r in record["same_event"]] == [web_docs["zh_forum"].id]  # the Chinese report of it
    other = client.get(f"/api/documents/{web_docs['en_seminar'].id}").json()
    assert other["event_id"] not in (None, record["event_id"]) and other["same_event"] == []


def test_document_errors(client):
    assert "no document with id" in error_of(client.get("/api/documents/" + "0" * 64), 404)["message"]
    assert error_of(client.get("/api/documents/not-an-id"), 422)["param"] == "id"


def test_archive_is_sandboxed_never_live_html(client, web_docs):
    response = client.get(f"/api/documents/{web_docs['hostile'].id}/archive")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline")
    assert b"<script>alert('archived')" in response.content  # the copy is what was fetched, byte for byte
    download = client.get(f"/api/documents/{web_docs['hostile'].id}/archive", params={"download": "true"})
    assert download.headers["content-disposition"].startswith("attachment")
    missing = client.get(f"/api/documents/{web_docs['zh_news'].id}/archive")
    assert "no archived copy" in error_of(missing, 404)["message"]


# people, pairs, sources, health ----------------------------------------------------------------------------


def test_person_lists_every_event_oldest_first_with_titles_given_each_time(client, web_docs):
    response = client.get("/api/people/person:fan-gang")
    assert response.status_code == 200, response.text
    person = response.json()
    assert person["names"] == ["Fan Gang", "樊纲"] and person["total"] == 3 and not person["truncated"]
    rows = [(a["document"]["date"], a["title"], a["affiliation"], a["role"]) for a in person["appearances"]]
    assert rows == [("2024-03-08", "President", "China Development Institute", "keynote"),
                    ("2024-03-08", "副会长", "中国经济体制改革研究会", "keynote"),
                    ("2025-05-20", "Professor", "Peking University", "speaker")]
    assert person["appearances"][1]["document"]["id"] == web_docs["zh_forum"].id
    assert "no event" in error_of(client.get("/api/people/person:nobody"), 404)["message"]


def test_pairs_count_events_per_period(client):
    payload = client.get("/api/pairs").json()
    assert payload["periods"] == ["2024", "2025"] and payload["events"] == 4
    pairs = {tuple(p["cities"]): p for p in payload["pairs"]}
    assert pairs[("Hong Kong", "Shanghai")]["total"] == 2
    assert pairs[("Hong Kong", "Shanghai")]["by_period"] == {"2024": 2, "2025": 0}
    assert pairs[("Guangzhou", "Shenzhen")]["by_period"] == {"2024": 0, "2025": 1}
    assert pairs[("Hong Kong", "Shanghai")]["search"] == "/api/search?pair=Hong+Kong%2CShanghai&events_only=true"
    monthly = client.get("/api/pairs", params={"period": "month", "since": "2024", "until": "2024"}).json()
    assert monthly["periods"] == ["2024-03"] and monthly["events"] == 2
    assert {tuple(p["cities"]): p["by_period"] for p in monthly["pairs"]} == {("Hong Kong", "Shanghai"): {"2024-03": 2}}
    assert error_of(client.get("/api/pairs", params={"period": "decade"}), 422)["param"] == "period"
    assert error_of(client.get("/api/pairs", params={"type": "banquet"}), 422)["param"] == "type"


def test_sources_show_the_stats_figures_and_warn_about_quiet_ones(client):
    rows = {row["source"]: row for row in client.get("/api/sources").json()["sources"]}
    assert set(rows) == {"thinktank-a", "thinktank-b", "thinktank-c"}
    assert rows["thinktank-a"]["documents"] == 3 and rows["thinktank-a"]["failures"] == {"http 404": 1}
    assert rows["thinktank-a"]["last_run"]["fetched"] == 3 and rows["thinktank-a"]["warning"] is None
    assert rows["thinktank-c"]["documents"] == 2 and rows["thinktank-c"]["empty_runs"] == 3
    assert "no links discovered" in rows["thinktank-c"]["warning"]
    assert rows["thinktank-b"]["last_run"] is None and rows["thinktank-b"]["last_success"] is None


def test_healthz_counts_documents(client):
    assert client.get("/healthz").json() == {"status": "ok", "documents": 6}


def test_openapi_documents_every_route(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {"/api/search", "/api/documents/{doc_id}", "/api/documents/{doc_id}/archive",
                                    "/api/people/{key}", "/api/pairs", "/api/sources", "/healthz", "/api/events",
                                    "/api/events/{event_id}", "/api/rules", "/api/rules/{name}",
                                    "/api/rules/{name}/preview", "/api/alerts"}
    assert set(schema["paths"]["/api/rules"]) == {"get", "post"}
    assert set(schema["paths"]["/api/rules/{name}"]) == {"get", "delete"}
    params = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "source", "since", "until", "lang", "city", "pair", "speaker", "org", "type", "topic",
                      "events_only", "sort", "collapse", "limit", "offset", "facets"}
    assert "ErrorResponse" in schema["components"]["schemas"]
