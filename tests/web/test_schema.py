"""A property-based run over the OpenAPI schema (schemathesis): no request, valid or not, gets a server error.

For every operation (saving and deleting watch rules too), schemathesis generates requests that fit the schema
(positive), and for those with constrained parameters or bodies requests that break it (negative). Each answer must be below 500 and match the schema
(status code, content type, body), and schema-breaking input must be refused.
Runs on SQLite; Elasticsearch meets the same inputs through the contract suite and tests/web/test_api.py.
(schemathesis's own pytest plugin does not work with pytest 9, so hypothesis drives its strategies here.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web.conftest import store_corpus

LOCAL = {"Host": "127.0.0.1:8000"}  # as a browser on this machine addresses the server (changes are taken there)

MAX_EXAMPLES = 40
OPERATIONS = [("GET", path) for path in (
    "/api/search", "/api/documents/{doc_id}", "/api/documents/{doc_id}/archive", "/api/people/{key}", "/api/pairs",
    "/api/sources", "/healthz", "/api/events", "/api/events/{event_id}", "/api/rules", "/api/rules/{name}",
    "/api/rules/{name}/preview", "/api/alerts")] + [("POST", "/api/rules"), ("DELETE", "/api/rules/{name}")]
WITH_CONSTRAINED_PARAMETERS = [("GET", "/api/search"), ("GET", "/api/documents/{doc_id}/archive"),
                               ("GET", "/api/pairs"), ("GET", "/api/events"), ("GET", "/api/alerts"),
                               ("POST", "/api/rules")]


@pytest.fixture(scope="module")
def api_schema(web_settings, web_docs):
    from coopwatch.serve import build_services, close_services
    from search.sqlite import SQLiteBackend
    from search.web import create_app

    backend = SQLiteBackend(web_settings.store)
    store_corpus(backend, web_docs)
    services = build_services(web_settings, backend)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(services))
    close_services(services)
    backend.close()


def operation(schema, method: str, path: str):
    """Return the operation of a method at a path."""
    found = [op.ok() for op in schema.get_all_operations()
             if op.ok().path == path and op.ok().method == method.lower()]
    assert found, f"{method} {path} is not in the schema"
    return found[0]


def test_schema_lists_the_operations(api_schema):
    listed = sorted((op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations())
    assert listed == sorted(OPERATIONS)


CASES = [(*op, GenerationMode.POSITIVE) for op in OPERATIONS] + \
        [(*op, GenerationMode.NEGATIVE) for op in WITH_CONSTRAINED_PARAMETERS]


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p}-{g.value}" for m, p, g in CASES])
def test_no_request_gets_a_server_error(api_schema, method, path, mode):
    statuses: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation(api_schema, method, path).as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(headers=LOCAL)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"{case.formatted_path} {case.query}: {response.text[:300]}"
        # schema-valid input may still be refused: a date like 2024-02-30, since after until, paging past 10,000
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    check()
    assert statuses and max(statuses) < 500
