"""The plugin's part of the response records (``surveyor.services.ResponseExtension``):
sentiment, language and themes under ``extras.text`` on ``GET /api/v1/responses/{id}``
and in the response exports, and the feed's ``theme`` and ``sentiment`` filters."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from surveyor.services import ResponseExtension
from surveyor.web.errors import invalid
from surveyor_text import store

NAME = "text"
LABELS = ("negative", "neutral", "positive")
MAX_THEME = 100


def theme_value(raw: str) -> str:
    value = " ".join(raw.split())
    if not value or len(value) > MAX_THEME:
        raise invalid("theme", f"a theme name of 1 to {MAX_THEME} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise invalid("theme", "must not contain control characters")
    return value


def condition(values: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """``theme`` (a theme name) and ``sentiment`` (negative/neutral/positive) → the ids
    of the responses whose comment has them; a bad value is a 400 naming its parameter."""
    clauses: list[str] = []
    params: list[Any] = []
    if "sentiment" in values:
        if values["sentiment"] not in LABELS:
            raise invalid("sentiment", f"one of {', '.join(LABELS)}")
        clauses.append("ta.sentiment_label = ?")
        params.append(values["sentiment"])
    if "theme" in values:
        clauses.append(
            "ta.response_id IN (SELECT tt.response_id FROM text_response_themes tt"
            " WHERE tt.theme = ?)"
        )
        params.append(theme_value(values["theme"]))
    return (
        f"SELECT ta.response_id FROM text_analyses ta WHERE {' AND '.join(clauses)}",
        tuple(params),
    )


async def extras(db: Any, response_ids: list[str]) -> dict[str, dict[str, Any]]:
    return await store.analyses_brief(db, response_ids)


EXTENSION = ResponseExtension(
    name=NAME,
    extras=extras,
    columns=("sentiment", "label", "language", "themes"),
    params=("theme", "sentiment"),
    condition=condition,
)
