"""HostPool: many hosts at once, each host one task at a time, in order, every task exactly once."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from ingest.hostpool import HostPool


class Recorder:
    """Record each task's (host, name, start, end) and the most tasks that ran at once."""

    def __init__(self, hold: float = 0.01) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.runs: list[tuple[str, str, float, float]] = []
        self.running = 0
        self.most_at_once = 0

    def task(self, host: str, name: str) -> None:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        start = time.monotonic()
        time.sleep(self.hold)
        with self.lock:
            self.running -= 1
            self.runs.append((host, name, start, time.monotonic()))

    def by_host(self) -> dict[str, list[tuple[str, float, float]]]:
        out = defaultdict(list)
        for host, name, start, end in sorted(self.runs, key=lambda r: r[2]):
            out[host].append((name, start, end))
        return out


def test_hosts_run_at_once_but_each_host_one_task_at_a_time_in_order():
    recorder = Recorder()
    hosts = [f"host{n}" for n in range(6)]
    with HostPool(4) as pool:
        for n in range(5):
            for host in hosts:
                pool.submit(host, recorder.task, host, f"{host}-{n}")
    assert sorted(name for _, name, _, _ in recorder.runs) == sorted(f"{h}-{n}" for h in hosts for n in range(5))
    for host, runs in recorder.by_host().items():
        assert [name for name, _, _ in runs] == [f"{host}-{n}" for n in range(5)]  # submission order
        assert all(b[1] >= a[2] for a, b in zip(runs, runs[1:])), f"{host} ran two tasks at once"
    assert 1 < recorder.most_at_once <= 4  # several hosts at once, never more than the workers


def test_tasks_submitted_by_tasks_are_waited_for():
    recorder = Recorder(hold=0.0)
    pool = HostPool(2)

    def discover(host: str) -> None:
        for n in range(3):
            pool.submit(f"{host}-pages", recorder.task, f"{host}-pages", f"{host}/{n}")

    for host in ("a", "b"):
        pool.submit(host, discover, host)
    pool.join()
    assert sorted(name for _, name, _, _ in recorder.runs) == ["a/0", "a/1", "a/2", "b/0", "b/1", "b/2"]
    pool.close()


def test_a_host_is_not_taken_again_before_it_says_it_is_ready():
    starts: list[float] = []
    promised: list[float] = []

    def ready_at() -> float:
        promised.append(time.time() + 0.05)
        return promised[-1]

    with HostPool(2) as pool:
        for _ in range(3):
            pool.submit("h", lambda: starts.append(time.time()), ready_at=ready_at)
    assert len(starts) == 3
    assert all(start >= due for start, due in zip(starts[1:], promised))


def test_a_failing_task_does_not_stop_the_others():
    done = []
    with HostPool(2) as pool:
        pool.submit("h", lambda: 1 / 0)
        pool.submit("h", done.append, "after")
    assert done == ["after"]


def test_cancel_drops_tasks_not_started():
    gate = threading.Event()
    done = []
    pool = HostPool(1)
    pool.submit("h", gate.wait)
    for n in range(5):
        pool.submit("h", done.append, n)
    pool.cancel()
    gate.set()
    pool.close()
    assert done == []
