"""The cached key drivers are exactly the row-level ones (issue 17), on both engines.

Random responses (test_rollups' data: late completions, changed and deleted responses,
erased contacts) plus numeric answers; after every kind of write the cached table is
compared with ``drivers_for`` (the rows) with ``==``, and the data version (migration
0100) is checked to move for exactly the writes a table may depend on.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from surveyor.ids import iso, new_id
from surveyor.metrics import driver_cache, drivers, read_store
from surveyor.metrics.queries import Scope
from surveyor.records.erasure import erase_contact
from tests.metrics.test_rollups import (
    DAYS,
    START,
    _complete_late,
    _fill,
    _rewrite,
    _scopes,
)

END = START + timedelta(days=DAYS + 1)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    driver_cache.clear()
    yield
    driver_cache.clear()


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[Scope]:
    """The scopes the cache computed from the rows, in order."""
    found: list[Scope] = []
    original = driver_cache.drivers_read

    async def counting(db: Any, scope: Scope, *args: Any) -> Any:
        found.append(scope)
        return await original(db, scope, *args)

    monkeypatch.setattr(driver_cache, "drivers_read", counting)
    return found


async def _answers(
    db: Any, rng: random.Random, response_ids: list[str], question: str = "effort"
) -> None:
    """A numeric answer (1–5) to ``question``: a driver read from answers."""

    async def unit(tx: Any) -> None:
        await tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            [(rid, question, str(rng.randrange(1, 6)), iso(START)) for rid in response_ids],
        )

    await db.write(unit)


async def _assert_cache_is_exact(db: Any, scopes: list[Scope]) -> int:
    tables = 0
    for scope in scopes:
        fresh = await drivers.drivers_for(db, scope, "nps")
        for _ in range(2):  # computed (or checked), then read from the cache
            found = await driver_cache.drivers(db, scope, "nps", stale=False)
            assert found.as_of is None
            assert found.result == fresh
        tables += bool(fresh.drivers)
    return tables


def _fixed_scopes() -> list[Scope]:
    return [
        Scope(start=START, end=END),
        Scope(start=START, end=END, checkpoint_key="delivered"),
        Scope(start=START, end=END, survey_id="s1"),
        Scope(start=START, end=END, segment=("tier", "gold")),
    ]


async def test_cached_drivers_equal_the_rows_through_every_kind_of_write(
    services: Any, computed: list[Scope]
) -> None:
    db = services.db
    rng = random.Random(1717)
    made = await _fill(db, rng, 700)
    await _answers(db, rng, made["complete"][::2])
    scopes = _fixed_scopes() + _scopes(rng, 8)
    # Not vacuous: most fixed scopes have a driver table.
    assert await _assert_cache_is_exact(db, scopes) >= 3
    assert len(computed) == len(scopes)  # the second read of each was a cache hit

    writes = [
        ("late completions", lambda: _complete_late(db, rng, made["partial"])),
        ("answers", lambda: _answers(db, rng, made["complete"][1:200:2])),
        ("scores changed and responses deleted", lambda: _rewrite(db, rng, made["complete"])),
        (
            "erased contacts",
            lambda: erase_contact(services, made["contacts"][0], actor_label="test"),
        ),
    ]
    for _name, write in writes:
        before = len(computed)
        await write()
        await _assert_cache_is_exact(db, _fixed_scopes())
        assert len(computed) == before + len(_fixed_scopes())  # every one recomputed


async def test_a_window_moving_over_empty_time_keeps_the_table(
    db: Any, computed: list[Scope]
) -> None:
    rng = random.Random(7)
    made = await _fill(db, rng, 400)
    await _answers(db, rng, made["complete"])
    scope = Scope(start=START, end=END, checkpoint_key="delivered")
    assert (await driver_cache.drivers(db, scope, "nps")).result == (
        await drivers.drivers_for(db, scope, "nps")
    )
    # The same length, a second later: no response in either second, the same rows.
    later = scope.shifted(scope.start + timedelta(seconds=1), scope.end + timedelta(seconds=1))
    assert (await driver_cache.drivers(db, later, "nps")).result == (
        await drivers.drivers_for(db, later, "nps")
    )
    assert computed == [scope]
    # Moved over responses: recomputed, still equal.
    moved = scope.shifted(scope.start + timedelta(days=5), scope.end + timedelta(days=5))
    assert (await driver_cache.drivers(db, moved, "nps")).result == (
        await drivers.drivers_for(db, moved, "nps")
    )
    assert computed == [scope, moved]


async def test_a_stale_table_is_shown_as_of_its_time_and_refreshed_after(
    db: Any, computed: list[Scope]
) -> None:
    rng = random.Random(3)
    made = await _fill(db, rng, 400)
    scope = Scope(start=START, end=END)
    first = await driver_cache.drivers(db, scope, "nps")
    await _answers(db, rng, made["complete"])  # a new driver appears in the rows
    fresh = await drivers.drivers_for(db, scope, "nps")
    assert fresh != first.result
    stale = await driver_cache.drivers(db, scope, "nps")
    assert stale.result == first.result and stale.as_of is not None
    assert stale.refresh is not None
    # One refresh at a time: a second stale read does not start another.
    assert (await driver_cache.drivers(db, scope, "nps")).refresh is None
    await stale.refresh()
    now = await driver_cache.drivers(db, scope, "nps")
    assert now.as_of is None and now.result == fresh
    # The API's way (stale=False) never shows an old table.
    await _answers(db, rng, made["complete"][:5], "speed")
    assert (await driver_cache.drivers(db, scope, "nps", stale=False)).result == (
        await drivers.drivers_for(db, scope, "nps")
    )


async def test_the_data_version_moves_for_what_a_figure_depends_on(db: Any) -> None:
    rng = random.Random(5)
    made = await _fill(db, rng, 60)
    delivered = Scope(start=START, end=END, checkpoint_key="delivered")
    support = Scope(start=START, end=END, checkpoint_key="support")
    partial_id = made["partial"][0][0][0]
    completed = made["complete"][0]

    async def versions() -> tuple[int, int]:
        return (
            await read_store.data_version(db, delivered),
            await read_store.data_version(db, support),
        )

    async def run(sql: str, params: tuple[Any, ...] = ()) -> None:
        await db.write(lambda tx: tx.execute(sql, params))

    async def moves(sql: str, params: tuple[Any, ...] = (), *, which: tuple[bool, bool]) -> None:
        before = await versions()
        await run(sql, params)
        after = await versions()
        assert (after[0] > before[0], after[1] > before[1]) == which, sql

    when = iso(START + timedelta(days=2))
    new = new_id()
    await moves(
        "INSERT INTO responses (id, survey_id, survey_version_id, checkpoint_key, status,"
        " started_at, updated_at, completed_at, nps) VALUES (?, 's1', 'v1', 'delivered',"
        " 'complete', ?, ?, ?, 9)",
        (new, when, when, when),
        which=(True, False),
    )
    await moves("UPDATE responses SET nps = 3 WHERE id = ?", (new,), which=(True, False))
    await moves(
        "UPDATE responses SET checkpoint_key = 'support' WHERE id = ?", (new,), which=(True, True)
    )
    await moves(
        "UPDATE responses SET current_step = 'x' WHERE id = ?", (new,), which=(False, False)
    )
    await moves(
        "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, 'q', '1', ?)",
        (new, when),
        which=(False, True),
    )
    await moves(
        "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, 'q', '1', ?)",
        (partial_id, when),
        which=(False, False),  # a response in progress is in no figure
    )
    await moves("DELETE FROM responses WHERE id = ?", (new,), which=(False, True))
    contact = made["contacts"][0]
    await moves(
        'UPDATE contacts SET attributes = \'{"tier": "new"}\' WHERE id = ?',
        (contact,),
        which=(True, True),
    )
    await moves(
        "UPDATE contacts SET updated_at = ? WHERE id = ?", (when, contact), which=(False, False)
    )
    await run(
        "INSERT INTO surveys (id, name, status, draft, latest_version, created_at, updated_at)"
        " VALUES ('sv', 'A survey', 'published', '{}', 1, ?, ?)",
        (when, when),
    )
    await moves(
        "INSERT INTO survey_versions (id, survey_id, number, definition, published_at)"
        " VALUES ('v9', 'sv', 1, '{}', ?)",
        (when,),
        which=(True, True),
    )
    assert completed  # the data had completed responses to begin with


async def test_a_reused_figure_is_shown_as_of_its_time_and_refreshed_after(db: Any) -> None:
    """``reuse_as_of`` (the themes panel's way): current while nothing changes; after a
    write the last result with its time and one refresh; exact again after the refresh."""
    rng = random.Random(4)
    made = await _fill(db, rng, 300)
    scope = Scope(start=START, end=END)
    key = ("figure",)

    async def compute() -> Any:
        return await drivers.drivers_for(db, scope, "nps")

    first = await driver_cache.reuse_as_of(db, scope, key, compute)
    assert first.as_of is None and first.result == await compute()
    assert (await driver_cache.reuse_as_of(db, scope, key, compute)).result is first.result
    await _answers(db, rng, made["complete"])
    fresh = await compute()
    assert fresh != first.result
    stale = await driver_cache.reuse_as_of(db, scope, key, compute)
    assert stale.result is first.result and stale.as_of is not None
    assert stale.refresh is not None
    assert (await driver_cache.reuse_as_of(db, scope, key, compute)).refresh is None
    # Without the "as of" mode (``reuse``) it is never old.
    assert await driver_cache.reuse(db, scope, ("other",), compute) == fresh
    await stale.refresh()
    await driver_cache.settled()
    now = await driver_cache.reuse_as_of(db, scope, key, compute)
    assert now.as_of is None and now.result == fresh
