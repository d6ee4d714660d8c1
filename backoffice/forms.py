"""Reading form fields defensively: no field may turn bad input into a 500."""
from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData


class FormError(ValueError):
    """A field is missing, too long or malformed; the message (Indonesian) is shown on the form."""


async def read_form(request: Request) -> FormData:
    """The submitted form, or an empty one for a body that is not a form."""
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data"):
        return await request.form()
    return FormData()


def text_field(form: FormData, name: str, label: str, max_length: int, strip: bool = True) -> str:
    """A text field ("" when absent); FormError when it is too long or is a file upload."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FormError(f"Isian '{label}' tidak valid.")
    if strip:
        value = value.strip()
    if len(value) > max_length:
        raise FormError(f"Isian '{label}' terlalu panjang (maksimal {max_length} karakter).")
    return value
