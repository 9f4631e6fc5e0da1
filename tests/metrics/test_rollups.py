"""The hourly rollups give exactly the row-level figures (issue 17), on both engines.

Random responses (random scores with skips, checkpoints with none, surveys, channels
with '' for a link, contact tiers, completion moments on and off hour boundaries),
invitations in every status, some never answered), then the writes the app makes after
the fact — responses completed late (for an invitation sent months before), scores
changed, responses deleted, invitations moving on or rescheduled, contacts erased —
and every figure the dashboards and ``GET /api/v1/metrics`` show is computed both ways
over random windows and compared with ``==`` (floats included).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from surveyor.ids import iso, new_id, new_token, token_hash
from surveyor.invitations import store as invitations
from surveyor.metrics import breakdowns, comparisons, queries, rollups
from surveyor.metrics.calendar import Calendar
from surveyor.metrics.queries import Scope
from surveyor.records.erasure import erase_contact

START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 40
CHECKPOINTS = ["delivered", "support", None]
SURVEYS = ["s1", "s2"]
CHANNELS = ["email", "sms", ""]
TIERS = ["gold", "standard", "3"]


def _moment(rng: random.Random) -> datetime:
    base = START + timedelta(hours=rng.randrange(DAYS * 24))
    if rng.random() < 0.15:
        return base  # exactly on an hour boundary
    return base + timedelta(microseconds=rng.randrange(3_600_000_000))


def _scores(rng: random.Random) -> tuple[Any, Any, Any, Any]:
    return (
        rng.choice([None, *range(11)]),
        rng.choice([None, *range(1, 8)]),
        rng.choice([None, *range(1, 6)]),
        rng.choice([None, *range(1, 11)]),
    )


async def _fill(db: Any, rng: random.Random, n: int) -> dict[str, Any]:
    contacts = {new_id(): rng.choice(TIERS) for _ in range(12)}
    stamp = iso(START)
    complete, partial, invitations = [], [], []
    for i in range(n):
        completed = _moment(rng)
        late = i % 10 == 0  # answered long after its invitation was sent
        started = completed - timedelta(days=70 if late else 0, minutes=2)
        invitation = None
        if rng.random() < 0.6:
            invitation = new_id()
            sent = started - timedelta(minutes=rng.randrange(0, 600))
            invitations.append(_invitation(rng, invitation, list(contacts), sent))
        row = (
            new_id(),
            invitation,
            rng.choice(SURVEYS),
            rng.choice(list(contacts)),
            rng.choice(CHECKPOINTS),
            rng.choice(CHANNELS),
            iso(started),
        )
        if i % 7 == 0:
            partial.append((row, completed))  # completed later, through an UPDATE
        else:
            complete.append((*row, iso(completed), iso(completed), *_scores(rng)))
    for _ in range(n // 3):  # never answered
        invitations.append(_invitation(rng, new_id(), list(contacts), _moment(rng)))

    async def unit(tx: Any) -> None:
        await tx.execute_many(
            "INSERT INTO contacts (id, external_id, email, attributes, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    cid,
                    f"ext-{cid}",
                    f"{cid}@example.com",
                    msgspec.json.encode({"tier": int(t) if t.isdigit() else t}).decode(),
                    stamp,
                    stamp,
                )
                for cid, t in contacts.items()
            ],
        )
        await tx.execute_many(
            "INSERT INTO invitations (id, survey_id, survey_version_id, contact_id,"
            " checkpoint_key, channel, token_hash, status, send_at, created_at, updated_at)"
            " VALUES (?, ?, 'v1', ?, ?, 'email', ?, ?, ?, ?, ?)",
            invitations,
        )
        await tx.execute_many(
            "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id,"
            " contact_id, checkpoint_key, channel, status, started_at, updated_at,"
            " completed_at, nps, ces, csat, emotion)"
            " VALUES (?, ?, ?, 'v1', ?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?)",
            complete,
        )
        await tx.execute_many(
            "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id,"
            " contact_id, checkpoint_key, channel, status, started_at, updated_at)"
            " VALUES (?, ?, ?, 'v1', ?, ?, ?, 'partial', ?, ?)",
            [(*row, row[-1]) for row, _ in partial],
        )

    await db.write(unit)
    return {
        "contacts": list(contacts),
        "complete": [r[0] for r in complete],
        "partial": partial,
        "invitations": [i[0] for i in invitations],
    }


def _invitation(rng: random.Random, invitation_id: str, contacts: list[str], sent: datetime):
    stamp = iso(sent)
    return (
        invitation_id,
        rng.choice(SURVEYS),
        rng.choice(contacts),
        rng.choice(CHECKPOINTS),
        token_hash(new_token()),
        rng.choice(["scheduled", "sent", "failed", "opened", "answered", "expired"]),
        stamp,
        stamp,
        stamp,
    )


async def _move_invitations(db: Any, rng: random.Random, ids: list[str]) -> None:
    """Statuses move on, some invitations are rescheduled or re-pointed."""
    for invitation_id in rng.sample(ids, 120):
        status = rng.choice(["sent", "opened", "answered", "expired"])
        sent = _moment(rng)
        await db.write(
            lambda tx, iid=invitation_id, st=status, at=iso(sent): tx.execute(
                "UPDATE invitations SET status = ?, send_at = CASE WHEN ? THEN ? ELSE send_at END,"
                " checkpoint_key = CASE WHEN ? THEN ? ELSE checkpoint_key END WHERE id = ?",
                (st, rng.random() < 0.3, at, rng.random() < 0.2, rng.choice(CHECKPOINTS), iid),
            )
        )


async def _complete_late(db: Any, rng: random.Random, partial: list[Any]) -> None:
    """The completion path's write: status, completed_at and the key scores at once."""
    for row, completed in partial:
        scores = _scores(rng)

        async def unit(tx: Any, row: Any = row, at: datetime = completed, s: Any = scores) -> None:
            await tx.execute(
                "UPDATE responses SET status = 'complete', updated_at = ?, completed_at = ?,"
                " nps = ?, ces = ?, csat = ?, emotion = ? WHERE id = ?",
                (iso(at), iso(at), *s, row[0]),
            )

        await db.write(unit)


