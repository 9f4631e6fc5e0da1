"""Build real responses (survey, contact, invitation, completion) for follow-up tests."""

from __future__ import annotations

import secrets
from typing import Any

from surveyor.contacts import store as contacts
from surveyor.db import Tx
from surveyor.followups import opening
from surveyor.ids import now_iso
from surveyor.respond import store as respond
from surveyor.respond.completion import on_completion
from surveyor.respond.models import NewResponse
from surveyor.surveys import store as surveys
from surveyor.surveys.models import SurveyVersion
from surveyor.surveys.templates_lib import template_definition


async def nps_version(db: Any) -> SurveyVersion:
    definition = template_definition("nps")
    survey = await surveys.create_survey(db, name="NPS", definition=definition)
    version, _ = await surveys.publish(db, survey.id, definition)
    return version


async def contact(db: Any, external_id: str = "", **attributes: Any) -> Any:
    external_id = external_id or "c-" + secrets.token_hex(3)

    async def unit(tx: Tx) -> Any:
        return await contacts.upsert_contact(
            tx, external_id, email=f"{external_id}@example.com", name="Ada", attributes=attributes
        )

    return await db.write(unit)


async def answer(
    svc: Any,
    version: SurveyVersion,
    who: Any,
    score: int,
    comment: str = "",
    *,
    checkpoint: str = "order_delivered",
    invitation_id: str | None = None,
    on_complete: list[Any] | None = None,
) -> Any:
    """Complete one response through the respondent store, with the follow-up callback
    running inside its transaction (as the app wires it)."""
    db = svc.db
    if invitation_id is None:

        async def unit(tx: Tx) -> str:
            inv = "inv-" + secrets.token_hex(6)
            await respond.create_invitation(
                tx,
                survey_id=version.survey_id,
                survey_version_id=version.id,
                contact_id=who.id,
                channel="email",
                send_at=now_iso(),
                checkpoint_key=checkpoint,
                status="sent",
                invitation_id=inv,
            )
            return inv

        invitation_id = await db.write(unit)
    answers: dict[str, Any] = {"score": score}
    if comment:
        answers["improve" if score <= 6 else "higher" if score <= 8 else "right"] = comment
    new = NewResponse(
        invitation_id=invitation_id,
        survey_id=version.survey_id,
        survey_version_id=version.id,
        contact_id=who.id,
        checkpoint_key=checkpoint,
        channel="email",
    )
    listeners = [opening.completion_listener(svc)] if on_complete is None else on_complete
    result = await respond.save_answers(
        db,
        new,
        answers,
        step="score",
        complete=True,
        scores={"nps": score, "ces": None, "csat": None, "emotion": None},
        on_complete=on_completion(svc, version, contact=who, listeners=listeners),
    )
    return result.response
