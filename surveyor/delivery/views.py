"""Staff pages: the delivery log (filters by status, channel, kind), a job's page with
every attempt, and the retry button for dead jobs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from surveyor.auth import store as auth_store
from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.delivery import store
from surveyor.delivery.api import redact
from surveyor.delivery.models import JOB_STATUSES
from surveyor.delivery.worker import wake_worker
from surveyor.services import services
from surveyor.web.templating import render

STATUS_BADGE = {"done": "ok", "queued": "", "running": "warn", "dead": "danger", "cancelled": ""}


class DeliveriesPages(Controller):
    path = "/deliveries"
    guards = [staff()]
    include_in_schema = False

    @get("/")
    async def delivery_log(
        self,
        request: Request[Any, Any, Any],
        status: FromQuery[str] = "",
        channel: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Response[str]:
        db = services(request).db
        status = status if status in JOB_STATUSES else ""
        page = await store.list_jobs(
            db, status=status, channel=channel[:100], kind=kind[:100], cursor=cursor[:64]
        )
        context = {
            "jobs": page.items,
            "next_cursor": page.next_cursor,
            "filters": {"status": status, "channel": channel, "kind": kind},
            "statuses": JOB_STATUSES,
            "counts": await store.status_counts(db),
            "values": await store.filter_values(db),
            "badge": STATUS_BADGE,
        }
        return await render(request, "delivery/log.html", context, fragment="delivery/_rows.html")

    @get("/{job_id:str}")
    async def delivery_page(
        self, request: Request[Any, Any, Any], job_id: FromPath[str]
    ) -> Response[str]:
        db = services(request).db
        job = await store.get_job(db, job_id)
        if job is None:
            raise NotFoundException(detail="No such delivery.")
        context = {
            "job": job,
            "attempts": await store.list_attempts(db, job_id),
            "payload": redact(job.payload),
            "badge": STATUS_BADGE,
            "retried": False,
        }
        return await render(
            request, "delivery/job.html", context, fragment="delivery/_job_status.html"
        )

    @post("/{job_id:str}/retry", guards=[staff("designer")], status_code=303)
    async def retry_delivery(
        self, request: Request[Any, Any, Any], job_id: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        job = await store.get_job(svc.db, job_id)
        if job is None:
            raise NotFoundException(detail="No such delivery.")
        retried = await store.retry_job(svc.db, job_id)
        if retried is not None:
            await auth_store.audit(
                svc.db,
                "delivery.retried",
                actor=current_user(request),
                target_type="job",
                target_id=job_id,
                ip=client_ip(request),
            )
            wake_worker(svc)
        htmx = getattr(request, "htmx", None)
        if htmx:
            context = {
                "job": retried or job,
                "attempts": await store.list_attempts(svc.db, job_id),
                "badge": STATUS_BADGE,
                "retried": retried is not None,
            }
            return await render(request, "delivery/_job_status.html", context)
        return Redirect(f"/deliveries/{job_id}", status_code=303)


ROUTES = [DeliveriesPages]
