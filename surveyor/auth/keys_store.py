"""SQL for API keys: their secrets, records, revocation and last use."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

from surveyor.auth.models import ApiKey
from surveyor.db import Database, Tx
from surveyor.ids import new_id, new_token, now_iso, token_hash

KEY_COLUMNS = "id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at"
KEY_PREFIX = "sv_"


def row_to_key(row: dict[str, Any] | None) -> ApiKey | None:
    if row is None:
        return None
    return msgspec.convert({**row, "scopes": row["scopes"].split(",")}, ApiKey, strict=False)


def new_api_key(*, name: str, scopes: list[str], created_by: str | None) -> tuple[str, ApiKey]:
    """A fresh secret and its record (not yet stored). The prefix is what people see."""
    prefix = KEY_PREFIX + secrets.token_hex(4)
    secret = f"{prefix}_{new_token(32)}"
    key = ApiKey(
        id=new_id(),
        name=name,
        prefix=prefix,
        scopes=sorted(set(scopes)),
        created_by=created_by,
        created_at=now_iso(),
        last_used_at=None,
        revoked_at=None,
    )
    return secret, key


async def insert_api_key(tx: Tx, key: ApiKey, secret_hash: str) -> None:
    await tx.execute(
        "INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            key.id,
            key.name,
            key.prefix,
            secret_hash,
            ",".join(key.scopes),
            key.created_by,
            key.created_at,
        ),
    )


async def create_api_key(
    db: Database, *, name: str, scopes: list[str], created_by: str | None
) -> tuple[str, ApiKey]:
    """Returns the secret (shown once, never stored) and the key's record."""
    secret, key = new_api_key(name=name, scopes=scopes, created_by=created_by)
    await db.write(lambda tx: insert_api_key(tx, key, token_hash(secret)))
    return secret, key


async def api_key_for_secret(db: Database, secret: str) -> ApiKey | None:
    return row_to_key(
        await db.fetch_one(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?", (token_hash(secret),)
        )
    )


async def list_api_keys(db: Database) -> list[ApiKey]:
    rows = await db.fetch_all(f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC")
    return [k for k in map(row_to_key, rows) if k is not None]


async def get_api_key(db: Database, key_id: str) -> ApiKey | None:
    return row_to_key(
        await db.fetch_one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
    )


async def revoke_api_key(db: Database, key_id: str) -> bool:
    async def revoke(tx: Tx) -> int:
        return await tx.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (now_iso(), key_id),
        )

    return bool(await db.write(revoke))


async def mark_api_key_used(db: Database, key_id: str) -> None:
    await db.write(
        lambda tx: tx.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (now_iso(), key_id)
        )
    )
