"""Extraction and structuring of one page at a time in a child process, with a deadline and a memory cap.

A hostile or merely huge page (170,000 paragraphs, a 300,000-row table) can hold trafilatura for minutes
and take gigabytes. :class:`PageWorker` runs :func:`~ingest.extract.extract_article` and the structurer
in a child process whose address space is capped (``RLIMIT_AS``: what it holds after loading plus
``memory_mb``) and waits for each answer at most ``timeout`` seconds. A page over the deadline gets the
child killed (``extract: timeout ...``); a page that runs out of memory gets ``extract: too large ...``;
either way the child is replaced and the crawl goes on with the next page.

The child is started at once and loads the extractor while the caller does other work (discovery); the
structurer's registries load on the first structuring request, under the generous start-up deadline
rather than a page's, and a registry that does not load (a file:line error) stops the run. The memory
cap is re-based before every page on what the child then holds, so a lazily loaded library does not eat
into a page's allowance. The normal path costs one pipe round trip per page, and :meth:`PageWorker.submit_extract`
lets the caller fetch the next page while this one is extracted (two cores, two processes busy).

A process keeps one worker for all its crawls (:func:`shared_worker`): the structurer's registries take
seconds to load, and a crawl of several sources, a test session or a benchmark then loads them once.
Calls are serialised (extraction is CPU-bound and held the GIL anyway when it ran in the caller). Requests and answers are pickled frames on two
pipes of the child's own (never its stdout, which libraries may print to). The child ignores Ctrl-C
(the caller handles it) and exits when its request pipe closes, so it never outlives the caller.
"""

from __future__ import annotations

import logging
import os
import pickle
import atexit
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ingest.extract.article import ExtractionError
from ingest.models import Article, EventReport

log = logging.getLogger(__name__)

HEADER = struct.Struct("!Q")  # length of the pickled frame that follows
FRAME_SECONDS = 60.0  # for the rest of a frame once its first bytes arrived
START_TIMEOUT = 300.0  # seconds for the child to import and warm up (a loaded CI machine is slow)
WARM_UP_HTML = ("<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1>" + "".join(
    f"<p>Paragraph {n}: the Shanghai–Hong Kong symposium on urban cooperation was held in Hong Kong on {n} May"
    f" 2025. 第{n}段：上海与香港的城市合作论坛在香港举行。</p>" for n in range(1, 6)) + "</article></body></html>")


class WorkerError(RuntimeError):
    """The worker cannot be used at all (it failed to start); not a per-page problem."""


