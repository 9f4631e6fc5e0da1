"""Audited changes to accounts and API keys, and the queries of the settings pages.

Each change and its audit entry are written in one transaction, so the log can never
miss a change that happened (or record one that rolled back).
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec

from surveyor.auth import accounts_store as sql
from surveyor.auth import store
from surveyor.auth.models import ApiKey, AuditEntry, User
from surveyor.db import Database, Tx
from surveyor.ids import new_id, now_iso, token_hash


class LastAdminError(Exception):
    """The change would leave the instance without an enabled admin."""


class EmailTakenError(Exception):
    """Another user already has this email address."""


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who makes a change: a signed-in user, or an API key (by its prefix), and from where."""

    user: User | None = None
    label: str = ""
    ip: str = ""


async def _audit(
    tx: Tx, actor: Actor, action: str, target_type: str, target_id: str, **detail: Any
) -> None:
    await store.audit(
        tx,
        action,
        actor=actor.user,
        actor_label=actor.label,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        ip=actor.ip,
    )


# -- users ---------------------------------------------------------------------


async def create_user(
    db: Database, *, email: str, name: str, role: str, password_hash: str, actor: Actor
) -> User:
    now = now_iso()
    user = User(
        id=new_id(),
        email=email.strip().lower(),
        name=name,
        role=role,  # type: ignore[arg-type]
        disabled=False,
        created_at=now,
        updated_at=now,
    )

    async def insert(tx: Tx) -> None:
        if await sql.email_taken(tx, user.email):
            raise EmailTakenError(user.email)
        await sql.insert_user(tx, user, password_hash)
        await _audit(tx, actor, "user.created", "user", user.id, role=role)

    await db.write(insert)
    return user


async def change_role(db: Database, user_id: str, role: str, *, actor: Actor) -> User | None:
    """The updated user, or None if there is no such user. Audited as ``role.changed``."""

    async def change(tx: Tx) -> User | None:
        await sql.lock_admins(tx)
        user = await sql.user_in(tx, user_id)
        if user is None or user.role == role:
            return user
        if (
            user.role == "admin"
            and not user.disabled
            and not await sql.other_enabled_admins(tx, user_id)
        ):
            raise LastAdminError(user_id)
        await sql.set_role(tx, user_id, role)
        await _audit(tx, actor, "role.changed", "user", user_id, old=user.role, new=role)
        return msgspec.structs.replace(user, role=role)  # type: ignore[arg-type]

    return await db.write(change)


async def set_disabled(db: Database, user_id: str, disabled: bool, *, actor: Actor) -> User | None:
    """Disable (ending every session of theirs at once) or enable a user."""

    async def change(tx: Tx) -> User | None:
        await sql.lock_admins(tx)
        user = await sql.user_in(tx, user_id)
        if user is None or user.disabled == disabled:
            return user
        if disabled and user.role == "admin" and not await sql.other_enabled_admins(tx, user_id):
            raise LastAdminError(user_id)
        await sql.set_disabled(tx, user_id, disabled)
        await _audit(tx, actor, "user.disabled" if disabled else "user.enabled", "user", user_id)
        return msgspec.structs.replace(user, disabled=disabled)

    return await db.write(change)


async def update_profile(
    db: Database, user: User, *, name: str, locale: str, notify_url: str, ip: str
) -> User:
    changed = {
        key: value
        for key, value in (("name", name), ("locale", locale), ("notify_url", notify_url))
        if getattr(user, key) != value
    }
    if not changed:
        return user

    async def update(tx: Tx) -> None:
        await sql.set_profile(tx, user.id, changed)
        # Field names only: a notification URL may carry a token.
        await _audit(
            tx, Actor(user=user, ip=ip), "profile.updated", "user", user.id, fields=sorted(changed)
        )

    await db.write(update)
    return msgspec.structs.replace(user, **changed)


