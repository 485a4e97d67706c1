"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download).

The demo sites and one hostile site are served on 127.0.0.1 and crawled into a temporary store, then
`coopwatch serve` serves it. The tests search in English and Chinese, click a facet, read an event page's
speakers table, open a person page and the cooperation view, fold results to one row per event and open an
event record, save a search as a watch rule and see what the alert cycle sent, and check that a crawled page
full of script tags and event-handler attributes stays inert. Screenshots go to var/screenshots/.
Without Chromium the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from coopwatch.demo import DEMO_DIR, DemoSites
from coopwatch.run import run_crawl
from ingest.settings import Settings
from tests.support.httpd import LocalServer, Response
from tests.web.test_serve import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("COOPWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}

HOSTILE_PAGE = """<html><head><meta charset="utf-8">
<title>&lt;script&gt;alert('title')&lt;/script&gt;Shanghai–Hong Kong Hostile Forum &lt;img src=x onerror=alert('t')&gt;</title>
<script>alert('page script'); window.__pwned = 1;</script></head>
<body onload="alert('onload'); window.__pwned = 2;">
<main><article>
<h1>&lt;script&gt;alert('h1')&lt;/script&gt;Shanghai–Hong Kong Hostile Forum &lt;img src=x onerror=alert('t')&gt;</h1>
<p>Date: 2025-10-03</p>
<p>The Shanghai–Hong Kong Hostile Forum was held on 3 October 2025 in Shanghai &lt;script&gt;alert('body')&lt;/script&gt;.
Scholars from Shanghai and Hong Kong discussed cooperation between the two cities &lt;img src=x onerror=alert('img')&gt;.</p>
<p onmouseover="alert('p')">Professor Jane Roe, Director of the Harbour Institute, gave the keynote speech on
cooperation between Shanghai and Hong Kong. <a href="javascript:alert('link')">Read more</a></p>
<p>Dr John Doe &lt;svg onload=alert('svg')&gt;, Fellow of the Delta Research Centre, moderated the panel on
finance and trade, which closed the forum.</p>
<iframe src="javascript:alert('frame')"></iframe>
</article></main></body></html>"""


def skip_or_fail(reason: str) -> None:
    """Skip with the reason, except in CI (CI=true), where a missing browser is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def hostile_routes() -> dict:
    listing = '<html><body><ul><li><a href="/news/2025/hostile-forum.html">Forum</a></li></ul></body></html>'
    html = {"Content-Type": "text/html; charset=utf-8"}
    return {"/robots.txt": Response(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}),
            "/news/": Response(200, listing, html), "/news/2025/hostile-forum.html": Response(200, HOSTILE_PAGE, html)}


def crawl_demo(root: Path) -> Settings:
    """Crawl the demo sites and the hostile site into a store under root; return the settings used."""
    with DemoSites() as sites, LocalServer(hostile_routes()) as hostile:
        sources = root / "sources.yaml"
        sources.write_text(sites.sources_yaml() + f"""
  - name: hostile
    start_urls: ["{hostile.url('/news/')}"]
    include: ['/news/\\d{{4}}/[^/]+\\.html$']
    language: en
    min_delay: 0
""", encoding="utf-8")
        settings = Settings.load(os.devnull, env={}, sources=str(sources), store=str(root / "store.sqlite"),
                                 state_path=str(root / "state.sqlite"), archive_dir=str(root / "warc"),
                                 allow_hosts=["127.0.0.1"], min_delay=0.0, max_crawl_delay=0.05, retries=0)
        summaries = run_crawl(settings)
    assert all(s.error is None for s in summaries), summaries
    assert {s.source for s in summaries if s.new} == {"harbour", "donghai", "pearl", "hostile"}
    return settings


@dataclass
class Served:
    """The running server: its base URL, and the command line and environment its alert cycle uses."""

    base: str
    cli: list[str]
    env: dict[str, str]


@pytest.fixture(scope="module")
def hook():
    """A real webhook receiver on 127.0.0.1, the ``hook`` channel's far end."""
    with LocalServer({"/hook": Response(200, "ok")}) as server:
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory, hook):
    """`coopwatch serve` over the crawled demo store, with the demo's watch rules and a ``hook`` channel."""
    root = tmp_path_factory.mktemp("browser")
    settings = crawl_demo(root)
    rules = root / "alerts.yaml"
    rules.write_text((DEMO_DIR / "alerts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "COOPWATCH_STATE_PATH": settings.state_path, "COOPWATCH_ARCHIVE_DIR": settings.archive_dir,
           "COOPWATCH_ALERTS": str(rules), "COOPWATCH_ALERTS_DB": str(root / "alerts.sqlite"),
           "COOPWATCH_CHANNEL_HOOK": hook.url("/hook").replace("http://", "json://")}
    env.pop("COOPWATCH_API_KEY", None)
    cli = [sys.executable, "-m", "coopwatch.cli", "--store", settings.store]
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz")
        yield Served(base, cli, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def site(served) -> str:
    return served.base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install -y chromium (the browser tests never download one)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A browser page whose dialogs (dismissed) and console errors are recorded."""

    def __init__(self, browser, viewport: dict | None = None) -> None:
        self.page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def inert(self) -> None:
        """Assert no dialog opened, no crawled script ran, only our script is on the page, no handler attributes."""
        assert self.dialogs == []
        assert self.page.evaluate("window.__pwned === undefined")
        scripts = self.page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
        assert scripts == ["/static/app.js"]
        handlers = self.page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
            ".filter(n => n.startsWith('on'))")
        assert handlers == []

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(browser):
    watched = Watched(browser)
    yield watched
    watched.page.close()


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_search_in_english_and_click_a_facet(site, tab):
    page = tab.page
    page.goto(site + "/")
    page.fill("input[name=q]", "Hong Kong")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=Hong+Kong")  # empty form fields are dropped: a clean URL to share
    assert page.locator("li.hit").count() >= 5
    assert {"hong", "kong"} <= {m.lower() for m in page.locator("li.hit mark").all_inner_texts()}
    facet = page.locator("section[data-facet=event_type] a").first
    value = facet.locator(".value").inner_text()
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url("**type=**")
    assert query_of(page.url) == {"q": ["Hong Kong"], "type": [value]}  # the URL carries the whole query
    tags = page.locator("li.hit .tag").all_inner_texts()
    assert len(tags) == count and set(tags) == {value}
    assert page.locator("section[data-facet=event_type] a[aria-pressed=true]").count() == 1
    assert page.locator("figure.chart svg rect.bar").count() >= 1
    page.goto(site + "/?q=Hong+Kong")
    tab.shot("search-facets")
    assert tab.errors == [] and tab.dialogs == []


def test_search_in_chinese(site, tab):
    page = tab.page
    page.goto(site + "/")
    page.fill("input[name=q]", "沪港")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("li.hit")
    marks = set(page.locator("li.hit mark").all_inner_texts())
    assert "沪港" in marks  # and, in the English report on both cities, what 沪港 stands for (Shanghai, Hong Kong)
    titles = page.locator("li.hit h2").all_inner_texts()
    assert "第五届沪港城市合作研讨会在沪举行" in titles
    assert page.locator("li.hit h2").first.get_attribute("lang") == "zh"
    tab.shot("search-chinese")
    assert tab.errors == []


def speakers_table(page) -> list[list[str]]:
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in page.locator("#speakers tbody tr").all()]


def test_event_page_speakers_table_and_person_page(site, tab):
    page = tab.page
    page.goto(site + "/?speaker=Helen+Yip&events_only=true&sort=date")
    page.locator("li.hit h2 a").last.click()
    page.wait_for_selector("#speakers")
    doc_id = page.url.rsplit("/", 1)[-1]
    record = requests.get(f"{site}/api/documents/{doc_id}", timeout=10).json()
    rows = speakers_table(page)
    expected = [[s["name"], s["title"] or "", s["affiliation"] or ""] for s in record["event"]["speakers"]]
    assert [row[:3] for row in rows] == expected and len(rows) >= 3
    assert page.locator(".fields [data-field=event_date] dd").inner_text().startswith(record["event"]["event_date"])
    assert page.locator("#archive-link").get_attribute("href") == f"/api/documents/{doc_id}/archive"
    tab.shot("event-page")
    page.locator("#speakers a", has_text="Helen Yip").click()
    page.wait_for_selector("#appearances")
    dates = [d.strip() for d in page.locator("#appearances tbody tr td:first-child").all_inner_texts()]
    assert len(dates) == 3 and dates == sorted(dates)
    assert set(page.locator("#appearances tbody tr td:nth-child(4)").all_inner_texts()) == {"Executive Director"}
    tab.shot("person-page")
    assert tab.errors == []


def test_event_page_links_the_other_report_of_the_same_event(site, tab):
    page = tab.page
    page.goto(site + "/?q=urban+renewal+symposium&lang=en&events_only=true")
    page.locator("li.hit h2 a", has_text="Shanghai–Hong Kong Symposium").first.click()
    page.wait_for_selector("section.same-event")
    other = page.locator("section.same-event li a")
    assert other.count() == 1
    english = page.url
    other.first.click()
    page.wait_for_selector("article.document[lang=zh]")
    assert "/xwdt/202503/t20250314_4110.html" in page.locator("a.external").inner_text()
    assert page.locator("section.same-event li a").get_attribute("href") == urlsplit(english).path
    assert tab.errors == []


def test_cooperation_view_filters_by_period(site, tab):
    page = tab.page
    page.goto(site + "/cooperation")
    circles = page.locator("#pair-matrix circle.cell")
    assert circles.count() >= 4 and circles.count() % 2 == 0
    all_time = int(page.locator("#pairs tbody tr td.num").first.inner_text())
    tab.shot("cooperation")
    page.locator("nav.periods a", has_text="2025").click()
    page.wait_for_url("**since=2025**")
    assert query_of(page.url)["until"] == ["2025"]
    assert int(page.locator("#pairs tbody tr td.num").first.inner_text()) <= all_time
    page.locator("#pair-matrix a").first.click()
    page.wait_for_url("**pair=**")
    assert page.locator("li.hit").count() >= 1 and query_of(page.url)["events_only"] == ["true"]
    assert tab.errors == []


def test_hostile_crawled_page_renders_inert(site, tab):
    page = tab.page
    page.goto(site + "/?q=Hostile+Forum")
    hit = page.locator("li.hit h2 a").first
    assert "<script>alert(" in hit.inner_text()  # shown as text, not run
    tab.inert()
    hit.click()
    page.wait_for_selector("article.document")
    page.locator("summary", has_text="Full text").click()
    for paragraph in page.locator(".fulltext p").all():
        paragraph.hover()  # the crawled onmouseover handler must not have survived
    assert "<script>alert(" in page.inner_text("article")
    tab.inert()
    assert tab.errors == []
    page.goto(site + page.locator("#archive-link").get_attribute("href"))
    assert "Hostile Forum" in page.inner_text("h1")  # the archived copy is shown as fetched ...
    assert tab.dialogs == [] and page.evaluate("window.__pwned === undefined")  # ... with its scripts blocked


def test_pages_fit_a_phone(browser, site):
    phone = Watched(browser, PHONE)
    try:
        event = requests.get(site + "/api/events", params={"q": "urban renewal"}, timeout=10).json()["events"][0]
        for url, name in (("/?q=沪港合作", "phone-search"), ("/cooperation", None), (event["links"]["page"], None),
                          ("/rules", None), ("/sources", None)):
            phone.page.goto(site + url)
            overflow = phone.page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= PHONE["width"], url
            if name:
                phone.shot(name)
        assert phone.page.locator("table#sources").count() == 1 and phone.errors == []
    finally:
        phone.page.close()


def test_results_fold_to_one_row_per_event_and_open_the_event_record(site, tab):
    page = tab.page
    page.goto(site + "/?pair=Hong+Kong%2CShanghai&events_only=true")
    rows = page.locator("li.hit").count()
    grouped = page.locator("li.hit .event-of a", has_text="2 matching reports of this event")
    assert grouped.count() == 1  # the urban-renewal symposium, reported in English and in Chinese
    page.click("#group-toggle")
    page.wait_for_url("**collapse=false**")
    assert page.locator("li.hit").count() == rows + 1 and query_of(page.url)["collapse"] == ["false"]
    page.go_back()
    page.wait_for_selector("li.hit .event-of a")
    page.locator("li.hit .event-of a", has_text="2 matching reports of this event").click()
    page.wait_for_selector("article.event")
    event_id = page.url.rsplit("/", 1)[-1]
    record = requests.get(f"{site}/api/events/{event_id}", timeout=10).json()
    assert page.text_content("#event-status").strip() == record["status"] == "held"
    assert [row[:3] for row in speakers_table(page)] == [[s["name"] + (f" ({' / '.join(s['aka'])})" if s["aka"] else ""),
                                                          s["title"] or "", s["affiliation"] or ""]
                                                         for s in record["speakers"]]
    reports = page.locator("#reports tbody tr")
    assert reports.count() == 2 and sorted(reports.locator("td:nth-child(4)").all_inner_texts()) == ["en", "zh"]
    assert "joined:" in page.inner_text("#reports")  # why the second report is part of this event
    tab.shot("event-record")
    assert tab.errors == []


def test_watch_this_search_saves_a_rule_that_the_alert_cycle_runs(served, tab, hook):
    page = tab.page
    page.goto(served.base + "/?pair=Hong+Kong%2CShanghai&events_only=true")
    page.locator("details.watch summary").click()
    page.fill("details.watch input[name=name]", "hk-shanghai-events")
    page.select_option("details.watch select[name=channel]", "hook")
    tab.shot("watch-this-search")
    page.locator("details.watch button[type=submit]").click()
    page.wait_for_url("**/rules/hk-shanghai-events?saved=1")
    assert page.locator("#saved").is_visible()
    assert page.locator("section.preview figure.message").count() >= 1  # what a run would send now, rendered
    page.goto(served.base + "/rules")
    row = page.locator("#rules tr[data-rule=hk-shanghai-events]")
    assert row.locator("td.searches a").get_attribute("href") == "/?pair=Hong+Kong%2CShanghai&events_only=true"
    assert "hook (COOPWATCH_CHANNEL_HOOK: json://…)" in row.inner_text() and "never" in row.inner_text()
    run = subprocess.run([*served.cli, "alerts", "run", "--rule", "hk-shanghai-events"], env=served.env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    page.reload()
    sent = int(row.locator("td[data-count=sent]").inner_text())
    assert sent >= 1 and sent == len(hook.requests_for("/hook"))
    assert "hook: sent" in page.inner_text("#alerts")
    tab.shot("rules")
    tab.inert()
    assert tab.errors == []
