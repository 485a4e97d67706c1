"""Fixtures for the web tests: a small corpus (one hostile report) in each backend, with crawl state and archive.

The app is built with the real wiring (``coopwatch.serve.build_services``): the real crawl-state health,
WARC archive lookup, person registry and structurer vocabularies. ``web_backend`` runs once per backend
kind: SQLite, and Elasticsearch on the node in COOPWATCH_TEST_ES (skipped without one, failed under CI=true).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.models import Document, EventReport, Page, Speaker, doc_id
from ingest.settings import Settings
from tests.search.contract import make_doc

HOSTILE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
HOSTILE_ARCHIVE = (b"<html><head><title>Hostile</title><script>alert('archived');window.__pwned=1</script></head>"
                   b"<body onload=\"alert('onload')\"><h1>Hostile archived page</h1>"
                   b"<img src=\"https://tracker.example.org/pixel.gif\"></body></html>")


def speaker(name: str, key: str, title: str | None, affiliation: str | None, role: str = "speaker") -> Speaker:
    return Speaker(name, title=title, affiliation=affiliation, role=role, key=key,
                   evidence=f"{name} ({title}) spoke.")


def report(event_type: str, date: str, name: str, speakers: list[Speaker], cities: list[str],
           pairs: list[list[str]], topics: list[str], **extra) -> EventReport:
    evidence = {"event_type": f"The {name} was held.", "event_date": f"It was held on {date}.",
                "venue": "It took place at the venue.", "event_name": f"The {name} was held."}
    return EventReport(is_event_report=True, event_type=event_type, event_name=name, event_date=date,
                       speakers=speakers, cities=cities, city_pairs=[sorted(p) for p in pairs], topics=topics,
                       evidence=evidence, **extra)


def web_documents() -> dict[str, Document]:
    """Return the web corpus: English and Chinese reports (two of one forum), two news items, one hostile report."""
    fan = "person:fan-gang"
    docs = {
        "en_forum": make_doc(
            "en_forum", "Shanghai-Hong Kong Cooperation Forum opens a new chapter",
            "On 8 March 2024 the Shanghai-Hong Kong Cooperation Forum brought together scholars. Fan Gang, "
            "president of the China Development Institute, gave the keynote on financial cooperation.",
            source="thinktank-a", published="2024-03-10",
            event=report("forum", "2024-03-08", "Shanghai-Hong Kong Cooperation Forum",
                         [speaker("Fan Gang", fan, "President", "China Development Institute", "keynote"),
                          speaker("Alice Wong", "person:alice-wong", "Director", "Harbour Institute", "moderator")],
                         ["Shanghai", "Hong Kong"], [["Shanghai", "Hong Kong"]], ["finance"],
                         venue="Shanghai Exhibition Centre", organizers=["Shanghai Institutes for International Studies"],
                         sessions=["Finance panel", "Talent panel"], theme="A new chapter")),
        "zh_forum": make_doc(
            "zh_forum", "第五届沪港合作论坛在上海举行",
            "2024年3月8日，第五届沪港合作论坛在上海举行。中国经济体制改革研究会副会长樊纲发表主旨演讲。",
            source="thinktank-c", language="zh", published="2024-03-11",
            event=report("forum", "2024-03-08", "第五届沪港合作论坛",
                         [speaker("樊纲", fan, "副会长", "中国经济体制改革研究会", "keynote")],
                         ["Shanghai", "Hong Kong"], [["Hong Kong", "Shanghai"]], ["finance"], venue="上海")),
        "en_seminar": make_doc(
            "en_seminar", "Shenzhen and Guangzhou researchers discuss innovation corridors",
            "A seminar held on 20 May 2025 in Shenzhen examined how Guangzhou and Shenzhen share laboratories. "
            "Professor Fan Gang of Peking University spoke.",
            source="thinktank-b", published="2025-05-22",
            event=report("seminar", "2025-05-20", "Innovation Corridor Seminar",
                         [speaker("Fan Gang", fan, "Professor", "Peking University"),
                          speaker("Bob Smith", "person:bob-smith", None, "Pearl River Policy Lab")],
                         ["Shenzhen", "Guangzhou"], [["Shenzhen", "Guangzhou"]], ["technology"])),
        "en_news": make_doc("en_news", "Trade figures released for the first quarter",
                            "Exports grew steadily, a spokesperson said.", source="thinktank-a", published="2023-12-01"),
        "zh_news": make_doc("zh_news", "深圳发布一季度经济数据", "深圳市统计局日前发布一季度经济运行数据。",
                            source="thinktank-c", language="zh", published="2024-01-05"),
    }
    url = "https://thinktank-a.example.org/reports/hostile?<script>alert(7)</script>"
    docs["hostile"] = Document(
        id=doc_id(url), url=url, source="thinktank-a", language="en", published="2025-01-10",
        title=f"{HOSTILE} Hostile Hong Kong report", text=f"Hong Kong {HOSTILE} body <b onmouseover=alert(2)>x</b>",
        event=report("forum", "2025-01-10", f"{HOSTILE} Forum",
                     [speaker(f"{HOSTILE}Eve", 'person:"><script>alert(8)</script>', "<b onmouseover=alert(3)>Chief</b>",
                              "<script>alert(4)</script>Lab")],
                     ["Hong Kong", "<script>alert(6)</script>"], [["Hong Kong", "<svg onload=alert(5)>"]], ["finance"],
                     venue='<iframe src="javascript:alert(9)"></iframe>', organizers=["<svg onload=alert(10)>Org"],
                     sessions=[HOSTILE]),
    )
    return docs


def record_crawl_state(state_path: Path) -> None:
    """Record runs: thinktank-a healthy, thinktank-c quiet for three runs (a warning)."""
    from ingest.state import CrawlState

    with CrawlState(state_path) as state:
        run = state.start_run("thinktank-a")
        state.finish_run(run, {"discovered": 4, "fetched": 3, "new": 2, "events_changed": 1}, ok=True)
        state.record_failure("https://thinktank-a.example.org/gone", "thinktank-a", "http 404")
        for _ in range(3):
            run = state.start_run("thinktank-c")
            state.finish_run(run, {"discovered": 0, "fetched": 0, "new": 0}, ok=True)


def archive_page(archive_dir: Path, doc: Document, body: bytes) -> None:
    """Archive a fetched response for a document, as the crawler does."""
    from ingest.archive import WarcArchive

    page = Page(url=doc.url, final_url=doc.url, status=200, body=body,
                headers={"Content-Type": "text/html; charset=utf-8"}, fetched_at="2025-01-11T08:00:00+00:00")
    with WarcArchive(archive_dir, doc.source) as archive:
        archive.write_page(page)


def store_corpus(backend, docs: dict[str, Document]) -> None:
    """Group the corpus into events as the indexing path does (event ids set in place), then index it."""
    from coopwatch.grouping import assign_events

    assign_events(backend, list(docs.values()))
    backend.upsert(docs.values())
    getattr(backend, "refresh", lambda: None)()


@pytest.fixture(scope="module")
def web_docs() -> dict[str, Document]:
    return web_documents()


RULES = """\
rules:
  - name: shanghai-hong-kong
    description: Any new event pairing Shanghai and Hong Kong
    search: {pair: [Shanghai, Hong Kong], events_only: true}
    channels: [hook]
  - name: weekly-forums
    search:
      - {type: forum, lang: en}
      - {text: 论坛}
    channels: [staff-email]
    mode: digest
    period: weekly
