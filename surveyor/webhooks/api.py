"""``/api/v1/webhooks``: outgoing webhook subscriptions (scope ``admin``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from surveyor import DeliveryError
from surveyor.auth.guards import api_scope, current_api_key
from surveyor.metrics.filters import invalid
from surveyor.net.guard import UnsafeTarget, check_url
from surveyor.services import services
from surveyor.webhooks import store
from surveyor.webhooks.models import CreatedSubscription, Subscription, SubscriptionIn


class WebhooksApi(Controller):
    path = "/api/v1/webhooks"
    guards = [api_scope("admin")]
    tags = ["webhooks"]

    @post("/", status_code=201)
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[SubscriptionIn]
    ) -> CreatedSubscription:
        """Subscribe a URL to events. The answer holds the signing ``secret`` (``whsec_…``):
        it is shown this once. Private and loopback targets are refused unless
        ``SURVEYOR_ALLOW_PRIVATE_WEBHOOKS`` is set."""
        svc = services(request)
        try:
            await check_url(data.url, allow_private=svc.settings.allow_private_webhooks)
        except UnsafeTarget as exc:
            raise invalid("url", exc.message) from None
        except DeliveryError:
            pass  # does not resolve now (DNS, no network): checked again at each delivery
        key = current_api_key(request)
        return await store.create_subscription(
            svc.db, data, actor_label=f"api key {key.prefix} ({key.name})"
        )

    @get("/")
    async def list_all(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        """Active subscriptions (without their secrets), in the API's list shape."""
        items = await store.list_subscriptions(services(request).db)
        return {"items": items, "next_cursor": None}

    @get("/{subscription_id:str}")
    async def get_one(
        self, request: Request[Any, Any, Any], subscription_id: FromPath[str]
    ) -> Subscription:
        found = await store.get_subscription(services(request).db, subscription_id)
        if found is None:
            raise NotFoundException(detail="subscription_id: no such webhook subscription")
        return found

    @delete("/{subscription_id:str}", status_code=204)
    async def revoke(self, request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> None:
        """Stop a subscription at once: its queued deliveries are cancelled."""
        key = current_api_key(request)
        if not await store.revoke_subscription(
            services(request).db, subscription_id, actor_label=f"api key {key.prefix} ({key.name})"
        ):
            raise NotFoundException(detail="subscription_id: no such active webhook subscription")


ROUTES = (WebhooksApi,)
