"""channels/outage.py, the Rasa server's answer when the action server is unreachable, checked inside
Rasa's own environment (tests/unit/channel_outage_probe.py); the end-to-end behaviour is
tests/integration/test_fault_action_server.py and test_fault_database_restart.py."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.servers import ROOT, base_env


@pytest.fixture(scope="module")
def report() -> dict:
    done = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), "tests/unit/channel_outage_probe.py"], cwd=ROOT,
                          env=base_env({}), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_failed_turn_inside_a_form_leaves_the_form_where_it_was(report: dict) -> None:
    undone = report["undone"]
    assert undone["active_loop"] == "booking_form" and undone["requested_slot"] == "booking_name"
    assert undone["booking_name"] is None, "an answer that was never validated must not stay in its slot"
    assert undone["latest_action"] == "action_listen"  # waiting for the citizen to send it again
    assert undone["user_texts"][-1] == "Siti Aminah", "the citizen's message is kept in the tracker"
    assert undone["bot_texts"][-1] == "Mohon maaf"


def test_why_not_a_plain_revert(report: dict) -> None:
    """Rasa folds repeated form executions together on replay: a UserUtteranceReverted after the failed
    form step undoes far more than the step (here the whole form). This is why the turn is rebuilt."""
    assert report["naive_revert"]["active_loop"] != "booking_form"


def test_only_connection_failures_count_as_unreachable(report: dict) -> None:
    assert report["connection_failure"] is True
    assert report["action_error"] is False  # an action that fails is a bug: Rasa's own handling stays


def test_every_patch_is_installed_once_on_this_rasa(report: dict) -> None:
    assert report["patched"] and report["wrapped_once"]
