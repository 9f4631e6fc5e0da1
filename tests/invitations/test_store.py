"""The invitations store: the detail page's history in one query (both engines), and no
other module speaking SQL to the ``invitations`` table."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from surveyor.delivery import store as delivery
from surveyor.invitations import store
from surveyor.invitations.models import InvitationNotFound
from tests.delivery.helpers import T0
from tests.respond.helpers import invite, published

ROOT = Path(__file__).resolve().parents[2]


class CountingDb:
    """The database, counting the statements sent through it."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.statements: list[str] = []

    async def fetch_one(self, sql: str, params: Any = ()) -> Any:
        self.statements.append(sql)
        return await self.db.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Any = ()) -> Any:
        self.statements.append(sql)
        return await self.db.fetch_all(sql, params)

    async def fetch_val(self, sql: str, params: Any = ()) -> Any:
        self.statements.append(sql)
        return await self.db.fetch_val(sql, params)


async def _invitation_with_history(db: Any) -> str:
    """An invitation whose send failed twice and went out, plus a reminder and an expiry."""
    version = await published(db)
    token, _ = await invite(db, version)
    state = await store.invitation_for_token(db, token)
    assert state is not None
    invitation_id = state.invitation.id

    async def enqueue(tx: Any) -> None:
        for kind, reminder in (("invitation.send", False), ("invitation.send", True)):
            await delivery.enqueue_job(
                tx,
                kind,
                {"invitation_id": invitation_id, "reminder": reminder},
                T0,
                subject_type="invitation",
                subject_id=invitation_id,
            )
        await delivery.enqueue_job(
            tx,
            "invitation.expire",
            {"invitation_id": invitation_id},
            T0,
            subject_type="invitation",
            subject_id=invitation_id,
        )

    await db.write(enqueue)
    kinds = ("invitation.send",)
    # Claims take the lowest id among jobs due at the same time: always the same job.
    for second in range(2):  # two failed attempts at one send...
        at = T0 + timedelta(seconds=second)
        [job] = await delivery.claim_due_jobs(
            db, "w1", kinds=kinds, limit=1, lease_seconds=60, now=at
        )
        await delivery.fail_job(
            db, job, "w1", "451 try later", permanent=False, retry_at=T0, started_at=at, now=at
        )
    at = T0 + timedelta(seconds=2)
    [job] = await delivery.claim_due_jobs(db, "w1", kinds=kinds, limit=1, lease_seconds=60, now=at)
    await delivery.complete_job(db, job, "w1", started_at=at, now=at)  # ...then it went out
    return invitation_id


async def test_the_detail_loads_the_whole_delivery_history_in_one_query(db) -> None:
    invitation_id = await _invitation_with_history(db)
    counting = CountingDb(db)
    detail = await store.load_detail(counting, invitation_id)
    # One for the invitation (with its contact and event), one for every job and attempt.
    assert len(counting.statements) == 2
    assert sum("job_attempts" in sql for sql in counting.statements) == 1
    assert sorted((d.kind, d.reminder) for d in detail.deliveries) == [
        ("invitation.expire", False),
        ("invitation.send", False),
        ("invitation.send", True),
    ]
    # The same history the per-job reads give.
    jobs = await delivery.jobs_for_subject(db, "invitation", invitation_id)
    for shown, job in zip(detail.deliveries, jobs, strict=True):
        attempts = await delivery.list_attempts(db, job.id)
        assert shown.job_id == job.id and shown.status == job.status
        assert [(a.attempt, a.outcome, a.error) for a in shown.attempts] == [
            (a.attempt, a.outcome, a.error) for a in attempts
        ]
    outcomes = sorted([a.outcome for a in d.attempts] for d in detail.deliveries)
    assert outcomes == [[], [], ["retry", "retry", "ok"]]  # jobs never tried are listed too


async def test_an_unknown_invitation_is_a_domain_error(db) -> None:
    with pytest.raises(InvitationNotFound):
        await store.load_detail(db, "nope")


# Outside the invitations package (and the migrations, which create the table), no
# module may read or write the invitations table: they call surveyor.invitations.store.
SQL_ON_INVITATIONS = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE)\s+invitations\b|\bDELETE\s+FROM\s+invitations\b",
    re.IGNORECASE,
)


def test_no_module_outside_the_invitations_package_has_sql_on_its_table() -> None:
    offenders = []
    for folder in ("surveyor", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("surveyor/invitations/") or "/migrations/" in relative:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SQL_ON_INVITATIONS.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_guard_would_catch_a_statement() -> None:
    for sql in (
        '"SELECT id FROM invitations WHERE id = ?"',
        '" FROM responses r JOIN invitations i ON r.invitation_id = i.id"',
        '"UPDATE invitations SET status = ?"',
        '"INSERT INTO invitations (id) VALUES (?)"',
        '"delete from invitations"',
    ):
        assert SQL_ON_INVITATIONS.search(sql), sql
