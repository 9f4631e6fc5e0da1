"""The recovery re-survey: "Did we resolve this for you?" plus the original score question.

For each survey whose cases ask for it, a small companion survey is made once (and
published) from the original's latest version: a yes/no question, then the first
score question of the original, word for word and in every language it had, so the
two answers are comparable. Its id is kept in ``meta`` under
``followups.recovery_survey:<survey id>``. It is made before the resolving unit of
work (which must do database work only), and that unit invites the customer to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from surveyor.checkpoints.store import get_checkpoint
from surveyor.contacts.store import get_contact
from surveyor.db import Tx
from surveyor.delivery.channels import channels
from surveyor.followups import context_store, rules_store, store
from surveyor.followups.models import Followup
from surveyor.ids import utcnow
from surveyor.invitations.jobs import schedule_invitation
from surveyor.surveys import store as surveys
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry
from surveyor.surveys.models import SurveyDefinition, definition_from_json

if TYPE_CHECKING:
    from surveyor.services import Services

SCORE_KINDS = ("nps", "ces", "csat", "emotion")
ASK = {
    "en": "Did we resolve this for you?",
    "de": "Haben wir das für Sie gelöst?",
    "fr": "Avons-nous résolu cela pour vous ?",
    "es": "¿Lo hemos resuelto para usted?",
    "zh_Hans": "我们为您解决了这个问题吗？",
}
YES = {"en": "Yes", "de": "Ja", "fr": "Oui", "es": "Sí", "zh_Hans": "是"}
NO = {"en": "No", "de": "Nein", "fr": "Non", "es": "No", "zh_Hans": "否"}


def _meta_key(survey_id: str) -> str:
    return f"followups.recovery_survey:{survey_id}"


def recovery_definition(
    original: SurveyDefinition, kinds: KindRegistry = DEFAULT_KINDS
) -> SurveyDefinition | None:
    """The companion definition, or None when the original has no question feeding a
    metric (a score question)."""
    score = next(
        (q for q in original.questions if getattr(kinds.get(q.kind), "metric", None)), None
    )
    if score is None:
        return None
    locales = list(original.locales) or [original.default_locale]

    def words(table: dict[str, str]) -> dict[str, str]:
        return {loc: table.get(loc, table["en"]) for loc in locales}

    data = msgspec.to_builtins(original)
    data["questions"] = [
        {
            "id": "resolved",
            "kind": "single_choice",
            "text": words(ASK),
            "required": True,
            "options": [{"id": "yes", "label": words(YES)}, {"id": "no", "label": words(NO)}],
        },
        msgspec.to_builtins(score),
    ]
    data["endings"] = []
    data["title"] = words(ASK)
    data.pop("intro", None)
    return msgspec.convert(data, SurveyDefinition)


async def recovery_version(svc: Services, survey_id: str) -> tuple[str, str] | None:
    """``(survey id, version id)`` of ``survey_id``'s recovery survey, made on first use."""
    db = svc.db
    known = await context_store.meta_value(db, _meta_key(survey_id))
    if known:
        version = await surveys.get_published_version(db, known)
        if version is not None:
            return version.survey_id, version.id
    row = await context_store.latest_version(db, survey_id)
    if row is None:
        return None
    definition = recovery_definition(definition_from_json(row["definition"]))
    if definition is None:
        return None
    made = await surveys.create_survey(
        db, name=f"Recovery: {row['name']}"[:200], definition=definition
    )
    version, _ = await surveys.publish(db, made.id, definition)

    await db.write(lambda tx: context_store.set_meta_value(tx, _meta_key(survey_id), made.id))
    return version.survey_id, version.id


# -- sending and linking -------------------------------------------------------------


def _category(nps: int | None) -> str | None:
    if nps is None:
        return None
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


async def record_recovery_in_tx(tx: Tx, response: Any) -> bool:
    """If ``response`` answers a case's recovery survey, link it and say whether the
    customer was won back (NPS detractor → passive/promoter; other metrics: out of the
    low band). True when it was a recovery answer."""
    if not response.invitation_id:
        return False
    case = await store.case_for_recovery_invitation(tx, response.invitation_id)
    if case is None:
        return False
    before = await context_store.scores_of(tx, case.response_id)
    won = won_back(before or {}, response)
    await store.update_case(tx, case.id, recovery_response_id=response.id, recovered=won)
    await store.add_event(
        tx,
        case.id,
        "recovery",
        actor_id=None,
        body="the customer answered the recovery survey: "
        + ("won back" if won else "not won back"),
        detail={"response_id": response.id, "nps": response.nps},
    )
    return True


def won_back(before: dict[str, Any], after: Any) -> bool:
    if before.get("nps") is not None and after.nps is not None:
        return _category(before["nps"]) == "detractor" and _category(after.nps) != "detractor"
    for metric, good in (("ces", 5), ("csat", 4), ("emotion", 8)):
        if before.get(metric) is not None and getattr(after, metric) is not None:
            return getattr(after, metric) >= good
    return False


async def recovery_survey_for(svc: Services, case_id: str) -> tuple[str, str] | None:
    """The recovery survey to send if this case's rule asks for one (made before the
    resolving unit, which may only do database work)."""
    case = await store.get_case(svc.db, case_id)
    if case is None or not case.checkpoint_key:
        return None
    if not (await rules_store.rule_or_default(svc.db, case.rule_id)).recovery_survey:
        return None
    return await recovery_version(svc, case.survey_id)


async def send_recovery_in_tx(
    tx: Tx, svc: Services, case: Followup, stamp: str, companion: tuple[str, str] | None
) -> None:
    """Invite the customer to the recovery survey ("Did we resolve this for you?" and
    the score question again; the checkpoint's own survey if none could be made)
    through the checkpoint's channels, if the rule asks for it."""
    rule = await rules_store.rule_or_default(tx, case.rule_id)
    if not rule.recovery_survey or not case.contact_id or not case.checkpoint_key:
        return
    contact = await get_contact(tx, case.contact_id)
    checkpoint = await get_checkpoint(tx, case.checkpoint_key)
    if contact is None or not contact.reachable or checkpoint is None or not checkpoint.survey_id:
        reason = "no reachable contact or checkpoint survey"
        await store.add_event(
            tx, case.id, "recovery", actor_id=None, body=f"recovery survey not sent: {reason}"
        )
        return
    if companion is not None:
        checkpoint = msgspec.structs.replace(checkpoint, survey_id=companion[0])
    version_id = await context_store.latest_version_id(tx, checkpoint.survey_id)
    picked = channels(svc).pick(contact, checkpoint.channels)
    if version_id is None or picked is None:
        await store.add_event(
            tx,
            case.id,
            "recovery",
            actor_id=None,
            body="recovery survey not sent: no published survey or channel",
        )
        return
    invitation = await schedule_invitation(
        tx,
        svc,
        checkpoint=checkpoint,
        version_id=version_id,
        contact=contact,
        event_id=None,
        channel=picked[0].name,
        send_at=utcnow(),
        properties={"followup_id": case.id, "recovery": True},
    )
    await store.update_case(tx, case.id, recovery_invitation_id=invitation.id, updated_at=stamp)
    await store.add_event(
        tx,
        case.id,
        "recovery",
        actor_id=None,
        body=f"recovery survey sent by {invitation.channel}",
        detail={"invitation_id": invitation.id},
    )
