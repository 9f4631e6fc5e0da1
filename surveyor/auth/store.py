"""SQL for users, sessions, one-time links and the audit log (API keys: ``keys_store``, re-exported)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import msgspec

from surveyor.auth.keys_store import (
    KEY_COLUMNS as KEY_COLUMNS,
)
from surveyor.auth.keys_store import (
    KEY_PREFIX as KEY_PREFIX,
)
from surveyor.auth.keys_store import (
    api_key_for_secret as api_key_for_secret,
)
from surveyor.auth.keys_store import (
    create_api_key as create_api_key,
)
from surveyor.auth.keys_store import (
    get_api_key as get_api_key,
)
from surveyor.auth.keys_store import (
    insert_api_key as insert_api_key,
)
from surveyor.auth.keys_store import (
    list_api_keys as list_api_keys,
)
from surveyor.auth.keys_store import (
    mark_api_key_used as mark_api_key_used,
)
from surveyor.auth.keys_store import (
    new_api_key as new_api_key,
)
from surveyor.auth.keys_store import (
    revoke_api_key as revoke_api_key,
)
from surveyor.auth.keys_store import (
    row_to_key as row_to_key,
)
from surveyor.auth.models import Session, User
from surveyor.db import Database, Tx
from surveyor.ids import iso, new_id, new_token, now_iso, token_hash, utcnow

USER_COLUMNS = "id, email, name, role, disabled, notify_url, locale, created_at, updated_at"


def _user(row: dict[str, Any] | None) -> User | None:
    return None if row is None else msgspec.convert(row, User, strict=False)


# -- instance secret -----------------------------------------------------------


async def instance_secret(db: Database) -> bytes:
    """A random secret made on first start and kept in the database (HMAC keys, sampling)."""

    async def get_or_make(tx: Tx) -> str:
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES ('instance_secret', ?) ON CONFLICT (key) DO NOTHING",
            (secrets.token_hex(32),),
        )
        return await tx.fetch_val("SELECT value FROM meta WHERE key = 'instance_secret'")

    return bytes.fromhex(await db.write(get_or_make))


# -- users ---------------------------------------------------------------------


async def create_user(
    db: Database, *, email: str, role: str, name: str = "", password_hash: str | None = None
) -> User:
    now = now_iso()
    row = {
        "id": new_id(),
        "email": email.strip().lower(),
        "name": name,
        "role": role,
        "disabled": False,
        "created_at": now,
        "updated_at": now,
    }

    async def insert(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO users (id, email, name, role, password_hash, disabled, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            (row["id"], row["email"], name, role, password_hash, now, now),
        )

    await db.write(insert)
    return msgspec.convert(row, User)


async def get_user(db: Database, user_id: str) -> User | None:
    return _user(await db.fetch_one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)))


async def get_user_by_email(db: Database, email: str) -> User | None:
    return _user(
        await db.fetch_one(
            f"SELECT {USER_COLUMNS} FROM users WHERE email = ?", (email.strip().lower(),)
        )
    )


async def password_hash_for(db: Database, email: str) -> tuple[User | None, str | None]:
    row = await db.fetch_one(
        f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?", (email.strip().lower(),)
    )
    if row is None:
        return None, None
    stored = row.pop("password_hash")
    return _user(row), stored


async def list_users(db: Database) -> list[User]:
    rows = await db.fetch_all(f"SELECT {USER_COLUMNS} FROM users ORDER BY email")
    return [msgspec.convert(r, User, strict=False) for r in rows]


async def count_admins(db: Database) -> int:
    return await db.fetch_val("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0")


async def update_user(db: Database, user_id: str, **fields: Any) -> None:
    """Change ``name``, ``role``, ``disabled``, ``notify_url``, ``locale`` or ``password_hash``.

    Disabling a user or changing their password ends all of their sessions.
    """
    allowed = {"name", "role", "disabled", "notify_url", "locale", "password_hash"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}")
    if "disabled" in fields:
        fields["disabled"] = int(bool(fields["disabled"]))
    assignments = ", ".join(f"{name} = ?" for name in fields)

    async def update(tx: Tx) -> None:
        await tx.execute(
            f"UPDATE users SET {assignments}, updated_at = ? WHERE id = ?",
            (*fields.values(), now_iso(), user_id),
        )
        if fields.get("disabled") or "password_hash" in fields:
            await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    await db.write(update)


# -- sessions ------------------------------------------------------------------


async def create_session(
    db: Database, user_id: str, *, days: int, replaces: str | None = None
) -> tuple[str, Session]:
    """A new session with a new id: logging in never reuses an id (no fixation)."""
    token = new_token(32)
    now = utcnow()
    session = Session(
        id_hash=token_hash(token),
        user_id=user_id,
        csrf_token=new_token(24),
        created_at=iso(now),
        last_seen_at=iso(now),
        expires_at=iso(now + timedelta(days=days)),
    )

    async def insert(tx: Tx) -> None:
        if replaces:
            await tx.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(replaces),))
        await tx.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            tuple(msgspec.structs.astuple(session)),
        )

    await db.write(insert)
    return token, session


async def session_user(db: Database, token: str) -> tuple[Session, User] | None:
    row = await db.fetch_one(
        "SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,"
        " u.email, u.name, u.role, u.disabled, u.notify_url, u.locale,"
        " u.created_at AS u_created_at, u.updated_at AS u_updated_at"
        " FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        (token_hash(token), now_iso()),
    )
    if row is None:
        return None
    session = msgspec.convert(row, Session, strict=False)
    user = msgspec.convert(
        {
            "id": row["user_id"],
            "email": row["email"],
            "name": row["name"],
            "role": row["role"],
            "disabled": row["disabled"],
            "notify_url": row["notify_url"],
            "locale": row["locale"],
            "created_at": row["u_created_at"],
            "updated_at": row["u_updated_at"],
        },
        User,
        strict=False,
    )
    return session, user


async def touch_session(db: Database, id_hash: str, *, days: int) -> None:
    now = utcnow()

    async def touch(tx: Tx) -> None:
        await tx.execute(
            "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?",
            (iso(now), iso(now + timedelta(days=days)), id_hash),
        )

    await db.write(touch)


async def delete_session(db: Database, token: str) -> None:
    await db.write(
        lambda tx: tx.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(token),))
    )


async def count_sessions(db: Database, user_id: str) -> int:
    return await db.fetch_val("SELECT count(*) FROM sessions WHERE user_id = ?", (user_id,))


# -- one-time links (first-run setup) ----------------------------------------


async def create_setup_token(db: Database, *, hours: int = 24) -> str:
    """A one-time link that lets the operator create the first admin (no default password)."""
    token = new_token(24)
    now = utcnow()

    async def store(tx: Tx) -> None:
        await tx.execute("DELETE FROM meta WHERE key = 'setup_token'")
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES ('setup_token', ?)",
            (f"{token_hash(token)}|{iso(now + timedelta(hours=hours))}",),
        )

    await db.write(store)
    return token


RACE_SECONDS = 120


async def ensure_setup_token(db: Database, *, hours: int = 24) -> str | None:
    """``create_setup_token`` for start-up, safe when several processes start at once.

    Under the migration lock (PostgreSQL: an advisory lock; SQLite: the writer's
    ``BEGIN IMMEDIATE``), the first process makes the link; one that finds a link made in
    the last ``RACE_SECONDS`` (a sibling starting with it) keeps it and returns ``None``,
    so the link the first one printed keeps working. A later restart replaces the link.
    """
    token = new_token(24)
    now = utcnow()
    expires = iso(now + timedelta(hours=hours))
    fresh_after = iso(now + timedelta(hours=hours, seconds=-RACE_SECONDS))

    async def store(tx: Tx) -> bool:
        await db.lock_for_migrations(tx)
        value = await tx.fetch_val("SELECT value FROM meta WHERE key = 'setup_token'")
        if value and value.partition("|")[2] > fresh_after:
            return False
        await tx.execute(
            "INSERT INTO meta (key, value) VALUES ('setup_token', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"{token_hash(token)}|{expires}",),
        )
        return True

    return token if await db.write(store) else None


async def check_setup_token(db: Database, token: str) -> bool:
    value = await db.fetch_val("SELECT value FROM meta WHERE key = 'setup_token'")
    if not value:
        return False
    stored, _, expires = value.partition("|")
    return secrets.compare_digest(stored, token_hash(token)) and expires > now_iso()


async def consume_setup_token(tx: Tx) -> None:
    await tx.execute("DELETE FROM meta WHERE key = 'setup_token'")


# -- audit log -----------------------------------------------------------------


async def audit(
    target: Database | Tx,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Record who did what to which record. Pass a ``Tx`` to record it in that transaction."""
    params = (
        new_id(),
        now_iso(),
        actor.id if actor else None,
        actor.email if actor else actor_label,
        action,
        target_type,
        target_id,
        msgspec.json.encode(detail or {}).decode(),
        ip,
    )
    sql = (
        "INSERT INTO audit_log (id, at, actor_id, actor, action, target_type, target_id, detail, ip)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    if hasattr(target, "write"):
        await target.write(lambda tx: tx.execute(sql, params))  # type: ignore[union-attr]
    else:
        await target.execute(sql, params)  # type: ignore[union-attr]


async def failed_login_attempts(db: Database, email: str, since: str) -> list[tuple[str, str]]:
    """``(at, ip)`` of the failed logins for ``email`` after ``since``, oldest first."""
    rows = await db.fetch_all(
        "SELECT at, ip FROM audit_log WHERE action = 'login.failed' AND target_id = ? AND at > ? "
        "ORDER BY at",
        (email.strip().lower(), since),
    )
    return [(row["at"], row["ip"] or "") for row in rows]


async def failed_logins_since(db: Database, email: str, since: str) -> int:
    return await db.fetch_val(
        "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND target_id = ? AND at > ?",
        (email.strip().lower(), since),
    )


async def erase_from_audit(tx: Tx, needles: list[str], mark: str) -> None:
    """Replace each of ``needles`` (an erased contact's email, phone, name) in the audit
    log's targets and details: the entries (who did what, when) stay."""
    for needle in needles:
        encoded = msgspec.json.encode(needle).decode()[1:-1]
        await tx.execute(
            "UPDATE audit_log SET detail = REPLACE(detail, ?, ?), target_id = REPLACE(target_id, ?, ?)"
            " WHERE detail LIKE ? ESCAPE '\\' OR target_id = ?",
            (encoded, mark, needle, mark, "%" + _like_escape(encoded) + "%", needle),
        )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
