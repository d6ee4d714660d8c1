"""A citizen on one channel, as the tests drive them: they write, press what the bot showed, send a
photo or a document, and read the bot's answers from the calls the fake provider API received.

Nothing here knows a payload: a button is pressed the way the channel offers it (the digit of a
WhatsApp numbered list, a Telegram callback_data, a Meta quick reply's payload, or the digit of
Meta's numbered fallback above 13 buttons), found by the title the citizen sees.
"""
from __future__ import annotations

import abc
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from tests.channels.conftest import Channels, next_id
from tests.fakes.providers import Call, FakeProviders

_NUMBERED = re.compile(r"^(\d{1,2})\. (.+)$", re.MULTILINE)
_HINT = re.compile(r"(Balas dengan angka|Reply with (a|the) number)")
Wanted = Union[str, Callable[[str], bool]]


@dataclass
class Bubble:
    """One message the citizen received: its text and the buttons on it as (title, how to press)."""

    text: str
    buttons: list[tuple[str, Any]] = field(default_factory=list)


def numbered_buttons(text: str) -> list[tuple[str, Any]]:
    """The options of a numbered list ('1. Konsultasi ... Balas dengan angka 1-4'), pressed by digit."""
    if not _HINT.search(text):
        return []
    return [(title.strip(), digit) for digit, title in _NUMBERED.findall(text)]


class Citizen(abc.ABC):
    """Base: `say`, `press`, `send_photo`; `last` holds the bot's answer to the latest turn."""

    channel = ""

    def __init__(self, channels: Channels, fake: FakeProviders) -> None:
        self.channels = channels
        self.fake = fake
        self.last: list[Bubble] = []
        self.sender_id = ""

    # what subclasses provide ------------------------------------------------------------------
    @abc.abstractmethod
    def _mine(self, call: Call) -> bool:
        """Provided by each channel's citizen."""

    @abc.abstractmethod
    def _bubble(self, call: Call) -> Optional[Bubble]:
        """Provided by each channel's citizen."""

    @abc.abstractmethod
    def _post_text(self, text: str) -> Any:
        """Provided by each channel's citizen."""

    @abc.abstractmethod
    def _post_press(self, title: str, token: Any) -> Any:
        """Provided by each channel's citizen."""

    # the conversation -------------------------------------------------------------------------
    def _turn(self, post: Callable[[], Any]) -> list[Bubble]:
        start = len(self.fake.calls)
        response = post()
        assert response.status_code == 200, (response.status_code, response.text)
        calls = [c for c in list(self.fake.calls)[start:] if self._mine(c)]
        self.last = [b for b in (self._bubble(c) for c in calls) if b is not None]
        assert self.last, f"{self.channel}: no answer"
        return self.last

    def say(self, text: str) -> list[Bubble]:
        return self._turn(lambda: self._post_text(text))

    def buttons(self) -> list[tuple[str, Any]]:
        return [b for bubble in self.last for b in bubble.buttons]

    def press(self, wanted: Wanted) -> list[Bubble]:
        """Press the first button whose title starts with `wanted` (or satisfies it)."""
        match = wanted if callable(wanted) else (lambda title: title.startswith(wanted))  # type: ignore[operator]
        for title, token in self.buttons():
            if match(title):
                return self._turn(lambda: self._post_press(title, token))
        raise AssertionError(f"{self.channel}: no button {wanted!r} among {[t for t, _ in self.buttons()]}")

    def text(self) -> str:
        return "\n".join(b.text for b in self.last)


class WhatsAppCitizen(Citizen):
    channel = "whatsapp"

    def __init__(self, channels: Channels, fake: FakeProviders) -> None:
        super().__init__(channels, fake)
        self.number = f"whatsapp:+62812{secrets.randbelow(10**8):08d}"
        self.sender_id = self.number

    def _mine(self, call: Call) -> bool:
        return call.provider == "twilio" and call.params.get("To") == self.number

    def _bubble(self, call: Call) -> Optional[Bubble]:
        body = str(call.params.get("Body") or "")
        return Bubble(body, numbered_buttons(body)) if body else None

    def _post_text(self, text: str) -> Any:
        return self.channels.whatsapp(self.channels.twilio_params(self.number, text))

    def _post_press(self, title: str, token: Any) -> Any:
        return self._post_text(str(token))  # the citizen types the digit

    def send_media(self, url: str, mime: str, caption: str = "") -> list[Bubble]:
        kind = "image" if mime.startswith("image/") else "document"
        params = self.channels.twilio_params(self.number, caption, NumMedia="1", MediaUrl0=url,
                                             MediaContentType0=mime, MessageType=kind)
        return self._turn(lambda: self.channels.whatsapp(params))


