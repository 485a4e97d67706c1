"""What the crawl summary says a failure means, and when a whole source counts as failed."""

import pytest

from coopwatch.explain import discovery_problem, explain_failure, failure_kind


@pytest.mark.parametrize(("reason", "kind"), [("robots: disallowed", "robots"), ("listing: 404", "http"),
                                              ("listing: blocked: 10.0.0.1 is private", "blocked"), ("http: 503", "http"),
                                              ("extract: no main text found", "extract")])
def test_failure_kind(reason, kind):
    assert failure_kind(reason) == kind


def test_guard_refusal_names_the_host_to_allow():
    assert "COOPWATCH_ALLOW_HOSTS=10.1.2.3" in explain_failure("listing: blocked: 10.1.2.3 is private")
    assert "COOPWATCH_ALLOW_HOSTS=intranet.example" in explain_failure("blocked: x", "http://intranet.example/news/")


def test_unknown_kind_has_no_explanation():
    assert explain_failure("something: odd") == ""


def test_source_fails_only_when_discovery_found_nothing_and_pages_failed():
    assert discovery_problem(3, {"listing: 404": 1}) is None
    assert discovery_problem(0, {}) is None  # a quiet source: the health report warns after a few runs
    problem = discovery_problem(0, {"listing: 404": 2, "feed: connection: refused": 1})
    assert problem.startswith("no start page could be read (listing: 404 (x2); feed: connection: refused)")
    assert "the page is gone" in problem and "is the site up" in problem
