"""`make bench` must not rot: its load library, 2 citizens x 1 conversation against the session's servers.
Checks that the conversations complete without errors and the report is well formed; not timings."""
from __future__ import annotations

import pytest

from tools.bench import KINDS, run_load, table

pytestmark = pytest.mark.integration


def test_bench_library_runs_real_conversations(rasa_server: str, office_env: dict[str, str]) -> None:
    phases: list[str] = []
    report = run_load(rasa_server, office_env["RASA_TOKEN"], citizens=2, conversations=1, seconds=300,
                      warm_up=False, phase=phases.append)
    assert phases == ["conversations", "nlu_parse"]  # CPU is read around the conversations only
    assert report["errors"] == 0, report["error_samples"]
    assert sum(report["conversations"].values()) == 2
    assert set(report["kinds"]) == set(KINDS)
    assert report["all"]["messages"] >= 2 and report["all"]["p95_ms"] >= report["all"]["p50_ms"] > 0
    # the run ended before its deadline (one conversation each): every answer is inside the window
    assert abs(report["sustained_per_second"] - report["all"]["per_second"]) <= 0.02
    parse = report["nlu_parse"]
    assert parse["messages"] == report["all"]["messages"] and parse["errors"] == 0
    assert report["overhead"]["p50_ratio"] > 0
    report["database"] = "sqlite"
    report["cpu_ms_per_message"] = {"rasa": 30.0, "actions": 10.5}
    assert "nlu_parse" in table(report) and "targets" in table(report)
    assert "CPU ms per message: rasa 30.0, actions 10.5; all 40.5 (the simulated citizens: " in table(report)
    assert report["client_cpu_ms_per_message"] > 0
