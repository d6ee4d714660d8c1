"""Complaint conversation: the intake form, "cek status ADU-…", adding information, cancelling.

Thin on purpose: every rule (categories, routing, SLA, who may see what) lives in office.complaints;
these actions only ask, validate the answers and say what happened, in the citizen's language.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import language_of, menu_buttons
from actions.consent import CONSENT_SLOT, ConsentFormValidation, consent_refused, consent_reset_events
from office.complaints.config import load_config, propose_category
from office.complaints.models import STATUS_LABELS, STATUS_LABELS_EN
from office.complaints.service import (
    ComplaintError, add_citizen_message, check_evidence, file_ticket, find_code, find_duplicate,
    get_by_code, last_officer_reply, local_date_text, may_follow, open_tickets_of, resolve_merged,
)
from office.db import session_scope
from office.profile import load_profile
from office.senders import channel_of
from office.bilingual import text_for as _t

FORM_SLOTS = ("complaint_description", "complaint_duplicate_of", "complaint_duplicate_choice",
              "complaint_proposed_category", "complaint_category", "complaint_when_where", "complaint_evidence",
              "complaint_evidence_items", "complaint_contact", "complaint_identity", "complaint_confirm")
INFO_SLOTS = ("complaint_info_code", "complaint_info_text")
YES = {"ya", "iya", "yes", "y", "benar", "betul", "ok", "oke", "sudah benar", "ya, benar", "yes, correct", "setuju"}
SKIP = {"lewati", "skip", "tidak ada", "tidak", "ga ada", "gak ada", "nggak ada", "no", "none", "tidak tahu", "-"}
MIN_DESCRIPTION = 10
ATTACHMENTS_MARK = "__attachments__"


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


def _attachments(tracker: Tracker) -> list[dict[str, Any]]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    items = metadata.get("attachments") if isinstance(metadata, dict) else None
    return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []


def _reset(slots: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(name, None) for name in slots]


def _answer_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A procedure question typed in the middle of the form (instead of choosing a button) is answered
    from the knowledge base; the caller then asks its question again, so the form resumes.

    Why here and not in a rule: button answers ("kirim", "mode:rahasia") are often classified as
    ask_procedure, so the form takes every text and decides itself what is a question."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    text = _text(tracker)
    if intent != "ask_procedure" or len(text.split()) < 3 or text.startswith("/"):
        return
    from actions.knowledge import answer_text
    from office.kb.search import get_knowledge_base

    answer = get_knowledge_base().answer(text, language_of(tracker))
    if answer.status == "answer":
        dispatcher.utter_message(text=answer_text(answer))


def _abusive(text: str) -> bool:
    from office.complaints.config import is_abusive

    return is_abusive(text, load_config())


# ------------------------------------------------------------------------------------------------
# the intake form
# ------------------------------------------------------------------------------------------------
class ValidateComplaintForm(ConsentFormValidation, FormValidationAction):
    """Validates each answer; asks again (slot None) with a short reason when it cannot be used.
    The consent question (actions/consent.py) comes first: the description is already personal data."""

    consent_purpose = "complaint"

    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        # complaint_duplicate_choice is pre-filled ("baru") when there is no duplicate, so the domain's
        # order also holds when Rasa resumes the form without calling this action.
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if consent_refused(tracker):
            return slots
        if tracker.get_slot("complaint_duplicate_choice") == "tambah":
            return [CONSENT_SLOT, "complaint_description", "complaint_duplicate_choice"]
        return slots

    async def extract_complaint_evidence(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        """A photo or document arrives as metadata, often with no text: take it as the answer."""
        if tracker.get_slot("requested_slot") == "complaint_evidence" and _attachments(tracker):
            return {"complaint_evidence": ATTACHMENTS_MARK}
        return {}

    def validate_complaint_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        text = str(value or "").strip()
        if text.startswith("/") or sum(ch.isalpha() for ch in text) < MIN_DESCRIPTION:
            dispatcher.utter_message(text=_t(lang, "Mohon ceritakan kejadiannya dalam beberapa kata, supaya petugas "
                                                   "dapat menindaklanjutinya.",
                                             "Please describe what happened in a few words so an officer can "
                                             "follow it up."))
            return {"complaint_description": None}
        config = load_config()
        proposed = propose_category(text, config)
        result: dict[str, Any] = {"complaint_description": text[:4000], "complaint_proposed_category": proposed.key}
        with session_scope() as session:
            duplicate = find_duplicate(session, tracker.sender_id, text)
            result["complaint_duplicate_of"] = duplicate.code if duplicate else None
            result["complaint_duplicate_choice"] = None if duplicate else "baru"
        return result

    def validate_complaint_duplicate_choice(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip().lower()
        if text in ("tambah", "tambahkan", "add") or text in YES:
            return {"complaint_duplicate_choice": "tambah"}
        if text in ("baru", "new", "pengaduan baru", "buat baru"):
            return {"complaint_duplicate_choice": "baru"}
        _answer_question(dispatcher, tracker)
        return {"complaint_duplicate_choice": None}

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        config = load_config()
        text = str(value or "").strip().lower()
        if text in YES:
            return {"complaint_category": tracker.get_slot("complaint_proposed_category") or "lainnya"}
        if text.startswith("kategori:") and config.has_category(text.split(":", 1)[1]):
            return {"complaint_category": text.split(":", 1)[1]}
        for cat in config.categories:
            if text in (cat.key, cat.label.lower(), cat.label_en.lower()):
                return {"complaint_category": cat.key}
        # "kategori lain" or anything else: show the whole list
        _answer_question(dispatcher, tracker)
        return {"complaint_category": None, "complaint_proposed_category": None}

    def validate_complaint_when_where(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or text.lower() in SKIP:
            return {"complaint_when_where": "-"}
        return {"complaint_when_where": text[:1000]}

    def validate_complaint_evidence(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        items = _attachments(tracker)
        if value == ATTACHMENTS_MARK or items:
            config = load_config()
            checked = check_evidence(items, config)
            for _item, why in checked.rejected:
                mb = config.max_evidence_bytes // (1024 * 1024)
                dispatcher.utter_message(text=_t(
                    lang,
                    f"Berkas terlalu besar (maksimal {mb} MB)." if why == "size" else
                    "Jenis berkas ini tidak dapat kami terima. Kirim foto (JPG/PNG) atau dokumen PDF.",
                    f"The file is too large (at most {mb} MB)." if why == "size" else
                    "We cannot accept this type of file. Please send a photo (JPG/PNG) or a PDF document."))
            if not checked.accepted:
                return {"complaint_evidence": None}
            kept = list(tracker.get_slot("complaint_evidence_items") or [])
            kept += [{k: v for k, v in a.items() if k in ("type", "kind", "mime_type", "size", "url", "file_id",
                                                          "provider")} for a in checked.accepted]
            dispatcher.utter_message(text=_t(lang, f"{len(checked.accepted)} berkas bukti diterima.",
                                             f"{len(checked.accepted)} evidence file(s) received."))
            return {"complaint_evidence": "ada", "complaint_evidence_items": kept}
        text = str(value or "").strip().lower()
        if text in SKIP or text in ("tidak ada bukti", "no evidence"):
            return {"complaint_evidence": "tidak"}
        _answer_question(dispatcher, tracker)
        dispatcher.utter_message(text=_t(lang, "Silakan kirim foto atau PDF sebagai lampiran, atau pilih Lewati.",
                                         "Please send a photo or PDF as an attachment, or choose Skip."))
        return {"complaint_evidence": None}

    def validate_complaint_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip().lower()
        if text in ("kontak:chat", "chat", "lewat chat", "via chat") or text in YES:
            return {"complaint_contact": "chat"}
        if text in ("kontak:status", "cek status", "status", "tidak perlu", "no", "tidak"):
            return {"complaint_contact": "status"}
        _answer_question(dispatcher, tracker)
        return {"complaint_contact": None}

    def validate_complaint_identity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip().lower().replace("mode:", "")
        confidential_only = load_config().category(tracker.get_slot("complaint_category")).always_confidential
        for mode, words in (("biasa", ("biasa", "normal", "ordinary")), ("rahasia", ("rahasia", "confidential")),
                            ("anonim", ("anonim", "anonymous"))):
            if text in words:
                if mode == "biasa" and confidential_only:
                    return {"complaint_identity": "rahasia"}
                return {"complaint_identity": mode}
        _answer_question(dispatcher, tracker)
        return {"complaint_identity": None}

    def validate_complaint_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip().lower()
        if text in ("kirim", "send", "submit") or text in YES:
            return {"complaint_confirm": "ya"}
        _answer_question(dispatcher, tracker)
        return {"complaint_confirm": None}


class _Ask(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class AskDescription(_Ask):
    slot = "complaint_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(
            lang,
            "Kami siap menerima pengaduan Bapak/Ibu. Silakan ceritakan apa yang terjadi (ketik \"batal\" kapan saja "
            "untuk berhenti). Mohon tidak mengirim foto KTP/KK atau NIK.",
            "We are ready to take your complaint. Please tell us what happened (type \"cancel\" at any time to stop). "
            "Please do not send ID card photos or ID numbers."))
        return []


class AskDuplicateChoice(_Ask):
    slot = "complaint_duplicate_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = tracker.get_slot("complaint_duplicate_of")
        dispatcher.utter_message(
            text=_t(lang, f"Bapak/Ibu masih memiliki pengaduan terbuka {code} dengan isi yang mirip. Tambahkan "
                          "keterangan ini ke pengaduan tersebut, atau buat pengaduan baru?",
                    f"You still have an open complaint {code} with similar content. Add this to it, or file a new "
                    "complaint?"),
            buttons=[{"title": _t(lang, f"Tambahkan ke {code}", f"Add to {code}"), "payload": "tambah"},
                     {"title": _t(lang, "Buat pengaduan baru", "File a new one"), "payload": "baru"}])
        return []


class AskCategory(_Ask):
    slot = "complaint_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        config = load_config()
        proposed = tracker.get_slot("complaint_proposed_category")
        if proposed and config.has_category(proposed):
            label = config.category(proposed).display(lang)
            dispatcher.utter_message(
                text=_t(lang, f"Pengaduan ini kami kelompokkan sebagai \"{label}\". Sudah sesuai?",
                        f"We would file this under \"{label}\". Is that right?"),
                buttons=[{"title": _t(lang, "Ya, sesuai", "Yes, correct"), "payload": "ya"},
                         {"title": _t(lang, "Pilih kategori lain", "Choose another"), "payload": "kategori lain"}])
        else:
            dispatcher.utter_message(
                text=_t(lang, "Silakan pilih kategori yang paling sesuai:", "Please choose the best category:"),
                buttons=[{"title": c.display(lang), "payload": f"kategori:{c.key}"} for c in config.categories])
        return []


class AskWhenWhere(_Ask):
    slot = "complaint_when_where"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(
            text=_t(lang, "Kapan dan di mana kejadiannya? (boleh dilewati)",
                    "When and where did it happen? (optional)"),
            buttons=[{"title": _t(lang, "Lewati", "Skip"), "payload": "lewati"}])
        return []


class AskEvidence(_Ask):
    slot = "complaint_evidence"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        mb = load_config().max_evidence_bytes // (1024 * 1024)
        if channel_of(tracker.sender_id) == "web":
            # The web chat cannot carry files; say where they can be sent instead of asking for the impossible.
            text = _t(lang, "Ada bukti pendukung? Obrolan web ini belum dapat menerima berkas. Jika ada foto atau PDF, "
                            "Bapak/Ibu dapat mengajukan pengaduan lewat WhatsApp atau Telegram kantor dan "
                            "melampirkannya di sana. Untuk melanjutkan di sini, pilih Lewati.",
                      "Any evidence? This web chat cannot receive files yet. If you have a photo or PDF, you can "
                      "file the complaint on the office's WhatsApp or Telegram and attach it there. To continue "
                      "here, choose Skip.")
        else:
            text = _t(lang, f"Ada bukti pendukung? Kirim foto atau PDF (maksimal {mb} MB) di sini, atau pilih Lewati.",
                      f"Any evidence? Send a photo or PDF (at most {mb} MB) here, or choose Skip.")
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": _t(lang, "Lewati", "Skip"), "payload": "lewati"}])
        return []


class AskContact(_Ask):
    slot = "complaint_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(
            text=_t(lang, "Bagaimana petugas sebaiknya memberi kabar?", "How should the officer get back to you?"),
            buttons=[{"title": _t(lang, "Balas lewat chat ini", "Reply in this chat"), "payload": "kontak:chat"},
                     {"title": _t(lang, "Saya cek sendiri (cek status)", "I will check the status"),
                      "payload": "kontak:status"}])
        return []


class AskIdentity(_Ask):
    slot = "complaint_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        config = load_config()
        confidential_only = config.category(tracker.get_slot("complaint_category")).always_confidential
        lines = []
        buttons = []
        if confidential_only:
            lines.append(_t(lang, "Laporan pungli/calo/gratifikasi selalu kami perlakukan rahasia.",
                            "Reports of illegal levies, brokers or gratuities are always kept confidential."))
        else:
            lines.append(_t(lang, "• Biasa: identitas chat Bapak/Ibu terlihat oleh petugas unit yang menangani.",
                            "• Ordinary: the handling unit's officers see who you are."))
            buttons.append({"title": _t(lang, "Biasa", "Ordinary"), "payload": "mode:biasa"})
        lines.append(_t(lang, f"• Rahasia: identitas hanya dapat dilihat {config.compliance_unit}.",
                        f"• Confidential: only the {config.compliance_unit} can see who you are."))
        lines.append(_t(lang, "• Anonim: identitas tidak disimpan sama sekali; kode tiket menjadi satu-satunya kunci, "
                              "simpan baik-baik.",
                        "• Anonymous: nothing about you is kept; the ticket code is the only key, keep it safe."))
        buttons += [{"title": _t(lang, "Rahasia", "Confidential"), "payload": "mode:rahasia"},
                    {"title": _t(lang, "Anonim", "Anonymous"), "payload": "mode:anonim"}]
        dispatcher.utter_message(text=_t(lang, "Pilih cara pengaduan dicatat:", "How should we record it?") + "\n"
                                 + "\n".join(lines), buttons=buttons)
        return []


class AskConfirm(_Ask):
    slot = "complaint_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        config = load_config()
        description = tracker.get_slot("complaint_description") or ""
        shown = (_t(lang, "(isi pengaduan sudah dicatat)", "(your description is recorded)")
                 if _abusive(description) else (description[:300] + ("…" if len(description) > 300 else "")))
        category = config.category(tracker.get_slot("complaint_category"))
        mode = tracker.get_slot("complaint_identity") or "biasa"
        mode_text = {"biasa": _t(lang, "Biasa", "Ordinary"), "rahasia": _t(lang, "Rahasia", "Confidential"),
                     "anonim": _t(lang, "Anonim", "Anonymous")}[mode]
        evidence = len(tracker.get_slot("complaint_evidence_items") or [])
        when = tracker.get_slot("complaint_when_where")
        lines = [_t(lang, "Mohon periksa pengaduan Bapak/Ibu:", "Please check your complaint:"),
                 _t(lang, f"Isi: {shown}", f"What happened: {shown}"),
                 _t(lang, f"Kategori: {category.display(lang)}", f"Category: {category.display(lang)}")]
        if when and when != "-" and not _abusive(when):
            lines.append(_t(lang, f"Waktu/tempat: {when[:200]}", f"When/where: {when[:200]}"))
        lines.append(_t(lang, f"Bukti: {evidence} berkas", f"Evidence: {evidence} file(s)"))
        lines.append(_t(lang, f"Mode: {mode_text}", f"Mode: {mode_text}"))
        dispatcher.utter_message(text="\n".join(lines),
                                 buttons=[{"title": _t(lang, "Kirim pengaduan", "Send complaint"), "payload": "kirim"},
                                          {"title": _t(lang, "Batal", "Cancel"), "payload": "/cancel"}])
        return []


class ActionSubmitComplaint(Action):
    """Files the ticket (or adds to the open duplicate) and tells the code and first-response date."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        if consent_refused(tracker):  # the refusal was explained; nothing was stored
            return [*_reset(FORM_SLOTS), *consent_reset_events()]
        description = tracker.get_slot("complaint_description") or ""
        evidence = tracker.get_slot("complaint_evidence_items") or []
        if tracker.get_slot("complaint_duplicate_choice") == "tambah" and tracker.get_slot("complaint_duplicate_of"):
            code = tracker.get_slot("complaint_duplicate_of")
            try:
                with session_scope() as session:
                    ticket = get_by_code(session, code)
                    if ticket is None:
                        raise ComplaintError("missing")
                    add_citizen_message(session, ticket, description, sender_id=tracker.sender_id, evidence=evidence)
            except ComplaintError:
                dispatcher.utter_message(text=_t(lang, f"Pengaduan {code} sudah ditutup. Silakan buat pengaduan baru.",
                                                 f"Complaint {code} is already closed. Please file a new one."),
                                         buttons=menu_buttons(lang))
            else:
                dispatcher.utter_message(text=_t(lang, f"Keterangan Bapak/Ibu sudah kami tambahkan ke pengaduan {code}.",
                                                 f"Your information has been added to complaint {code}."))
            return _reset(FORM_SLOTS)
        mode = tracker.get_slot("complaint_identity") or "biasa"
        when = tracker.get_slot("complaint_when_where")
        with session_scope() as session:
            ticket = file_ticket(session, description=description, sender_id=tracker.sender_id,
                                 category_key=tracker.get_slot("complaint_category"), mode=mode,
                                 when_where=None if when in (None, "-") else when,
                                 contact_preference=tracker.get_slot("complaint_contact"), evidence=evidence,
                                 language=lang)
            code, due, mode = ticket.code, ticket.first_response_due, ticket.mode
        due_text = local_date_text(due, lang)
        text = _t(lang,
                  f"Terima kasih, pengaduan Bapak/Ibu sudah kami terima dengan kode {code}. Tanggapan pertama petugas "
                  f"paling lambat {due_text}. Ketik \"cek status {code}\" untuk memantaunya.",
                  f"Thank you, we have received your complaint with code {code}. An officer will respond by "
                  f"{due_text} at the latest. Type \"check status {code}\" to follow it.")
        if mode == "anonim":
            text += _t(lang, " Karena anonim, kode ini satu-satunya kunci: simpan baik-baik, balasan petugas hanya "
                             "dapat dilihat lewat cek status.",
                       " As it is anonymous, this code is the only key: keep it safe; replies are only shown "
                       "through the status check.")
        elif mode == "rahasia":
            text += _t(lang, " Identitas Bapak/Ibu dirahasiakan.", " Your identity is kept confidential.")
        dispatcher.utter_message(text=text)
        return _reset(FORM_SLOTS)


