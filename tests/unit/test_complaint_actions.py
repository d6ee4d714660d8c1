"""The complaint form's validation with attachments arriving as channel metadata (WhatsApp/Telegram):
type and size checks, and the check-status privacy rules, run against a real SQLite database."""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import office.models  # noqa: F401
from actions.complaints import ATTACHMENTS_MARK, ActionCheckStatus, ValidateComplaintForm
from office.complaints.service import file_ticket, officer_reply
from office.db import Base, get_engine, session_scope

WIB = dt.timezone(dt.timedelta(hours=7))


def _tracker(sender: str, text: str, metadata: dict | None = None, slots: dict | None = None,
             entities: list | None = None) -> Tracker:
    return Tracker(sender, {"language": "id", "requested_slot": "complaint_evidence", **(slots or {})},
                   {"text": text, "intent": {"name": "inform"}, "entities": entities or [], "metadata": metadata or {}},
                   [], False, None, {"name": "complaint_form"}, "action_listen")


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    Base.metadata.create_all(get_engine(url))
    return url


def test_evidence_from_metadata_checks_type_and_size() -> None:
    form = ValidateComplaintForm()
    big = {"attachments": [{"type": "document", "mime_type": "application/pdf", "size": 12 * 1024 * 1024,
                            "file_id": "BQ1", "provider": "telegram"}]}
    tracker = _tracker("telegram:1", "", big)
    assert asyncio.run(form.extract_complaint_evidence(CollectingDispatcher(), tracker, {})) == {
        "complaint_evidence": ATTACHMENTS_MARK}
    dispatcher = CollectingDispatcher()
    assert form.validate_complaint_evidence(ATTACHMENTS_MARK, dispatcher, tracker, {}) == {"complaint_evidence": None}
    assert "terlalu besar (maksimal 10 MB)" in dispatcher.messages[0]["text"]

    video = _tracker("telegram:1", "", {"attachments": [{"type": "video", "mime_type": "video/mp4", "size": 10}]})
    dispatcher = CollectingDispatcher()
    assert form.validate_complaint_evidence(ATTACHMENTS_MARK, dispatcher, video, {}) == {"complaint_evidence": None}
    assert "Jenis berkas" in dispatcher.messages[0]["text"]

    photo = _tracker("whatsapp:+62", "", {"attachments": [{"type": "image", "mime_type": "image/jpeg", "size": None,
                                                           "url": "https://media.example/1", "provider": "twilio"}]})
    dispatcher = CollectingDispatcher()
    result = form.validate_complaint_evidence(ATTACHMENTS_MARK, dispatcher, photo, {})
    assert result["complaint_evidence"] == "ada"
    assert result["complaint_evidence_items"][0]["kind"] == "image"
    assert form.validate_complaint_evidence("lewati", CollectingDispatcher(), _tracker("web:1", "lewati"), {}) == {
        "complaint_evidence": "tidak"}


def test_empty_description_is_asked_again(db_url: str) -> None:
    form = ValidateComplaintForm()
    dispatcher = CollectingDispatcher()
    assert form.validate_complaint_description("  ", dispatcher, _tracker("web:1", "  "), {}) == {
        "complaint_description": None}
    assert "ceritakan kejadiannya" in dispatcher.messages[0]["text"]
    result = form.validate_complaint_description("Toilet di ruang tunggu kotor sekali", CollectingDispatcher(),
                                                 _tracker("web:1", "x"), {})
    assert result["complaint_proposed_category"] == "fasilitas" and result["complaint_duplicate_choice"] == "baru"


def test_check_status_owner_stranger_and_fake_code(db_url: str) -> None:
    with session_scope(db_url) as s:
        ticket = file_ticket(s, description="Toilet kotor", sender_id="telegram:9",
                             now=dt.datetime(2026, 3, 16, 9, 30, tzinfo=WIB))
        officer_reply(s, ticket, "budi", "Sudah dibersihkan.")
        code = ticket.code

    def ask(sender: str, text: str) -> str:
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionCheckStatus().run(dispatcher, _tracker(sender, text), {}))
        return "\n".join(m.get("text") or "" for m in dispatcher.messages)

    assert "Sudah dibersihkan." in ask("telegram:9", f"cek status {code}")
    assert "Sudah dibersihkan." not in ask("telegram:10", f"cek status {code}")
    assert "tidak kami temukan" in ask("telegram:9", "cek status ADU-2026-999999")
    assert code in ask("telegram:9", "cek status")


def test_button_answers_are_read_whatever_the_intent() -> None:
    form = ValidateComplaintForm()
    tracker = Tracker("web:1", {"language": "id", "complaint_category": "pungli"},
                      {"text": "mode:biasa", "intent": {"name": "ask_procedure"}, "entities": []},
                      [], False, None, {"name": "complaint_form"}, "action_listen")
    # pungli is always confidential: "biasa" becomes "rahasia"
    assert form.validate_complaint_identity("mode:biasa", CollectingDispatcher(), tracker, {}) == {
        "complaint_identity": "rahasia"}
    assert form.validate_complaint_confirm("kirim", CollectingDispatcher(), tracker, {}) == {"complaint_confirm": "ya"}
    assert form.validate_complaint_contact("kontak:status", CollectingDispatcher(), tracker, {}) == {
        "complaint_contact": "status"}
    assert form.validate_complaint_category("kategori:fasilitas", CollectingDispatcher(), tracker, {}) == {
        "complaint_category": "fasilitas"}
    assert form.validate_complaint_category("kategori lain", CollectingDispatcher(), tracker, {}) == {
        "complaint_category": None, "complaint_proposed_category": None}
