"""`rasa data validate` and the Rasa test stories, run with the real Rasa environment."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.servers import ROOT, base_env

RASA = str(ROOT / ".venv-rasa" / "bin" / "rasa")
ALLOWED_WARNINGS = ("EXTERNAL_office_message", "EXTERNAL_survey_invite",  # sent by the worker via trigger_intent, never typed
                    # the privacy buttons' payloads: erasing must never follow from a guessed typed message
                    "'privacy_export'", "'privacy_erase'", "'privacy_erase_confirm'", "'privacy_keep'",
                    # said by action_cancel_outside_form (a bare "berhenti" from a subscriber opts out instead)
                    "'utter_cancelled'")


def test_rasa_data_validate() -> None:
    result = subprocess.run([RASA, "data", "validate", "--domain", "bot/domain", "--data", "nlu_data", "bot/data",
                             "--config", "config.yml"], cwd=ROOT, env=base_env({}), capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line
                and not any(allowed in line for allowed in ALLOWED_WARNINGS)]
    assert not warnings, "\n".join(warnings)


def test_rasa_test_stories(rasa_model: Path, tmp_path: Path) -> None:
    result = subprocess.run([RASA, "test", "core", "--model", str(rasa_model), "--stories", "tests/stories",
                             "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot"],
                            cwd=ROOT, env=base_env({}), capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
