"""JSON API of the delivery log: ``/api/v1/deliveries``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromPath, QueryParameter

from surveyor.auth import store as auth_store
from surveyor.auth.guards import api_scope, current_api_key
from surveyor.delivery import store
from surveyor.delivery.models import JOB_STATUSES, Attempt, Job
from surveyor.delivery.worker import wake_worker
from surveyor.services import services

# Values under these keys never leave the server (a webhook's signing secret, say).
SECRET_KEYS = frozenset({"secret", "password", "token", "api_key", "authorization"})


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("•••" if k.lower() in SECRET_KEYS and v else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class JobOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    status: str
    channel: str
    subject_type: str
    subject_id: str
    run_at: str
    attempts: int
    max_attempts: int
    last_error: str
    created_at: str
    updated_at: str
    finished_at: str | None
    payload: dict[str, Any]


class JobDetail(JobOut, frozen=True, kw_only=True):
    attempt_log: list[Attempt]


class JobList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[JobOut]
    next_cursor: str | None


def job_out(job: Job) -> dict[str, Any]:
    fields = {f: getattr(job, f) for f in JobOut.__struct_fields__ if f != "payload"}
    return {**fields, "payload": redact(job.payload)}


class DeliveriesApi(Controller):
    path = "/api/v1/deliveries"
    tags = ["deliveries"]

    @get("/", guards=[api_scope("read")])
    async def list_deliveries(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[str, QueryParameter(name="status")] = "",
        channel: Annotated[str, QueryParameter(name="channel")] = "",
        kind: Annotated[str, QueryParameter(name="kind")] = "",
        cursor: Annotated[str, QueryParameter(name="cursor")] = "",
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
    ) -> JobList:
        """Outbox jobs, newest first, filtered by status, channel and kind."""
        if status and status not in JOB_STATUSES:
            raise ValidationException(
                detail=f"status: one of {', '.join(JOB_STATUSES)}",
                extra=[{"key": "status", "message": f"one of {', '.join(JOB_STATUSES)}"}],
            )
        page = await store.list_jobs(
            services(request).db,
            status=status,
            channel=channel,
            kind=kind,
            cursor=cursor,
            limit=limit,
        )
        items = [msgspec.convert(job_out(job), JobOut) for job in page.items]
        return JobList(items=items, next_cursor=page.next_cursor)

    @get("/{job_id:str}", guards=[api_scope("read")])
    async def get_delivery(
        self, request: Request[Any, Any, Any], job_id: FromPath[str]
    ) -> JobDetail:
        """One job with every attempt and its error."""
        db = services(request).db
        job = await store.get_job(db, job_id)
        if job is None:
            raise NotFoundException(detail=f"id: no delivery {job_id!r}")
        attempts = await store.list_attempts(db, job_id)
        return msgspec.convert(
            {**job_out(job), "attempt_log": attempts}, JobDetail, from_attributes=True
        )

    @post("/{job_id:str}/retry", guards=[api_scope("admin")], status_code=202)
    async def retry_delivery(
        self, request: Request[Any, Any, Any], job_id: FromPath[str]
    ) -> JobOut:
        """Queue a dead job again with a fresh set of attempts (409 unless it is dead)."""
        svc = services(request)
        job = await store.get_job(svc.db, job_id)
        if job is None:
            raise NotFoundException(detail=f"id: no delivery {job_id!r}")
        retried = await store.retry_job(svc.db, job_id)
        if retried is None:
            raise ClientException(
                detail=f"status: only dead deliveries can be retried; this one is {job.status}",
                status_code=409,
            )
        key = current_api_key(request)
        await auth_store.audit(
            svc.db,
            "delivery.retried",
            actor_label=f"api:{key.prefix}",
            target_type="job",
            target_id=job_id,
        )
        wake_worker(svc)
        return msgspec.convert(job_out(retried), JobOut)


ROUTES = [DeliveriesApi]
