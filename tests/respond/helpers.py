"""Make a published survey, a contact and invitations for respondent tests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import msgspec

from surveyor.contacts import store as contacts
from surveyor.db import Database, Tx
from surveyor.ids import iso, now_iso, utcnow
from surveyor.invitations import store as invitations
from surveyor.surveys import store as surveys
from surveyor.surveys.models import SurveyDefinition, SurveyVersion
from surveyor.surveys.templates_lib import template_definition


def nps_definition(**changes: Any) -> SurveyDefinition:
    """The NPS template: score, reason by group (improve ≤ 6, higher 7–8, right ≥ 9), topics."""
    definition = template_definition("nps")
    data = msgspec.to_builtins(definition)
    data["settings"] = {**data.get("settings", {}), **changes.pop("settings", {})}
    data.update(changes)
    return msgspec.convert(data, SurveyDefinition)


async def published(db: Database, definition: SurveyDefinition | None = None) -> SurveyVersion:
    survey = await surveys.create_survey(
        db, name="Test NPS", definition=definition or nps_definition()
    )
    version, _ = await surveys.publish(db, survey.id, definition or nps_definition())
    return version


async def invite(
    db: Database,
    version: SurveyVersion,
    *,
    external_id: str = "cust-1",
    locale: str = "",
    expires_in: timedelta | None = timedelta(days=7),
    properties: dict[str, Any] | None = None,
    name: str = "Ada",
) -> tuple[str, str]:
    """A new invitation; returns (raw token, contact id)."""

    async def unit(tx: Tx) -> tuple[str, str]:
        contact = await contacts.upsert_contact(
            tx, external_id, email=f"{external_id}@example.com", name=name, locale=locale or None
        )
        token = await invitations.create_invitation(
            tx,
            survey_id=version.survey_id,
            survey_version_id=version.id,
            contact_id=contact.id,
            channel="email",
            send_at=now_iso(),
            expires_at=iso(utcnow() + expires_in) if expires_in is not None else None,
            checkpoint_key="order_delivered",
            locale=locale,
            properties=properties or {"order_id": "A-17"},
            status="sent",
        )
        return token, contact.id

    return await db.write(unit)


STEP = re.compile(r'name="step" value="([^"]*)"')


def step_of(html: str) -> str:
    match = STEP.search(html)
    assert match, html[:2000]
    return match.group(1)


async def count(db: Database, sql: str, params: tuple[Any, ...] = ()) -> int:
    return int(await db.fetch_val(sql, params))
