"""channels/policy_speedups.py, the dialogue policies' same predictions for less CPU, checked inside Rasa's own
environment against Rasa's unpatched policies (tests/unit/policy_speedups_probe.py, with the trained model)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import rasa_probe


@pytest.fixture(scope="module")
def report(rasa_model: Path) -> dict:
    model = str(rasa_model)  # the model of the current inputs (conftest: trained once per test run)
    return rasa_probe("tests/unit/policy_speedups_probe.py", {"RASA_TEST_MODEL": model}, timeout=900)


def test_every_prediction_is_the_one_rasa_gives(report: dict) -> None:
    """Each policy's PolicyPrediction, RulePolicy's chosen rule and the ensemble's pick, at every step of every
    story, rule, test story, self-played and perturbed conversation."""
    assert report["identical"] == report["total"], report["first_difference"]
    for name, group in report["groups"].items():
        assert group["total"] > 0 and group["identical"] == group["total"], name
    assert report["groups"]["self_play"]["total"] > 1000 and report["groups"]["perturbed"]["total"] > 1000


def test_the_conversations_reach_many_rules_and_actions(report: dict) -> None:
    assert report["rules_in_model"] > 100
    assert report["distinct_sources"] > 200 and report["actions_predicted"] > 20


def test_rules_tied_on_length_are_chosen_as_rasa_chooses(report: dict) -> None:
    assert report["twin_rules"] > 100
    assert report["ties_asked_rasa"]["with_twins"] > 100, "no tie was exercised"
    assert report["groups"]["tied_rules"]["identical"] == report["groups"]["tied_rules"]["total"]


def test_the_comparison_sees_a_wrong_rule_index(report: dict) -> None:
    wrong = report["wrong_index_caught"]
    assert wrong["total"] > 0 and wrong["identical"] < wrong["total"]


def test_the_patches_are_installed_once_and_step_aside_for_debug_logging(report: dict) -> None:
    assert all(report["installed"].values()), report["installed"]
    assert report["debug_leaves_it_to_rasa"]
    assert report["cpu_ms_per_prediction"]["predictions_timed"] > 1000
