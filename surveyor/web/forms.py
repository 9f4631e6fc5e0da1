"""Form helpers shared by staff pages: read a form once, explain msgspec errors to people."""

from __future__ import annotations

import re
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


# msgspec's messages, as sentences a person filling in a form understands (issue 13).
SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), sentence)
    for pattern, sentence in (
        (r"^Expected `array` of length >= 1$", "choose at least one."),
        (r"^Expected `array` of length >= (\d+)$", "choose at least {0}."),
        (r"^Expected `array` of length <= (\d+)$", "choose at most {0}."),
        (r"^Expected `str` of length >= 1$", "this cannot be empty."),
        (r"^Expected `str` of length >= (\d+)$", "use at least {0} characters."),
        (r"^Expected `str` of length <= (\d+)$", "use at most {0} characters."),
        (r"^Expected `(?:int|float)` >= (\S+)$", "enter {0} or more."),
        (r"^Expected `(?:int|float)` <= (\S+)$", "enter {0} or less."),
        (r"^Expected `int`, got `\w+`$", "enter a whole number."),
        (r"^Expected `float`, got `\w+`$", "enter a number."),
        (r"^Expected `bool`, got `\w+`$", "tick the box or leave it empty."),
        (r"^Expected `str` matching regex .*$", "this has characters that are not allowed here."),
        (r"^Invalid enum value (.*)$", "{0} is not one of the choices."),
    )
)


def _sentence(text: str) -> str:
    for pattern, sentence in SENTENCES:
        match = pattern.match(text)
        if match:
            return sentence.format(*match.groups())
    return text[0].lower() + text[1:] if text else text


def form_errors(exc: msgspec.ValidationError) -> str:
    """``Expected `str` of length >= 10 - at `$.password``` → ``password: use at least 10
    characters.`` — the field's name, then a sentence instead of msgspec's wording."""
    message = str(exc)
    text, sep, where = message.rpartition(" - at `$.")
    if sep:
        field = where.rstrip("`")
        return f"{field}: {_sentence(text)}"
    missing = re.match(r"^Object missing required field `(\w+)`", message)
    if missing:
        return f"{missing.group(1)}: this is required."
    unknown = re.match(r"^Object contains unknown field `(\w+)`", message)
    if unknown:
        return f"This form has no field `{unknown.group(1)}`; reload the page and try again."
    return message