async def _rewrite(db: Any, rng: random.Random, ids: list[str]) -> None:
    """Change some completed responses' scores, moments and checkpoints; delete others."""
    changed, deleted = ids[:40], ids[40:70]
    for response_id in changed:
        nps, ces, csat, emotion = _scores(rng)
        await db.write(
            lambda tx, rid=response_id, s=(nps, ces, csat, emotion): tx.execute(
                "UPDATE responses SET nps = ?, ces = ?, csat = ?, emotion = ?,"
                " checkpoint_key = ?, completed_at = ? WHERE id = ?",
                (*s, rng.choice(CHECKPOINTS), iso(_moment(rng)), rid),
            )
        )
    # An unrelated update (no figure moves) must not move the rollup either.
    await db.write(
        lambda tx: tx.execute("UPDATE responses SET current_step = 'x' WHERE id = ?", (ids[80],))
    )
    await db.write(
        lambda tx: tx.execute(
            f"DELETE FROM responses WHERE id IN ({', '.join('?' * len(deleted))})", deleted
        )
    )


def _scopes(rng: random.Random, n: int) -> list[Scope]:
    found = []
    for i in range(n):
        start = _moment(rng) - timedelta(days=3)
        if i % 5 == 0:
            length = timedelta(microseconds=rng.randrange(1, 3 * 3_600_000_000))  # < 3 hours
        else:
            length = timedelta(seconds=rng.randrange(3600, 50 * 86400))
        if i % 6 == 0:
            length = timedelta(hours=rng.randrange(1, 900))  # whole hours from an hour
            start = START + timedelta(hours=rng.randrange(-48, DAYS * 24))
        dims: dict[str, Any] = rng.choice(
            [
                {},
                {"checkpoint_key": "delivered"},
                {"checkpoint_key": "support", "survey_id": "s1"},
                {"survey_id": "s2"},
                {"segment": ("tier", "gold")},
            ]
        )
        found.append(Scope(start=start, end=start + length, **dims))
    return found


CALENDARS = [
    Calendar(),
    Calendar(zone="America/Los_Angeles", week_start="sunday"),  # DST inside the data
    Calendar(zone="Asia/Tokyo", week_start="saturday"),
    Calendar(zone="Asia/Kolkata"),  # half-hour offset: trends read the rows
]


async def _assert_equal_everywhere(db: Any, rng: random.Random, scopes: int = 25) -> None:
    assert rollups.ENABLED
    for scope in _scopes(rng, scopes):
        assert await queries.key_scores(db, scope) == await queries.row_key_scores(db, scope)
        for metric in queries.KEY_METRICS:
            assert await queries.distribution(db, scope, metric) == (
                await queries.row_distribution(db, scope, metric)
            )
        assert await breakdowns.nps_by_channel(db, scope) == (
            await breakdowns.row_nps_by_channel(db, scope)
        )
        assert await rollups.funnel_counts(db, scope) == await invitations.funnel_counts(
            db,
            start=iso(scope.start),
            end=iso(scope.end),
            checkpoint_key=scope.checkpoint_key,
            survey_id=scope.survey_id,
        )
        previous = scope.previous()
        assert await comparisons.compared(db, scope, previous) == (
            await queries.row_key_scores(db, scope),
            await queries.row_key_scores(db, previous),
            comparisons.changes(
                await queries.row_key_scores(db, scope), await queries.row_key_scores(db, previous)
            ),
        )
        # The overview's and the journey map's way: every checkpoint and survey at once.
        wide = msgspec.structs.replace(scope, checkpoint_key=None, survey_id=None)
        checkpoints, surveys = ["delivered", "support", "nowhere"], [*SURVEYS, "nothing"]
        by_checkpoint, by_survey = await comparisons.compared_by(db, wide, checkpoints, surveys)
        for found, ones in (
            (by_checkpoint, {k: wide.with_checkpoint(k) for k in checkpoints}),
            (by_survey, {k: wide.with_survey(k) for k in surveys}),
        ):
            for key, one in ones.items():
                now = await queries.row_key_scores(db, one)
                before = await queries.row_key_scores(db, one.previous())
                assert found[key] == (now, before, comparisons.changes(now, before))
        calendar = rng.choice(CALENDARS)
        for bucket in ("week", "month"):
            assert await queries.series(db, scope, bucket, calendar) == (
                await queries.row_series(db, scope, bucket, calendar)
            )