class ActionComplaintCancel(Action):
    """'batal' inside a complaint form: stop, keep nothing."""

    def name(self) -> str:
        return "action_complaint_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Baik, dibatalkan. Tidak ada data pengaduan yang disimpan.",
                                         "All right, cancelled. Nothing was saved."), buttons=menu_buttons(lang))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset(FORM_SLOTS), *_reset(INFO_SLOTS),
                *consent_reset_events()]


# ------------------------------------------------------------------------------------------------
# following a ticket
# ------------------------------------------------------------------------------------------------
def _status_label(status: str, lang: str) -> str:
    return (STATUS_LABELS_EN if lang == "en" else STATUS_LABELS).get(status, status)


class ActionCheckStatus(Action):
    """'cek status ADU-…': the complainant (same sender) or anyone for an anonymous ticket sees the
    status and the last officer reply; others get no details; unknown codes get a clear answer."""

    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = find_code(next(tracker.get_latest_entity_values("ticket_code"), None) or "") or find_code(_text(tracker))
        config = load_config()
        with session_scope() as session:
            if code is None:
                mine = open_tickets_of(session, tracker.sender_id)
                if mine:
                    listing = "\n".join(f"• {t.code}: {_status_label(t.status, lang)}" for t in mine[:5])
                    dispatcher.utter_message(text=_t(lang, f"Pengaduan Bapak/Ibu yang masih berjalan:\n{listing}\n"
                                                           "Ketik \"cek status\" diikuti kodenya untuk rinciannya.",
                                                     f"Your open complaints:\n{listing}\nType \"check status\" "
                                                     "followed by the code for details."))
                    return []
                url = load_profile().m_paspor_url
                link = f" ({url})" if url else ""
                dispatcher.utter_message(text=_t(
                    lang, "Silakan kirim kode pengaduan, contoh: cek status ADU-2026-000123. Jadwal dan pembayaran "
                          f"permohonan paspor dapat dilihat di aplikasi M-Paspor{link}.",
                    "Please send the complaint code, e.g. check status ADU-2026-000123. Passport appointments and "
                    f"payments are shown in the M-Paspor app{link}."))
                return []
            ticket = get_by_code(session, code)
            if ticket is None:
                dispatcher.utter_message(text=_t(lang, f"Kode {code} tidak kami temukan. Mohon periksa kembali "
                                                       "penulisannya (contoh: ADU-2026-000123).",
                                                 f"We could not find code {code}. Please check it "
                                                 "(e.g. ADU-2026-000123)."))
                return []
            if not may_follow(ticket, tracker.sender_id):
                dispatcher.utter_message(text=_t(lang, f"Demi kerahasiaan pelapor, rincian pengaduan {code} hanya dapat "
                                                       "dilihat dari percakapan yang mengirimkannya.",
                                                 f"To protect the complainant, details of {code} are only shown in "
                                                 "the conversation that filed it."))
                return []
            current = resolve_merged(session, ticket)
            lines = []
            if current.id != ticket.id:
                lines.append(_t(lang, f"Pengaduan {code} telah digabung ke {current.code}.",
                                f"Complaint {code} was merged into {current.code}."))
            category = config.category(current.category).display(lang)
            lines.append(_t(lang, f"Status pengaduan {current.code} ({category}): {_status_label(current.status, lang)}.",
                            f"Status of complaint {current.code} ({category}): {_status_label(current.status, lang)}."))
            if current.status == "ditolak" and current.reject_reason:
                lines.append(_t(lang, f"Alasan: {current.reject_reason}", f"Reason: {current.reject_reason}"))
            reply = last_officer_reply(current)
            if reply:
                lines.append(_t(lang, f"Tanggapan terakhir petugas: {reply.text}", f"Latest reply: {reply.text}"))
            elif current.is_open:
                lines.append(_t(lang, f"Tanggapan pertama paling lambat {local_date_text(current.first_response_due, lang)}.",
                                f"First response due by {local_date_text(current.first_response_due, lang)}."))
            buttons = []
            if current.is_open:
                buttons = [{"title": _t(lang, "Tambah informasi", "Add information"),
                            "payload": "/add_complaint_info" + json.dumps({"ticket_code": current.code})}]
            dispatcher.utter_message(text="\n".join(lines), buttons=buttons or None)
        return [SlotSet("ticket_code", None)]


class ValidateComplaintInfoForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_info_form"

    async def extract_complaint_info_text(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "complaint_info_text" and _attachments(tracker) and not _text(tracker):
            return {"complaint_info_text": ATTACHMENTS_MARK}
        return {}

    def validate_complaint_info_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        lang = language_of(tracker)
        code = find_code(str(value or ""))
        if code is None:
            dispatcher.utter_message(text=_t(lang, "Kode pengaduan belum kami kenali (contoh: ADU-2026-000123).",
                                             "We did not recognise the code (e.g. ADU-2026-000123)."))
            return {"complaint_info_code": None}
        with session_scope() as session:
            ticket = get_by_code(session, code)
            ok = ticket is not None and may_follow(ticket, tracker.sender_id)
            open_ = ok and resolve_merged(session, ticket).is_open
            current = resolve_merged(session, ticket).code if ok else code
        if not ok:
            dispatcher.utter_message(text=_t(lang, f"Pengaduan {code} tidak ditemukan pada percakapan ini.",
                                             f"Complaint {code} was not found in this conversation."))
            return {"complaint_info_code": None}
        if not open_:
            dispatcher.utter_message(text=_t(lang, f"Pengaduan {code} sudah ditutup. Silakan buat pengaduan baru.",
                                             f"Complaint {code} is closed. Please file a new one."))
            return {"complaint_info_code": None, "requested_slot": None}
        return {"complaint_info_code": current}

    def validate_complaint_info_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if value == ATTACHMENTS_MARK or (text and not text.startswith("/")):
            return {"complaint_info_text": text}
        return {"complaint_info_text": None}


class AskInfoCode(_Ask):
    slot = "complaint_info_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Untuk pengaduan dengan kode berapa? (contoh: ADU-2026-000123)",
                                         "For which complaint code? (e.g. ADU-2026-000123)"))
        return []


