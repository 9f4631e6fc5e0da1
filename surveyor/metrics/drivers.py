"""Key drivers: which other answers and contact attributes move an outcome (NPS by default).

Method (docs/metrics.md, "Key drivers"): a linear model of the outcome on at most
``MAX_DRIVERS`` candidate drivers, and each driver's importance is its Shapley share
of R² (the LMG decomposition): the average, over every order in which drivers could
enter the model, of how much R² rises when it enters. The shares add up to the
model's R², do not depend on the order, and stay sensible when drivers correlate
(where raw coefficients flip sign or split arbitrarily). Direction is the sign of the
driver's simple correlation with the outcome.

Candidates: the other key scores (CES, CSAT, emotion or NPS), every other question
with numeric (or yes/no) answers, numeric contact attributes, and text contact
attributes with 2–6 values (one 0/1 driver per value but the most common). Rows are
the scope's newest ``MAX_ROWS`` responses with the outcome answered; a candidate must
be answered in at least half of them; rows missing any kept driver are left out
(listwise), so every driver has the same n.

This reads responses into Python (unlike the scores, which SQL aggregates): bounded by
``MAX_ROWS``, and only for the drivers table.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any, Literal

import msgspec

from surveyor.db import Database
from surveyor.metrics import queries, read_store
from surveyor.metrics.labels import version_labels
from surveyor.metrics.queries import Scope
from surveyor.surveys.kinds import DEFAULT_KINDS, KindRegistry

MAX_ROWS = 20_000
MAX_DRIVERS = 8
MIN_ROWS = 30
Outcome = Literal["nps", "ces", "csat", "emotion"]
OUTCOME_LABELS = {
    "nps": "NPS (0–10)",
    "ces": "CES (1–7)",
    "csat": "CSAT (1–5)",
    "emotion": "emotion (1–10)",
}
KEY_LABELS = {
    "nps": "NPS score",
    "ces": "ease (CES, 7 = easiest)",
    "csat": "satisfaction (CSAT)",
    "emotion": "feeling (emotion)",
}


class Driver(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # "answer:<question id>", "score:<metric>", "contact:<attribute>[=<value>]"
    label: str
    importance: float  # share of R² (0–1); the importances add up to r2
    share: float  # importance / r2, 0–100 %
    correlation: float
    direction: Literal["positive", "negative"]
    n: int
    sentence: str


class DriversResult(msgspec.Struct, frozen=True, kw_only=True):
    outcome: str
    method: str
    n: int
    r2: float | None
    drivers: list[Driver]
    note: str


# -- the pure part -----------------------------------------------------------------


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; a tiny ridge keeps collinear sets solvable."""
    size = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for i in range(size):
        a[i][i] += 1e-10
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(size):
            if r != col:
                factor = a[r][col] / a[col][col]
                if factor:
                    for c in range(col, size + 1):
                        a[r][c] -= factor * a[col][c]
    return [a[i][size] / a[i][i] if abs(a[i][i]) >= 1e-12 else 0.0 for i in range(size)]