"""
HOOK_SECRET = "s3cret-hook-token"


@pytest.fixture(scope="module")
def hook_server():
    """A real webhook receiver on 127.0.0.1: /hook accepts, /broken answers 500."""
    from tests.support.httpd import LocalServer, Response

    with LocalServer({"/hook": Response(200, "ok"), "/broken": Response(500, "down")}) as server:
        yield server


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory, web_docs, hook_server) -> Settings:
    """Settings with a crawl state, an archive holding the hostile report's page, watch rules and channels.

    Channels: ``hook`` (a JSON webhook whose URL holds a secret), ``broken`` (answers 500); ``staff-email`` is
    named by a rule but not configured.
    """
    root = tmp_path_factory.mktemp("web")
    record_crawl_state(root / "state.sqlite")
    archive_page(root / "warc", web_docs["en_forum"], b"<html><body><h1>Forum as fetched</h1></body></html>")
    archive_page(root / "warc", web_docs["hostile"], HOSTILE_ARCHIVE)
    (root / "alerts.yaml").write_text(RULES, encoding="utf-8")
    hook = hook_server.url("/hook").replace("http://", f"json://user:{HOOK_SECRET}@")
    broken = hook_server.url("/broken").replace("http://", "json://")
    (root / "channels.env").write_text(f"COOPWATCH_CHANNEL_HOOK={hook}\nCOOPWATCH_CHANNEL_BROKEN={broken}\n",
                                       encoding="utf-8")
    return Settings.load(os.devnull, env={}, store=str(root / "store.sqlite"),
                         state_path=str(root / "state.sqlite"), archive_dir=str(root / "warc"),
                         alerts=str(root / "alerts.yaml"), alerts_env_file=str(root / "channels.env"),
                         alerts_db=str(root / "alerts.sqlite"), alerts_backoff=0.0)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("es", marks=pytest.mark.es)])
def web_backend(request, web_settings, web_docs, tmp_path_factory):
    """The corpus in a fresh store of each kind (read-only for the tests)."""
    if request.param == "sqlite":
        from search.sqlite import SQLiteBackend

        backend = SQLiteBackend(web_settings.store)
        store_corpus(backend, web_docs)
        yield backend
        backend.close()
        return
    from tests.search.es_support import backend_factory, require_test_node

    make, cleanup = backend_factory(require_test_node(), str(tmp_path_factory.mktemp("es") / "dead.sqlite"))
    backend = make()
    store_corpus(backend, web_docs)
    yield backend
    cleanup()


@pytest.fixture(scope="module")
def client(web_backend, web_settings, tmp_path_factory):
    """A client of the app built as ``coopwatch serve`` builds it, over the module's backend.

    Each backend gets its own alerts database. The client addresses the server as 127.0.0.1, as a browser on
    this machine would (a server without an API key takes changes only there).
    """
    from fastapi.testclient import TestClient

    from coopwatch.serve import build_services, close_services
    from search.web import create_app

    settings = web_settings.model_copy(update={"alerts_db": str(tmp_path_factory.mktemp("alerts") / "alerts.sqlite")})
    services = build_services(settings, web_backend)
    with TestClient(create_app(services), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client
    close_services(services)
