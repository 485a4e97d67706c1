"""Previews of future events: kept as status "announced" with their planned fields, never as held reports."""

from datetime import date

from ingest.structure.dates import resolve_year
from ingest.structure.evaluation import held_view
from tests.structure.helpers import report_of


def test_english_preview_is_announced_with_date_and_place():
    report = report_of("The Shanghai-Hong Kong Forum will be held on 17 April 2027 at the Example Hall in Shanghai. "
                       "Professor Wang Ming, Director of the Example Institute, will deliver the keynote speech.",
                       title="Forthcoming forum")
    assert report.is_event_report is False and report.status == "announced"
    assert report.event_date == "2027-04-17" and report.city_pairs == [["Hong Kong", "Shanghai"]]
    assert report.venue == "Example Hall, Shanghai"


def test_an_announced_day_without_year_lies_after_publication():
    assert resolve_year(1, 15, date(2026, 11, 2), None, [], ahead=True) == 2027  # a preview: next January
    assert resolve_year(1, 15, date(2026, 11, 2), None, []) == 2026  # a report: this past January


def test_chinese_preview_is_announced():
    report = report_of("第六届沪港合作论坛将于2027年4月17日在上海举办，由东海研究院主办。", language="zh")
    assert report.status == "announced" and report.event_date == "2027-04-17" and report.organizers


def test_held_report_has_status_held_and_call_for_papers_none():
    assert report_of("On 3 May 2024 the forum was held in Shanghai. Mr Li said ...").status == "held"
    report = report_of("Call for papers: the conference will be held on 3 May 2027. Submission deadline: 1 March.")
    assert report.status is None and not report.is_event_report


def test_an_announcement_scores_as_a_negative():
    report = report_of("The Shanghai-Hong Kong Forum will be held on 17 April. Mr Li Ming will speak.")
    from ingest.structure import report_to_json

    view = held_view(report_to_json(report))
    assert view["speakers"] == [] and view["status"] is None
