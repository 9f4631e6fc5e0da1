"""The SQL layer gives exactly what the pure statistics give on the same answers,
on both engines (the ``db`` fixture runs SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from surveyor.metrics import breakdowns, queries, stats
from surveyor.metrics.queries import Scope
from tests.metrics.helpers import START, insert_invitation, insert_rows, random_rows


def brute_force(rows, metric):
    return Counter(r[metric] for r in rows if r[metric] is not None)


def expected_scores(rows):
    return queries.scores_from_distributions({m: brute_force(rows, m) for m in queries.KEY_METRICS})


def within(rows, scope: Scope):
    return [
        r
        for r in rows
        if scope.start <= r["completed_at"] < scope.end
        and (scope.checkpoint_key is None or r["checkpoint_key"] == scope.checkpoint_key)
        and (scope.survey_id is None or r["survey_id"] == scope.survey_id)
        and (scope.segment is None or r["tier"] == scope.segment[1])
    ]


SCOPES = [
    {},
    {"checkpoint_key": "delivered"},
    {"survey_id": "s2"},
    {"checkpoint_key": "support", "survey_id": "s1"},
    {"segment": ("tier", "gold")},
    {"checkpoint_key": "delivered", "segment": ("tier", "3")},
]


@pytest.mark.parametrize("filters", SCOPES)
async def test_sql_key_scores_equal_the_pure_module_on_random_data(db, filters):
    rng = random.Random(42)
    rows = random_rows(rng, 600)
    await insert_rows(db, rows)
    scope = Scope(start=START + timedelta(days=10), end=START + timedelta(days=100), **filters)
    found = await queries.key_scores(db, scope)
    expected = expected_scores(within(rows, scope))
    assert found == expected
    assert found.nps.n == sum(1 for r in within(rows, scope) if r["nps"] is not None)
    for metric in queries.KEY_METRICS:
        assert await queries.distribution(db, scope, metric) == brute_force(
            within(rows, scope), metric
        )


@pytest.mark.parametrize("bucket", ["week", "month"])
async def test_sql_series_equal_the_pure_module_per_bucket(db, bucket):
    rng = random.Random(7)
    rows = random_rows(rng, 500)
    await insert_rows(db, rows)
    scope = Scope(start=START, end=START + timedelta(days=120), checkpoint_key="support")
    points = await queries.series(db, scope, bucket)
    starts = [date.fromisoformat(p.bucket) for p in points]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for point in points:
        lo, hi = date.fromisoformat(point.start), date.fromisoformat(point.end)
        mine = [r for r in within(rows, scope) if lo <= r["completed_at"].date() < hi]
        expected = expected_scores(mine)
        assert point.nps == expected.nps
        assert point.ces == expected.ces
        assert point.csat == expected.csat
        assert point.emotion == expected.emotion
    assert sum(p.nps.n for p in points) == expected_scores(within(rows, scope)).nps.n


def test_week_and_month_buckets_are_computed_in_python():
    assert queries.bucket_start(date(2026, 3, 5), "week") == date(2026, 3, 2)  # a Thursday
    assert queries.bucket_start(date(2026, 3, 5), "month") == date(2026, 3, 1)
    assert queries.next_bucket(date(2026, 12, 1), "month") == date(2027, 1, 1)
    scope = Scope(start=START, end=START + timedelta(days=15))
    assert [d.isoformat() for d in queries.buckets_between(scope.start, scope.end, "week")] == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
    ]


async def test_empty_buckets_are_kept_so_a_trend_has_no_gaps(db):
    scope = Scope(start=START, end=START + timedelta(days=60))
    points = await queries.series(db, scope, "month")
    assert [p.bucket for p in points] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert all(p.nps.n == 0 and p.nps.warning == "no_data" for p in points)


async def test_nps_by_channel_matches_a_brute_force_count(db):
    rows = random_rows(random.Random(3), 300)
    await insert_rows(db, rows)
    scope = Scope(start=START, end=START + timedelta(days=200))
    found = await breakdowns.nps_by_channel(db, scope)
    for channel in ("email", "sms"):
        mine = [r for r in rows if r["channel"] == channel]
        assert found[channel] == stats.nps_from_distribution(brute_force(mine, "nps"))


async def test_funnel_counts_invitations_and_the_responses_made_from_them(db):
    rows = random_rows(random.Random(1), 1)
    await insert_rows(db, rows)
    contact = await db.fetch_val("SELECT id FROM contacts")
    when = START + timedelta(days=3)
    statuses = ["scheduled", "sent", "sent", "failed", "opened", "answered", "answered", "expired"]
    ids = [
        await insert_invitation(
            db, checkpoint_key="delivered", status=s, send_at=when, contact_id=contact
        )
        for s in statuses
    ]
    await insert_invitation(
        db, checkpoint_key="support", status="sent", send_at=when, contact_id=contact
    )
    # Two responses completed, one started (partial), from the delivered invitations.
    for invitation_id, status in zip(ids[4:7], ["partial", "complete", "complete"], strict=True):
        await db.write(
            lambda tx, i=invitation_id, s=status: tx.execute(
                "INSERT INTO responses (id, invitation_id, survey_id, survey_version_id,"
                " checkpoint_key, status, started_at, updated_at) VALUES (?, ?, 's1', 'v1',"
                " 'delivered', ?, '2026-01-08T00:00:00.000000Z', '2026-01-08T00:00:00.000000Z')",
                (f"r-{i}", i, s),
            )
        )
    scope = Scope(start=START, end=START + timedelta(days=10), checkpoint_key="delivered")
    funnel = await breakdowns.funnel(db, scope)
    assert funnel.steps() == [
        ("scheduled", 8),
        ("sent", 6),
        ("opened", 3),
        ("started", 3),
        ("completed", 2),
    ]
    assert funnel.response_rate == pytest.approx(100 * 2 / 6)


async def test_latest_comments_are_text_answers_newest_first(db):
    rows = random_rows(random.Random(5), 3)
    for i, row in enumerate(rows):
        row["completed_at"] = START + timedelta(days=i)
    await insert_rows(db, rows)
    await db.write(
        lambda tx: tx.execute_many(
            "INSERT INTO answers (response_id, question_id, value, updated_at) VALUES (?, ?, ?, ?)",
            [
                (rows[0]["id"], "why", '"slow delivery"', "x"),
                (rows[1]["id"], "why", '"great"', "x"),
                (rows[1]["id"], "pick", '"option_a"', "x"),  # a choice, not a comment
                (rows[2]["id"], "score", "9", "x"),
            ],
        )
    )
    scope = Scope(start=START, end=START + timedelta(days=10))
    comments = await breakdowns.latest_comments(db, scope, {"v1": {"why"}})
    assert [(c.text, c.response_id) for c in comments] == [
        ("great", rows[1]["id"]),
        ("slow delivery", rows[0]["id"]),
    ]
