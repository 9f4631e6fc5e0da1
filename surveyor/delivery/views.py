"""Staff pages: the delivery log (filters by status, channel, kind), a job's page with
every attempt, and the retry button for dead jobs; Settings → Channels (admins): each
channel, whether it is configured, its last error, and a real test message through the
outbox (``message.send``; nothing is sent from the request), followed until it is
delivered or fails."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from surveyor import DeliveryError, Message
from surveyor.auth import store as auth_store
from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.delivery import store
from surveyor.delivery.api import redact
from surveyor.delivery.channels import channels, is_configured, not_configured_reason
from surveyor.delivery.models import JOB_STATUSES
from surveyor.delivery.worker import wake_worker
from surveyor.ids import new_id, now_iso
from surveyor.net.guard import UnsafeTarget, check_url
from surveyor.net.signing import new_secret
from surveyor.services import services
from surveyor.web.forms import read_form
from surveyor.web.templating import render, request_gettext
from surveyor.web.toasts import toast_headers

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


# -- Settings → Channels ----------------------------------------------------------------

NO_STORE = {"Cache-Control": "no-store"}
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
# What each built-in channel's test address is; a plugin channel gets a plain text field.
ADDRESS_TYPES = {"email": "email", "sms": "tel", "webhook": "url"}


def testable(channel: Any) -> bool:
    """Catchers (the mailbox) keep other channels' messages; they have no address."""
    return not hasattr(channel, "captures")


async def channel_rows(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    svc = services(request)
    registry = channels(svc)
    rows = []
    for name in registry.names():
        channel = registry.get(name)
        configured = is_configured(channel)
        catchers = [c for c in registry.catchers() if c is not channel]
        captured = [c.name for c in catchers if c.captures(channel) in ("instead", "beside")]
        rows.append(
            {
                "name": name,
                "configured": configured,
                "problem": "" if configured else not_configured_reason(channel),
                "captured_by": captured,
                "catcher": not testable(channel),
                "address_type": ADDRESS_TYPES.get(name, "text"),
                "activity": await store.channel_activity(svc.db, name),
            }
        )
    # The catchers (the mailbox) last: they are where the others' messages land.
    return sorted(rows, key=lambda row: row["catcher"])


async def check_address(request: Request[Any, Any, Any], name: str, address: str) -> str:
    """The error for ``address`` on channel ``name`` as a sentence, or ""."""
    _ = request_gettext(request)
    if not address:
        return _("Enter an address to send the test message to.")
    if len(address) > 2000:
        return _("The address is too long.")
    if name == "email" and not EMAIL.match(address):
        return _("Enter an email address such as ana@example.com.")
    if name == "sms" and not PHONE.match(address):
        return _("Enter a phone number in international form, such as +4915112345678.")
    if name == "webhook":
        try:
            await check_url(
                address, allow_private=services(request).settings.allow_private_webhooks
            )
        except UnsafeTarget as exc:
            return exc.message
        except DeliveryError:
            pass  # does not resolve now: the delivery will say so
    return ""


def channel_test_message(request: Request[Any, Any, Any], name: str, address: str) -> Message:
    _ = request_gettext(request)
    subject = _("Surveyor test message")
    text = _(
        "This is a test message from Surveyor, sent from Settings → Channels. "
        "If you can read it, the %(channel)s channel works."
    ) % {"channel": name}
    message_id = new_id()
    if name == "webhook":
        # Signed with a one-off secret: the receiver sees real Standard Webhooks headers.
        body = {"type": "surveyor.test", "timestamp": now_iso(), "data": {"message": text}}
        return Message(
            kind="test", id=message_id, recipient=address, secret=new_secret(), payload=body
        )
    return Message(kind="test", id=message_id, recipient=address, subject=subject, text=text)


class ChannelPages(Controller):
    path = "/settings/channels"
    guards = [staff("admin")]
    include_in_schema = False

    async def _answer(
        self, request: Request[Any, Any, Any], name: str, *, status: int = 200, **context: Any
    ) -> Response[str]:
        rows = await channel_rows(request)
        ctx = {
            "channels": rows,
            "c": next((r for r in rows if r["name"] == name), None),
            "errors": {},
            "tried": {},
            "jobs": {},
            "job_badge": STATUS_BADGE,
            **context,
        }
        headers = dict(NO_STORE)
        if status == 200 and name:
            _ = request_gettext(request)
            headers.update(toast_headers(_("Test message queued.")))
        return await render(
            request,
            "settings/channels.html",
            ctx,
            fragment="settings/_channel_test.html" if name else None,
            status_code=status,
            headers=headers,
        )

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._answer(request, "")

    @post("/{name:str}/test", status_code=200)
    async def send_test(
        self, request: Request[Any, Any, Any], name: FromPath[str]
    ) -> Response[str]:
        svc = services(request)
        channel = channels(svc).get(name)
        if channel is None or not testable(channel):
            raise NotFoundException(detail="name: no such channel")
        raw = await read_form(request)
        address = str(raw.get("address", "")).strip()
        error = await check_address(request, name, address)
        if error:
            return await self._answer(
                request, name, status=422, errors={name: error}, tried={name: address[:200]}
            )
        message = channel_test_message(request, name, address)
        job_id = await svc.db.write(
            lambda tx: store.enqueue_message(tx, name, message, max_attempts=3)
        )
        wake_worker(svc)
        job = await store.get_job(svc.db, job_id)
        return await self._answer(request, name, tried={name: address}, jobs={name: job})

    @get("/{name:str}/test/{job_id:str}")
    async def test_status(
        self, request: Request[Any, Any, Any], name: FromPath[str], job_id: FromPath[str]
    ) -> Response[str]:
        """The test message's job as it is now (the page asks until it is finished)."""
        job = await store.get_job(services(request).db, job_id)
        if job is None or job.channel != name or not job.id:
            raise NotFoundException(detail="job_id: no such test message")
        return await render(
            request,
            "settings/_channel_job.html",
            {"job": job, "name": name, "job_badge": STATUS_BADGE},
            headers=NO_STORE,
        )


ROUTES = [DeliveriesPages, ChannelPages]