class AskInfoText(_Ask):
    slot = "complaint_info_text"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        dispatcher.utter_message(text=_t(lang, "Silakan tuliskan keterangan tambahan, atau kirim foto/PDF.",
                                         "Please write the additional information, or send a photo/PDF."))
        return []


class ActionSubmitComplaintInfo(Action):
    def name(self) -> str:
        return "action_submit_complaint_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = language_of(tracker)
        code = tracker.get_slot("complaint_info_code")
        text = tracker.get_slot("complaint_info_text") or ""
        if text == ATTACHMENTS_MARK:
            text = ""
        evidence = _attachments(tracker)
        checked = check_evidence(evidence, load_config())
        try:
            with session_scope() as session:
                ticket = get_by_code(session, code)
                if ticket is None:
                    raise ComplaintError("missing")
                add_citizen_message(session, resolve_merged(session, ticket), text, sender_id=tracker.sender_id,
                                    evidence=checked.accepted)
        except ComplaintError:
            dispatcher.utter_message(text=_t(lang, f"Keterangan tidak dapat ditambahkan ke {code}.",
                                             f"The information could not be added to {code}."))
        else:
            note = _t(lang, f" ({len(checked.rejected)} berkas ditolak: hanya foto/PDF maksimal 10 MB.)",
                      f" ({len(checked.rejected)} file(s) refused: photos/PDF up to 10 MB only.)") if checked.rejected else ""
            dispatcher.utter_message(text=_t(lang, f"Terima kasih, keterangan Bapak/Ibu sudah kami catat pada pengaduan {code}.",
                                             f"Thank you, your information has been added to complaint {code}.") + note)
        return _reset(INFO_SLOTS)
