"""SQL for contacts and their unsubscribe decision.

Write helpers take a ``Tx`` so that other domains (the events API, delivery) can call
them inside their own unit of work; ``db``-taking wrappers are provided where a
caller has no transaction of its own.
"""

from __future__ import annotations

from typing import Any

import msgspec

from surveyor.contacts.models import Contact
from surveyor.db import Database, Tx
from surveyor.ids import new_id, new_token, now_iso, token_hash

COLUMNS = (
    "id, external_id, email, phone, name, locale, timezone, attributes,"
    " unsubscribed_at, erased_at, created_at, updated_at"
)
SCALARS = ("email", "phone", "name", "locale", "timezone")
_UNSET: Any = object()


def contact_from_row(row: dict[str, Any]) -> Contact:
    return msgspec.convert(
        {**row, "attributes": msgspec.json.decode(row["attributes"] or "{}")},
        Contact,
        strict=False,
    )


def _row(row: dict[str, Any] | None) -> Contact | None:
    return None if row is None else contact_from_row(row)


async def get_contact(db: Database | Tx, contact_id: str) -> Contact | None:
    return _row(await db.fetch_one(f"SELECT {COLUMNS} FROM contacts WHERE id = ?", (contact_id,)))


async def get_contact_by_external_id(db: Database | Tx, external_id: str) -> Contact | None:
    return _row(
        await db.fetch_one(f"SELECT {COLUMNS} FROM contacts WHERE external_id = ?", (external_id,))
    )


