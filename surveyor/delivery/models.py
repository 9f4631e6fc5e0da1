"""The outbox's Structs: a job, one attempt at it, and the kinds a worker can run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec

JobStatus = Literal["queued", "running", "done", "dead", "cancelled"]
Outcome = Literal["ok", "retry", "dead", "lost", "released"]
JOB_STATUSES: tuple[str, ...] = ("queued", "running", "done", "dead", "cancelled")

# The built-in kind: deliver one surveyor.Message through one channel.
MESSAGE_KIND = "message.send"
DEFAULT_MAX_ATTEMPTS = 10


class Job(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    payload: dict[str, Any]
    subject_type: str = ""
    subject_id: str = ""
    channel: str = ""
    status: JobStatus
    run_at: str
    attempts: int
    max_attempts: int
    lease_owner: str | None = None
    lease_until: str | None = None
    last_error: str = ""
    dedupe_key: str | None = None
    created_at: str
    updated_at: str
    finished_at: str | None = None


class ChannelActivity(msgspec.Struct, frozen=True, kw_only=True):
    """One channel as the outbox saw it lately (Settings → Channels)."""

    channel: str
    queued: int
    dead: int
    last_success_at: str | None
    last_error: str
    last_error_at: str | None
    last_error_job: str | None


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    job_id: str
    attempt: int
    worker: str
    started_at: str
    finished_at: str
    outcome: Outcome
    error: str
    duration_ms: int


class JobPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Job]
    next_cursor: str | None


# ``run(job, services)`` does the work and returns nothing, or raises
# surveyor.DeliveryError (permanent or not); any other exception counts as temporary.
JobRunner = Callable[[Job, Any], Awaitable[None]]
# Called after the job's final state is committed (outside any transaction).
JobCallback = Callable[[Job, Any], Awaitable[None]]
# Called with ``(tx, job)`` INSIDE the unit that records the job's final state, for
# what must be atomic with it (e.g. marking the invitation sent): database work only.
JobTxCallback = Callable[[Any, Job], Awaitable[None]]


class JobKind(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of job and the code that runs it, registered through ``register_job_kinds``.

    ``on_done`` runs after a success is committed; ``on_dead`` after the job is dead
    (out of attempts, or a permanent error). Both get the job as stored at that point
    (``last_error`` says why it died) and the app's services; their failures are
    logged and never change the job's state. A job gets ``enqueue_job(...,
    max_attempts=N)`` attempts, or else its kind's ``max_attempts`` (fixed on its first claim).
    """

    name: str
    run: JobRunner
    on_done: JobCallback | None = None
    on_dead: JobCallback | None = None
    done_in_tx: JobTxCallback | None = None
    dead_in_tx: JobTxCallback | None = None
    # Attempts for jobs of this kind enqueued without their own ``max_attempts``.
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
