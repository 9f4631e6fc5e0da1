"""The SQL behind ``auth.changes``: one statement per function, run inside the caller's
transaction (``tx``) so a change and its audit entry commit together, plus the keyset
pages of the settings screens. The rules (last admin, e-mail taken) live in ``changes``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.auth.models import ApiKey, AuditEntry, User
from surveyor.auth.store import KEY_COLUMNS, USER_COLUMNS, row_to_key
from surveyor.db import Database, Tx
from surveyor.ids import now_iso

AUDIT_COLUMNS = "id, at, actor_id, actor, action, target_type, target_id, detail, ip"


async def user_in(tx: Tx, user_id: str) -> User | None:
    row = await tx.fetch_one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return None if row is None else msgspec.convert(row, User, strict=False)


async def lock_admins(tx: Tx) -> None:
    # On PostgreSQL two concurrent demotions could each see the other admin still
    # enabled; updating one shared row first makes such changes take turns. (SQLite's
    # single writer already serialises them.)
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES ('admin_lock', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (now_iso(),),
    )


async def other_enabled_admins(tx: Tx, user_id: str) -> int:
    return await tx.fetch_val(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?", (user_id,)
    )


async def any_admin(tx: Tx) -> bool:
    return bool(await tx.fetch_val("SELECT count(*) FROM users WHERE role = 'admin'"))


async def email_taken(tx: Tx, email: str) -> bool:
    return bool(await tx.fetch_val("SELECT count(*) FROM users WHERE email = ?", (email,)))


async def insert_user(tx: Tx, user: User, password_hash: str) -> None:
    await tx.execute(
        "INSERT INTO users (id, email, name, role, password_hash, disabled, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        (
            user.id,
            user.email,
            user.name,
            user.role,
            password_hash,
            user.created_at,
            user.updated_at,
        ),
    )


async def set_role(tx: Tx, user_id: str, role: str) -> None:
    await tx.execute(
        "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", (role, now_iso(), user_id)
    )


async def set_disabled(tx: Tx, user_id: str, disabled: bool) -> None:
    """Disabling also ends every session of the user."""
    await tx.execute(
        "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
        (int(disabled), now_iso(), user_id),
    )
    if disabled:
        await end_sessions(tx, user_id)


async def set_profile(tx: Tx, user_id: str, changed: dict[str, str]) -> None:
    """``changed`` holds only ``name``, ``locale`` and ``notify_url`` (the caller's keys)."""
    assignments = ", ".join(f"{key} = ?" for key in changed)
    await tx.execute(
        f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",
        (*changed.values(), now_iso(), user_id),
    )


async def set_password_hash(tx: Tx, user_id: str, password_hash: str) -> None:
    """A new password ends every session of the user."""
    await tx.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        (password_hash, now_iso(), user_id),
    )
    await end_sessions(tx, user_id)


async def end_sessions(tx: Tx, user_id: str) -> None:
    await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


async def password_hash_of(db: Database, user_id: str) -> str | None:
    return await db.fetch_val("SELECT password_hash FROM users WHERE id = ?", (user_id,))


async def stored_setup_token(tx: Tx) -> str | None:
    """``<hash>|<expires>`` of the first-run setup link, if one is outstanding."""
    return await tx.fetch_val("SELECT value FROM meta WHERE key = 'setup_token'")


async def api_key_in(tx: Tx, key_id: str) -> ApiKey | None:
    return row_to_key(
        await tx.fetch_one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
    )


async def mark_revoked(tx: Tx, key_id: str, at: str) -> None:
    await tx.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (at, key_id))


async def api_keys_before(db: Database, cursor: tuple[str, str] | None, limit: int) -> list[ApiKey]:
    """Up to ``limit`` keys, newest first, older than ``cursor`` ``(created_at, id)``."""
    where, params = "", ()
    if cursor:
        where = "WHERE created_at < ? OR (created_at = ? AND id < ?)"
        params = (cursor[0], cursor[0], cursor[1])
    rows = await db.fetch_all(
        f"SELECT {KEY_COLUMNS} FROM api_keys {where} ORDER BY created_at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [k for k in map(row_to_key, rows) if k is not None]


async def audit_before(
    db: Database, *, action: str, cursor: tuple[str, str] | None, limit: int
) -> list[AuditEntry]:
    """Up to ``limit`` audit entries (of one ``action``, if given), newest first, older
    than ``cursor`` ``(at, id)``."""
    clauses: list[str] = []
    params: list[Any] = []
    if action:
        clauses.append("action = ?")
        params.append(action)
    if cursor:
        clauses.append("(at < ? OR (at = ? AND id < ?))")
        params.extend((cursor[0], cursor[0], cursor[1]))
    where = "WHERE " + " AND ".join(clauses) if clauses else ""
    rows = await db.fetch_all(
        f"SELECT {AUDIT_COLUMNS} FROM audit_log {where} ORDER BY at DESC, id DESC LIMIT ?",
        (*params, limit),
    )
    return [msgspec.convert(r, AuditEntry, strict=False) for r in rows]


async def audit_actions(db: Database) -> list[str]:
    rows = await db.fetch_all("SELECT DISTINCT action FROM audit_log ORDER BY action")
    return [r["action"] for r in rows]


async def user_emails(db: Database, user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    marks = ", ".join("?" for _ in user_ids)
    rows = await db.fetch_all(f"SELECT id, email FROM users WHERE id IN ({marks})", tuple(user_ids))
    return {r["id"]: r["email"] for r in rows}
