"""channels/speedups.py, Rasa's same work for less CPU, checked inside Rasa's own environment
(tests/unit/speedups_probe.py, with real HTTP servers standing in for the action server); the
end-to-end behaviour is the integration tests (tests/integration/test_fault_action_server.py for a
killed and restarted action server)."""
from __future__ import annotations

import json

import pytest

from tests.servers import rasa_probe


@pytest.fixture(scope="module")
def report() -> dict:
    return rasa_probe("tests/unit/speedups_probe.py")


def test_action_request_body_is_the_same_json_as_json_dumps(report: dict) -> None:
    """The domain's JSON is reused between calls and the rest is encoded by ujson: what goes to the action
    server must read back as the same JSON value."""
    assert all(report["json"]["same_value"]) and report["json"]["int_key"]
    assert report["json"]["same_error"] == [True, True, True]  # json.dumps's errors for what JSON cannot hold
    assert report["json"]["circular_fails"]  # json.dumps's own error, as before
    assert report["json"]["body_kb"] > 5  # a real RemoteAction body with the project's domain


def test_action_calls_share_one_connection_with_rasa_session_settings(report: dict) -> None:
    pooled = report["pooled"]
    assert pooled["bodies"] == [{"n": 0}, {"n": 1}, {"n": 2}] and len(pooled["answers"]) == 3
    assert pooled["one_connection"], "each call opened a new connection"
    assert pooled["headers_and_token"] and pooled["session_like_rasa"]
    assert pooled["same_session_throughout"]


def test_a_restarted_action_server_gets_the_request_once(report: dict) -> None:
    pooled = report["pooled"]
    assert pooled["after_restart"]["events"] and pooled["after_restart_seen"] == [{"n": "after restart"}]


def test_a_connection_the_server_closed_is_not_used_even_before_the_loop_noticed(report: dict) -> None:
    """Without the check, the request is written to the closed connection and fails (ClientOSError),
    which channels/outage.py would answer with a false apology."""
    pooled = report["pooled"]
    assert isinstance(pooled["unnoticed_close"], dict), pooled["unnoticed_close"]
    assert pooled["unnoticed_close_seen"] == [{"n": "first"}, {"n": "second"}]


def test_a_request_the_server_may_have_run_is_not_sent_again(report: dict) -> None:
    pooled = report["pooled"]
    assert pooled["died_mid_request"] == "ServerDisconnectedError"
    assert pooled["died_seen"] == [{"n": "warm"}, {"n": "lost"}], "the request reached the server once"
    assert pooled["died_counts_as_unreachable"]  # channels/outage.py apologises, as without the pool
    assert pooled["down"] == "ClientConnectorError"


def test_each_event_loop_gets_its_own_session(report: dict) -> None:
    assert report["other_loop"]


def test_remembered_tracker_states_are_those_rasa_computes(report: dict) -> None:
    states = report["states"]
    assert all(states.values()), states


def test_slot_copies_are_what_copy_copy_gave(report: dict) -> None:
    slots = report["slots"]
    assert slots["patched"] and slots["same"] and slots["count"] > 40
    assert slots["slotted_kept"] and slots["custom_state_used"]


def test_action_responses_get_the_verdict_and_message_rasa_gave(report: dict) -> None:
    validation = report["validation"]
    assert validation["same_verdicts"] and validation["valid"] >= 4 and validation["invalid"] >= 10
    assert all(validation["fast_accepted"]), "valid responses should not need the full validator"
    assert validation["fast_never_wrong"]


def test_every_patch_is_installed_once_on_this_rasa(report: dict) -> None:
    assert all(report["installed"].values()), report["installed"]


def test_the_model_graph_runs_in_order_with_the_same_results_as_dask(report: dict) -> None:
    graph = report["graph"]
    assert report["installed"]["graph_runner"]
    for label in ("default", "b_and_c", "a"):
        assert graph[label]["sequential"] == graph[label]["dask"], label
    assert graph["default"]["sequential"] == {"c": ["hello", "a", "b", "hello", "hello", "a", "c"]}
    assert graph["b_and_c"]["sequential"]["b"] == ["hello", "a", "b"]


def test_the_graph_runner_refuses_and_fails_as_rasa_does(report: dict) -> None:
    graph = report["graph"]
    assert graph["clash_sequential"] == graph["clash_dask"] and "clashes with a node name" in graph["clash_dask"]
    assert graph["boom_sequential"] == graph["boom_dask"]
    assert graph["boom_dask"].startswith("GraphComponentException: Error running graph component for node boom")
