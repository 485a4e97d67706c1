"""Structure event reports (English and Chinese) into EventReport records.

Rules and gazetteers only: offline, a few milliseconds per page, and every field keeps the text it came from in
``EventReport.evidence`` (speakers keep theirs in ``Speaker.evidence``). English and Chinese have separate rule
sets (``people_en`` / ``people_zh``); Chinese is matched on a simplified-script copy of the text so traditional
pages work too, while values are returned as written.

Public API:
    parse_event_report(article) -> EventReport
    structure_html(html, url=None) -> dict      # the JSON format of ``coopwatch structure``
    report_to_json(report) -> dict
    person_key(name) -> str                     # registry key: the same person however written
    TOPICS                                      # topic vocabulary (see ingest.structure.topics)
"""

from .registry import person_key
from .report import JSON_KEYS, article_from_html, parse_event_report, report_to_json, structure_html, structure_page
from .topics import TOPICS

__all__ = [
    "JSON_KEYS", "TOPICS", "article_from_html", "parse_event_report", "person_key", "report_to_json", "structure_html", "structure_page",
]
