"""WARC archive of every fetched response, so a run can be reprocessed without fetching again.

Each record is one gzip member (as every WARC reader expects of a ``.warc.gz``), compressed at
``GZIP_LEVEL`` 6 rather than warcio's 9: on real news pages level 6 is 0.5 % larger and takes about half
the CPU time; levels 1-3 save another 1-2 ms a page but make the archive 13-20 % larger
(``bench/pipeline.py`` prints the figures). Records are compressed outside the file lock, so several
fetching threads compress at once (zlib releases the GIL).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import zlib
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
GZIP_LEVEL = 6
_ARCHIVE_NUMBERS = itertools.count(1)


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
    """Append fetched pages to one gzipped WARC file per run (and per process); safe to share between threads."""

    def __init__(self, archive_dir: str | Path, source: str, run_id: str | None = None, level: int = GZIP_LEVEL):
        stamp = run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        folder = Path(archive_dir) / source
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{stamp}-{os.getpid()}-{next(_ARCHIVE_NUMBERS)}.warc.gz"  # never two writers on one file
        self.source = source
        self.level = level
        self._file = open(self.path, "ab")
        self._lock = threading.Lock()
        self.records = 0

    def write_page(self, page: Page, kind: str = "article") -> None:
        """Archive one response (a 304 is archived too, with an empty body)."""
        if page.status == 0:
            return  # nothing came back: nothing to archive
        member = gzip_member(warc_record_bytes(page, self.source, kind), self.level)
        with self._lock:
            self._file.write(member)
            self._file.flush()
            self.records += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()
        if self.records == 0:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def warc_record_bytes(page: Page, source: str, kind: str) -> bytes:
    """Return the uncompressed WARC response record of a page (warcio computes the digests)."""
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    headers = [(k, v) for k, v in page.headers.items() if k.lower() not in DROPPED_HEADERS]
    http_headers = StatusAndHeaders(f"{page.status} {_status_phrase(page.status)}", headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        page.final_url or page.url, "response", payload=BytesIO(page.body or b""), http_headers=http_headers,
        warc_headers_dict={SOURCE_HEADER: source, KIND_HEADER: kind, URL_HEADER: page.url,
                           "WARC-Date": _warc_date(page.fetched_at)},
    )
    writer.write_record(record)
    return buffer.getvalue()


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Return data as one complete gzip member."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


def _status_phrase(status: int) -> str:
    """Return the reason phrase of an HTTP status ("Unknown" for codes the standard does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _warc_date(iso: str) -> str:
    """Return a record's WARC-Date (``...Z``) from its ISO 8601 UTC stamp, or now when it has none."""
    return (iso or utc_now()).replace("+00:00", "Z")


def archive_files(archive_dir: str | Path, source: str | None = None) -> list[Path]:
    """Return the WARC files of one source (or all), oldest first."""
    pattern = f"{source}/*.warc.gz" if source else "*/*.warc.gz"
    return sorted(Path(archive_dir).glob(pattern), key=lambda p: (p.stat().st_mtime, p.name))


def iter_archive(archive_dir: str | Path, source: str | None = None) -> Iterator[ArchivedResponse]:
    """Yield archived responses, oldest file first."""
    for path in archive_files(archive_dir, source):
        yield from (response for response, _ in _read_warc(path))


def _read_warc(path: Path, with_body: bool = True) -> Iterator[tuple[ArchivedResponse, int]]:
    """Yield (response, offset of its record) for the response records of one file."""
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        try:
            for record in records:
                if record.rec_type == "response" and record.http_headers is not None:
                    yield _response_of(record, path, with_body), records.get_record_offset()
        except Exception:  # noqa: BLE001 - a truncated file (crash mid-write) keeps what was readable
            return


def _response_of(record, path: Path, with_body: bool = True) -> ArchivedResponse:  # noqa: ANN001 (warcio record)
    headers = record.rec_headers
    return ArchivedResponse(
        url=headers.get_header(URL_HEADER) or headers.get_header("WARC-Target-URI"),
        source=headers.get_header(SOURCE_HEADER) or path.parent.name,
        status=int(record.http_headers.get_statuscode() or 0),
        headers=dict(record.http_headers.headers),
        body=record.content_stream().read() if with_body else b"",
        date=headers.get_header("WARC-Date") or "",
        kind=headers.get_header(KIND_HEADER) or "article",
    )


def latest_response_refs(archive_dir: str | Path, source: str | None = None) -> dict[str, tuple[Path, int]]:
    """Return {url: (file, offset)} of the newest successful (200) article response per URL, bodies unread.

    Memory grows with the number of URLs, not with the size of the archive: bodies are read later,
    a batch at a time, with :func:`read_response`.
    """
    latest: dict[str, tuple[Path, int]] = {}
    for path in archive_files(archive_dir, source):
        for response, offset in _read_warc(path, with_body=False):
            if response.status == 200 and response.kind == "article":
                latest[response.url] = (path, offset)
    return latest


def read_response(path: Path, offset: int) -> ArchivedResponse:
    """Read the one response record that starts at ``offset`` of a WARC file."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return _response_of(record, path)


def latest_responses(archive_dir: str | Path, source: str | None = None) -> dict[str, ArchivedResponse]:
    """Return the newest successful (200) archived article response per URL (bodies in memory: small archives)."""
    return {url: read_response(*ref) for url, ref in latest_response_refs(archive_dir, source).items()}


def prune_warcs(archive_dir: str | Path, older_than_days: float) -> int:
    """Delete WARC files older than the retention period; return how many were deleted."""
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    for path in Path(archive_dir).glob("*/*.warc.gz"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
