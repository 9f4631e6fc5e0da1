"""Cases on both backends: opened with the response, owned, moved, closed, reopened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from surveyor.auth import store as auth
from surveyor.followups import opening, rules_store, service, store
from surveyor.followups.models import BusinessCalendar, FollowupRule, ScoreBand, SlaHours
from surveyor.followups.service import Actor, CaseError

from .helpers import answer, contact, nps_version

ME = Actor(user_id=None, label="test")


async def manager(db: Any, email: str, role: str = "manager") -> Any:
    return await auth.create_user(db, email=email, role=role, name=email, password_hash="x")


async def test_a_detractor_opens_a_case_and_a_promoter_does_not(services: Any) -> None:
    version = await nps_version(services.db)
    who = await contact(services.db)
    low = await answer(services, version, who, 2, "Late and broken")
    high = await answer(services, version, await contact(services.db), 10)
    case = await store.case_for_response(services.db, low.id)
    assert case is not None and case.status == "new" and case.priority == "high"
    assert case.team_queue and case.assignee_id is None  # no managers yet
    assert await store.case_for_response(services.db, high.id) is None
    events = await store.timeline(services.db, case.id)
    assert [e.kind for e in events] == ["open"]


async def test_the_account_manager_owns_the_case_and_vip_raises_priority(services: Any) -> None:
    await manager(services.db, "ann@example.com")
    bob = await manager(services.db, "bob@example.com")
    version = await nps_version(services.db)
    who = await contact(services.db, account_manager="BOB@example.com", tier="vip")
    response = await answer(services, version, who, 5)
    case = await store.case_for_response(services.db, response.id)
    assert case.assignee_id == bob.id and not case.team_queue
    assert case.priority == "high"  # normal (NPS 4–6) raised one level for a VIP


async def test_round_robin_is_fair_across_real_cases(services: Any) -> None:
    team = [await manager(services.db, f"m{i}@example.com") for i in range(3)]
    version = await nps_version(services.db)
    owners = []
    for _ in range(9):
        response = await answer(services, version, await contact(services.db), 3)
        owners.append((await store.case_for_response(services.db, response.id)).assignee_id)
    assert sorted(owners) == sorted([m.id for m in team] * 3)
    assert owners[:3] == sorted(m.id for m in team)


async def test_a_keyword_rule_scoped_to_a_checkpoint_opens_a_case(services: Any) -> None:
    rule = FollowupRule(
        name="refunds",
        checkpoint_id="ticket_closed",
        bands=(),
        keywords=("refund",),
        keyword_priority="urgent",
    )
    await services.db.write(lambda tx: rules_store.save_rule(tx, rule))
    version = await nps_version(services.db)
    hit = await answer(
        services,
        version,
        await contact(services.db),
        8,
        "I want a Refund!",
        checkpoint="ticket_closed",
    )
    miss = await answer(
        services, version, await contact(services.db), 2, "bad", checkpoint="order_delivered"
    )
    case = await store.case_for_response(services.db, hit.id)
    assert case.priority == "urgent" and case.rule_id
    # Once a rule exists, the built-in default no longer applies.
    assert await store.case_for_response(services.db, miss.id) is None


async def test_statuses_move_with_validation_and_closing_needs_a_root_cause(services: Any) -> None:
    ann = await manager(services.db, "ann@example.com")
    version = await nps_version(services.db)
    response = await answer(services, version, await contact(services.db), 1)
    case = await store.case_for_response(services.db, response.id)
    me = Actor(user_id=ann.id, label=ann.email)
    await service.change_status(services, case.id, "in_progress", me)
    await service.change_status(services, case.id, "waiting", me)
    with pytest.raises(CaseError) as missing:
        await service.change_status(services, case.id, "closed", me, outcome="called")
    assert missing.value.field == "root_cause"
    with pytest.raises(CaseError) as no_outcome:
        await service.change_status(
            services, case.id, "closed", me, root_cause="billing or pricing"
        )
    assert no_outcome.value.field == "outcome"
    closed = await service.change_status(
        services, case.id, "closed", me, root_cause="billing or pricing", outcome="refund refused"
    )
    assert closed.status == "closed" and closed.closed_at and closed.first_action_at
    with pytest.raises(CaseError) as stuck:
        await service.change_status(services, case.id, "in_progress", me)
    assert stuck.value.conflict
    reopened = await service.reopen(services, case.id, me, note="customer called back")
    assert reopened.status == "in_progress" and reopened.closed_at is None
    kinds = [e.kind for e in await store.timeline(services.db, case.id)]
    assert kinds == ["open", "status", "status", "status", "reopen"]


async def test_notes_and_reassignment_are_on_the_timeline(services: Any) -> None:
    ann = await manager(services.db, "ann@example.com")
    bob = await manager(services.db, "bob@example.com")
    version = await nps_version(services.db)
    response = await answer(services, version, await contact(services.db), 0)
    case = await store.case_for_response(services.db, response.id)
    me = Actor(user_id=ann.id, label=ann.email)
    await service.add_note(services, case.id, "called, no answer", me)
    other = bob if case.assignee_id == ann.id else ann
    moved = await service.assign(services, case.id, other.id, me)
    assert moved.assignee_id == other.id and not moved.team_queue
    queued = await service.assign(services, case.id, None, me)
    assert queued.team_queue and queued.assignee_id is None
    with pytest.raises(CaseError):
        await service.assign(services, case.id, "nobody", me)
    events = await store.timeline(services.db, case.id)
    assert [e.kind for e in events] == ["open", "note", "assign", "assign"]
    assert events[1].body == "called, no answer"


async def test_a_failing_case_rolls_the_response_back(services: Any) -> None:
    """Crash safety: the case is part of the completing unit, so if opening it fails
    the response is not committed as complete either (never a matching response alone)."""
    version = await nps_version(services.db)
    who = await contact(services.db)

    async def broken(tx: Any, response: Any) -> None:
        await opening.open_case_in_tx(tx, services, response)
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        await answer(services, version, who, 2, on_complete=[broken])
    assert await services.db.fetch_val("SELECT count(*) FROM followups") == 0
    assert (
        await services.db.fetch_val("SELECT count(*) FROM responses WHERE status = 'complete'") == 0
    )


async def test_every_complete_matching_response_has_its_case(services: Any) -> None:
    version = await nps_version(services.db)
    for score in range(11):
        await answer(services, version, await contact(services.db), score)
    orphans = await services.db.fetch_val(
        "SELECT count(*) FROM responses r LEFT JOIN followups f ON f.response_id = r.id"
        " WHERE r.status = 'complete' AND r.nps <= 6 AND f.id IS NULL"
    )
    assert orphans == 0
    assert await services.db.fetch_val("SELECT count(*) FROM followups") == 7


async def test_business_hours_sla_skips_the_weekend(services: Any) -> None:
    rule = FollowupRule(
        name="office",
        bands=(ScoreBand(metric="nps", low=0, high=6, priority="normal"),),
        boosts=(),
        sla_hours=SlaHours(normal=8),
        calendar=BusinessCalendar(),
    )
    await services.db.write(lambda tx: rules_store.save_rule(tx, rule))
    version = await nps_version(services.db)
    who = await contact(services.db)
    friday_4pm = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)

    async def at_friday(tx: Any, response: Any) -> None:
        await opening.open_case_in_tx(tx, services, response, now=friday_4pm)

    response = await answer(services, version, who, 5, on_complete=[at_friday])
    case = await store.case_for_response(services.db, response.id)
    # 1 h on Friday, 7 h on Monday 09:00–16:00; warned 4 business hours before.
    assert case.due_at.startswith("2026-11-23T16:00")
    assert case.warn_at.startswith("2026-11-23T12:00")


async def test_the_team_queue_setting_skips_the_rotation_but_not_the_account_manager(
    make_settings: Any,
) -> None:
    from surveyor.app import build_services, start_services

    svc = build_services(make_settings(followup_assignment="queue"))
    await start_services(svc)
    try:
        ann = await manager(svc.db, "ann@example.com")
        version = await nps_version(svc.db)
        nobody = await answer(svc, version, await contact(svc.db), 3)
        owned = await answer(svc, version, await contact(svc.db, account_manager=ann.email), 3)
        queued = await store.case_for_response(svc.db, nobody.id)
        assert queued.team_queue and queued.assignee_id is None
        assert (await store.case_for_response(svc.db, owned.id)).assignee_id == ann.id
    finally:
        await svc.db.close()
