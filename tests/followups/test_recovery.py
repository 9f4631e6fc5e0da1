"""The recovery re-survey: sent on resolve, answered, and the case says if the customer
was won back."""

from __future__ import annotations

from typing import Any

from surveyor.checkpoints.models import CheckpointIn
from surveyor.checkpoints.store import create_checkpoint
from surveyor.followups import rules_store, service, store
from surveyor.followups.models import FollowupRule
from surveyor.followups.service import Actor
from surveyor.surveys import store as surveys

from .helpers import answer, contact, nps_version

ME = Actor(user_id=None, label="t")


async def resolved_case(services: Any, *, recovery: bool = True) -> Any:
    version = await nps_version(services.db)
    await create_checkpoint(
        services.db,
        CheckpointIn(key="order_delivered", name="Delivered", survey_id=version.survey_id),
    )
    rule = FollowupRule(name="r", recovery_survey=recovery)
    await services.db.write(lambda tx: rules_store.save_rule(tx, rule))
    who = await contact(services.db)
    response = await answer(services, version, who, 3, "broken")
    case = await store.case_for_response(services.db, response.id)
    done = await service.change_status(
        services, case.id, "resolved", ME, root_cause="product defect", outcome="replaced"
    )
    return version, who, done


async def test_resolving_sends_did_we_resolve_this_with_the_score_question(services: Any) -> None:
    version, who, case = await resolved_case(services)
    assert case.recovery_invitation_id
    invitation = await services.db.fetch_one(
        "SELECT survey_id, survey_version_id, contact_id, checkpoint_key FROM invitations WHERE id = ?",
        (case.recovery_invitation_id,),
    )
    assert invitation["contact_id"] == who.id and invitation["checkpoint_key"] == "order_delivered"
    companion = await surveys.get_version(services.db, invitation["survey_version_id"])
    assert [q.id for q in companion.definition.questions] == ["resolved", "score"]
    assert companion.definition.questions[0].text["en"] == "Did we resolve this for you?"
    assert companion.survey_id != version.survey_id
    job = await services.db.fetch_val(
        "SELECT kind FROM jobs WHERE dedupe_key = ?",
        (f"invitation.send:{case.recovery_invitation_id}",),
    )
    assert job == "invitation.send"
    # A second resolved case reuses the same companion survey.
    again = await answer(services, version, await contact(services.db), 1)
    other = await store.case_for_response(services.db, again.id)
    other = await service.change_status(
        services, other.id, "resolved", ME, root_cause="other", outcome="x"
    )
    second = await services.db.fetch_val(
        "SELECT survey_id FROM invitations WHERE id = ?", (other.recovery_invitation_id,)
    )
    assert second == invitation["survey_id"]


async def test_a_promoter_answer_marks_the_customer_won_back(services: Any) -> None:
    _, who, case = await resolved_case(services)
    inv = await services.db.fetch_one(
        "SELECT survey_id, survey_version_id FROM invitations WHERE id = ?",
        (case.recovery_invitation_id,),
    )
    companion = await surveys.get_version(services.db, inv["survey_version_id"])
    reply = await answer(services, companion, who, 9, invitation_id=case.recovery_invitation_id)
    after = await store.get_case(services.db, case.id)
    assert after.recovered is True and after.recovery_response_id == reply.id
    # The recovery answer never opens a case of its own.
    assert await store.case_for_response(services.db, reply.id) is None
    assert [e.kind for e in await store.timeline(services.db, case.id)][-1] == "recovery"


async def test_still_a_detractor_is_not_won_back(services: Any) -> None:
    _, who, case = await resolved_case(services)
    inv = await services.db.fetch_one(
        "SELECT survey_version_id FROM invitations WHERE id = ?", (case.recovery_invitation_id,)
    )
    companion = await surveys.get_version(services.db, inv["survey_version_id"])
    await answer(services, companion, who, 4, invitation_id=case.recovery_invitation_id)
    assert (await store.get_case(services.db, case.id)).recovered is False


async def test_no_recovery_survey_unless_the_rule_asks(services: Any) -> None:
    _, _, case = await resolved_case(services, recovery=False)
    assert case.recovery_invitation_id is None
