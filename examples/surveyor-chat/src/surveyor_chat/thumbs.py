"""The ``thumbs`` question kind: 👍 or 👎, stored as ``"up"`` or ``"down"``."""

from __future__ import annotations

from typing import Any

from surveyor.surveys.kinds import ALWAYS_OPS, CHOICE_OPS, AnswerError, QuestionKind

VALUES = ("up", "down")


def check_thumbs(question: Any, raw: Any) -> str:
    """A form posts ``"up"``/``"down"``; an API client may send ``true``/``false`` too."""
    if raw is True or raw is False:
        return "up" if raw else "down"
    if isinstance(raw, str) and raw.strip().lower() in VALUES:
        return raw.strip().lower()
    raise AnswerError("Choose thumbs up or thumbs down.")


def thumbs_text(question: Any, value: Any, locale: str) -> str:
    """How the answer prints in exports, webhooks and case pages."""
    return {"up": "👍 up", "down": "👎 down"}.get(value, str(value))


THUMBS = QuestionKind(
    name="thumbs",
    label="Thumbs up / down",
    check=check_thumbs,
    template="surveyor_chat/_question_thumbs.html",
    text=thumbs_text,
    operators=CHOICE_OPS | ALWAYS_OPS,  # display logic: eq "up", answered, …
    domain=lambda question: list(VALUES),
    default_text={"en": "Did we get it right?"},
)
