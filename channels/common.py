"""Pure helpers shared by every channel: text splitting, numbered buttons, signatures, sender ids.

This module imports nothing from Rasa or any provider library, so the 3.11 test environment can
unit-test it directly, and every channel formats text the same way.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

# Per-channel text limits (characters as the provider counts them; we count UTF-16 code units,
# which is what Telegram and Meta count and never less than what Twilio counts).
TEXT_LIMITS: dict[str, int] = {"whatsapp": 1600, "telegram": 4096, "messenger": 2000, "instagram": 1000}

QUICK_REPLY_MAX = 13  # Messenger and Instagram allow at most 13 quick replies
QUICK_REPLY_TITLE_MAX = 20  # and titles of at most 20 characters

CHANNEL_PREFIXES = ("whatsapp", "telegram", "messenger", "instagram")

# WhatsApp outside the 24-hour window: the text travels as the one variable of an approved template,
# which Twilio rejects above this size (longer texts are cut with an ellipsis).
TEMPLATE_VARIABLE_MAX = 1024

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_DIGIT_REPLY = re.compile(r"^\s*\(?(\d{1,2})[\).]?\s*$")
_EN_WORDS = {"the", "you", "your", "please", "choose", "what", "how", "is", "are", "can", "to", "of", "and",
             "for", "with", "my", "i", "type", "help", "would", "like", "an", "a", "do", "this"}
_ID_WORDS = {"yang", "dan", "silakan", "bapak", "ibu", "bapak/ibu", "kami", "ada", "bisa", "dengan", "untuk",
             "atau", "pilih", "ketik", "apa", "saya", "di", "ke", "dari", "ini", "itu", "mohon", "terima", "kasih"}


# ---------------------------------------------------------------------------------------------
# sender ids

def namespaced_sender(channel: str, provider_id: str) -> str:
    """`whatsapp:+62...`, `telegram:123`: a user of one channel is never reachable through another.

    Twilio already sends `whatsapp:+62...`; it is accepted as is, never double-prefixed.
    """
    if channel not in CHANNEL_PREFIXES:
        raise ValueError(f"unknown channel {channel!r}")
    provider_id = str(provider_id).strip()
    if not provider_id:
        raise ValueError("empty provider id")
    if provider_id.startswith(f"{channel}:"):
        provider_id = provider_id[len(channel) + 1:]
    if not provider_id or ":" in provider_id:
        raise ValueError(f"invalid {channel} id")
    return f"{channel}:{provider_id}"


def split_sender(sender_id: str) -> tuple[str, str]:
    """The inverse of `namespaced_sender`; raises ValueError for an id of no known channel."""
    channel, sep, provider_id = str(sender_id).partition(":")
    if not sep or channel not in CHANNEL_PREFIXES or not provider_id:
        raise ValueError(f"sender id {sender_id!r} is not namespaced by a known channel")
    return channel, provider_id


# ---------------------------------------------------------------------------------------------
# text splitting

def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram and Meta use for their limits (emoji count 2)."""
    return len(text.encode("utf-16-le")) // 2


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Spans that must not be cut: links, and runs of digits with separators (Rp950.000, 08:00-16:00)."""
    spans = [m.span() for m in _URL.finditer(text)]
    spans += [m.span() for m in re.finditer(r"\d[\d.,:/\-]*\d|\d", text)]
    return spans


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < pos < end for start, end in spans)


def split_text(text: str, limit: int, length: Callable[[str], int] = utf16_len) -> list[str]:
    """Split `text` into chunks of at most `limit` units, cutting at the best boundary available.

    Preference: paragraph break, line break, sentence end, clause end (; : ,), space. A word, a number or a link is
    never cut, unless one alone is longer than the limit (then it is cut hard, as the provider
    would reject the message otherwise).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = (text or "").strip()
    if not text:
        return []
    chunks: list[str] = []
    while length(text) > limit:
        # the longest prefix within the limit (binary search: length() is monotonic)
        low, high = 1, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if length(text[:mid]) <= limit:
                low = mid
            else:
                high = mid - 1
        end = low
        spans = _protected_spans(text[: min(len(text), end + 200)])
        cut = -1
        for pattern in (r"\n\s*\n", r"\n", r"[.!?](?=\s)", r"[;:,](?=\s)", r"\s"):
            for match in re.finditer(pattern, text[:end + 1]):
                boundary = match.end() if pattern.startswith("[") else match.start()
                if 0 < boundary <= end and not _inside(boundary, spans):
                    cut = boundary
            if cut > 0:
                break
        if cut <= 0:
            cut = end  # a single token longer than the limit
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            chunks.append(head)
    if text:
        chunks.append(text)
    return chunks


def template_sid(kind: str) -> str:
    """The approved WhatsApp Content SID for a message kind (officer_reply -> TWILIO_CONTENT_SID_OFFICER_REPLY,
    announcement -> TWILIO_CONTENT_SID_ANNOUNCEMENT), else TWILIO_CONTENT_SID_DEFAULT, else ""."""
    key = "".join(c if c.isalnum() else "_" for c in kind).upper()
    return os.environ.get(f"TWILIO_CONTENT_SID_{key}") or os.environ.get("TWILIO_CONTENT_SID_DEFAULT", "")


# ---------------------------------------------------------------------------------------------
# buttons

