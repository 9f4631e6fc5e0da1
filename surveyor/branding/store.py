"""The ``brands`` and ``brand_logos`` tables."""

from __future__ import annotations

import base64
from typing import Any

import msgspec

from surveyor.branding.models import BrandSettings, Logo
from surveyor.db import Database, Tx
from surveyor.ids import now_iso

COLUMNS = "scope, name, logo_url, logo_id, primary_color, font_stack, updated_at, updated_by"


async def get_brand(db: Database | Tx, scope: str) -> BrandSettings | None:
    row = await db.fetch_one(f"SELECT {COLUMNS} FROM brands WHERE scope = ?", (scope,))
    return msgspec.convert(dict(row), BrandSettings) if row is not None else None


async def get_brands(db: Database | Tx, scopes: list[str]) -> dict[str, BrandSettings]:
    if not scopes:
        return {}
    marks = ", ".join("?" for _ in scopes)
    rows = await db.fetch_all(f"SELECT {COLUMNS} FROM brands WHERE scope IN ({marks})", scopes)
    return {row["scope"]: msgspec.convert(dict(row), BrandSettings) for row in rows}


async def save_brand(tx: Tx, brand: BrandSettings, *, actor: str | None) -> BrandSettings:
    """Insert or replace the brand of ``brand.scope``."""
    saved = msgspec.structs.replace(brand, updated_at=now_iso(), updated_by=actor)
    await tx.execute(
        f"INSERT INTO brands ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (scope) DO UPDATE SET name = excluded.name, logo_url = excluded.logo_url,"
        " logo_id = excluded.logo_id, primary_color = excluded.primary_color,"
        " font_stack = excluded.font_stack, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
        (
            saved.scope,
            saved.name,
            saved.logo_url,
            saved.logo_id,
            saved.primary_color,
            saved.font_stack,
            saved.updated_at,
            saved.updated_by,
        ),
    )
    return saved


async def save_logo(tx: Tx, logo: Logo) -> None:
    """Store an uploaded logo once (same bytes, same id)."""
    await tx.execute(
        "INSERT INTO brand_logos (id, content_type, data, size, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (logo.id, logo.content_type, base64.b64encode(logo.data).decode(), logo.size, now_iso()),
    )


async def get_logo(db: Database | Tx, logo_id: str) -> Logo | None:
    row: Any = await db.fetch_one(
        "SELECT id, content_type, data, size FROM brand_logos WHERE id = ?", (logo_id,)
    )
    if row is None:
        return None
    return Logo(
        id=row["id"],
        content_type=row["content_type"],
        data=base64.b64decode(row["data"]),
        size=int(row["size"]),
    )
