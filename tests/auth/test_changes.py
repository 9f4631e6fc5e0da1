"""Audited account changes, straight against the store on both backends."""

from __future__ import annotations

import asyncio

import pytest

from surveyor.auth import changes, store
from surveyor.auth.changes import Actor, LastAdminError


async def admins(db) -> int:
    return await store.count_admins(db)


class PausingDb:
    """Runs a unit like ``db.write``, but stops it right after it counted the other admins,
    until ``go`` is set: the moment a concurrent demotion could slip in."""

    def __init__(self, db) -> None:
        self.db = db
        self.counted = asyncio.Event()
        self.go = asyncio.Event()

    async def write(self, unit):
        outer = self

        class Tx:
            def __init__(self, tx) -> None:
                self.tx = tx

            def __getattr__(self, name):
                return getattr(self.tx, name)

            async def fetch_val(self, sql, params=()):
                value = await self.tx.fetch_val(sql, params)
                if "role = 'admin' AND disabled = 0" in sql:
                    outer.counted.set()
                    await outer.go.wait()
                return value

        return await self.db.write(lambda tx: unit(Tx(tx)))


async def test_concurrent_demotions_never_leave_zero_admins(db, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's single writer runs one change at a time by construction")
    first = await store.create_user(db, email="a@example.com", role="admin")
    second = await store.create_user(db, email="b@example.com", role="admin")
    paused = PausingDb(db)
    one = asyncio.create_task(changes.change_role(paused, first.id, "manager", actor=Actor()))
    await paused.counted.wait()  # the first demotion saw one other admin and is holding
    two = asyncio.create_task(changes.change_role(db, second.id, "manager", actor=Actor()))
    # The second demotion must wait for the first (blocked on the admin lock) rather
    # than read the same stale count; let it run until it finishes or is seen waiting.
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%admin_lock%'"
    while not two.done() and not await db.fetch_val(waiting):
        await asyncio.sleep(0.01)
    paused.go.set()
    results = await asyncio.gather(one, two, return_exceptions=True)
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[1], LastAdminError)
    assert await admins(db) == 1


async def test_disabling_the_last_admin_is_refused_but_a_disabled_admin_may_be_demoted(db) -> None:
    only = await store.create_user(db, email="only@example.com", role="admin")
    with pytest.raises(LastAdminError):
        await changes.set_disabled(db, only.id, True, actor=Actor(label="test"))
    other = await store.create_user(db, email="other@example.com", role="admin")
    await changes.set_disabled(db, other.id, True, actor=Actor(user=only))
    # A disabled admin does not count, so demoting it leaves the only enabled admin alone.
    changed = await changes.change_role(db, other.id, "designer", actor=Actor(user=only))
    assert changed is not None and changed.role == "designer"
    assert await admins(db) == 1


async def test_a_refused_change_writes_no_audit_entry(db) -> None:
    only = await store.create_user(db, email="only@example.com", role="admin")
    with pytest.raises(LastAdminError):
        await changes.change_role(db, only.id, "manager", actor=Actor(user=only))
    entries, _ = await changes.audit_page(db)
    assert [e.action for e in entries] == []
    assert (await store.get_user(db, only.id)).role == "admin"  # type: ignore[union-attr]


async def test_disabling_deletes_sessions_in_the_same_transaction(db) -> None:
    admin = await store.create_user(db, email="admin@example.com", role="admin")
    user = await store.create_user(db, email="user@example.com", role="manager")
    await store.create_session(db, user.id, days=1)
    await store.create_session(db, user.id, days=1)
    await changes.set_disabled(db, user.id, True, actor=Actor(user=admin, ip="192.0.2.1"))
    assert await store.count_sessions(db, user.id) == 0
    entries, _ = await changes.audit_page(db, action="user.disabled")
    assert [(e.actor, e.target_id, e.ip) for e in entries] == [
        ("admin@example.com", user.id, "192.0.2.1")
    ]


async def test_unknown_users_and_keys_are_none(db) -> None:
    assert await changes.change_role(db, "nope", "admin", actor=Actor()) is None
    assert await changes.set_disabled(db, "nope", True, actor=Actor()) is None
    assert await changes.revoke_api_key(db, "nope", actor=Actor()) is None


async def test_api_keys_are_stored_as_sha256_with_a_visible_prefix(db) -> None:
    secret, key = await changes.create_api_key(
        db, name="ci", scopes=["read", "read"], actor=Actor()
    )
    row = await db.fetch_one(
        "SELECT prefix, secret_hash, scopes FROM api_keys WHERE id = ?", (key.id,)
    )
    assert secret.startswith(row["prefix"] + "_")
    assert secret not in str(row) and len(row["secret_hash"]) == 64
    assert row["scopes"] == "read"
    assert (await store.api_key_for_secret(db, secret)).id == key.id  # type: ignore[union-attr]
