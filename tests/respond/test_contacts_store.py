"""Contacts: upsert by external id with merged attributes, unsubscribe tokens (both engines)."""

from __future__ import annotations

from typing import Any

from surveyor.contacts import store
from surveyor.db import Tx


async def test_upsert_merges_attributes_and_a_null_removes_one(db: Any) -> None:
    async def first(tx: Tx) -> Any:
        return await store.upsert_contact(
            tx,
            "ext-1",
            email="a@example.com",
            name="Ada",
            attributes={"tier": "gold", "region": "eu"},
        )

    async def second(tx: Tx) -> Any:
        return await store.upsert_contact(
            tx,
            "ext-1",
            phone="+4930123",
            attributes={"tier": "platinum", "region": None, "plan": "pro"},
        )

    created = await db.write(first)
    updated = await db.write(second)
    assert updated.id == created.id
    assert (
        updated.email == "a@example.com" and updated.name == "Ada" and updated.phone == "+4930123"
    )
    assert updated.attributes == {"tier": "platinum", "plan": "pro"}
    stored = await store.get_contact_by_external_id(db, "ext-1")
    assert stored == updated


async def test_unsubscribe_tokens_and_the_decision(db: Any) -> None:
    async def unit(tx: Tx) -> tuple[Any, str]:
        contact = await store.upsert_contact(tx, "ext-2", email="b@example.com")
        return contact, await store.create_unsubscribe_token(tx, contact.id)

    contact, token = await db.write(unit)
    assert len(token) >= 22  # at least 128 random bits
    found = await store.contact_for_unsubscribe_token(db, token)
    assert found is not None and found.id == contact.id and found.reachable
    at = await db.write(lambda tx: store.set_unsubscribed(tx, contact.id, True))
    again = await db.write(lambda tx: store.set_unsubscribed(tx, contact.id, True))
    assert at is not None and again == at  # the first decision's time is kept
    assert not (await store.get_contact(db, contact.id)).reachable
    assert await db.write(lambda tx: store.set_unsubscribed(tx, contact.id, False)) is None
    assert await store.contact_for_unsubscribe_token(db, "nope" * 8) is None
    stored = await db.fetch_val(
        "SELECT COUNT(*) FROM unsubscribe_tokens WHERE token_hash = ?", (token,)
    )
    assert stored == 0  # only the hash is kept
