"""Reading form fields defensively: no field may turn bad input into a 500."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.datastructures import FormData

MAX_RECORD_ID = 2**31 - 1  # larger numbers overflow the databases' integer columns (a 500 before this)
# A record id in an address (/staff/users/{user_id}/...): anything else is a 404, never a database error.
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]
# A cursor in a query string (?after=N): a whole number the database can compare, else a 400.
Cursor = Annotated[int, Query(ge=0, le=MAX_RECORD_ID)]


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
