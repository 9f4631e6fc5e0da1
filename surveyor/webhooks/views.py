"""``/settings/webhooks``: outgoing webhook subscriptions for admins, on pages.

The same rules as ``/api/v1/webhooks``: the URL passes the SSRF guard, the signing secret
is shown once (in the answer to the form that made it), disabling cancels what is still
queued. A subscription's page lists its deliveries; any of them can be sent again.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor import DeliveryError
from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.auth.pagekit import htmx_request
from surveyor.delivery.store import deliveries_for_subject
from surveyor.delivery.worker import wake_worker
from surveyor.net.guard import UnsafeTarget, check_url
from surveyor.services import services
from surveyor.web.forms import read_form
from surveyor.web.templating import render, request_gettext
from surveyor.web.toasts import toast_headers
from surveyor.webhooks import store
from surveyor.webhooks.events import SUBJECT, redeliver
from surveyor.webhooks.models import EVENT_TYPES, SubscriptionIn

NO_STORE = {"Cache-Control": "no-store"}
STATUS_BADGE = {"done": "ok", "queued": "", "running": "warn", "dead": "danger", "cancelled": ""}


def actor_label(request: Request[Any, Any, Any]) -> str:
    user = current_user(request)
    return f"{user.email} ({client_ip(request)})"


async def validate(request: Request[Any, Any, Any], raw: dict[str, Any]) -> dict[str, str]:
    """Errors by field name, as sentences; empty when the form is good."""
    _ = request_gettext(request)
    errors: dict[str, str] = {}
    url = str(raw.get("url", "")).strip()
    chosen = raw.get("event_types", [])
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    if not url:
        errors["url"] = _("Enter the URL that receives the events.")
    elif len(url) > 2000:
        errors["url"] = _("The URL is too long (2000 characters at most).")
    else:
        try:
            await check_url(url, allow_private=services(request).settings.allow_private_webhooks)
        except UnsafeTarget as exc:
            errors["url"] = exc.message
        except DeliveryError:
            pass  # does not resolve now (DNS, no network): checked again at each delivery
    if not chosen:
        errors["event_types"] = _("Choose at least one event.")
    elif any(e not in EVENT_TYPES for e in chosen):
        errors["event_types"] = _("Choose events from the list.")
    if len(str(raw.get("description", ""))) > 200:
        errors["description"] = _("Use at most 200 characters.")
    return errors


class WebhookPages(Controller):
    path = "/settings/webhooks"
    guards = [staff("admin")]
    include_in_schema = False

    async def _list(
        self, request: Request[Any, Any, Any], *, status: int = 200, **context: Any
    ) -> Response[str]:
        ctx = {
            "subscriptions": await store.list_subscriptions(
                services(request).db, include_revoked=True
            ),
            "event_types": EVENT_TYPES,
            "form": {"url": "", "description": "", "event_types": list(EVENT_TYPES[:1])},
            "errors": {},
            "created": None,
            **context,
        }
        return await render(
            request,
            "settings/webhooks.html",
            ctx,
            fragment="settings/_webhooks.html",
            status_code=status,
            headers=NO_STORE,
        )

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._list(request)

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Response[str]:
        raw = await read_form(request)
        chosen = raw.get("event_types", [])
        shown = {
            "url": str(raw.get("url", ""))[:2000],
            "description": str(raw.get("description", ""))[:200],
            "event_types": [chosen] if isinstance(chosen, str) else list(chosen),
        }
        errors = await validate(request, raw)
        if errors:
            return await self._list(request, status=422, form=shown, errors=errors)
        data = msgspec.convert(
            {**shown, "url": shown["url"].strip(), "description": shown["description"].strip()},
            SubscriptionIn,
        )
        created = await store.create_subscription(
            services(request).db, data, actor_label=actor_label(request)
        )
        # Rendered, not redirected: the secret exists only in this answer.
        return await self._list(request, created=created)

    @get("/{subscription_id:str}")
    async def subscription(
        self, request: Request[Any, Any, Any], subscription_id: FromPath[str]
    ) -> Response[str]:
        db = services(request).db
        found = await store.get_subscription(db, subscription_id)
        if found is None:
            raise NotFoundException(detail="subscription_id: no such webhook subscription")
        history = await deliveries_for_subject(db, SUBJECT, subscription_id)
        context = {
            "sub": found,
            "deliveries": list(reversed(history))[:100],
            "job_badge": STATUS_BADGE,
            "done": request.query_params.get("done", ""),
        }
        return await render(
            request,
            "settings/webhook.html",
            context,
            fragment="settings/_webhook_deliveries.html",
            headers=NO_STORE,
        )

    @post("/{subscription_id:str}/disable", status_code=200)
    async def disable(
        self, request: Request[Any, Any, Any], subscription_id: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        if await store.get_subscription(svc.db, subscription_id) is None:
            raise NotFoundException(detail="subscription_id: no such webhook subscription")
        await store.revoke_subscription(svc.db, subscription_id, actor_label=actor_label(request))
        where = f"/settings/webhooks/{subscription_id}"
        if htmx_request(request):
            # The whole page changes (status, buttons): let htmx load it again.
            headers = {"HX-Redirect": f"{where}?done=disabled"}
            return Response("", status_code=200, headers=headers)
        return Redirect(f"{where}?done=disabled", status_code=303)

    @post("/{subscription_id:str}/deliveries/{job_id:str}/redeliver", status_code=200)
    async def redeliver_one(
        self, request: Request[Any, Any, Any], subscription_id: FromPath[str], job_id: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        sub = await store.get_subscription(svc.db, subscription_id)
        if sub is None:
            raise NotFoundException(detail="subscription_id: no such webhook subscription")
        _ = request_gettext(request)
        if not sub.active:
            return Response(
                _("This subscription is disabled: nothing is sent to it."),
                status_code=409,
                media_type="text/plain",
            )
        new_job = await redeliver(svc.db, subscription_id, job_id)
        if new_job is None:
            raise NotFoundException(detail="job_id: no such delivery of this subscription")
        wake_worker(svc)
        where = f"/settings/webhooks/{subscription_id}"
        if not htmx_request(request):
            return Redirect(f"{where}?done=redelivered", status_code=303)
        history = await deliveries_for_subject(svc.db, SUBJECT, subscription_id)
        context = {
            "sub": sub,
            "deliveries": list(reversed(history))[:100],
            "job_badge": STATUS_BADGE,
        }
        return await render(
            request,
            "settings/_webhook_deliveries.html",
            context,
            headers={**NO_STORE, **toast_headers(_("Queued to be sent again."))},
        )


ROUTES = (WebhookPages,)
