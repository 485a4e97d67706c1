"""The Elasticsearch grouping lock names its holder, so a holder killed on this machine frees it at once."""

import os
import socket
import subprocess
import sys

from search.events_elastic import holder_is_gone, lock_holder


def test_a_running_holder_keeps_the_lock():
    assert lock_holder() == f"{socket.gethostname()}:{os.getpid()}"
    assert not holder_is_gone(lock_holder())


def test_a_holder_process_that_ended_frees_the_lock():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert holder_is_gone(f"{socket.gethostname()}:{child.pid}")


def test_a_holder_on_another_machine_or_unnamed_waits_for_staleness():
    assert not holder_is_gone("some-other-host:1")
    assert not holder_is_gone(None) and not holder_is_gone("")
