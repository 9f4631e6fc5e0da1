"""Demo journey: six checkpoints, contacts, and invitations in every status.

Events go through the real events service (policy, invitation, outbox job); the
delivery history is then aged by hand so ``make run`` shows sent, opened, expired,
failed (with a dead delivery and its attempts) and still-scheduled invitations
without waiting days or needing an SMTP server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from surveyor.checkpoints import store
from surveyor.checkpoints.events import fire_event
from surveyor.checkpoints.models import CheckpointIn, EventIn
from surveyor.db import Tx
from surveyor.ids import iso, new_id, utcnow
from surveyor.invitations import store as invitations
from surveyor.surveys import store as survey_store
from surveyor.surveys.templates_lib import template_definition

JOURNEY = (
    # key, name, position, survey kind, channels, extra rules
    ("signed_up", "Signed up", 1, "emotion", ["email"], {"delay_seconds": 3600}),
    ("onboarding_done", "Onboarding done", 2, "ces", ["email", "sms"], {"reminder_days": 3}),
    (
        "order_delivered",
        "Order delivered",
        3,
        "emotion",
        ["sms", "email"],
        {"quiet_hours": {"start": "21:00", "end": "08:00"}},
    ),
    ("support_case_closed", "Support case closed", 4, "ces", ["email"], {"sample_rate": 0.8}),
    ("first_purchase", "First purchase", 5, "csat", ["email"], {}),
    ("renewal", "Renewal", 6, "nps", ["email"], {"reminder_days": 5, "recontact_days": 180}),
)
NAMES = (
    "Ana Silva",
    "Ben Okafor",
    "Chen Wei",
    "Dana Cohen",
    "Eli Novak",
    "Fatima Zahra",
    "Gus Berg",
    "Hana Sato",
)


async def _surveys_by_kind(svc: Any) -> dict[str, str]:
    """A published survey per key-score kind: the first question's kind decides."""
    rows = await svc.db.fetch_all(
        "SELECT s.id, v.definition FROM surveys s JOIN survey_versions v"
        " ON v.survey_id = s.id AND v.number = s.latest_version ORDER BY s.created_at"
    )
    found: dict[str, str] = {}
    for row in rows:
        questions = msgspec.json.decode(row["definition"]).get("questions", [])
        if questions:
            found.setdefault(questions[0]["kind"], row["id"])
    for kind in ("nps", "ces", "csat", "emotion"):
        if kind not in found:
            definition = template_definition(kind)
            survey = await survey_store.create_survey(
                svc.db, name=f"{kind.upper()} (demo)", definition=definition
            )
            await survey_store.publish(svc.db, survey.id, definition)
            found[kind] = survey.id
    return found


async def seed_journey(svc: Any, out: Any) -> None:
    if await store.get_checkpoint(svc.db, "renewal") is not None:
        out("Demo journey exists already.")
        return
    surveys = await _surveys_by_kind(svc)
    for key, name, position, kind, channels, extra in JOURNEY:
        await store.create_checkpoint(
            svc.db,
            msgspec.convert(
                {
                    "key": key,
                    "name": name,
                    "position": position,
                    "survey_id": surveys[kind],
                    "channels": channels,
                    **extra,
                },
                CheckpointIn,
            ),
        )
    fired = 0
    for index in range(48):
        key = JOURNEY[index % len(JOURNEY)][0]
        name = NAMES[index % len(NAMES)]
        contact = {
            "id": f"demo-{index:03}",
            "name": name,
            "email": f"{name.split()[0].lower()}.{index}@example.com",
            "timezone": ("Europe/Berlin", "America/New_York", "Asia/Shanghai")[index % 3],
            "locale": "zh-CN" if index % 3 == 2 else "en",
            "attributes": {
                "tier": "vip" if index % 7 == 0 else "standard",
                "account_manager": "manager@demo.surveyor.test",
            },
        }
        if index % 5 == 0:
            contact["phone"] = f"+49151{index:07}"
        checkpoint = await store.get_checkpoint(svc.db, key)
        assert checkpoint is not None
        data = msgspec.convert(
            {
                "checkpoint": key,
                "contact": contact,
                "properties": {"order_id": f"A-{1000 + index}"},
            },
            EventIn,
        )
        _, answer = await fire_event(svc, data, checkpoint, api_key_id="demo")
        fired += answer.decision == "scheduled"
    await svc.db.write(_age_history)
    out(
        f"Demo journey: {len(JOURNEY)} checkpoints, 48 events ({fired} invitations) at /journey and /deliveries."
    )


STATUSES = ("sent", "sent", "opened", "expired", "failed", "scheduled")


async def _age_history(tx: Tx) -> None:
    """Spread the invitations over the last weeks and give each a believable history."""
    now = utcnow()
    for index, (invitation_id, job_id) in enumerate(await invitations.with_send_jobs(tx)):
        status = STATUSES[index % len(STATUSES)]
        when = now - timedelta(days=2 + index % 40, hours=index % 9)
        if status == "scheduled":
            when = now + timedelta(hours=1 + index % 5)
        stamp = iso(when)
        await invitations.backdate(
            tx,
            invitation_id,
            status=status,
            at=stamp,
            expires_at=iso(when + timedelta(days=14 if status != "expired" else 1)),
        )
        job_status = {"scheduled": "queued", "failed": "dead"}.get(status, "done")
        error = "550 5.1.1 mailbox unavailable" if status == "failed" else ""
        attempts = 3 if status == "failed" else (0 if status == "scheduled" else 1)
        await tx.execute(
            "UPDATE jobs SET status = ?, run_at = ?, attempts = ?, last_error = ?, created_at = ?, updated_at = ?,"
            " finished_at = ? WHERE id = ?",
            (
                job_status,
                stamp,
                attempts,
                error,
                stamp,
                stamp,
                None if status == "scheduled" else stamp,
                job_id,
            ),
        )
        for attempt in range(1, attempts + 1):
            outcome = "ok" if status != "failed" else ("dead" if attempt == attempts else "retry")
            tried = iso(when + timedelta(minutes=attempt * attempt))
            await tx.execute(
                "INSERT INTO job_attempts (id, job_id, attempt, worker, started_at, finished_at, outcome, error, duration_ms)"
                " VALUES (?, ?, ?, 'demo-worker', ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    job_id,
                    attempt,
                    tried,
                    tried,
                    outcome,
                    "451 4.3.0 try again later" if outcome == "retry" else error,
                    40 + attempt,
                ),
            )
