"""Bulk indexing rides out HTTP 429 and 503 from the cluster with retries and backoff.

A small forwarding proxy on 127.0.0.1 sits between the client and the real node and answers the first
bulk requests with 429, as a busy cluster does; everything else passes through unchanged.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ingest.models import Document
from tests.search.es_support import require_test_node, unique_prefix

pytestmark = pytest.mark.es


class ThrottlingProxy:
    """Forward requests to ``target``; answer the first ``refuse`` bulk requests with 429."""

    def __init__(self, target: str, refuse: int, status: int = 429) -> None:
        self.target, self.refuse, self.refused, self.bulk_seen = target.rstrip("/"), refuse, 0, 0
        self.status = status
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _should_refuse(self, path: str) -> bool:
        with self.lock:
            if "_bulk" not in path:
                return False
            self.bulk_seen += 1
            if self.refused < self.refuse:
                self.refused += 1
                return True
            return False

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._should_refuse(self.path):
                    payload = json.dumps({"error": {"type": "es_rejected_execution_exception"},
                                          "status": proxy.status}).encode()
                    return self._send(proxy.status, payload, {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"})
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(self.command, proxy.target + self.path, data=body, headers=headers, timeout=30)
                keep = {k: v for k, v in answer.headers.items()
                        if k.lower() in ("content-type", "x-elastic-product", "warning")}
                self._send(answer.status_code, answer.content, keep)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> ThrottlingProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def docs(n: int) -> list[Document]:
    return [Document(id=f"throttle-{i:03d}", url=f"http://h/{i}", source="s", title=f"Report {i}",
                     text=f"Hong Kong and Shanghai report number {i}.") for i in range(n)]


@pytest.mark.parametrize("status", [429, 503])
def test_bulk_refusal_is_retried_with_backoff_and_nothing_is_lost(tmp_path, status):
    """429 (too many requests) and 503 (unavailable) on bulk: retried, nothing dropped or dead-lettered."""
    from elasticsearch import Elasticsearch

    from search.elastic import ElasticsearchBackend

    node = require_test_node()
    with ThrottlingProxy(node, refuse=2, status=status) as proxy:
        client = Elasticsearch(proxy.url, request_timeout=30, max_retries=0)
        backend = ElasticsearchBackend(client, index_prefix=unique_prefix(), retries=3, backoff=0.1,
                                       deadletter_path=str(tmp_path / "dead.sqlite"))
        try:
            stats = backend.upsert(docs(40))
            backend.refresh()
            assert proxy.refused == 2 and proxy.bulk_seen > 2  # refused twice, then accepted on retry
            assert (stats.new, stats.failed) == (40, 0)
            assert backend.count() == 40
            assert backend.deadletters.entries(backend.prefix) == []
        finally:
            backend.drop()
            backend.close()
