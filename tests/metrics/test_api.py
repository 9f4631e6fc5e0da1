"""GET /api/v1/metrics: the DESIGN §9 shape, buckets, and 400s that name the field."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from surveyor.metrics import queries
from surveyor.metrics.queries import Scope
from tests.conftest import api_key, app_services, in_app
from tests.metrics.helpers import START, insert_rows, random_rows


async def test_metrics_api_returns_each_score_with_n_and_interval(client):
    db = app_services(client).db
    rows = random_rows(random.Random(11), 400)
    await in_app(client, insert_rows, db, rows)
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/metrics",
        params={"checkpoint": "delivered", "from": "2026-01-05", "to": "2026-03-31"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    scope = Scope(start=START, end=START + timedelta(days=86), checkpoint_key="delivered")
    expected = (await in_app(client, queries.key_scores, db, scope)).payload()
    for metric in ("nps", "ces", "csat", "emotion"):
        assert body[metric] == expected[metric]
        assert len(body[metric]["ci95"]) == 2 and body[metric]["n"] > 0
    assert set(body["nps"]) >= {"score", "n", "promoters", "passives", "detractors", "ci95"}
    assert set(body["ces"]) >= {"mean", "pct_easy", "n", "ci95"}
    assert set(body["emotion"]) >= {"mean", "nev", "n", "ci95"}
    assert body["from"] == "2026-01-05T00:00:00Z" and body["to"] == "2026-04-01T00:00:00Z"
    assert "series" not in body


async def test_metrics_api_series_per_month_adds_up_to_the_total(client):
    db = app_services(client).db
    await in_app(client, insert_rows, db, random_rows(random.Random(2), 300))
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/metrics",
        params={
            "from": "2026-01-01",
            "to": "2026-04-30",
            "bucket": "month",
            "segment": "tier:gold",
        },
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [p["bucket"] for p in body["series"]] == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    assert sum(p["nps"]["n"] for p in body["series"]) == body["nps"]["n"]
    assert body["segment"] == "tier:gold"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-40"}, "to"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "from"),
        ({"bucket": "fortnight"}, "bucket"),
        ({"segment": "no-colon"}, "segment"),
        ({"checkpoint": "bad key!"}, "checkpoint"),
    ],
)
async def test_metrics_api_rejects_bad_parameters_naming_the_field(client, params, field):
    headers = await api_key(client, "read")
    answer = await client.get("/api/v1/metrics", params=params, headers=headers)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["detail"].startswith(f"{field}:")
    assert body["errors"][0]["field"] == field


async def test_metrics_api_needs_a_read_key(client):
    assert (await client.get("/api/v1/metrics")).status_code == 401
    headers = await api_key(client, "events:write")
    assert (await client.get("/api/v1/metrics", headers=headers)).status_code == 403
