"""How a ``responses`` row becomes a :class:`Response`: shared by the respond store and
the invitations store (which reads a link's response in the same query as its invitation)."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.respond.models import Response

RESPONSE_COLUMNS = (
    "id, invitation_id, public_slug, survey_id, survey_version_id, contact_id, checkpoint_key,"
    " channel, locale, hidden, status, current_step, started_at, updated_at, completed_at,"
    " nps, ces, csat, emotion"
)


def response_from_row(row: dict[str, Any]) -> Response:
    hidden = msgspec.json.decode(row["hidden"] or "{}")
    return msgspec.convert({**row, "hidden": hidden}, Response, strict=False)
