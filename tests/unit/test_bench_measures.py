"""tools/bench.py's process measures: CPU time and memory read from /proc for a process and its children
(Rasa's Sanic workers are children of the process the bench started)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from tools.bench import cpu_seconds, rss_mb, sustained_rate, table


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


def test_sustained_rate_counts_only_answers_inside_the_window() -> None:
    """Citizens still arriving before the window, or finishing their last conversation after the deadline,
    are not the stack's throughput."""
    answered = [99.8, 100.5, 101.0, 104.0, 109.9, 110.0, 110.5, 113.0]  # one before, two after the window
    assert sustained_rate(answered, 100.0, 110.0) == 0.5
    assert sustained_rate([], 100.0, 110.0) == 0.0
    assert sustained_rate(answered, 110.0, 110.0) == 0.0  # a run that ended before everyone started


def test_the_target_is_judged_on_the_sustained_rate() -> None:
    def report(sustained: float, p95: int) -> dict[str, object]:
        return {"database": "sqlite", "citizens": 20, "rate": 30, "seconds": 65.0, "errors": 0,
                "conversations": {}, "kinds": {}, "sustained_per_second": sustained,
                "all": {"messages": 1900, "per_second": 29.2, "p50_ms": 100, "p95_ms": p95, "p99_ms": 320,
                        "max_ms": 400}}

    assert "sustained while all 20 citizens talked: 30.6 msg/s" in table(report(30.6, 280))
    assert "targets (>= 30 msg/s, p95 <= 300 ms, no errors at 20 citizens): met" in table(report(30.6, 280))
    assert "NOT met" in table(report(29.9, 280)) and "NOT met" in table(report(30.6, 301))
