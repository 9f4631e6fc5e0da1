"""Form helpers shared by staff pages: read a form once, explain msgspec errors to people."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException


async def read_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted form as a dict (a repeated field becomes a list)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise ClientException(
            detail="body: expected a form (application/x-www-form-urlencoded)", status_code=415
        )
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        data[key] = values[0] if len(values) == 1 else values
    return data


def form_errors(exc: msgspec.ValidationError) -> str:
    """``Expected `str` of length >= 10 - at `$.password``` → ``password: expected …``."""
    message = str(exc)
    text, sep, where = message.rpartition(" - at `$.")
    if sep:
        field = where.rstrip("`")
        return f"{field}: {text[0].lower() + text[1:]}"
    return message
