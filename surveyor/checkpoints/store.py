"""SQL for checkpoints and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from surveyor.cache import MISSING, TTLCache
from surveyor.checkpoints.models import Checkpoint, CheckpointIn
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso

if TYPE_CHECKING:
    from surveyor.services import Services

COLUMNS = (
    "id, key, name, description, position, survey_id, channels, delay_seconds, sample_rate,"
    " quiet_hours, recontact_days, reminder_days, max_reminders, expires_days, active, created_at, updated_at"
)


def _checkpoint(row: dict[str, Any] | None) -> Checkpoint | None:
    if row is None:
        return None
    row = dict(row)
    row["channels"] = msgspec.json.decode(row["channels"])
    row["quiet_hours"] = msgspec.json.decode(row["quiet_hours"]) if row["quiet_hours"] else None
    return msgspec.convert(row, Checkpoint, strict=False)


def _values(data: CheckpointIn) -> tuple[Any, ...]:
    return (
        data.name,
        data.description,
        data.position,
        data.survey_id,
        msgspec.json.encode(list(data.channels)).decode(),
        data.delay_seconds,
        float(data.sample_rate),
        msgspec.json.encode(data.quiet_hours).decode() if data.quiet_hours else None,
        data.recontact_days,
        data.reminder_days,
        data.max_reminders,
        data.expires_days,
        int(data.active),
    )


CHECKPOINT_TTL_SECONDS = 5.0


async def cached_checkpoint(svc: Services, key: str) -> Checkpoint | None:
    """``get_checkpoint`` through a few-second cache: the events API asks on every request.

    Changes made in this process clear it (``forget_checkpoints``); another process's
    edits apply within ``CHECKPOINT_TTL_SECONDS``.
    """
    cache = checkpoint_cache(svc)
    found = cache.get(key)
    if found is MISSING:
        found = await get_checkpoint(svc.db, key)
        cache.put(key, found)
    return found


def checkpoint_cache(svc: Services) -> TTLCache:
    if svc.caches.checkpoints is None:
        svc.caches.checkpoints = TTLCache(CHECKPOINT_TTL_SECONDS)
    return svc.caches.checkpoints


def forget_checkpoints(svc: Services) -> None:
    checkpoint_cache(svc).clear()


async def list_checkpoints(db: Database) -> list[Checkpoint]:
    rows = await db.fetch_all(f"SELECT {COLUMNS} FROM checkpoints ORDER BY position, key")
    return [c for c in map(_checkpoint, rows) if c is not None]


async def get_checkpoint(db: Database | Tx, key: str) -> Checkpoint | None:
    return _checkpoint(
        await db.fetch_one(f"SELECT {COLUMNS} FROM checkpoints WHERE key = ?", (key,))
    )


async def create_checkpoint(db: Database, data: CheckpointIn) -> Checkpoint:
    now = now_iso()
    checkpoint_id = new_id()

    async def insert(tx: Tx) -> None:
        await tx.execute(
            f"INSERT INTO checkpoints ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (checkpoint_id, data.key, *_values(data), now, now),
        )

    await db.write(insert)
    created = await get_checkpoint(db, data.key)
    assert created is not None
    return created


async def update_checkpoint(db: Database, key: str, data: CheckpointIn) -> Checkpoint | None:
    async def update(tx: Tx) -> int:
        return await tx.execute(
            "UPDATE checkpoints SET name = ?, description = ?, position = ?, survey_id = ?, channels = ?,"
            " delay_seconds = ?, sample_rate = ?, quiet_hours = ?, recontact_days = ?, reminder_days = ?,"
            " max_reminders = ?, expires_days = ?, active = ?, updated_at = ?, key = ? WHERE key = ?",
            (*_values(data), now_iso(), data.key, key),
        )

    if not await db.write(update):
        return None
    return await get_checkpoint(db, data.key)


async def checkpoint_stats(db: Database) -> dict[str, dict[str, int]]:
    """Events per checkpoint and decision over the last 30 days, for the journey page."""
    from datetime import timedelta

    from surveyor.ids import iso, utcnow

    rows = await db.fetch_all(
        "SELECT checkpoint_key, decision, count(*) AS n FROM events WHERE created_at > ?"
        " GROUP BY checkpoint_key, decision",
        (iso(utcnow() - timedelta(days=30)),),
    )
    stats: dict[str, dict[str, int]] = {}
    for row in rows:
        stats.setdefault(row["checkpoint_key"], {})[row["decision"]] = row["n"]
    return stats


# -- events ---------------------------------------------------------------------


async def seen_event(tx: Tx, api_key_id: str, idempotency_key: str) -> dict[str, Any] | None:
    """The fingerprint and stored answer of an earlier event sent with this key."""
    return await tx.fetch_one(
        "SELECT request_hash, response FROM events WHERE api_key_id = ? AND idempotency_key = ?",
        (api_key_id, idempotency_key),
    )


async def insert_event(
    tx: Tx,
    *,
    event_id: str,
    checkpoint: Checkpoint,
    contact_id: str,
    properties: str,
    decision: str,
    reason: str,
    api_key_id: str,
    idempotency_key: str | None,
    request_hash: str,
    response: str,
    created_at: str,
) -> None:
    await tx.execute(
        "INSERT INTO events (id, checkpoint_id, checkpoint_key, contact_id, properties, decision,"
        " reason, api_key_id, idempotency_key, request_hash, response, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event_id,
            checkpoint.id,
            checkpoint.key,
            contact_id,
            properties,
            decision,
            reason,
            api_key_id,
            idempotency_key,
            request_hash,
            response,
            created_at,
        ),
    )


# -- the surveys a checkpoint may point at --------------------------------------
# (the surveys domain's tables, read here so a checkpoint form costs one query)


async def latest_version_id(tx: Tx | Database, survey_id: str) -> str | None:
    """The survey's newest version, which an event's invitation is made from."""
    return await tx.fetch_val(
        "SELECT id FROM survey_versions WHERE survey_id = ? ORDER BY number DESC LIMIT 1",
        (survey_id,),
    )


async def survey_exists(db: Database, survey_id: str) -> bool:
    return bool(await db.fetch_val("SELECT 1 FROM surveys WHERE id = ?", (survey_id,)))


async def survey_choices(db: Database) -> list[dict[str, Any]]:
    """``{id, name}`` of every survey, by name, for the checkpoint form's menu."""
    return await db.fetch_all("SELECT id, name FROM surveys ORDER BY name")


# -- erasure (issue 12) ----------------------------------------------------------------


async def erase_event_data(tx: Tx, contact_id: str) -> int:
    """An erased contact's events keep their decision and reason (the history of why
    they were or were not surveyed) but lose the properties snapshot, which may hold
    personal data, here and in the stored API answer (its invitations carry a copy; the
    answer stays replayable for the idempotency key)."""
    rows = await tx.fetch_all("SELECT id, response FROM events WHERE contact_id = ?", (contact_id,))
    for row in rows:
        answer = msgspec.json.decode(row["response"] or "{}")
        for invitation in answer.get("invitations") or []:
            if isinstance(invitation, dict):
                invitation["properties"] = {}
        await tx.execute(
            "UPDATE events SET properties = '{}', response = ? WHERE id = ?",
            (msgspec.json.encode(answer).decode(), row["id"]),
        )
    return len(rows)
