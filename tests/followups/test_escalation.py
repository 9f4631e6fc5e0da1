"""SLA warnings and escalation with a frozen clock: the outbox jobs, not sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from surveyor.auth import store as auth
from surveyor.delivery.store import claim_due_jobs
from surveyor.followups import notify, opening, service, store
from surveyor.followups.service import Actor

from .helpers import answer, contact, nps_version

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


async def opened_case(services: Any, score: int = 5, comment: str = "") -> Any:
    version = await nps_version(services.db)

    async def at_opening(tx: Any, response: Any) -> None:
        await opening.open_case_in_tx(tx, services, response, now=OPENED)

    response = await answer(
        services, version, await contact(services.db), score, comment, on_complete=[at_opening]
    )
    return await store.case_for_response(services.db, response.id)


async def jobs(db: Any, kind: str) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT kind, payload, run_at, channel FROM jobs WHERE kind = ? ORDER BY run_at", (kind,)
    )


async def test_sla_checks_are_queued_at_the_warn_and_due_instants(
    make_settings: Any, services: Any
) -> None:
    case = await opened_case(services)
    # NPS 5: normal, 48 h; warned 4 h before.
    assert case.due_at.startswith("2026-03-04T09:00")
    assert case.warn_at.startswith("2026-03-04T05:00")
    checks = await jobs(services.db, notify.SLA_JOB)
    assert [j["run_at"][:16] for j in checks] == ["2026-03-04T05:00", "2026-03-04T09:00"]
    # Nothing is due before the warn instant; a worker at the due time claims both.
    assert (
        await claim_due_jobs(
            services.db,
            "w",
            kinds=(notify.SLA_JOB,),
            limit=10,
            lease_seconds=30,
            now=OPENED + timedelta(hours=40),
        )
        == []
    )
    claimed = await claim_due_jobs(
        services.db,
        "w",
        kinds=(notify.SLA_JOB,),
        limit=10,
        lease_seconds=30,
        now=OPENED + timedelta(hours=48),
    )
    assert len(claimed) == 2


async def test_warning_goes_to_the_owner_and_breach_escalates_to_admins(services: Any) -> None:
    owner = await auth.create_user(
        services.db,
        email="mia@example.com",
        role="manager",
        name="Mia",
        password_hash="x",
    )
    await auth.update_user(services.db, owner.id, notify_url="json://127.0.0.1:9/mia")
    await auth.create_user(
        services.db, email="boss@example.com", role="admin", name="Boss", password_hash="x"
    )
    case = await opened_case(services)
    assert case.assignee_id == owner.id
    before = len(await jobs(services.db, notify.NOTIFY_JOB))
    # Too early: the frozen clock is before the warn instant.
    assert not await notify.check_sla(
        services, case.id, "warn", case.due_at, now=OPENED + timedelta(hours=43)
    )
    assert await notify.check_sla(
        services, case.id, "warn", case.due_at, now=OPENED + timedelta(hours=44)
    )
    notices = await jobs(services.db, notify.NOTIFY_JOB)
    assert len(notices) == before + 1
    assert "mia" in notices[-1]["payload"] and "boss" not in notices[-1]["payload"]
    assert await notify.check_sla(
        services, case.id, "breach", case.due_at, now=OPENED + timedelta(hours=48)
    )
    events = [e.body for e in await store.timeline(services.db, case.id) if e.kind == "sla"]
    assert events == ["SLA about to be breached", "SLA breached: escalated to the admins"]


async def test_a_closed_or_reopened_case_is_not_escalated_on_its_old_deadline(
    services: Any,
) -> None:
    case = await opened_case(services)
    me = Actor(user_id=None, label="t")
    await service.change_status(
        services, case.id, "resolved", me, root_cause="other", outcome="fixed"
    )
    assert not await notify.check_sla(
        services, case.id, "breach", case.due_at, now=OPENED + timedelta(days=9)
    )
    fresh = await service.reopen(services, case.id, me)
    assert fresh.due_at != case.due_at
    assert not await notify.check_sla(
        services, case.id, "breach", case.due_at, now=OPENED + timedelta(days=90)
    )


async def test_new_case_email_goes_to_the_owner_through_the_email_channel(
    make_settings: Any,
) -> None:
    from surveyor.app import build_services, start_services

    svc = build_services(make_settings(email_url="mailto://127.0.0.1:2525?from=s@example.com"))
    await start_services(svc)
    try:
        await auth.create_user(
            svc.db, email="mia@example.com", role="manager", name="Mia", password_hash="x"
        )
        await opened_case(svc, 2, "<script>alert(1)</script>")
        mails = await jobs(svc.db, "message.send")
        assert len(mails) == 1 and "mia@example.com" in mails[0]["payload"]
    finally:
        await svc.db.close()
