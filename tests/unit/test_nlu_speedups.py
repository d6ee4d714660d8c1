"""channels/nlu_speedups.py, Rasa's same NLU parse for less CPU, checked inside Rasa's own environment against
Rasa's unpatched code (tests/unit/nlu_speedups_probe.py, with the trained model): every NLU example and odd
texts parsed both ways, compared bit for bit. The CPU it measures (cpu_ms_per_parse in its output) is not
asserted: the machine is shared."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import rasa_probe


@pytest.fixture(scope="module")
def report(rasa_model: Path) -> dict:
    model = str(rasa_model)  # the model of the current inputs (conftest: trained once per test run)
    return rasa_probe("tests/unit/nlu_speedups_probe.py", {"RASA_TEST_MODEL": model}, timeout=900)


def test_both_patches_are_installed_once(report: dict) -> None:
    install = report["install"]
    assert install["installed"] and install["combine_patched"] and install["predict_patched"], install
    assert install["wraps_rasa"] and install["idempotent"], install


def test_other_internals_are_left_alone_with_an_error(report: dict) -> None:
    refusal = report["refusal"]
    assert refusal["refused"] and refusal["untouched"] and refusal["error_logged"], refusal


def test_every_parse_is_bit_identical_to_rasa(report: dict) -> None:
    """Intent, its confidence, the ranking and the entities (floats compared by their bits) of every example
    of nlu_data/*.yml and of odd texts (empty, one character, 2,000 characters, emoji, digits, codes...)."""
    parses = report["parses"]
    assert parses["examples"] > 1000 and parses["examples_identical"] == parses["examples"]
    assert len(parses["odd_identical"]) >= 30 and all(parses["odd_identical"].values()), parses["odd_identical"]
    assert parses["intents_seen"] > 20 and parses["with_entities"] > 100  # the parses cover the model


def test_the_patched_paths_did_the_work(report: dict) -> None:
    """Not a comparison of Rasa with itself: every model call went straight to the concrete function and
    every message's features were stacked by the patch (tokens and sentence: two sets per message)."""
    parses = report["parses"]
    assert parses["model_calls"] > 1000 and parses["direct_calls"] == parses["model_calls"]
    assert parses["stacked_feature_sets"] >= 2 * parses["model_calls"]


def test_diet_sees_the_same_features_and_gives_the_same_arrays(report: dict) -> None:
    """The combined sparse matrices (type, dtype, shape, row/column/data arrays) and DIET's raw outputs
    (scores, entity tags, attention weights: dtype, shape and bytes)."""
    diet = report["diet"]
    assert diet["messages"] > 1000 and diet["model_inputs"] > 1000
    assert diet["features_same"] == diet["messages"] and diet["outputs_same"] == diet["messages"]


def test_unusual_features_give_rasas_result_or_error(report: dict) -> None:
    features = report["made_up"]["features"]
    assert all(case["same"] for case in features.values()), features
    assert all(case["own_path_as_expected"] for case in features.values()), features
    assert features["rows_differ"]["rasa"] == "raised" and features["dense_and_sparse"]["rasa"] == "raised"


def test_model_inputs_tf_would_cast_or_refuse_go_through_tf(report: dict) -> None:
    inputs = report["made_up"]["model_inputs"]
    assert all(case["same"] for case in inputs.values()), inputs
    assert all(case["own_path_as_expected"] for case in inputs.values()), inputs
    assert inputs["one_input_missing"]["rasa"] == "raised" and inputs["real"]["rasa"] == "ok"

