"""SQL for inbound sources and their payload log."""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.auth.store import audit
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso
from surveyor.sources.mapping import Mapping
from surveyor.sources.models import PayloadEntry, Source
from surveyor.sources.verify import HmacOptions

COLUMNS = (
    "id, name, type, checkpoint, options, mapping, allow_list, active, failures,"
    " last_failure_at, created_at"
)


def source_url(base_url: str, source_id: str) -> str:
    return f"{base_url.rstrip('/')}/hooks/in/{source_id}"


def _source(row: dict[str, Any], base_url: str) -> Source:
    return Source(
        id=row["id"],
        name=row["name"],
        type=row["type"],
        checkpoint=row["checkpoint"],
        url=source_url(base_url, row["id"]),
        mapping=msgspec.json.decode(row["mapping"], type=Mapping),
        options=msgspec.json.decode(row["options"], type=HmacOptions),
        allow_list=msgspec.json.decode(row["allow_list"], type=list[str]),
        active=bool(row["active"]),
        failures=int(row["failures"]),
        last_failure_at=row["last_failure_at"],
        created_at=row["created_at"],
    )


async def create_source(
    db: Database,
    *,
    name: str,
    type: str,
    checkpoint: str,
    secret: str,
    mapping: Mapping,
    options: HmacOptions,
    allow_list: list[str],
    base_url: str,
    actor_label: str = "",
) -> Source:
    now = now_iso()
    row = {
        "id": "src_" + new_id(),
        "name": name,
        "type": type,
        "checkpoint": checkpoint,
        "options": msgspec.json.encode(options).decode(),
        "mapping": msgspec.json.encode(mapping).decode(),
        "allow_list": msgspec.json.encode(allow_list).decode(),
        "active": 1,
        "failures": 0,
        "last_failure_at": None,
        "created_at": now,
    }

    async def insert(tx: Tx) -> None:
        await tx.execute(
            f"INSERT INTO sources ({COLUMNS}, secret, created_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row.values(), secret, actor_label or None, now),
        )
        await audit(
            tx,
            "source.created",
            actor_label=actor_label,
            target_type="source",
            target_id=row["id"],
            detail={"name": name, "type": type, "checkpoint": checkpoint},
        )

    await db.write(insert)
    return _source(row, base_url)


async def list_sources(db: Database, base_url: str) -> list[Source]:
    rows = await db.fetch_all(f"SELECT {COLUMNS} FROM sources ORDER BY created_at, id")
    return [_source(row, base_url) for row in rows]


async def get_source(db: Database | Tx, source_id: str, base_url: str) -> Source | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM sources WHERE id = ?", (source_id,))
    return None if row is None else _source(row, base_url)


async def source_for_delivery(
    db: Database | Tx, source_id: str, base_url: str
) -> tuple[Source, str] | None:
    """An active source and its HMAC key, in one read: for verification only."""
    row = await db.fetch_one(
        f"SELECT {COLUMNS}, secret FROM sources WHERE id = ? AND active = 1", (source_id,)
    )
    return None if row is None else (_source(row, base_url), row["secret"])


async def update_mapping(
    db: Database, source_id: str, mapping: Mapping, *, actor_label: str = ""
) -> bool:
    async def update(tx: Tx) -> bool:
        changed = await tx.execute(
            "UPDATE sources SET mapping = ?, updated_at = ? WHERE id = ?",
            (msgspec.json.encode(mapping).decode(), now_iso(), source_id),
        )
        if changed:
            await audit(
                tx,
                "source.mapping_changed",
                actor_label=actor_label,
                target_type="source",
                target_id=source_id,
                detail=msgspec.to_builtins(mapping),
            )
        return changed > 0

    return await db.write(update)


async def count_failure(db: Database, source_id: str) -> None:
    """A refused request: a counter and a time, nothing of the request itself."""

    async def bump(tx: Tx) -> None:
        await tx.execute(
            "UPDATE sources SET failures = failures + 1, last_failure_at = ? WHERE id = ?",
            (now_iso(), source_id),
        )

    await db.write(bump)


async def delivery_seen(tx: Tx, source_id: str, delivery_id: str) -> bool:
    row = await tx.fetch_one(
        "SELECT 1 AS seen FROM source_payloads WHERE source_id = ? AND delivery_id = ?",
        (source_id, delivery_id),
    )
    return row is not None


async def log_payload(
    tx: Tx,
    *,
    source_id: str,
    delivery_id: str,
    payload: dict[str, Any],
    mapped: dict[str, Any],
    decision: str,
    reason: str,
    event_id: str | None,
    keep_since: str,
) -> str:
    """Log one delivery, and forget the source's deliveries older than ``keep_since``
    (the retention runs with the writes, so there is no job to forget)."""
    entry_id = new_id()
    await tx.execute(
        "DELETE FROM source_payloads WHERE source_id = ? AND received_at < ?",
        (source_id, keep_since),
    )
    await tx.execute(
        "INSERT INTO source_payloads (id, source_id, delivery_id, received_at, payload,"
        " mapped, decision, reason, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            source_id,
            delivery_id,
            now_iso(),
            msgspec.json.encode(payload).decode(),
            msgspec.json.encode(mapped).decode(),
            decision,
            reason,
            event_id,
        ),
    )
    return entry_id


def _entry(row: dict[str, Any]) -> PayloadEntry:
    return msgspec.convert(
        {
            **row,
            "payload": msgspec.json.decode(row["payload"]),
            "mapped": msgspec.json.decode(row["mapped"]),
        },
        PayloadEntry,
        strict=False,
    )


async def recent_payloads(db: Database, source_id: str, limit: int = 50) -> list[PayloadEntry]:
    rows = await db.fetch_all(
        "SELECT id, delivery_id, received_at, payload, mapped, decision, reason, event_id"
        " FROM source_payloads WHERE source_id = ? ORDER BY received_at DESC, id DESC LIMIT ?",
        (source_id, limit),
    )
    return [_entry(row) for row in rows]


async def get_payload(db: Database, source_id: str, entry_id: str) -> PayloadEntry | None:
    row = await db.fetch_one(
        "SELECT id, delivery_id, received_at, payload, mapped, decision, reason, event_id"
        " FROM source_payloads WHERE source_id = ? AND id = ?",
        (source_id, entry_id),
    )
    return None if row is None else _entry(row)