def guess_language(text: str) -> str:
    """'en' or 'id' from common function words; the channels only use it for their own short hints."""
    words = re.findall(r"[a-zA-Z/]+", (text or "").lower())
    english = sum(w in _EN_WORDS for w in words)
    indonesian = sum(w in _ID_WORDS for w in words)
    return "en" if english > indonesian else "id"


def button_title(button: Mapping[str, Any]) -> str:
    return str(button.get("title") or button.get("payload") or "").strip()


def button_payload(button: Mapping[str, Any]) -> str:
    return str(button.get("payload") or button.get("title") or "").strip()


def render_numbered(text: str, buttons: Sequence[Mapping[str, Any]], language: str | None = None) -> str:
    """Buttons as a numbered list for channels without buttons (WhatsApp): '1. Tanya prosedur ... Balas 1-5'."""
    language = language or guess_language(text)
    lines = [f"{i}. {button_title(b)}" for i, b in enumerate(buttons, start=1)]
    count = len(buttons)
    if language == "en":
        hint = "Reply with the number 1." if count == 1 else f"Reply with a number 1-{count}."
    else:
        hint = "Balas dengan angka 1." if count == 1 else f"Balas dengan angka 1-{count}."
    body = (text or "").strip()
    return "\n\n".join(part for part in (body, "\n".join(lines), hint) if part)


def digit_to_payload(reply: str, payloads: Sequence[str]) -> str | None:
    """Map a reply like '2', ' 2. ' or '(2)' to the second payload; None when it is not such a reply."""
    match = _DIGIT_REPLY.match(reply or "")
    if not match:
        return None
    index = int(match.group(1))
    if 1 <= index <= len(payloads):
        return payloads[index - 1]
    return None


def truncate_title(title: str, limit: int = QUICK_REPLY_TITLE_MAX) -> str:
    """A quick-reply title within the provider's limit, cut at a word with an ellipsis when needed."""
    title = " ".join(str(title).split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut and cut.rfind(" ") >= limit // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…"


def quick_replies(buttons: Sequence[Mapping[str, Any]]) -> list[dict[str, str]] | None:
    """Messenger/Instagram quick replies, or None when there are more than 13 (use a numbered list)."""
    if not buttons or len(buttons) > QUICK_REPLY_MAX:
        return None
    return [{"content_type": "text", "title": truncate_title(button_title(b)),
             "payload": button_payload(b)[:1000]} for b in buttons]


# ---------------------------------------------------------------------------------------------
# signatures (constant-time)

def twilio_signature(auth_token: str, url: str, params: Mapping[str, Any]) -> str:
    """Twilio's X-Twilio-Signature: base64(HMAC-SHA1(token, url + each key + its sorted unique values))."""
    data = url
    for key in sorted(set(params)):
        values = params[key]
        if not isinstance(values, (list, tuple)):
            values = [values]
        for value in sorted({str(v) for v in values}):
            data += f"{key}{value}"
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_port_variants(url: str) -> list[str]:
    """The URL with and without its default port: Twilio signs either form depending on the set-up."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        return [url, urlunsplit(parts._replace(netloc=host))]
    port = 443 if parts.scheme == "https" else 80
    return [url, urlunsplit(parts._replace(netloc=f"{host}:{port}"))]


def verify_twilio_signature(auth_token: str | None, url: str, params: Mapping[str, Any],
                            signature: str | None) -> bool:
    """Constant-time check of X-Twilio-Signature against the public URL Twilio called."""
    if not auth_token or not signature:
        return False
    ok = False
    for candidate in _url_port_variants(url):
        ok |= hmac.compare_digest(twilio_signature(auth_token, candidate, params).encode(), _raw(signature))
    return ok


def meta_signature(app_secret: str, body: bytes) -> str:
    """Meta's X-Hub-Signature-256 header value for a raw request body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_meta_signature(app_secret: str | None, body: bytes, header: str | None) -> bool:
    if not app_secret or not header:
        return False
    return hmac.compare_digest(meta_signature(app_secret, body).encode(), _raw(header.strip()))


def verify_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time equality for shared secrets; an unconfigured secret never verifies."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), _raw(given))


def _raw(header: str) -> bytes:
    """A header value as the bytes that came in. Sanic keeps non-UTF-8 bytes as lone surrogates, which
    a plain .encode() refuses (a 500 on a forged header before this); such a value simply never matches."""
    return header.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------------------
# attachments

def attachment_kind(mime_type: str | None) -> str:
    """'image', 'video', 'audio', 'contact' or 'document' from a MIME type."""
    mime = (mime_type or "").lower()
    for prefix in ("image", "video", "audio"):
        if mime.startswith(prefix + "/"):
            return prefix
    if "vcard" in mime:
        return "contact"
    return "document"


def unsupported_notice(language: str = "id") -> str:
    if language == "en":
        return ("Sorry, we cannot process this kind of message. Please send text, a photo, a document "
                "or a location.")
    return ("Mohon maaf, jenis pesan ini belum dapat kami proses. Silakan kirim teks, foto, dokumen, "
            "atau lokasi.")


def edit_notice(language: str = "id") -> str:
    if language == "en":
        return "We cannot process edited messages. Please send your correction as a new message."
    return "Mohon maaf, pesan yang diubah tidak dapat kami proses. Silakan kirim koreksinya sebagai pesan baru."


def first(items: Iterable[Any], default: Any = None) -> Any:
    return next(iter(items), default)
