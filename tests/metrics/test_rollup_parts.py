"""Rollup counters on PostgreSQL (migration 0120): every writing transaction adds its counts
to rollup rows of its own ``part``, so concurrent customers of one survey never queue on a
rollup row's lock, and ``metrics_rollups_fold()`` folds the parts into part 0 without
changing a figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from surveyor.ids import iso, new_id
from surveyor.invitations import store as invitations
from surveyor.metrics import queries, read_store, rollups
from surveyor.metrics.queries import Scope

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
ROLLUPS = ("metrics_hourly", "metrics_daily", "metrics_funnel_hourly", "metrics_versions")


@pytest.fixture
def backend() -> str:
    return "postgresql"


async def _figures(db: Any, scope: Scope) -> tuple[Any, ...]:
    versions = await read_store.data_version(db, scope)
    return (
        await queries.key_scores(db, scope),
        await rollups.funnel_counts(db, scope),
        versions,
    )


async def test_concurrent_units_of_one_survey_do_not_wait_for_each_others_rollup_rows(
    db: Any,
) -> None:
    """Five transactions open at once, each sending an invitation and completing a
    response in the same checkpoint, survey, channel and hour: none waits for another
    (with the old ``pg_backend_pid() % 4`` stripes two of five always shared rows, and the
    later one waited for the earlier's COMMIT — here its ``lock_timeout`` would fail it).
    The figures then equal the rows', before and after folding."""
    when = START + timedelta(minutes=10)
    scope = Scope(start=START - timedelta(days=1), end=START + timedelta(days=1))
    scope_one = Scope(
        start=START - timedelta(days=1),
        end=START + timedelta(days=1),
        checkpoint_key="delivered",
        survey_id="s1",
    )
    before = await _figures(db, scope_one)
    contact = new_id()
    await db.write(
        lambda tx: tx.execute(
            "INSERT INTO contacts (id, external_id, email, attributes, created_at, updated_at)"
            " VALUES (?, 'ext', 'c@example.com', '{}', ?, ?)",
            (contact, iso(START), iso(START)),
        )
    )
    pool = db.pool
    connections = [await pool.acquire() for _ in range(5)]
    transactions = [conn.transaction() for conn in connections]
    txids: list[int] = []
    try:
        for i, (conn, tr) in enumerate(zip(connections, transactions, strict=True)):
            await tr.start()
            await conn.execute("SET LOCAL lock_timeout = '5s'")
            invitation = new_id()
            await conn.execute(
                "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id,"
                " checkpoint_key, channel, token_hash, status, send_at, created_at,"
                " updated_at) VALUES ($1, 's1', 'v1', $2, 'delivered', 'email', $3,"
                " 'sent', $4, $4, $4)",
                invitation,
                contact,
                f"hash-{i}",
                iso(when),
            )
            await conn.execute(
                "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id,"
                " contact_id, checkpoint_key, channel, status, started_at, updated_at)"
                " VALUES ($1, $2, 's1', 'v1', $3, 'delivered', 'email', 'partial', $4, $4)",
                f"r{i}",
                invitation,
                contact,
                iso(when),
            )
            await conn.execute(
                "UPDATE responses SET status = 'complete', completed_at = $2, nps = $3"
                " WHERE id = $1",
                f"r{i}",
                iso(when + timedelta(minutes=1)),
                i + 6,
            )
            await conn.execute(
                "UPDATE invitations SET status = 'answered' WHERE id = $1", invitation
            )
            txids.append(await conn.fetchval("SELECT txid_current()"))
        for tr in transactions:
            await tr.commit()
    finally:
        for conn in connections:
            await pool.release(conn)

    after = await _figures(db, scope_one)
    assert after[0] == await queries.row_key_scores(db, scope_one)
    assert after[0].nps.n == 5
    assert after[1] == await invitations.funnel_counts(
        db, start=iso(scope.start), end=iso(scope.end), checkpoint_key="delivered", survey_id="s1"
    )
    assert (after[1].started, after[1].completed) == (5, 5)
    assert after[2] > before[2]  # the data version moved
    unfolded = await db.fetch_val("SELECT count(DISTINCT part) FROM metrics_hourly WHERE part <> 0")
    # One part per transaction, but for a transaction whose id is a multiple of 64: its own
    # statements ran the fold (migration 0120), which saw its own rows and folded them.
    assert unfolded == sum(1 for txid in txids if txid % 64) >= 1

    await db.write(lambda tx: tx.execute("SELECT metrics_rollups_fold()"))
    for table in ROLLUPS:
        assert await db.fetch_val(f"SELECT count(*) FROM {table} WHERE part <> 0") == 0
    assert await _figures(db, scope_one) == after
    assert await queries.key_scores(db, scope) == await queries.row_key_scores(db, scope)


async def test_folding_while_another_unit_is_open_keeps_its_counts(db: Any) -> None:
    """A fold skips the rows of a transaction not yet committed (it cannot see them) and
    a later fold takes them; the figures equal the rows' at every step."""
    scope = Scope(start=START - timedelta(days=1), end=START + timedelta(days=1))
    when = iso(START + timedelta(minutes=5))

    def complete(i: int) -> str:
        return (
            "INSERT INTO responses (id, survey_id, survey_version_id, checkpoint_key,"
            " channel, status, started_at, updated_at, completed_at, nps)"
            f" VALUES ('f{i}', 's1', 'v1', 'delivered', 'email', 'complete',"
            f" '{when}', '{when}', '{when}', {i})"
        )

    await db.write(lambda tx: tx.execute(complete(1)))
    async with db.pool.acquire() as conn, conn.transaction():
        await conn.execute(complete(2))
        # When the open transaction's id is a multiple of 64 its own statement ran the fold
        # (migration 0120): it folded the committed row and its own, and holds the fold's
        # lock until it commits, so the fold below is skipped and others still see the
        # committed row unfolded until then.
        folds_itself = (await conn.fetchval("SELECT txid_current()")) % 64 == 0
        await db.write(lambda tx: tx.execute("SELECT metrics_rollups_fold()"))
        assert (await queries.key_scores(db, scope)).nps.n == 1
        unfolded = await db.fetch_val("SELECT count(*) FROM metrics_hourly WHERE part <> 0")
        assert unfolded == (1 if folds_itself else 0)
    unfolded = await db.fetch_val("SELECT count(*) FROM metrics_hourly WHERE part <> 0")
    assert unfolded == (0 if folds_itself else 1)
    assert (await queries.key_scores(db, scope)).nps.n == 2
    await db.write(lambda tx: tx.execute("SELECT metrics_rollups_fold()"))
    assert await db.fetch_val("SELECT count(*) FROM metrics_hourly WHERE part <> 0") == 0
    assert await queries.key_scores(db, scope) == await queries.row_key_scores(db, scope)
    assert (await queries.key_scores(db, scope)).nps.n == 2
