"""bot/tracker_store.py: what Rasa's SQL tracker store keeps. The citizen's and the bot's texts are masked when
saved, the bot's texts lose the numbers the citizen gave; a phone number in a slot is kept while the form still
needs it (read back unchanged on the next turn) and masked once the slot is reset; a NIK is never kept; the
office's published numbers stay. Runs in Rasa's environment (tracker_store_probe.py)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.servers import ROOT, base_env

RAW = ("1801012345670001", "A1234567", "0812-3456-7890", "081234567890", "6281234567890", "081298765432")


def _probe(tmp_path: Path) -> dict:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    done = subprocess.run([str(ROOT / ".venv-rasa/bin/python"), "tests/integration/tracker_store_probe.py", url],
                          cwd=ROOT, env=base_env({}), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_texts_masked_at_once_slots_kept_while_needed_then_masked(tmp_path: Path) -> None:
    report = _probe(tmp_path)
    first = [json.loads(r) for r in report["after_phone"]]
    user = next(e for e in first if e["event"] == "user")
    assert user["text"] == "NIK saya [NIK], paspor [NOMOR PASPOR], HP [NOMOR TELEPON]"
    assert user["parse_data"]["text"] == user["text"]
    assert user["parse_data"]["entities"][0]["value"] == "[NOMOR TELEPON]"
    said = [e["text"] for e in first if e["event"] == "bot"]
    # this turn's answers as the citizen sees them (the web chat reads this store): the number still in a slot,
    # the office's published contact and the copy of their data
    assert said == ["Nomor HP: +6281234567890. Sudah benar?", "Ombudsman RI: WhatsApp 0821-3737-3737.",
                    "Salinan data Bapak/Ibu: Siti Aminah, +6289900001111"]
    slots = {e["name"]: e["value"] for e in first if e["event"] == "slot"}
    assert slots["booking_phone"] == "+6281234567890"  # the form still needs it
    assert slots["ticket_code"] == "[NOMOR TELEPON]"  # not a slot of the form: masked at once
    assert slots["complaint_description"] == "NIK [NIK], telepon 081298765432"  # a NIK never stays
    # the next turn reads the phone back unchanged, so the confirmation stores the real number
    assert report["slots_read_back"]["booking_phone"] == "+6281234567890"
    assert report["phone_at_confirm"] == "+6281234567890"
    second = [json.loads(r) for r in report["after_confirm"]]
    said = [e["text"] for e in second if e["event"] == "bot"]
    assert said == ["Nomor HP: +6281234567890. Sudah benar?", "Ombudsman RI: WhatsApp 0821-3737-3737.",
                    "Salinan data Bapak/Ibu: Siti Aminah, [NOMOR TELEPON]"]  # the copy: only for its turn
    # once the form is done (slots reset) no stored row holds a number any more
    final = "\n".join(report["after_reset"])
    for raw in RAW + ("6289900001111",):
        assert raw not in final, raw
    assert "Nomor HP: [NOMOR TELEPON]. Sudah benar?" in final and "0821-3737-3737" in final
    assert "[NOMOR TELEPON]" in final and "[NIK]" in final
    assert len(report["after_reset"]) == len(first) + 2 + 3  # rows are rewritten, never added or dropped