async def test_rollups_equal_the_row_level_figures_on_random_data(services: Any) -> None:
    db = services.db
    rng = random.Random(17)
    made = await _fill(db, rng, 900)
    # Most of the data counts: not a vacuous comparison.
    everything = Scope(start=START - timedelta(days=1), end=START + timedelta(days=DAYS + 1))
    assert (await queries.key_scores(db, everything)).nps.n > 500
    assert (await rollups.funnel_counts(db, everything)).started > 300
    await _assert_equal_everywhere(db, rng)

    await _complete_late(db, rng, made["partial"])
    await _rewrite(db, rng, made["complete"])
    await _move_invitations(db, rng, made["invitations"])
    for contact_id in made["contacts"][:3]:
        await erase_contact(services, contact_id, actor_label="test")
    await _assert_equal_everywhere(db, rng)

    # A rebuild from the rows (the migration's backfill) gives the same table's figures.
    assert await rollups.rebuild(db) > 0
    await _assert_equal_everywhere(db, rng, scopes=10)


async def test_the_rollup_follows_each_write_in_its_own_transaction(db: Any) -> None:
    """Completing a response moves the rollup in the same unit; a rolled-back unit
    leaves both unchanged; deleting subtracts."""
    scope = Scope(start=START, end=START + timedelta(days=1), checkpoint_key="delivered")
    when = iso(START + timedelta(hours=5, minutes=1))

    async def insert(tx: Any) -> None:
        await tx.execute(
            "INSERT INTO responses (id, survey_id, survey_version_id, checkpoint_key,"
            " status, started_at, updated_at) VALUES ('r1', 's1', 'v1', 'delivered',"
            " 'partial', ?, ?)",
            (when, when),
        )

    await db.write(insert)
    assert (await queries.key_scores(db, scope)).nps.n == 0

    class Boom(Exception):
        pass

    async def complete(tx: Any, fail: bool = False) -> None:
        await tx.execute(
            "UPDATE responses SET status = 'complete', completed_at = ?, nps = 10 WHERE id = 'r1'",
            (when,),
        )
        if fail:
            raise Boom

    with pytest.raises(Boom):
        await db.write(lambda tx: complete(tx, fail=True))
    assert (await queries.key_scores(db, scope)).nps.n == 0
    await db.write(complete)
    found = await queries.key_scores(db, scope)
    assert (found.nps.n, found.nps.promoters, found.nps.score) == (1, 1, 100.0)
    assert await db.fetch_val("SELECT sum(nps_10) FROM metrics_hourly") == 1
    await db.write(lambda tx: tx.execute("DELETE FROM responses WHERE id = 'r1'"))
    assert (await queries.key_scores(db, scope)).nps.n == 0
    assert await db.fetch_val("SELECT sum(responses) FROM metrics_hourly") == 0


async def test_row_level_setting_reads_the_rows(db: Any) -> None:
    """``metrics_rollups = false`` (the benchmark's baseline) bypasses the table."""
    when = iso(START + timedelta(hours=3))
    await db.write(
        lambda tx: tx.execute(
            "INSERT INTO responses (id, survey_id, survey_version_id, status, started_at,"
            " updated_at, completed_at, nps) VALUES ('r1', 's1', 'v1', 'complete', ?, ?, ?, 9)",
            (when, when, when),
        )
    )

    async def stale(tx: Any) -> None:  # stale tables
        await tx.execute("DELETE FROM metrics_hourly")
        await tx.execute("DELETE FROM metrics_daily")

    await db.write(stale)
    scope = Scope(start=START, end=START + timedelta(days=1))
    assert (await queries.key_scores(db, scope)).nps.n == 0
    rollups.configure(False)
    try:
        assert (await queries.key_scores(db, scope)).nps.n == 1
    finally:
        rollups.configure(True)
