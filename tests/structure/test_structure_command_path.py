"""`coopwatch structure FILE` and the crawl give the same fields: one path (decode, extract_article, parse)."""

from pathlib import Path

from coopwatch.cli import main
from ingest.extract import extract_article
from ingest.fetch.charset import decode_body
from ingest.pipeline import to_document
from ingest.structure import report_to_json, structure_page

DEMO = Path(__file__).resolve().parents[2] / "demo" / "sites"


def test_structure_page_equals_the_crawl_on_a_gbk_page():
    body = (DEMO / "donghai" / "xwdt" / "202412" / "t20241210_4052.html").read_bytes()
    html, _ = decode_body(body)
    crawled = to_document(extract_article(html, "http://x/a", "donghai")).event
    assert structure_page(body, "http://x/a") == report_to_json(crawled)
    assert crawled.is_event_report and crawled.speakers


def test_cli_prints_the_announced_status_and_fails_clearly_without_article(capsys):
    assert main(["structure", str(DEMO / "harbour" / "news" / "2026" / "forthcoming-hong-kong-guangzhou-youth-dialogue.html")]) == 0
    out = capsys.readouterr().out
    assert "announced" in out and "Hong Kong–Guangzhou Youth Innovation Dialogue" in out
    assert main(["structure", str(DEMO / "pearl" / "en" / "news" / "2025" / "gallery-gba-data-seminar.html")]) == 1
    assert "no article" in " ".join(capsys.readouterr().err.split())  # the console wraps at 80 columns: a long checkout path breaks the line
