"""The short privacy notice every conversation starts with (UU 27/2022 on personal data).

It says what is stored, why, for how long, and what not to send, in the citizen's language.
"""
from __future__ import annotations


def privacy_notice(office_name: str, retention_days: int, lang: str = "id") -> str:
    """One short paragraph; `retention_days` comes from the office profile."""
    if lang == "en":
        return (f"Privacy: {office_name} stores this conversation and the details you give us (for bookings "
                f"or complaints) only to answer and follow up your request, for {retention_days} days, under "
                "Law 27/2022 on Personal Data Protection. Please do not send photos of your KTP/KK or your full "
                "NIK here; documents are uploaded only in the M-Paspor app. Type \"privacy\" to learn more.")
    return (f"Privasi: {office_name} menyimpan percakapan ini dan data yang Bapak/Ibu berikan (untuk booking "
            f"atau pengaduan) hanya untuk menjawab dan menindaklanjuti permintaan Bapak/Ibu, selama "
            f"{retention_days} hari, sesuai UU 27/2022 tentang Pelindungan Data Pribadi. Mohon jangan mengirim "
            "foto KTP/KK atau NIK lengkap di sini; dokumen hanya diunggah di aplikasi M-Paspor. Ketik "
            "\"privasi\" untuk info lebih lanjut.")
