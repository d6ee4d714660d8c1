"""tools/bench.py's process measures: CPU time and memory read from /proc for a process and its children
(Rasa's Sanic workers are children of the process the bench started)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from tools.bench import cpu_seconds, rss_mb


def test_cpu_seconds_counts_a_busy_process() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.2


def test_children_are_counted() -> None:
    """A parent that only waits, with a busy child: the family's CPU time grows by the child's work."""
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               "'import time\\nend = time.process_time() + 2\\nwhile time.process_time() < end: pass'])"])
    try:
        seen = 0.0
        deadline = time.monotonic() + 60  # a loaded machine may start the child late
        while parent.poll() is None and time.monotonic() < deadline and seen < 1.0:
            seen = max(seen, cpu_seconds(parent.pid))
            memory = rss_mb(parent.pid)
            time.sleep(0.05)
        assert seen >= 1.0  # the parent alone uses a few hundredths of a second
        assert memory > 5
    finally:
        parent.wait(timeout=60)


def test_a_gone_process_reads_as_nothing() -> None:
    finished = subprocess.run([sys.executable, "-c", "pass"])
    assert finished.returncode == 0
    assert cpu_seconds(2**22 + 12345) == 0 and rss_mb(2**22 + 12345) == 0