async def change_password(db: Database, user: User, password_hash: str, *, ip: str) -> None:
    """Set a new password hash and end every session of the user."""

    async def update(tx: Tx) -> None:
        await sql.set_password_hash(tx, user.id, password_hash)
        await _audit(tx, Actor(user=user, ip=ip), "password.changed", "user", user.id)

    await db.write(update)


# -- API keys ------------------------------------------------------------------


async def create_api_key(
    db: Database, *, name: str, scopes: list[str], actor: Actor
) -> tuple[str, ApiKey]:
    """A new key; returns the secret (shown once, never stored) and the record."""
    secret, key = store.new_api_key(
        name=name, scopes=scopes, created_by=actor.user.id if actor.user else None
    )

    async def insert(tx: Tx) -> None:
        await store.insert_api_key(tx, key, token_hash(secret))
        await _audit(
            tx,
            actor,
            "apikey.created",
            "api_key",
            key.id,
            name=name,
            prefix=key.prefix,
            scopes=key.scopes,
        )

    await db.write(insert)
    return secret, key


async def revoke_api_key(db: Database, key_id: str, *, actor: Actor) -> ApiKey | None:
    """Revoke a key (idempotent); None when there is no such key."""

    async def revoke(tx: Tx) -> ApiKey | None:
        key = await sql.api_key_in(tx, key_id)
        if key is None or key.revoked_at is not None:
            return key
        now = now_iso()
        await sql.mark_revoked(tx, key_id, now)
        await _audit(
            tx, actor, "apikey.revoked", "api_key", key_id, name=key.name, prefix=key.prefix
        )
        return msgspec.structs.replace(key, revoked_at=now)

    return await db.write(revoke)


# -- pages of lists (newest first, keyset cursors) -----------------------------


def encode_cursor(at: str, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    at, sep, row_id = text.partition("|")
    return (at, row_id) if sep and at and row_id else None


async def api_keys_page(
    db: Database, *, cursor: tuple[str, str] | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    found = await sql.api_keys_before(db, cursor, limit + 1)
    keys, more = found[:limit], len(found) > limit
    return keys, encode_cursor(keys[-1].created_at, keys[-1].id) if more and keys else None


async def audit_page(
    db: Database, *, action: str = "", cursor: tuple[str, str] | None = None, limit: int = 100
) -> tuple[list[AuditEntry], str | None]:
    found = await sql.audit_before(db, action=action, cursor=cursor, limit=limit + 1)
    entries, more = found[:limit], len(found) > limit
    return entries, encode_cursor(entries[-1].at, entries[-1].id) if more and entries else None


async def user_labels(db: Database, entries: list[AuditEntry]) -> dict[str, str]:
    """Email addresses of the users the entries point at, so the log reads as names."""
    ids = sorted({e.target_id for e in entries if e.target_type == "user" and e.target_id})
    return await sql.user_emails(db, ids)


async def create_first_admin(
    db: Database, *, setup_token: str, email: str, name: str, password_hash: str, ip: str
) -> User | None:
    """The first-run admin, once: the setup link is checked and consumed in the same
    transaction that creates the account, so two submissions cannot both succeed."""
    now = now_iso()
    user = User(
        id=new_id(),
        email=email.strip().lower(),
        name=name,
        role="admin",
        disabled=False,
        created_at=now,
        updated_at=now,
    )

    async def create(tx: Tx) -> bool:
        await sql.lock_admins(tx)
        stored = await sql.stored_setup_token(tx)
        digest, _, expires = (stored or "").partition("|")
        if not stored or digest != token_hash(setup_token) or expires <= now:
            return False
        if await sql.any_admin(tx):
            return False
        await store.consume_setup_token(tx)
        if await sql.email_taken(tx, user.email):
            raise EmailTakenError(user.email)
        await sql.insert_user(tx, user, password_hash)
        await _audit(
            tx, Actor(user=user, ip=ip), "user.created", "user", user.id, role="admin", via="setup"
        )
        return True

    return user if await db.write(create) else None