def _correlations(columns: Sequence[Sequence[float]]) -> list[list[float]]:
    n = len(columns[0])
    means = [sum(c) / n for c in columns]
    centred = [[v - m for v in c] for c, m in zip(columns, means, strict=True)]
    norms = [math.sqrt(sum(v * v for v in c)) for c in centred]
    k = len(columns)
    out = [[1.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1, k):
            denom = norms[i] * norms[j]
            r = (
                sum(a * b for a, b in zip(centred[i], centred[j], strict=True)) / denom
                if denom
                else 0.0
            )
            out[i][j] = out[j][i] = r
    return out


def r_squared(corr: list[list[float]], subset: Sequence[int], target: int) -> float:
    """R² of the outcome on ``subset`` from the correlation matrix: r'R⁻¹r."""
    if not subset:
        return 0.0
    matrix = [[corr[i][j] for j in subset] for i in subset]
    vector = [corr[i][target] for i in subset]
    beta = _solve(matrix, vector)
    return max(0.0, min(1.0, sum(b * r for b, r in zip(beta, vector, strict=True))))


def shapley_r2(corr: list[list[float]], p: int, target: int) -> list[float]:
    """Each of the first ``p`` variables' Shapley share of R² (exact, 2^p subsets)."""
    cache: dict[tuple[int, ...], float] = {}

    def r2(subset: tuple[int, ...]) -> float:
        if subset not in cache:
            cache[subset] = r_squared(corr, subset, target)
        return cache[subset]

    shares = [0.0] * p
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for subset in combinations(others, size):
                with_j = tuple(sorted((*subset, j)))
                shares[j] += weight * (r2(with_j) - r2(subset))
    return shares


def _sentence(label: str, outcome: str, direction: str, share: float, dummy: bool) -> str:
    more = "higher" if direction == "positive" else "lower"
    if dummy:
        lead = f"Responses from contacts with {label} go with {more} {OUTCOME_LABELS[outcome]}"
    else:
        lead = f"Higher {label} goes with {more} {OUTCOME_LABELS[outcome]}"
    return f"{lead}; it accounts for {share:.0f} % of what the model explains."


def key_drivers(
    outcome: Outcome,
    rows: Sequence[Mapping[str, float | None]],
    labels: Mapping[str, str],
    *,
    max_drivers: int = MAX_DRIVERS,
) -> DriversResult:
    """Rows of ``{"outcome": y, <driver key>: x | None, …}`` → the key-driver table."""
    method = "Shapley decomposition of R² (LMG), linear model"
    answered = [r for r in rows if r.get("outcome") is not None]
    keys = sorted({k for r in answered for k in r if k != "outcome"})
    candidates = []
    for key in keys:
        pairs = [(r[key], r["outcome"]) for r in answered if r.get(key) is not None]
        if len(pairs) < max(MIN_ROWS, len(answered) / 2):
            continue
        xs = [float(x) for x, _ in pairs]  # type: ignore[arg-type]
        ys = [float(y) for _, y in pairs]  # type: ignore[arg-type]
        r = _correlations([xs, ys])[0][1]
        if min(xs) == max(xs):
            continue
        candidates.append((abs(r), key))
    chosen = [k for _, k in sorted(candidates, key=lambda c: (-c[0], c[1]))[:max_drivers]]
    complete = [r for r in answered if all(r.get(k) is not None for k in chosen)]
    if not chosen or len(complete) < max(MIN_ROWS, len(chosen) + 10):
        return DriversResult(
            outcome=outcome,
            method=method,
            n=len(complete),
            r2=None,
            drivers=[],
            note=f"too few complete responses (need at least {MIN_ROWS}) or no driver with "
            "answers in at least half of them",
        )
    columns = [[float(r[k]) for r in complete] for k in chosen]  # type: ignore[arg-type]
    columns.append([float(r["outcome"]) for r in complete])  # type: ignore[arg-type]
    corr = _correlations(columns)
    p = len(chosen)
    shares = shapley_r2(corr, p, p)
    total = sum(shares)
    found = []
    for j, key in enumerate(chosen):
        direction: Literal["positive", "negative"] = "positive" if corr[j][p] >= 0 else "negative"
        share = 100 * shares[j] / total if total > 0 else 0.0
        found.append(
            Driver(
                key=key,
                label=labels.get(key, key),
                importance=shares[j],
                share=share,
                correlation=corr[j][p],
                direction=direction,
                n=len(complete),
                sentence=_sentence(labels.get(key, key), outcome, direction, share, "=" in key),
            )
        )
    found.sort(key=lambda d: -d.importance)
    return DriversResult(
        outcome=outcome,
        method=method,
        n=len(complete),
        r2=total,
        drivers=found,
        note="associations in a linear model, not proof of cause; drivers that move "
        "together share their importance",
    )


def payload(result: DriversResult) -> dict[str, Any]:
    body = msgspec.to_builtins(result)
    body["r2"] = None if result.r2 is None else round(result.r2, 4)
    for d in body["drivers"]:
        d["importance"] = round(d["importance"], 4)
        d["share"] = round(d["share"], 1)
        d["correlation"] = round(d["correlation"], 3)
    return body


# -- reading the rows ----------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


async def drivers_for(
    db: Database, scope: Scope, outcome: Outcome, kinds: KindRegistry = DEFAULT_KINDS
) -> DriversResult:
    """The key-driver table of the scope's newest responses (at most ``MAX_ROWS``),
    computed from the rows (``driver_cache.drivers`` is the cached way the pages take)."""
    result, _read, _oldest = await drivers_read(db, scope, outcome, kinds)
    return result


async def drivers_read(
    db: Database, scope: Scope, outcome: Outcome, kinds: KindRegistry = DEFAULT_KINDS
) -> tuple[DriversResult, int, str | None]:
    """``drivers_for``, with how many responses it read and the oldest one's completion
    time (what a cache needs to know which rows the result stands on)."""
    raw = await read_store.driver_rows(db, scope, outcome, MAX_ROWS)
    oldest = min((row["completed_at"] for row in raw), default=None)
    versions = await version_labels(db, survey_id=scope.survey_id, kinds=kinds)
    # Pure CPU (up to MAX_ROWS responses in Python): in a thread, so the server's event
    # loop keeps answering other requests meanwhile instead of waiting for it.
    result, read = await asyncio.to_thread(_table, raw, versions, outcome, kinds)
    return result, read, oldest


def _table(
    raw: list[dict[str, Any]], versions: Mapping[str, Any], outcome: Outcome, kinds: KindRegistry
) -> tuple[DriversResult, int]:
    """The key-driver table of ``driver_rows``' rows, and how many responses they hold."""
    labels: dict[str, str] = {}
    feeds_metric: set[str] = set()
    for version in versions.values():
        for q in version.questions:
            labels[f"answer:{q.id}"] = q.label
            kind = kinds.get(q.kind)
            if kind is not None and getattr(kind, "metric", None):
                feeds_metric.add(q.id)
    rows: dict[str, dict[str, float | None]] = {}
    text_attributes: dict[str, Counter[str]] = {}
    attributes_of: dict[str, dict[str, Any]] = {}
    for row in raw:
        found = rows.get(row["id"])
        if found is None:
            found = {"outcome": _number(row[outcome])}
            for metric in queries.KEY_METRICS:
                if metric != outcome:
                    found[f"score:{metric}"] = _number(row[metric])
                    labels[f"score:{metric}"] = KEY_LABELS[metric]
            attributes = msgspec.json.decode(row["attributes"] or "{}")
            attributes = attributes if isinstance(attributes, dict) else {}
            attributes_of[row["id"]] = attributes
            for name, value in attributes.items():
                number = _number(value)
                if number is not None:
                    found[f"contact:{name}"] = number
                    labels[f"contact:{name}"] = name
                elif isinstance(value, str):
                    text_attributes.setdefault(name, Counter())[value] += 1
            rows[row["id"]] = found
        question, value = row["question_id"], row["value"]
        if question is not None and question not in feeds_metric and value is not None:
            number = _number(msgspec.json.decode(value))
            if number is not None:
                found[f"answer:{question}"] = number
                labels.setdefault(f"answer:{question}", question)
    for name, counts in text_attributes.items():
        if not 2 <= len(counts) <= 6:
            continue
        reference = counts.most_common(1)[0][0]
        for value in counts:
            if value == reference:
                continue
            key = f"contact:{name}={value}"
            labels[key] = f"{name} = {value}"
            for rid, found in rows.items():
                attribute = attributes_of[rid].get(name)
                found[key] = None if not isinstance(attribute, str) else float(attribute == value)
    return key_drivers(outcome, list(rows.values()), labels), len(rows)
