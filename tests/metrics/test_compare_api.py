"""Issue 16: comparisons in the API (``compare=``), the annotations API and NEV tests.

Expected figures are recomputed here from the inserted rows and the formulas of
docs/metrics.md, without the product's statistics module."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from surveyor.metrics import store
from surveyor.metrics.store import AnnotationIn
from tests.conftest import api_key, app_services, in_app, login, make_user
from tests.metrics.helpers import insert_rows, random_rows
from tests.metrics.test_views import _demo

Z = 1.959963984540054


def _net_counts(rows, field, pos_min, neg_max):
    scored = [r[field] for r in rows if r[field] is not None]
    pos = sum(1 for s in scored if s >= pos_min)
    neg = sum(1 for s in scored if s <= neg_max)
    return pos, len(scored) - pos - neg, neg


def _net_difference(a, b):
    """The trinomial difference test on adjusted-Wald scores (1.5 pseudo-answers each)."""
    parts = []
    for pos, neu, neg in (a, b):
        n = pos + neu + neg + 1.5
        p, d = (pos + 0.375) / n, (neg + 0.375) / n
        parts.append((p - d, (p + d - (p - d) ** 2) / n))
    (c1, v1), (c2, v2) = parts
    se = 100 * math.sqrt(v1 + v2)
    z = 100 * (c1 - c2) / se
    raw = 100 * ((a[0] - a[2]) / sum(a) - (b[0] - b[2]) / sum(b))
    return {
        "difference": raw,
        "ci95": [100 * (c1 - c2) - Z * se, 100 * (c1 - c2) + Z * se],
        "statistic": z,
        "p_value": math.erfc(abs(z) / math.sqrt(2)),
    }


def _welch(xs, ys):
    m1, m2 = sum(xs) / len(xs), sum(ys) / len(ys)
    v1 = sum((x - m1) ** 2 for x in xs) / (len(xs) - 1) / len(xs)
    v2 = sum((y - m2) ** 2 for y in ys) / (len(ys) - 1) / len(ys)
    return (m1 - m2) / math.sqrt(v1 + v2)


def _within(rows, start, end, **match):
    return [
        r
        for r in rows
        if start <= r["completed_at"] < end and all(r[k] == v for k, v in match.items())
    ]


def _check(change, expected):
    assert change["difference"] == pytest.approx(expected["difference"], abs=0.006)
    assert change["ci95"] == pytest.approx(expected["ci95"], abs=0.006)
    assert change["statistic"] == pytest.approx(expected["statistic"], abs=0.0006)
    assert change["p_value"] == pytest.approx(expected["p_value"], abs=0.00006)
    assert change["significant"] == (expected["p_value"] < 0.05)


async def test_compare_previous_period_gives_every_figure_with_its_test(client):
    db = app_services(client).db
    rows = random_rows(random.Random(16), 900, days=120)
    await in_app(client, insert_rows, db, rows)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-03-01", "to": "2026-04-29", "compare": "previous_period"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    comparison = body["comparison"]
    assert comparison["with"]["kind"] == "previous_period"
    assert comparison["with"]["from"] == "2025-12-31T00:00:00Z"
    assert comparison["with"]["to"] == "2026-03-01T00:00:00Z"
    changes = comparison["changes"]
    assert set(changes) == {"nps", "ces", "ces_pct_easy", "csat", "csat_mean", "emotion", "nev"}
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC)
    now, before = _within(rows, start, end), _within(rows, start - (end - start), start)
    _check(
        changes["nps"],
        _net_difference(_net_counts(now, "nps", 9, 6), _net_counts(before, "nps", 9, 6)),
    )
    _check(
        changes["nev"],
        _net_difference(_net_counts(now, "emotion", 8, 3), _net_counts(before, "emotion", 8, 3)),
    )
    assert changes["nev"]["method"] == "net_score_z"
    assert changes["emotion"]["method"] == "welch_t"
    t = _welch(
        [r["emotion"] for r in now if r["emotion"] is not None],
        [r["emotion"] for r in before if r["emotion"] is not None],
    )
    assert changes["emotion"]["statistic"] == pytest.approx(t, abs=0.0006)
    assert changes["nps"]["previous"] == pytest.approx(
        comparison["scores"]["nps"]["score"], abs=0.06
    )
    assert changes["nps"]["current"] == pytest.approx(body["nps"]["score"], abs=0.06)


async def test_compare_with_another_period_and_a_segment(client):
    db = app_services(client).db
    rows = random_rows(random.Random(3), 600, days=120)
    await in_app(client, insert_rows, db, rows)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-03-01", "to": "2026-03-31", "compare": "2026-01-05/2026-01-31"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["comparison"]["with"]["kind"] == "period"
    changes = answer.json()["comparison"]["changes"]
    a = _within(rows, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    b = _within(rows, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    _check(
        changes["nps"], _net_difference(_net_counts(a, "nps", 9, 6), _net_counts(b, "nps", 9, 6))
    )

    answer = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-01-05", "to": "2026-05-04", "compare": "segment:tier=gold"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["comparison"]["with"]["segment"] == "tier:gold"
    assert body["comparison"]["with"]["kind"] == "segment"
    gold = [r for r in rows if r["tier"] == "gold"]
    _check(
        body["comparison"]["changes"]["nps"],
        _net_difference(_net_counts(rows, "nps", 9, 6), _net_counts(gold, "nps", 9, 6)),
    )


@pytest.mark.parametrize(
    "value", ["yesterday", "segment:tier", "2026-02-01/", "2026-03-01/2026-02-01", "x" * 400]
)
async def test_a_bad_compare_is_a_400_naming_it(client, value):
    headers = await api_key(client, "read")
    answer = await client.get("/api/v1/metrics", params={"compare": value}, headers=headers)
    assert answer.status_code == 400
    assert "compare" in answer.text


async def test_annotations_api_has_whole_day_before_after_comparisons(client):
    db = app_services(client).db
    now = datetime.now(UTC)
    rng = random.Random(4)
    rows = []
    for r in random_rows(rng, 400, days=60):
        r["completed_at"] = now - timedelta(seconds=rng.randrange(50 * 86400))
        r["checkpoint_key"] = "delivered"
        rows.append(r)
    await in_app(client, insert_rows, db, rows)
    change_day = (now - timedelta(days=20)).date()
    data = AnnotationIn(kind="accelerator", title="New courier", happened_on=change_day.isoformat())
    await in_app(client, store.add_annotation, db, "delivered", data)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/annotations", params={"checkpoint": "delivered"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    [marker] = answer.json()["annotations"]
    window = marker["window"]
    # Whole UTC days: the change day up to yesterday, and as many days before.
    days = (now.date() - change_day).days
    assert window["days"] == days
    assert window["after"] == [change_day.isoformat(), (now.date() - timedelta(days=1)).isoformat()]
    assert window["before"] == [
        (change_day - timedelta(days=days)).isoformat(),
        (change_day - timedelta(days=1)).isoformat(),
    ]
    assert "whole days in UTC" in window["label"]
    change = datetime(change_day.year, change_day.month, change_day.day, tzinfo=UTC)
    after = _within(rows, change, change + timedelta(days=days))
    before = _within(rows, change - timedelta(days=days), change)
    assert marker["after"]["nps"]["n"] == sum(1 for r in after if r["nps"] is not None)
    _check(
        marker["changes"]["nev"],
        _net_difference(_net_counts(after, "emotion", 8, 3), _net_counts(before, "emotion", 8, 3)),
    )
    bad = await client.get("/api/v1/annotations", params={"checkpoint": "no good"}, headers=headers)
    assert bad.status_code == 400 and "checkpoint" in bad.text
    assert (await client.get("/api/v1/annotations")).status_code in (401, 403)


async def test_dashboard_tests_nev_beside_the_mean_and_controls_the_fdr(client):
    await _demo(client)
    await login(client, await make_user(client, "manager"))
    page = await client.get("/dashboard/checkpoints/support_case_closed?days=365")
    assert page.status_code == 200, page.text
    assert "trinomial difference test" in page.text and "Welch" in page.text
    assert "NEV" in page.text and "false discovery rate" in page.text
    assert "Benjamini" in page.text and 'id="drivers"' in page.text
    overview = await client.get("/dashboard?days=365")
    assert "Benjamini" in overview.text
    journey = await client.get("/journey/map?days=365")
    assert journey.status_code == 200 and "trinomial difference test" in journey.text


async def test_unknown_parameters_are_a_400_naming_them(client):
    headers = await api_key(client, "read")
    for path in ("/api/v1/metrics", "/api/v1/annotations", "/api/v1/drivers"):
        answer = await client.get(path, params={"comparee": "previous_period"}, headers=headers)
        assert answer.status_code == 400, path
        assert "comparee" in answer.text