class PageWorker:
    """Run page extraction and structuring in a replaceable child process with a deadline and memory cap."""

    def __init__(self, timeout: float = 30.0, memory_mb: int = 1024) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.restarts = 0
        self._lock = threading.RLock()
        self._proc: subprocess.Popen | None = None
        self._to_child: int | None = None
        self._from_child: int | None = None
        self._ready = False
        self._ready_at = 0.0  # monotonic time the child became ready (the clock is system-wide)
        self._structurer_loaded = False
        self._start()

    @classmethod
    def from_settings(cls, settings: Any) -> PageWorker:
        """Build a worker from crawler settings (``extract_timeout``, ``extract_memory_mb``)."""
        return cls(timeout=settings.extract_timeout, memory_mb=settings.extract_memory_mb)

    def limit(self, timeout: float, memory_mb: int) -> PageWorker:
        """Use these limits from the next page on; return the worker."""
        with self._lock:
            self.timeout, self.memory_mb = timeout, memory_mb
        return self

    # public API -----------------------------------------------------------------------------------
    def extract(self, html: str, url: str, source: str, language_hint: str | None = None,
                fetched_at: str = "") -> Article:
        """Return the article of a page; raise ExtractionError (no article, timeout, too large)."""
        return self._call("extract", (html, url, source, language_hint, fetched_at))

    def submit_extract(self, html: str, url: str, source: str, language_hint: str | None = None,
                       fetched_at: str = "") -> PendingArticle:
        """Start extracting a page and return at once; ``result()`` of what it returns gives the article.

        The worker is reserved for the caller until then (other threads wait). The page's deadline runs
        from the moment the child can start on it, whatever the caller does meanwhile.
        """
        self._lock.acquire()
        try:
            sent_at = self._send_request("extract", (html, url, source, language_hint, fetched_at))
        except BaseException:
            self._lock.release()
            raise
        return PendingArticle(self, sent_at)

    def structure(self, article: Article) -> EventReport | None:
        """Return the event report of an article; raise ExtractionError on timeout or memory cap."""
        with self._lock:
            if not self._structurer_loaded:
                self._load_structurer()
            return self._call("structure", (article,))

    def _load_structurer(self) -> None:
        """Have the child load the structurer and its registries (start-up deadline; WorkerError if they do not load)."""
        if self._proc is None:
            self._start()
        self._wait_ready()
        try:
            self._send(("load structurer", (), self.memory_mb))
            status, value = self._receive(time.monotonic() + START_TIMEOUT)
        except (TimeoutError, EOFError, OSError) as exc:
            self._kill()
            raise WorkerError(f"the structurer did not load ({type(exc).__name__}: {exc})") from None
        if status != "ok":
            self._kill()
            raise WorkerError(value)
        self._structurer_loaded = True

    def close(self) -> None:
        """Stop the child: close its request pipe (an idle child exits); kill one still loading or busy."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        proc, self._proc = self._proc, None
        self._close_pipes()
        if proc is None:
            return
        if not self._ready:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> PageWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # one call ---------------------------------------------------------------------------------------
    def _call(self, op: str, args: tuple) -> Any:
        with self._lock:
            return self._call_locked(op, args)

    def _call_locked(self, op: str, args: tuple) -> Any:
        return self._finish(self._send_request(op, args))

    def _send_request(self, op: str, args: tuple) -> float | ExtractionError:
        """Send a request (starting the child if needed); return when it was sent, or the error of a dead child."""
        if self._proc is None:
            self._start()
        sent_at = time.monotonic()
        try:
            self._send((op, args, self.memory_mb))
        except OSError as exc:  # the child died while idle
            return ExtractionError(_death_reason(self._kill(), self.memory_mb, exc))
        return sent_at

    def _finish(self, sent_at: float | ExtractionError) -> Any:
        """Wait for the answer to a request sent at ``sent_at`` (monotonic), within the page's deadline."""
        if isinstance(sent_at, ExtractionError):
            raise sent_at
        deadline = max(sent_at, self._wait_ready()) + self.timeout
        try:
            answer = self._receive(deadline)
        except TimeoutError:
            self._kill()
            raise ExtractionError(f"timeout: took longer than {self.timeout:g}s (stopped)") from None
        except (EOFError, OSError) as exc:
            status = self._kill()
            raise ExtractionError(_death_reason(status, self.memory_mb, exc)) from None
        return self._unpack(answer)

    def _unpack(self, answer: tuple) -> Any:
        status, value = answer
        if status == "ok":
            return value
        if status == "too large":
            self._kill()  # a child that hit its memory cap is not trusted with the next page
            raise ExtractionError(f"too large: needed more than the {self.memory_mb} MB memory cap ({value})")
        raise ExtractionError(value)

    # the child process ----------------------------------------------------------------------------
    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        command = [sys.executable, "-m", "ingest.worker", str(to_child_r), str(from_child_w)]
        try:
            self._proc = subprocess.Popen(command, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, env=_child_env())
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._to_child, self._from_child = to_child_w, from_child_r
        self._ready = False
        self._structurer_loaded = False

    def _wait_ready(self) -> float:
        """Wait for the child's ready message (once); return the monotonic time it became ready."""
        if self._ready:
            return self._ready_at
        try:
            status, value = self._receive(time.monotonic() + START_TIMEOUT)
        except (TimeoutError, EOFError, OSError) as exc:
            self._kill()
            raise WorkerError(f"the extraction worker did not start ({type(exc).__name__}: {exc})") from None
        if status != "ready":
            self._kill()
            raise WorkerError(f"the extraction worker did not start: {value}")
        self._ready, self._ready_at = True, float(value)
        return self._ready_at

    def _kill(self) -> int | None:
        """Kill the child (if still running) and forget it; return its exit status."""
        proc, self._proc = self._proc, None
        self._close_pipes()
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        self.restarts += 1
        return proc.wait()

    def _close_pipes(self) -> None:
        for fd in (self._to_child, self._from_child):
            if fd is not None:
                os.close(fd)
        self._to_child = self._from_child = None

    def _send(self, message: object) -> None:
        write_frame(self._to_child, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _receive(self, deadline: float) -> tuple:
        return pickle.loads(read_frame(self._from_child, deadline))


class PendingArticle:
    """An extraction under way (see :meth:`PageWorker.submit_extract`); exactly one of result/abandon ends it."""

    def __init__(self, worker: PageWorker, sent_at: float | ExtractionError) -> None:
        self.worker, self.sent_at = worker, sent_at
        self._open = True

    def result(self) -> Article:
        """Return the article; raise ExtractionError (no article, timeout, too large)."""
        try:
            return self.worker._finish(self.sent_at)
        finally:
            self._end()

    def abandon(self) -> None:
        """Give up on the answer (the child is stopped, so no stale answer is read later)."""
        if self._open:
            self.worker._kill()
            self._end()

    def _end(self) -> None:
        if self._open:
            self._open = False
            self.worker._lock.release()


class SharedWorker(PageWorker):
    """The process-wide worker: ``close`` leaves it running for the next crawl; it stops when the process exits."""

    def __init__(self, timeout: float, memory_mb: int) -> None:
        self.owner = os.getpid()  # a forked copy of this process must not stop (or use) our child
        super().__init__(timeout, memory_mb)

    def close(self) -> None:
        """Keep the worker for the next caller (see :func:`shared_worker`)."""

    def stop(self) -> None:
        """Stop the child for good (only from the process that started it)."""
        if os.getpid() == self.owner:
            super().close()


_shared: SharedWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(timeout: float = 30.0, memory_mb: int = 1024) -> PageWorker:
    """Return this process's extraction worker with these limits (started on first use, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.owner != os.getpid():
            _shared = SharedWorker(timeout, memory_mb)
            atexit.register(_shared.stop)
        return _shared.limit(timeout, memory_mb)


def _death_reason(status: int | None, memory_mb: int, exc: BaseException) -> str:
    """Explain a child that died mid-page: a crash at the memory cap is the usual cause."""
    if status is not None and status < 0:
        name = signal.Signals(-status).name if -status in signal.valid_signals() else str(-status)
        return f"too large: the extraction process died ({name}) within its {memory_mb} MB memory cap"
    return f"crashed: the extraction process ended (exit status {status}; {type(exc).__name__})"


def _child_env() -> dict[str, str]:
    """Return the environment for the child: ours, with this checkout first on the import path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


# frames ---------------------------------------------------------------------------------------------
def write_frame(fd: int | None, payload: bytes) -> None:
    """Write one length-prefixed frame to a pipe."""
    if fd is None:
        raise BrokenPipeError("the worker is gone")
    data = memoryview(HEADER.pack(len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_frame(fd: int | None, deadline: float | None = None) -> bytes:
    """Read one length-prefixed frame; raise TimeoutError when none has begun by the deadline, EOFError when the
    pipe closes. An answer already waiting is read even past the deadline (the caller was busy, not the child)."""
    if fd is None:
        raise EOFError("the worker is gone")
    header = _read_exactly(fd, HEADER.size, deadline)
    return _read_exactly(fd, HEADER.unpack(header)[0], time.monotonic() + FRAME_SECONDS)


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, missing = [], size
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while missing:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if remaining is not None and not selector.select(remaining):
                raise TimeoutError("no answer before the deadline")
            chunk = os.read(fd, min(missing, 1 << 20))
            if not chunk:
                raise EOFError("the worker closed its pipe")
            chunks.append(chunk)
            missing -= len(chunk)
    return b"".join(chunks)


# child side ---------------------------------------------------------------------------------------
def serve(requests_fd: int, answers_fd: int) -> None:
    """Answer requests until the request pipe closes (the child's main loop)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    try:
        _serve(requests_fd, answers_fd)
    except (BrokenPipeError, EOFError):
        return  # the caller went away: nothing left to do


def _serve(requests_fd: int, answers_fd: int) -> None:
    try:
        handlers = warm_up()
    except Exception as exc:  # noqa: BLE001 - reported to the caller, who stops the run with it
        write_frame(answers_fd, pickle.dumps(("failed", f"{type(exc).__name__}: {exc}")))
        return
    write_frame(answers_fd, pickle.dumps(("ready", time.monotonic())))  # CLOCK_MONOTONIC: the caller's clock too
    while True:
        try:
            op, args, memory_mb = pickle.loads(read_frame(requests_fd))
        except EOFError:
            return
        if op == "load structurer":
            write_frame(answers_fd, pickle.dumps(load_structurer(handlers)))
            continue
        cap_address_space(memory_mb)  # what we hold now, plus one page's allowance
        answer = answer_request(handlers, op, args)
        write_frame(answers_fd, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        if answer[0] == "too large":
            return  # the caller replaces us


def answer_request(handlers: dict, op: str, args: tuple) -> tuple[str, Any]:
    """Run one request; return ("ok", value), ("error", reason) or ("too large", detail)."""
    try:
        return "ok", handlers[op](*args)
    except MemoryError:
        return "too large", "MemoryError"
    except ExtractionError as exc:
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - one odd page must not stop a run
        if "memory" in str(exc).lower() and "alloc" in str(exc).lower():  # lxml: "Memory allocation failed"
            return "too large", str(exc)[:200]
        return "error", f"{type(exc).__name__}: {str(exc)[:200]}"


def warm_up() -> dict:
    """Import the extractor and run it once (its lazy loads happen now, not in a page's allowance)."""
    from ingest.extract import extract_article

    extract_article(WARM_UP_HTML, "http://warm-up.invalid/a", "warm-up", None, "")
    return {"extract": extract_article, "structure": lambda article: None}


def load_structurer(handlers: dict) -> tuple[str, str | None]:
    """Import the structurer, load and check its registries, run it once; return ("ok", None) or ("failed", why)."""
    try:
        from ingest.structure import parse_event_report
    except ImportError:
        return "ok", None  # no structurer installed: articles are indexed without reports
    try:
        from ingest.structure import check_registries

        check_registries()  # a broken registry file: a file:line error that stops the run
        parse_event_report(handlers["extract"](WARM_UP_HTML, "http://warm-up.invalid/a", "warm-up", None, ""))
    except Exception as exc:  # noqa: BLE001 - reported to the caller, who stops the run with it
        return "failed", f"{type(exc).__name__}: {exc}"
    handlers["structure"] = parse_event_report
    return "ok", None


def cap_address_space(memory_mb: int) -> None:
    """Limit the address space to what the process holds now plus memory_mb (Linux; elsewhere no-op)."""
    import resource

    try:
        held = _address_space_bytes()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError) as exc:
        log.warning("extraction worker: no memory cap (%s)", exc)


def _address_space_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("VmSize not found in /proc/self/status")


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