class TelegramCitizen(Citizen):
    channel = "telegram"

    def __init__(self, channels: Channels, fake: FakeProviders) -> None:
        super().__init__(channels, fake)
        self.chat_id = 300000000 + secrets.randbelow(10**8)
        self.sender_id = f"telegram:{self.chat_id}"

    def _mine(self, call: Call) -> bool:
        return call.provider == "telegram" and call.method.startswith("send") \
            and str(call.params.get("chat_id")) == str(self.chat_id)

    def _bubble(self, call: Call) -> Optional[Bubble]:
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
        buttons = [(b["text"], b["callback_data"]) for row in rows for b in row]
        return Bubble(str(call.params.get("text") or ""), buttons)

    def _post_text(self, text: str) -> Any:
        return self.channels.telegram(self.channels.tg_message(self.chat_id, text))

    def _post_press(self, title: str, token: Any) -> Any:
        update = {"update_id": next_id(), "callback_query": {
            "id": str(next_id()), "chat_instance": str(-self.chat_id), "data": token,
            "from": {"id": self.chat_id, "is_bot": False, "first_name": "Warga", "language_code": "id"},
            "message": {"message_id": next_id(), "date": int(time.time()),
                        "chat": {"id": self.chat_id, "type": "private", "first_name": "Warga"},
                        "text": self.text()[:200]}}}
        return self.channels.telegram(update)

    def send_photo(self, file_id: str, size: int) -> list[Bubble]:
        sizes = [{"file_id": f"{file_id}-thumb", "file_unique_id": "AQADthumb", "file_size": 1200, "width": 90,
                  "height": 68},
                 {"file_id": file_id, "file_unique_id": "AQADfull", "file_size": size, "width": 1280, "height": 960}]
        return self._turn(lambda: self.channels.telegram(self.channels.tg_message(self.chat_id, None, photo=sizes)))

    def send_document(self, file_id: str, size: int, file_name: str, mime: str) -> list[Bubble]:
        document = {"file_id": file_id, "file_unique_id": "AgADdoc", "file_name": file_name, "mime_type": mime,
                    "file_size": size}
        return self._turn(lambda: self.channels.telegram(
            self.channels.tg_message(self.chat_id, None, document=document)))


class MetaCitizen(Citizen):
    """Messenger (platform 'page') or Instagram (platform 'instagram')."""

    def __init__(self, channels: Channels, fake: FakeProviders, platform: str = "page") -> None:
        super().__init__(channels, fake)
        self.platform = platform
        self.channel = "messenger" if platform == "page" else "instagram"
        self.psid = str(10**15 + secrets.randbelow(10**15))
        self.sender_id = f"{self.channel}:{self.psid}"

    def _mine(self, call: Call) -> bool:
        return call.provider == "graph" and (call.params.get("recipient") or {}).get("id") == self.psid

    def _bubble(self, call: Call) -> Optional[Bubble]:
        message = call.params.get("message") or {}
        text = str(message.get("text") or "")
        replies = message.get("quick_replies") or []
        buttons = [(r["title"], ("quick", r["payload"])) for r in replies] or \
            [(title, ("digit", digit)) for title, digit in numbered_buttons(text)]
        return Bubble(text, buttons)

    def _send(self, **message: Any) -> Any:
        event = self.channels.meta_message(self.psid, platform=self.platform, **message)
        return self.channels.meta(self.channels.meta_body([event], platform=self.platform))

    def _post_text(self, text: str) -> Any:
        return self._send(text=text)

    def _post_press(self, title: str, token: Any) -> Any:
        how, value = token
        if how == "quick":  # Meta sends the title as text and the payload alongside
            return self._send(text=title, quick_reply={"payload": value})
        return self._send(text=value)

    def send_image(self, url: str) -> list[Bubble]:
        return self._turn(lambda: self._send(attachments=[{"type": "image", "payload": {"url": url}}]))

    def send_file(self, url: str) -> list[Bubble]:
        """A document (Meta says only "file" and gives a CDN URL: no MIME type, no size)."""
        return self._turn(lambda: self._send(attachments=[{"type": "file", "payload": {"url": url}}]))


def file_complaint(who: Citizen, description: str, send_evidence: Optional[Callable[[], Any]] = None,
                   mode: str = "Biasa") -> str:
    """Walk the complaint intake as a citizen would; returns the ticket code the bot gave.
    `send_evidence` sends the photo/document at the evidence step; without it the step is skipped.
    A conversation that has not agreed yet is asked for consent first (office/consent.py)."""
    who.say("saya mau mengadu")
    if "Apakah Bapak/Ibu setuju?" in who.text():
        who.press("Setuju")
    assert "ceritakan apa yang terjadi" in who.text()
    who.say(description)
    assert "Sudah sesuai?" in who.text(), who.text()
    who.press("Ya, sesuai")
    assert "Kapan dan di mana" in who.text()
    who.press("Lewati")
    assert "bukti pendukung" in who.text()
    if send_evidence is None:
        who.press("Lewati")
    else:
        send_evidence()
        assert "berkas bukti diterima" in who.text(), who.text()
    assert "Bagaimana petugas sebaiknya memberi kabar" in who.text(), who.text()
    who.press("Balas lewat chat")
    assert "Pilih cara pengaduan dicatat" in who.text()
    who.press(mode)
    assert "Mohon periksa pengaduan" in who.text()
    who.press("Kirim pengaduan")
    match = re.search(r"ADU-\d{4}-\d{6}", who.text())
    assert match and "Tanggapan pertama petugas paling lambat" in who.text(), who.text()
    return match.group(0)