def merge_attributes(current: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """New values win, untouched keys stay, and a ``None`` value removes its key."""
    merged = dict(current)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


async def upsert_contact(
    tx: Tx,
    external_id: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    """Create the contact or update it in place, inside the caller's transaction.

    A scalar given as ``None`` leaves the stored value alone; ``attributes`` are merged
    (a ``None`` value deletes that attribute). An erased contact is not revived: its
    personal fields stay blank.
    """
    contact, _ = await upsert_contact_created(
        tx,
        external_id,
        email=email,
        phone=phone,
        name=name,
        locale=locale,
        timezone=timezone,
        attributes=attributes,
    )
    return contact


async def upsert_contact_created(
    tx: Tx,
    external_id: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
    attributes: dict[str, Any] | None = None,
    now: str | None = None,
) -> tuple[Contact, bool]:
    """:func:`upsert_contact`, and whether the contact was created by this call.

    A new contact costs one statement: the whole row is inserted (insert-or-nothing, so
    two concurrent upserts of one external id cannot both insert) and nothing is read
    back. A known one is then read (locked on PostgreSQL) and updated if anything changed.
    ``now``: the caller's timestamp of the unit, if it has one.
    """
    now = now or now_iso()
    given = {"email": email, "phone": phone, "name": name, "locale": locale, "timezone": timezone}
    fresh = Contact(
        id=new_id(),
        external_id=external_id,
        **{key: value for key, value in given.items() if value is not None},
        attributes=merge_attributes({}, attributes),
        created_at=now,
        updated_at=now,
    )
    # The row count says whether it was inserted (RETURNING would cost SQLite more).
    inserted = await tx.execute(
        "INSERT INTO contacts (id, external_id, email, phone, name, locale, timezone,"
        " attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (external_id) DO NOTHING",
        (
            fresh.id,
            external_id,
            *(getattr(fresh, k) for k in SCALARS),
            msgspec.json.encode(fresh.attributes).decode(),
            now,
            now,
        ),
    )
    if inserted:
        return fresh, True
    lock = " FOR UPDATE" if tx.backend == "postgresql" else ""
    row = await tx.fetch_one(
        f"SELECT {COLUMNS} FROM contacts WHERE external_id = ?{lock}", (external_id,)
    )
    assert row is not None
    current = contact_from_row(row)
    if current.erased_at is not None:
        return current, False
    values = {
        key: (value if value is not None else getattr(current, key)) for key, value in given.items()
    }
    merged = merge_attributes(current.attributes, attributes)
    changed = any(values[k] != getattr(current, k) for k in SCALARS) or merged != current.attributes
    if not changed:
        return current, False
    await tx.execute(
        "UPDATE contacts SET email = ?, phone = ?, name = ?, locale = ?, timezone = ?,"
        " attributes = ?, updated_at = ? WHERE id = ?",
        (
            *(values[k] for k in SCALARS),
            msgspec.json.encode(merged).decode(),
            now,
            current.id,
        ),
    )
    return msgspec.structs.replace(current, **values, attributes=merged, updated_at=now), False


async def set_unsubscribed(tx: Tx, contact_id: str, unsubscribed: bool) -> str | None:
    """Record (or undo) the contact's decision to receive no more invitations.

    Returns the stored ``unsubscribed_at``. Unsubscribing twice keeps the first time.
    """
    now = now_iso()
    if unsubscribed:
        await tx.execute(
            "UPDATE contacts SET unsubscribed_at = ?, updated_at = ?"
            " WHERE id = ? AND unsubscribed_at IS NULL",
            (now, now, contact_id),
        )
    else:
        await tx.execute(
            "UPDATE contacts SET unsubscribed_at = NULL, updated_at = ? WHERE id = ?",
            (now, contact_id),
        )
    return await tx.fetch_val("SELECT unsubscribed_at FROM contacts WHERE id = ?", (contact_id,))


async def create_unsubscribe_token(tx: Tx, contact_id: str) -> str:
    """A fresh raw token for ``/u/{token}`` (only its hash is kept).

    Invitation tokens unsubscribe too, so a message carrying a survey link needs no
    second token; this one is for messages without an invitation.
    """
    raw = new_token()
    await tx.execute(
        "INSERT INTO unsubscribe_tokens (token_hash, contact_id, created_at) VALUES (?, ?, ?)",
        (token_hash(raw), contact_id, now_iso()),
    )
    return raw


async def contact_for_unsubscribe_token(db: Database, raw: str) -> Contact | None:
    """The contact an unsubscribe token belongs to (an invitation's link token also opens
    ``/u/``: ``surveyor.invitations.store.contact_for_token``)."""
    row = await db.fetch_one(
        f"SELECT {COLUMNS} FROM contacts WHERE id ="
        " (SELECT contact_id FROM unsubscribe_tokens WHERE token_hash = ?)",
        (token_hash(raw),),
    )
    return _row(row)


async def erase_contact(tx: Tx, contact_id: str, now: str) -> bool:
    """Blank the contact's personal data in place (issue 12). The row and its external id
    stay, so later events for that id are suppressed with reason ``erased``; returns
    False when the contact was already erased (nothing changes then)."""
    changed = await tx.execute(
        "UPDATE contacts SET email = '', phone = '', name = '', locale = '', timezone = '',"
        " attributes = '{}', erased_at = ?, updated_at = ? WHERE id = ? AND erased_at IS NULL",
        (now, now, contact_id),
    )
    await tx.execute("DELETE FROM unsubscribe_tokens WHERE contact_id = ?", (contact_id,))
    return changed > 0


async def release_external_id(tx: Tx, contact_id: str, now: str) -> bool:
    """Explicit re-creation after erasure (issue 12): the erased row gives up its external
    id (it becomes ``erased:<contact id>``), so the next upsert of that id creates a new
    contact. The erased row, its events and its anonymised responses stay as they are.
    Returns False unless the contact exists and is erased."""
    changed = await tx.execute(
        "UPDATE contacts SET external_id = ?, updated_at = ? WHERE id = ? AND erased_at IS NOT NULL"
        " AND external_id <> ?",
        (f"erased:{contact_id}", now, contact_id, f"erased:{contact_id}"),
    )
    return changed > 0


async def blank_attributes(tx: Tx, contact_ids: list[str], now: str) -> int:
    """Retention: drop the personal fields of idle contacts, keeping them reachable by id."""
    if not contact_ids:
        return 0
    marks = ", ".join("?" for _ in contact_ids)
    return await tx.execute(
        "UPDATE contacts SET email = '', phone = '', name = '', attributes = '{}',"
        f" erased_at = ?, updated_at = ? WHERE id IN ({marks}) AND erased_at IS NULL",
        (now, now, *contact_ids),
    )


__all__ = [
    "blank_attributes",
    "contact_for_unsubscribe_token",
    "create_unsubscribe_token",
    "erase_contact",
    "get_contact",
    "get_contact_by_external_id",
    "merge_attributes",
    "release_external_id",
    "set_unsubscribed",
    "upsert_contact",
    "upsert_contact_created",
]
