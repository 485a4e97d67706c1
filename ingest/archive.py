"""WARC archive of every fetched response, so a run can be reprocessed without fetching again."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.models import Page, utc_now

SOURCE_HEADER = "WARC-Coopwatch-Source"
KIND_HEADER = "WARC-Coopwatch-Kind"  # article, listing, feed or sitemap
URL_HEADER = "WARC-Coopwatch-Url"  # the canonical URL we asked for (the document key), when redirected
DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}  # body is stored decoded


@dataclass
class ArchivedResponse:
    url: str
    source: str
    status: int
    headers: dict[str, str]
    body: bytes
    date: str
    kind: str = "article"


class WarcArchive:
    """Append fetched pages to one gzipped WARC file per run (and per process)."""

    def __init__(self, archive_dir: str | Path, source: str, run_id: str | None = None):
        stamp = run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        folder = Path(archive_dir) / source
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{stamp}-{os.getpid()}.warc.gz"
        self.source = source
        self._file = open(self.path, "ab")
        self._writer = WARCWriter(self._file, gzip=True)
        self.records = 0

    def write_page(self, page: Page, kind: str = "article") -> None:
        """Archive one response (a 304 is archived too, with an empty body)."""
        if page.status == 0:
            return  # nothing came back: nothing to archive
        reason = _status_phrase(page.status)
        headers = [(k, v) for k, v in page.headers.items() if k.lower() not in DROPPED_HEADERS]
        http_headers = StatusAndHeaders(f"{page.status} {reason}", headers, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            page.final_url or page.url, "response", payload=BytesIO(page.body or b""),
            http_headers=http_headers,
            warc_headers_dict={SOURCE_HEADER: self.source, KIND_HEADER: kind, URL_HEADER: page.url,
                               "WARC-Date": _warc_date(page.fetched_at)},
        )
        self._writer.write_record(record)
        self._file.flush()
        self.records += 1

    def close(self) -> None:
        self._file.close()
        if self.records == 0:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _status_phrase(status: int) -> str:
    """Return the reason phrase of an HTTP status ("Unknown" for codes the standard does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _warc_date(iso: str) -> str:
    """Return a record's WARC-Date (``...Z``) from its ISO 8601 UTC stamp, or now when it has none."""
    return (iso or utc_now()).replace("+00:00", "Z")


def iter_archive(archive_dir: str | Path, source: str | None = None) -> Iterator[ArchivedResponse]:
    """Yield archived responses, oldest file first."""
    root = Path(archive_dir)
    pattern = f"{source}/*.warc.gz" if source else "*/*.warc.gz"
    for path in sorted(root.glob(pattern), key=lambda p: (p.stat().st_mtime, p.name)):
        yield from _read_warc(path)


def _read_warc(path: Path) -> Iterator[ArchivedResponse]:
    with open(path, "rb") as stream:
        try:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                yield ArchivedResponse(
                    url=record.rec_headers.get_header(URL_HEADER) or record.rec_headers.get_header("WARC-Target-URI"),
                    source=record.rec_headers.get_header(SOURCE_HEADER) or path.parent.name,
                    status=int(record.http_headers.get_statuscode() or 0),
                    headers=dict(record.http_headers.headers),
                    body=record.content_stream().read(),
                    date=record.rec_headers.get_header("WARC-Date") or "",
                    kind=record.rec_headers.get_header(KIND_HEADER) or "article",
                )
        except Exception:  # noqa: BLE001 - a truncated file (crash mid-write) keeps what was readable
            return


def latest_responses(archive_dir: str | Path, source: str | None = None) -> dict[str, ArchivedResponse]:
    """Return the newest successful (200) archived article response per URL."""
    latest: dict[str, ArchivedResponse] = {}
    for response in iter_archive(archive_dir, source):
        if response.status == 200 and response.kind == "article":
            latest[response.url] = response
    return latest


def prune_warcs(archive_dir: str | Path, older_than_days: float) -> int:
    """Delete WARC files older than the retention period; return how many were deleted."""
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    for path in Path(archive_dir).glob("*/*.warc.gz"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
