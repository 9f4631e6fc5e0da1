"""The staff a follow-up case can go to, read from the users table: the round-robin's
managers, the assignable staff, the admins to notify, and accounts by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from surveyor.db import Database, Tx
from surveyor.followups.assign import Manager

Reader = Database | Tx


async def managers(db: Reader) -> list[Manager]:
    """Every manager account (disabled ones inactive): the round-robin's candidates."""
    rows = await db.fetch_all(
        "SELECT id, email, disabled FROM users WHERE role = 'manager' ORDER BY id"
    )
    return [Manager(id=r["id"], email=r["email"], active=not r["disabled"]) for r in rows]


async def staff_by_ids(db: Reader, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await db.fetch_all(
        f"SELECT id, email, name, role, disabled, notify_url FROM users"
        f" WHERE id IN ({', '.join('?' * len(wanted))})",
        tuple(wanted),
    )
    return {r["id"]: r for r in rows}


async def assignable_users(db: Reader) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT id, email, name, role FROM users WHERE role IN ('manager', 'admin')"
        " AND disabled = 0 ORDER BY name, email"
    )


async def admins(db: Reader) -> list[dict[str, Any]]:
    return await db.fetch_all(
        "SELECT id, email, name, notify_url FROM users WHERE role = 'admin' AND disabled = 0"
    )
