"""What the citizen reads about the survey and that does not depend on the conversation: the invitation.

The invitation is written here (not in the action) because the same text is stored in the outbox, where
WhatsApp uses it as the template variable outside the 24-hour window.
"""
from __future__ import annotations

from office.dates import format_date
from office.profile import load_profile
from office.survey.models import SurveyInvitation
from office.survey.service import COMPLAINT, QUESTION_COUNT, event_reference, expires_on

START_PAYLOAD = "/survey_start"
LATER_PAYLOAD = "/survey_later"
DECLINE_PAYLOAD = "/survey_decline"


def _t(lang: str, id_text: str, en_text: str) -> str:
    return en_text if lang == "en" else id_text


def invite_text(invitation: SurveyInvitation, lang: str = "id") -> str:
    """The invitation: what it is about (the complaint code for a closed complaint), how long, anonymous,
    and until when it can be answered."""
    office = load_profile().short_name
    until = format_date(expires_on(invitation), lang)
    if invitation.event_kind == COMPLAINT:
        code = event_reference(invitation.event_key)
        lead = _t(lang, f"Pengaduan {code} telah ditutup. Bagaimana penilaian Bapak/Ibu atas penanganannya? Mohon "
                        "sampaikan melalui Survei Kepuasan Masyarakat.",
                  f"Your complaint {code} has been closed. How satisfied are you with the way it was handled? "
                  "Please tell us in our public satisfaction survey.")
    else:
        lead = _t(lang, f"Terima kasih telah berkunjung ke {office}. Bersediakah Bapak/Ibu mengisi Survei Kepuasan "
                        "Masyarakat?",
                  f"Thank you for visiting {office}. Would you take our public satisfaction survey?")
    if lang == "en":
        return (f"{lead} {QUESTION_COUNT} short questions (about 2 minutes); your answers are anonymous. "
                f"You can answer until {until}.")
    return (f"{lead} Hanya {QUESTION_COUNT} pertanyaan singkat (sekitar 2 menit) dan jawaban Bapak/Ibu bersifat "
            f"anonim. Survei dapat diisi sampai {until}.")


def invite_buttons(lang: str = "id") -> list[dict[str, str]]:
    titles = ("Fill in the survey", "Later", "No, thank you") if lang == "en" else \
        ("Isi survei", "Nanti saja", "Tidak, terima kasih")
    return [{"title": t, "payload": p} for t, p in zip(titles, (START_PAYLOAD, LATER_PAYLOAD, DECLINE_PAYLOAD))]
