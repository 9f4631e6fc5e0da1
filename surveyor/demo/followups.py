"""``surveyor demo``: follow-up rules and cases in every status, some overdue, some won
back, so the inbox and the outer-loop report have something to show. Idempotent: it
does nothing once any case exists."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from surveyor.contacts.models import Contact
from surveyor.contacts.store import upsert_contact
from surveyor.db import Tx
from surveyor.events import ResponseCompleted
from surveyor.followups import opening, rules_store, service, store
from surveyor.followups.models import FollowupRule
from surveyor.followups.service import Actor
from surveyor.ids import iso, utcnow
from surveyor.respond import store as respond
from surveyor.respond.completion import on_completion
from surveyor.respond.models import NewResponse
from surveyor.surveys import store as surveys
from surveyor.surveys.store import get_version
from surveyor.surveys.templates_lib import template_definition

# (customer, score, comment, attributes, opened days ago, final status, root cause)
CASES = (
    (
        "Acme Corp",
        1,
        "The parcel arrived broken and nobody answered my emails.",
        {"tier": "vip"},
        0.1,
        "new",
        "",
    ),
    ("Birch & Co", 4, "Support took a week to reply.", {}, 0.5, "new", ""),
    ("Cobalt Ltd", 6, "Invoice was wrong twice.", {"tier": "vip"}, 3, "in_progress", ""),
    ("Delta GmbH", 3, "The app keeps logging me out.", {}, 4, "waiting", ""),
    ("Echo SA", 2, "Late delivery, again.", {}, 8, "resolved", "delivery or logistics"),
    ("Fjord AS", 5, "Price went up without notice.", {}, 12, "resolved", "billing or pricing"),
    (
        "Gamma BV",
        0,
        "Cancelled my order without telling me.",
        {"tier": "vip"},
        15,
        "closed",
        "communication",
    ),
    ("Helix Inc", 6, "Missing export to Excel.", {}, 20, "closed", "missing feature"),
    ("Iris KK", 2, "Broken on arrival.", {}, 25, "resolved", "product defect"),
)


async def _survey_version(svc: Any) -> tuple[str, str] | None:
    row = await svc.db.fetch_one(
        "SELECT v.id, v.survey_id FROM survey_versions v ORDER BY v.published_at LIMIT 1"
    )
    if row is not None:
        return row["survey_id"], row["id"]
    definition = template_definition("nps")
    survey = await surveys.create_survey(svc.db, name="Demo NPS", definition=definition)
    version, _ = await surveys.publish(svc.db, survey.id, definition)
    return version.survey_id, version.id


async def seed_followups(svc: Any, out: Any) -> None:
    if await svc.db.fetch_val("SELECT count(*) FROM followups"):
        out("Follow-up cases exist already.")
        return
    if not await rules_store.count_rules(svc.db):
        rule = FollowupRule(name="Low scores (recovery survey on resolve)", recovery_survey=True)
        await svc.db.write(lambda tx: rules_store.save_rule(tx, rule))
    found = await _survey_version(svc)
    if found is None:
        return
    survey_id, version_id = found
    version = await get_version(svc.db, version_id)
    assert version is not None
    managers = await store.managers(svc.db)
    now = utcnow()
    for n, (name, score, comment, attrs, days, status, cause) in enumerate(CASES):
        opened = now - timedelta(days=days)
        if managers and n % 3 == 0:
            attrs = {**attrs, "account_manager": managers[n % len(managers)].email}

        async def unit(
            tx: Tx, name: str = name, attrs: dict[str, Any] = attrs, opened: Any = opened
        ) -> tuple[Contact, str]:
            contact = await upsert_contact(
                tx,
                f"demo-{name.split()[0].lower()}",
                email=f"{name.split()[0].lower()}@demo.surveyor.test",
                name=name,
                attributes=attrs,
            )
            inv = "demo-inv-" + secrets.token_hex(6)
            await respond.create_invitation(
                tx,
                survey_id=survey_id,
                survey_version_id=version_id,
                contact_id=contact.id,
                channel="email",
                send_at=iso(opened),
                checkpoint_key="order_delivered",
                status="sent",
                invitation_id=inv,
            )
            return contact, inv

        contact, invitation_id = await svc.db.write(unit)

        async def at_opening(tx: Tx, event: ResponseCompleted, opened: Any = opened) -> None:
            await opening.open_case_in_tx(tx, svc, event, now=opened)

        result = await respond.save_answers(
            svc.db,
            NewResponse(
                invitation_id=invitation_id,
                survey_id=survey_id,
                survey_version_id=version_id,
                contact_id=contact.id,
                checkpoint_key="order_delivered",
                channel="email",
            ),
            {"score": score, "improve": comment},
            step="improve",
            complete=True,
            scores={"nps": score, "ces": None, "csat": None, "emotion": None},
            on_complete=on_completion(svc, version, contact=contact, listeners=[at_opening]),
        )
        case = await store.case_for_response(svc.db, result.response.id)
        if case is None or status == "new":
            continue
        actor = Actor(user_id=case.assignee_id, label="demo")
        step = opened + timedelta(hours=2 + n)
        await service.change_status(svc, case.id, "in_progress", actor, now=step)
        if status == "waiting":
            await service.change_status(
                svc, case.id, "waiting", actor, now=step + timedelta(hours=1)
            )
        if status in ("resolved", "closed"):
            await service.add_note(
                svc, case.id, "Called the customer and apologised.", actor, now=step
            )
            await service.change_status(
                svc,
                case.id,
                status,
                actor,
                root_cause=cause,
                outcome="credited the order",
                now=step + timedelta(hours=20 + 3 * n),
            )
        if status == "resolved" and n % 2 == 0:  # the customer answered the recovery survey
            won = n != 8

            async def recover(tx: Tx, case_id: str = case.id, won: bool = won) -> None:
                await store.update_case(
                    tx, case_id, recovery_response_id=f"demo-recovery-{case_id}", recovered=won
                )
                await store.add_event(
                    tx,
                    case_id,
                    "recovery",
                    actor_id=None,
                    body="the customer answered the recovery survey: "
                    + ("won back" if won else "not won back"),
                )

            await svc.db.write(recover)
    out(f"Seeded {len(CASES)} follow-up cases (new, in progress, waiting, resolved, closed).")
