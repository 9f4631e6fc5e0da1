"""SQL for webhook subscriptions."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.auth.store import audit
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso
from surveyor.net.signing import new_secret
from surveyor.webhooks.models import CreatedSubscription, Subscription, SubscriptionIn

COLUMNS = "id, url, description, event_types, active, created_at, revoked_at"


def _subscription(row: dict[str, Any]) -> Subscription:
    return msgspec.convert(
        {**row, "event_types": msgspec.json.decode(row["event_types"])},
        Subscription,
        strict=False,
    )


async def create_subscription(
    db: Database, data: SubscriptionIn, *, actor_label: str = ""
) -> CreatedSubscription:
    secret = new_secret()
    row = {
        "id": new_id(),
        "url": data.url,
        "description": data.description,
        "event_types": msgspec.json.encode(sorted(set(data.event_types))).decode(),
        "active": 1,
        "created_at": now_iso(),
        "revoked_at": None,
    }

    async def insert(tx: Tx) -> None:
        await tx.execute(
            f"INSERT INTO webhook_subscriptions ({COLUMNS}, secret, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row.values(), secret, actor_label or None),
        )
        await audit(
            tx,
            "webhook.subscribed",
            actor_label=actor_label,
            target_type="webhook_subscription",
            target_id=row["id"],
            detail={"url": data.url, "event_types": list(data.event_types)},
        )

    await db.write(insert)
    created = _subscription(row)
    return CreatedSubscription(**msgspec.structs.asdict(created), secret=secret)


async def list_subscriptions(db: Database, *, include_revoked: bool = False) -> list[Subscription]:
    where = "" if include_revoked else " WHERE active = 1"
    rows = await db.fetch_all(
        f"SELECT {COLUMNS} FROM webhook_subscriptions{where} ORDER BY created_at, id"
    )
    return [_subscription(row) for row in rows]


async def get_subscription(db: Database | Tx, subscription_id: str) -> Subscription | None:
    row = await db.fetch_one(
        f"SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = ?", (subscription_id,)
    )
    return None if row is None else _subscription(row)


async def subscription_secret(db: Database | Tx, subscription_id: str) -> tuple[str, str] | None:
    """``(url, secret)`` of an active subscription, for the delivery job only."""
    row = await db.fetch_one(
        "SELECT url, secret FROM webhook_subscriptions WHERE id = ? AND active = 1",
        (subscription_id,),
    )
    return None if row is None else (row["url"], row["secret"])


async def revoke_subscription(db: Database, subscription_id: str, *, actor_label: str = "") -> bool:
    """Stop a subscription; its queued deliveries are cancelled. False when unknown."""

    async def revoke(tx: Tx) -> bool:
        changed = await tx.execute(
            "UPDATE webhook_subscriptions SET active = 0, revoked_at = ? WHERE id = ? AND active = 1",
            (now_iso(), subscription_id),
        )
        if changed:
            from surveyor.delivery.store import cancel_jobs

            await cancel_jobs(tx, subject_type="webhook_subscription", subject_id=subscription_id)
            await audit(
                tx,
                "webhook.revoked",
                actor_label=actor_label,
                target_type="webhook_subscription",
                target_id=subscription_id,
            )
        return changed > 0

    return await db.write(revoke)


async def active_for_event(tx: Database | Tx, event_type: str) -> list[str]:
    """Ids of the active subscriptions listening for ``event_type`` (a handful of rows:
    matching the JSON list in Python keeps the SQL portable)."""
    rows = await tx.fetch_all(
        "SELECT id, event_types FROM webhook_subscriptions WHERE active = 1 ORDER BY created_at, id"
    )
    return [row["id"] for row in rows if event_type in msgspec.json.decode(row["event_types"])]
