"""Enqueueing into the outbox, inside another domain's transaction.

The decision to send and the job that sends are committed together: ``enqueue_job``
takes the caller's ``tx``. The row helpers here are shared by the other store modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from surveyor import Message
from surveyor.db import Tx
from surveyor.delivery.models import MESSAGE_KIND, Job
from surveyor.ids import iso, new_id, utcnow

JOB_COLUMNS = (
    "id, kind, payload, subject_type, subject_id, channel, status, run_at, attempts,"
    " max_attempts, lease_owner, lease_until, last_error, dedupe_key, created_at, updated_at,"
    " finished_at"
)
ATTEMPT_COLUMNS = (
    "id, job_id, attempt, worker, started_at, finished_at, outcome, error, duration_ms"
)
MAX_ERROR = 2000
_INSERT_JOB = (
    f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES"
    " (?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?, NULL, NULL, '', ?, ?, ?, NULL)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


def job_from_row(row: dict[str, Any]) -> Job:
    return msgspec.convert(
        {**row, "payload": msgspec.json.decode(row["payload"])}, Job, strict=False
    )


def _marks(values: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join("?" * len(values))


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"


# -- enqueue (inside the caller's transaction) ---------------------------------


async def enqueue_job(
    tx: Tx,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | str | None = None,
    dedupe_key: str | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    channel: str = "",
    max_attempts: int = 0,
    now: datetime | str | None = None,
) -> str:
    """Add a job in the caller's transaction; returns its id.

    ``run_at`` defaults to now. With a ``dedupe_key`` already used, nothing is added and
    the existing job's id comes back, so enqueueing is idempotent (e.g.
    ``f"remind:{invitation_id}"``). ``subject_type``/``subject_id`` name what the job is
    about, so that record's page can list its deliveries (``jobs_for_subject``).
    ``max_attempts=0`` means the kind's own default (``JobKind.max_attempts``), set
    when a worker first claims the job.
    """
    stamp = now if isinstance(now, str) else iso(now or utcnow())
    job_id = new_id()
    inserted = await tx.execute(
        _INSERT_JOB,
        (
            job_id,
            kind,
            msgspec.json.encode(payload).decode(),
            subject_type,
            subject_id,
            channel,
            stamp if run_at is None else run_at if isinstance(run_at, str) else iso(run_at),
            int(max_attempts),
            dedupe_key,
            stamp,
            stamp,
        ),
    )
    if inserted == 0 and dedupe_key is not None:
        return await tx.fetch_val("SELECT id FROM jobs WHERE dedupe_key = ?", (dedupe_key,))
    return job_id


async def enqueue_message(
    tx: Tx,
    channel: str,
    message: Message,
    run_at: datetime | str | None = None,
    dedupe_key: str | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    max_attempts: int = 0,
) -> str:
    """Queue one ready-made :class:`surveyor.Message` for ``channel`` (kind ``message.send``).

    The message's ``id`` becomes its stable delivery id (the webhook-id, the Message-ID),
    so a retry is recognisable as the same message by whoever receives it.
    """
    if not message.id:
        message = msgspec.structs.replace(message, id=new_id())
    return await enqueue_job(
        tx,
        MESSAGE_KIND,
        {"channel": channel, "message": msgspec.to_builtins(message)},
        run_at,
        dedupe_key,
        subject_type=subject_type,
        subject_id=subject_id,
        channel=channel,
        max_attempts=max_attempts,
    )


async def cancel_jobs(
    tx: Tx, *, subject_type: str, subject_id: str, kinds: tuple[str, ...] = ()
) -> int:
    """Cancel the queued jobs about one record (e.g. the reminder of an answered invitation).

    Running jobs are left alone: their worker finishes them. Returns how many were cancelled.
    """
    sql = (
        "UPDATE jobs SET status = 'cancelled', updated_at = ?, finished_at = ?"
        " WHERE subject_type = ? AND subject_id = ? AND status = 'queued'"
    )
    stamp = iso(utcnow())
    params: list[Any] = [stamp, stamp, subject_type, subject_id]
    if kinds:
        sql += f" AND kind IN ({_marks(kinds)})"
        params.extend(kinds)
    return await tx.execute(sql, params)


async def cancel_job(tx: Tx, dedupe_key: str) -> bool:
    """Cancel the queued job enqueued with ``dedupe_key``; False when none is queued."""
    stamp = iso(utcnow())
    return (
        await tx.execute(
            "UPDATE jobs SET status = 'cancelled', updated_at = ?, finished_at = ?"
            " WHERE dedupe_key = ? AND status = 'queued'",
            (stamp, stamp, dedupe_key),
        )
        > 0
    )


# -- erasure (issue 12) ----------------------------------------------------------------

ERASED = "[erased]"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def erase_job_data(
    tx: Tx, *, subject_ids: list[str], mentions: list[str], needles: list[str]
) -> int:
    """Forget what the outbox holds about an erased person, inside the erasure's unit.

    Jobs about ``subject_ids`` (their invitations, responses, cases) or whose payload
    mentions one of ``mentions`` (the contact's id) are cancelled if still queued and
    lose their payload, last error and attempts' errors (message bodies, addresses).
    In every other job, payload and errors have each of ``needles`` (email, phone,
    name, comments) replaced by ``[erased]``. Returns how many jobs were blanked.
    """
    stamp = iso(utcnow())
    where: list[str] = []
    params: list[Any] = []
    if subject_ids:
        where.append(f"subject_id IN ({_marks(subject_ids)})")
        params += subject_ids
    for mention in mentions:
        where.append("payload LIKE ? ESCAPE '\\'")
        params.append(_like(mention))
    blanked = 0
    if where:
        ids = [
            r["id"]
            for r in await tx.fetch_all(
                f"SELECT id FROM jobs WHERE {' OR '.join(where)}", tuple(params)
            )
        ]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = _marks(chunk)
            await tx.execute(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?"
                f" WHERE id IN ({marks}) AND status = 'queued'",
                (stamp, *chunk),
            )
            await tx.execute(
                "UPDATE jobs SET payload = '{}', last_error = '', updated_at = ?"
                f" WHERE id IN ({marks})",
                (stamp, *chunk),
            )
            await tx.execute(
                f"UPDATE job_attempts SET error = '' WHERE job_id IN ({marks})", tuple(chunk)
            )
        blanked = len(ids)
    for needle in needles:
        # Payloads are JSON: replace the needle as JSON spells it, so they stay valid.
        encoded = msgspec.json.encode(needle).decode()[1:-1]
        for text in {needle, encoded}:
            await tx.execute(
                "UPDATE jobs SET payload = REPLACE(payload, ?, ?) WHERE payload LIKE ? ESCAPE '\\'",
                (text, ERASED, _like(text)),
            )
            await tx.execute(
                "UPDATE jobs SET last_error = REPLACE(last_error, ?, ?)"
                " WHERE last_error LIKE ? ESCAPE '\\'",
                (text, ERASED, _like(text)),
            )
            await tx.execute(
                "UPDATE job_attempts SET error = REPLACE(error, ?, ?) WHERE error LIKE ? ESCAPE '\\'",
                (text, ERASED, _like(text)),
            )
    return blanked
