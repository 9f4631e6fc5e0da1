"""Issue 16: key drivers (Shapley decomposition of R²), checked against an independent
computation: exact least squares in fractions on the raw rows and Shapley values as the
average over every order of entry — not the product's correlation-matrix shortcut."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import permutations
from math import factorial

import msgspec
import pytest

from surveyor.ids import iso, new_id
from surveyor.metrics.drivers import key_drivers
from tests.conftest import api_key, app_services, in_app
from tests.metrics.helpers import START


def _r2(rows, keys):
    """R² of an OLS fit with intercept, solved exactly (Gauss–Jordan on fractions)."""
    if not keys:
        return Fraction(0)
    ys = [Fraction(r["outcome"]) for r in rows]
    xs = [[Fraction(1)] + [Fraction(r[k]) for k in keys] for r in rows]
    size = len(keys) + 1
    a = [
        [sum(x[i] * x[j] for x in xs) for j in range(size)]
        + [sum(x[i] * y for x, y in zip(xs, ys, strict=True))]
        for i in range(size)
    ]
    for col in range(size):
        pivot = next(r for r in range(col, size) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        a[col] = [v / a[col][col] for v in a[col]]
        for r in range(size):
            if r != col and a[r][col] != 0:
                a[r] = [v - a[r][col] * w for v, w in zip(a[r], a[col], strict=True)]
    beta = [a[i][size] for i in range(size)]
    mean = sum(ys) / len(ys)
    fitted = [sum(b * v for b, v in zip(beta, x, strict=True)) for x in xs]
    ss_res = sum((y - f) ** 2 for y, f in zip(ys, fitted, strict=True))
    ss_tot = sum((y - mean) ** 2 for y in ys)
    return 1 - ss_res / ss_tot


def _shapley_by_orders(rows, keys):
    cache: dict[frozenset[str], Fraction] = {}

    def r2(subset):
        if subset not in cache:
            cache[subset] = _r2(rows, sorted(subset))
        return cache[subset]

    totals = dict.fromkeys(keys, Fraction(0))
    for order in permutations(keys):
        entered: frozenset[str] = frozenset()
        for key in order:
            totals[key] += r2(entered | {key}) - r2(entered)
            entered = entered | {key}
    return {k: v / factorial(len(keys)) for k, v in totals.items()}


def _rows(seed: int, n: int):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        speed = rng.randint(1, 5)
        price = rng.randint(1, 5)
        gold = rng.random() < 0.4
        noise = rng.randint(-2, 2)
        outcome = max(0, min(10, 2 + speed + (1 if gold else 0) - price // 3 + noise))
        rows.append({"outcome": outcome, "speed": speed, "price": price, "gold": float(gold)})
    return rows


def test_key_drivers_equal_an_independent_shapley_computation():
    rows = _rows(5, 120)
    result = key_drivers("nps", rows, {"speed": "delivery speed", "gold": "tier = gold"})
    expected = _shapley_by_orders(rows, ["speed", "price", "gold"])
    assert result.n == 120
    assert result.r2 == pytest.approx(float(_r2(rows, ["speed", "price", "gold"])), abs=1e-9)
    assert {d.key: d.importance for d in result.drivers} == pytest.approx(
        {k: float(v) for k, v in expected.items()}, abs=1e-9
    )
    assert next(d.key for d in result.drivers) == "speed"  # the strongest first
    speed = result.drivers[0]
    assert speed.direction == "positive" and speed.label == "delivery speed"
    assert speed.share == pytest.approx(100 * float(expected["speed"] / sum(expected.values())))
    assert "Higher delivery speed goes with higher NPS" in speed.sentence
    price = next(d for d in result.drivers if d.key == "price")
    assert price.direction == "negative"


def test_too_few_rows_give_no_table_but_say_why():
    result = key_drivers("nps", _rows(1, 12), {})
    assert result.drivers == [] and result.r2 is None and "too few" in result.note


async def test_drivers_api_reads_answers_and_contact_attributes(client):
    db = app_services(client).db
    rng = random.Random(9)
    stamp = iso(START)
    data = []
    for i in range(80):
        tier = rng.choice(["gold", "silver", "bronze"])
        speed = rng.randint(1, 5)
        nps = max(0, min(10, 3 + speed + (2 if tier == "gold" else 0) + rng.randint(-2, 2)))
        data.append((new_id(), new_id(), tier, speed, nps, rng.randint(1, 7), i))

    async def insert(tx):
        for rid, cid, tier, speed, nps, ces, i in data:
            await tx.execute(
                "INSERT INTO contacts (id, external_id, attributes, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (cid, f"c{i}", msgspec.json.encode({"tier": tier}).decode(), stamp, stamp),
            )
            await tx.execute(
                "INSERT INTO responses (id, survey_id, survey_version_id, contact_id,"
                " checkpoint_key, channel, status, started_at, updated_at, completed_at, nps,"
                " ces) VALUES (?, 's1', 'v1', ?, 'delivered', 'email', 'complete', ?, ?, ?, ?, ?)",
                (rid, cid, stamp, stamp, stamp, nps, ces),
            )
            await tx.execute(
                "INSERT INTO answers (response_id, question_id, value, updated_at)"
                " VALUES (?, 'speed', ?, ?), (?, 'note', '\"fine\"', ?)",
                (rid, str(speed), stamp, rid, stamp),
            )

    await in_app(client, lambda: db.write(insert))
    headers = await api_key(client, "read")
    answer = await client.get(
        "/api/v1/drivers",
        params={"checkpoint": "delivered", "from": "2026-01-01", "to": "2026-01-31"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The independent computation on the same rows: speed, CES, tier = gold / = silver
    # (bronze or silver is the reference: the most common value is left out).
    tiers = [t for _, _, t, *_ in data]
    reference = max(set(tiers), key=lambda t: (tiers.count(t), t))
    rows = []
    for _, _, tier, speed, nps, ces, _ in data:
        row = {"outcome": nps, "answer:speed": speed, "score:ces": ces}
        for value in sorted({"gold", "silver", "bronze"} - {reference}):
            row[f"contact:tier={value}"] = float(tier == value)
        rows.append(row)
    keys = [k for k in rows[0] if k != "outcome"]
    expected = _shapley_by_orders(rows, keys)
    got = {d["key"]: d["importance"] for d in body["drivers"]}
    assert set(got) == set(keys)
    assert got == pytest.approx({k: round(float(v), 4) for k, v in expected.items()}, abs=1e-4)
    assert body["n"] == 80 and body["outcome"] == "nps"
    assert all(d["n"] == 80 and d["sentence"] for d in body["drivers"])
    assert "Shapley" in body["method"]


async def test_drivers_api_names_bad_fields_and_needs_a_key(client):
    headers = await api_key(client, "read")
    bad = await client.get(
        "/api/v1/drivers", params={"checkpoint": "x", "outcome": "mood"}, headers=headers
    )
    assert bad.status_code == 400 and "outcome" in bad.text
    bad = await client.get("/api/v1/drivers", headers=headers)
    assert bad.status_code == 400 and "survey" in bad.text
    assert (await client.get("/api/v1/drivers", params={"checkpoint": "x"})).status_code in (
        401,
        403,
    )
