"""Say plainly, at the end of a run, what was skipped and how to run it."""

from __future__ import annotations

from collections import Counter

# (words that identify a skip reason, what those tests need, how to get it)
NEEDS = (
    (("COOPWATCH_TEST_ES", "Elasticsearch"), "an Elasticsearch node",
     "install Java 17+ and Maven (apt-get install openjdk-17-jdk-headless maven) and run `make test` again: it "
     "starts a node for the run; or point COOPWATCH_TEST_ES at a running node"),
    (("shared/data",), "../shared/data beside the checkout", "only development and CI machines have it"),
    (("PostgreSQL server binaries",), "PostgreSQL's server binaries",
     "apt-get install postgresql (the tests start their own server as an unprivileged user)"),
    (("apache-airflow", "the es extra"), "an optional extra", "`make test` installs every extra (pip install -e '.[dev]')"),
)


def skip_reason(report) -> str:
    """Return the reason a skipped test gave."""
    longrepr = report.longrepr
    return str(longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr).removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Group the skipped tests by what they need and print how to get it."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    groups: Counter[tuple[str, str]] = Counter()
    for report in skipped:
        reason = skip_reason(report)
        need = next(((what, how) for words, what, how in NEEDS if any(w in reason for w in words)), (reason, ""))
        groups[need] += 1
    terminalreporter.write_sep("=", f"{len(skipped)} test(s) skipped: what they need and how to run them")
    for (what, how), count in groups.most_common():
        terminalreporter.write_line(f"{count:5} need {what}: {how}" if how else f"{count:5} skipped: {what}")
