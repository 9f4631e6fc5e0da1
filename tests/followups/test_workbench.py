"""The workbench on both engines: replies through the outbox to a real SMTP server,
snoozing, bulk changes, reply templates and saved views."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest

from surveyor.app import build_services, start_services
from surveyor.auth import store as auth
from surveyor.delivery import store as outbox
from surveyor.delivery.channels import channels
from surveyor.delivery.worker import Worker
from surveyor.followups import store, workbench, workbench_store
from surveyor.followups.replies import ReplyPerson
from surveyor.followups.service import Actor, CaseError
from surveyor.followups.store import CaseFilter, Viewer
from surveyor.ids import iso, utcnow
from tests.delivery.servers import smtp_server

from .helpers import answer, contact, nps_version

ME = Actor(user_id=None, label="test")
AGENT = ReplyPerson(name="Mia", email="mia@example.com")
ALL = Viewer(user_id=None, admin=True)


@pytest.fixture
async def mailing(make_settings: Callable[..., Any]) -> AsyncIterator[tuple[Any, Any]]:
    """Services whose email channel points at a local aiosmtpd sink, with a Reply-To."""
    with smtp_server() as (sink, port):
        settings = make_settings(
            email_url=f"mailto://127.0.0.1:{port}?from=care@example.com&mode=insecure",
            reply_to="team@example.com",
        )
        svc = build_services(settings)
        await start_services(svc)
        try:
            yield svc, sink
        finally:
            await channels(svc).close()
            await svc.db.close()


async def a_case(svc: Any, **attributes: Any) -> Any:
    version = await nps_version(svc.db)
    who = await contact(svc.db, **attributes)
    response = await answer(svc, version, who, 2, "Parcel was broken")
    return await store.case_for_response(svc.db, response.id)


async def test_a_reply_reaches_the_smtp_server_and_the_timeline_says_sent(
    mailing: tuple[Any, Any],
) -> None:
    svc, sink = mailing
    case = await a_case(svc)
    await workbench.send_reply(
        svc,
        case.id,
        "About your {{ survey }} answer",
        "Hello {{ contact.name }}, sorry!",
        ME,
        AGENT,
    )
    (event,) = [e for e in await store.timeline(svc.db, case.id) if e.kind == "reply"]
    assert event.detail["status"] == "queued" and event.body == "Hello Ada, sorry!"
    job = await outbox.get_job(svc.db, event.detail["job_id"])
    assert job is not None and job.kind == "followup.reply" and job.subject_id == case.id

    assert await Worker(svc).run_until_idle() >= 1
    (envelope,) = [m for m in sink.messages if any("@example.com" in r for r in m.rcpt_tos)]
    mail = message_from_bytes(envelope.content)
    assert mail["Subject"] == "About your NPS answer"
    assert mail["Reply-To"] == "team@example.com"
    assert "care@example.com" in mail["From"]
    (event,) = [e for e in await store.timeline(svc.db, case.id) if e.kind == "reply"]
    assert event.detail["status"] == "sent"


async def test_a_refused_reply_is_failed_on_the_timeline_with_the_error(
    mailing: tuple[Any, Any],
) -> None:
    svc, sink = mailing
    case = await a_case(svc)
    sink.rcpt_replies = ["550 5.1.1 no such mailbox"] * 10
    await workbench.send_reply(svc, case.id, "Hi", "Sorry", ME, AGENT)
    await Worker(svc).run_until_idle()
    (event,) = [e for e in await store.timeline(svc.db, case.id) if e.kind == "reply"]
    assert event.detail["status"] == "failed"
    assert "550" in event.detail["error"]


@pytest.mark.parametrize("gone", ["unsubscribed_at", "erased_at", "email"])
async def test_no_reply_to_a_contact_who_cannot_be_emailed(services: Any, gone: str) -> None:
    case = await a_case(services)
    value = "" if gone == "email" else iso(utcnow())
    await services.db.write(
        lambda tx: tx.execute(
            f"UPDATE contacts SET {gone} = ? WHERE id = ?", (value, case.contact_id)
        )
    )
    with pytest.raises(CaseError) as caught:
        await workbench.send_reply(services, case.id, "Hi", "Sorry", ME, AGENT)
    assert caught.value.field == "contact" and caught.value.conflict
    assert [e.kind for e in await store.timeline(services.db, case.id)] == ["open"]
    assert await outbox.jobs_for_subject(services.db, "followup", case.id) == [] or all(
        j.kind != "followup.reply"
        for j in await outbox.jobs_for_subject(services.db, "followup", case.id)
    )


async def test_an_unknown_placeholder_names_the_field_and_stores_nothing(services: Any) -> None:
    case = await a_case(services)
    with pytest.raises(CaseError, match=r"^body: unknown placeholder \{\{ mood \}\}"):
        await workbench.send_reply(services, case.id, "Hi", "You seem {{ mood }}", ME, AGENT)
    assert [e.kind for e in await store.timeline(services.db, case.id)] == ["open"]


async def test_a_snoozed_case_leaves_the_inbox_until_its_day(services: Any) -> None:
    case = await a_case(services)
    now = utcnow()
    day = (now + timedelta(days=3)).date().isoformat()
    snoozed = await workbench.snooze(services, case.id, day, ME, now=now)
    assert snoozed.snoozed_until is not None and snoozed.snoozed_until[:10] == day
    inbox = CaseFilter(status="open", snooze="awake")
    assert (await store.list_cases(services.db, ALL, inbox, now=iso(now)))[0] == []
    listed, _ = await store.list_cases(services.db, ALL, CaseFilter(snooze="snoozed"), now=iso(now))
    assert [c.id for c in listed] == [case.id]
    counts = await store.inbox_counts(services.db, ALL, now=iso(now))
    assert counts["open"] == 0 and counts["snoozed"] == 1
    later = iso(now + timedelta(days=4))
    assert [c.id for c in (await store.list_cases(services.db, ALL, inbox, now=later))[0]] == [
        case.id
    ]
    await workbench.snooze(services, case.id, "", ME, now=now)
    kinds = [(e.kind, e.body) for e in await store.timeline(services.db, case.id)]
    assert kinds[-2:] == [("snooze", ""), ("snooze", "woken up")]


@pytest.mark.parametrize(
    ("day", "words"),
    [("tomorrow", "use a date"), ("2020-01-01", "after today"), ("2999-01-01", "365 days")],
)
async def test_a_bad_snooze_date_is_refused(services: Any, day: str, words: str) -> None:
    case = await a_case(services)
    with pytest.raises(CaseError) as caught:
        await workbench.snooze(services, case.id, day, ME)
    assert caught.value.field == "until" and words in caught.value.message
    assert (await store.get_case(services.db, case.id)).snoozed_until is None


async def test_bulk_close_changes_what_it_can_and_says_why_not(services: Any) -> None:
    first, second = await a_case(services), await a_case(services)
    await workbench.bulk_change(
        services, ALL, [second.id], "close", ME, root_cause="other", outcome="done"
    )
    results = await workbench.bulk_change(
        services,
        ALL,
        [first.id, second.id, "nope"],
        "close",
        ME,
        root_cause="other",
        outcome="called back",
    )
    assert [(r.case_id, r.ok) for r in results] == [
        (first.id, True),
        (second.id, False),
        ("nope", False),
    ]
    assert "already closed" in results[1].message and results[2].message == "no such case"
    assert (await store.get_case(services.db, first.id)).status == "closed"
    with pytest.raises(CaseError) as caught:
        await workbench.bulk_change(services, ALL, [first.id], "close", ME, root_cause="??")
    assert caught.value.field == "root_cause"
    with pytest.raises(CaseError, match=r"^action: "):
        await workbench.bulk_change(services, ALL, [first.id], "delete", ME)


async def test_bulk_reassign_only_touches_cases_the_manager_can_see(services: Any) -> None:
    mia = await auth.create_user(
        services.db, email="mia@x.example", role="manager", name="Mia", password_hash="x"
    )
    bob = await auth.create_user(
        services.db, email="bob@x.example", role="manager", name="Bob", password_hash="x"
    )
    mine = await a_case(services, account_manager="mia@x.example")
    bobs = await a_case(services, account_manager="bob@x.example")
    viewer = Viewer(user_id=mia.id, admin=False)
    actor = Actor(user_id=mia.id, label=mia.email)
    results = await workbench.bulk_change(services, viewer, [mine.id, bobs.id], "assign", actor)
    assert [r.ok for r in results] == [True, False]
    assert (await store.get_case(services.db, mine.id)).team_queue
    assert (await store.get_case(services.db, bobs.id)).assignee_id == bob.id
    (event,) = [e for e in await store.timeline(services.db, mine.id) if e.kind == "assign"]
    assert event.actor_id == mia.id


async def test_reply_templates_and_saved_views_are_stored(services: Any) -> None:
    user = await auth.create_user(
        services.db, email="v@x.example", role="manager", name="V", password_hash="x"
    )
    other = await auth.create_user(
        services.db, email="w@x.example", role="manager", name="W", password_hash="x"
    )
    made = await services.db.write(
        lambda tx: workbench_store.save_template(
            tx, "", name="Apology", subject="Sorry", body="Hi {{ contact.name }}", user_id=user.id
        )
    )
    with pytest.raises(workbench_store.NameTaken):
        await services.db.write(
            lambda tx: workbench_store.save_template(
                tx, "", name="Apology", subject="x", body="y", user_id=user.id
            )
        )
    await services.db.write(
        lambda tx: workbench_store.save_template(
            tx, made.id, name="Apology", subject="We are sorry", body="b", user_id=user.id
        )
    )
    (only,) = await workbench_store.list_templates(services.db)
    assert only.subject == "We are sorry"
    view = await services.db.write(
        lambda tx: workbench_store.save_view(tx, user.id, "Urgent", "priority=urgent")
    )
    await services.db.write(
        lambda tx: workbench_store.save_view(tx, user.id, "Urgent", "priority=high")
    )
    assert [(v.name, v.query) for v in await workbench_store.list_views(services.db, user.id)] == [
        ("Urgent", "priority=high")
    ]
    assert await workbench_store.list_views(services.db, other.id) == []
    assert not await services.db.write(
        lambda tx: workbench_store.delete_view(tx, other.id, view.id)
    )
    assert await services.db.write(lambda tx: workbench_store.delete_view(tx, user.id, view.id))
    assert await services.db.write(lambda tx: workbench_store.delete_template(tx, made.id))
