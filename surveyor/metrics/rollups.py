"""Reading the hourly rollups (migration 0060): dashboards that stay flat as data grows.

``metrics_hourly`` holds, per UTC hour of completion, checkpoint, survey and channel, how
many responses completed and how many gave each value of each key score. A trigger on
``responses`` keeps it in step inside the transaction that writes the response
(completion, a change of scores, a delete), so it is never behind and needs no job.

A window [start, end) is read as three parts, in one statement:

* the whole UTC hours inside it, from ``metrics_hourly`` (at most 24 rows per day and
  per checkpoint, survey and channel, however many responses there are);
* the partial hour before the first whole hour and the one after the last, from
  ``responses`` through the same covering index as the row-level queries (at most two
  hours of rows).

A response is in hour ``substr(completed_at, 1, 13)``; since that 13-character prefix
compares as text exactly like the timestamps it begins, the three parts never overlap
and together are exactly ``start <= completed_at < end``: every figure equals the
row-level one (``queries.row_*``, kept as the reference; tests/metrics/test_rollups.py
compares them on random data).

Falls back to the rows (``queries``) when the scope has a segment (a contact attribute:
contacts' attributes change after the response and erasure blanks them, so a rollup
keyed by them at completion time would not stay equal) and, for trends, when the
workspace zone is not a whole number of hours from UTC (an hour would straddle two
local days). ``ENABLED = False`` (setting ``metrics_rollups = false``) reads everything
from the rows, for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from surveyor.db import Database
from surveyor.ids import iso
from surveyor.metrics.stats import (
    CES_EASY_MIN,
    CSAT_SATISFIED_MIN,
    DETRACTOR_MAX,
    EMOTION_NEGATIVE_MAX,
    EMOTION_POSITIVE_MIN,
    PROMOTER_MIN,
    SCALES,
)

ENABLED = True

# The per-value count columns, in table order: nps_0 … emotion_10.
VALUES: tuple[tuple[str, int], ...] = tuple(
    (metric, score) for metric, (low, high) in SCALES.items() for score in range(low, high + 1)
)
COLUMNS: tuple[str, ...] = tuple(f"{metric}_{score}" for metric, score in VALUES)

_ROLLUP_SUMS = ", ".join(f"sum({c}) AS {c}" for c in COLUMNS)
_ROW_SUMS = ", ".join(
    f"sum(CASE WHEN {metric} = {score} THEN 1 ELSE 0 END) AS {metric}_{score}"
    for metric, score in VALUES
)


def configure(enabled: bool) -> None:
    """Read from the rollups (True, the default) or from the rows (for comparison)."""
    global ENABLED
    ENABLED = enabled


def applies(scope: Any) -> bool:
    return ENABLED and scope.segment is None


def slot_text(moment: datetime) -> str:
    """The hour slot of a moment, as stored: ``YYYY-MM-DDTHH`` (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _hours(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The first and the end of the whole UTC hours in [start, end), None when none."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


def _dims(scope: Any) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if scope.survey_id is not None:
        clauses.append("survey_id = ?")
        params.append(scope.survey_id)
    if scope.checkpoint_key is not None:
        clauses.append("checkpoint_key = ?")
        params.append(scope.checkpoint_key)
    return clauses, params


def _parts(scope: Any, by: str = "", row_by: str = "") -> tuple[str, list[Any]]:
    """``SELECT … UNION ALL …`` of the window's parts, each with the per-value sums
    (grouped by ``by`` in the rollup and ``row_by`` in the rows, when given)."""
    dims, dim_params = _dims(scope)
    hours = _hours(scope.start, scope.end)
    group = f" GROUP BY {by}" if by else ""
    row_group = f" GROUP BY {row_by}" if row_by else ""
    key = f"{by} AS k, " if by else ""
    row_key = f"{row_by} AS k, " if row_by else ""

    def rows(low: str, high: str) -> tuple[str, list[Any]]:
        where = " AND ".join([*dims, "completed_at >= ?", "completed_at < ?"])
        return (
            f"SELECT {row_key}count(*) AS responses, {_ROW_SUMS} FROM responses"
            f" WHERE {where}{row_group}",
            [*dim_params, low, high],
        )

    if hours is None:
        return rows(iso(scope.start), iso(scope.end))
    first, last = slot_text(hours[0]), slot_text(hours[1])
    where = " AND ".join([*dims, "slot >= ?", "slot < ?"])
    parts = [
        rows(iso(scope.start), first),
        (
            f"SELECT {key}sum(responses) AS responses, {_ROLLUP_SUMS} FROM metrics_hourly"
            f" WHERE {where}{group}",
            [*dim_params, first, last],
        ),
        rows(last, iso(scope.end)),
    ]
    return " UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]


def _add(target: dict[str, int], row: Mapping[str, Any]) -> None:
    for name in ("responses", *COLUMNS):
        target[name] = target.get(name, 0) + int(row[name] or 0)


async def counts(db: Database, scope: Any) -> dict[str, int]:
    """``{"responses": n, "nps_0": …, …, "emotion_10": …}`` over the scope."""
    sql, params = _parts(scope)
    total: dict[str, int] = dict.fromkeys(("responses", *COLUMNS), 0)
    for row in await db.fetch_all(sql, params):
        _add(total, row)
    return total


async def counts_by_slot(db: Database, scope: Any) -> dict[str, dict[str, int]]:
    """The same per UTC hour (``YYYY-MM-DDTHH``), for the trends."""
    sql, params = _parts(scope, by="slot", row_by="substr(completed_at, 1, 13)")
    found: dict[str, dict[str, int]] = {}
    for row in await db.fetch_all(sql, params):
        _add(found.setdefault(row["k"], {}), row)
    return found


async def counts_by_channel(db: Database, scope: Any) -> dict[str, dict[str, int]]:
    """The same per channel (the channel as stored: '' for a link)."""
    sql, params = _parts(scope, by="channel", row_by="channel")
    found: dict[str, dict[str, int]] = {}
    for row in await db.fetch_all(sql, params):
        _add(found.setdefault(row["k"] or "", {}), row)
    return found


def distribution(found: Mapping[str, int], metric: str) -> dict[int, int]:
    """``{score: count}`` of one key score, values with no answer left out (as a GROUP BY)."""
    return {
        score: found.get(f"{metric}_{score}", 0)
        for m, score in VALUES
        if m == metric and found.get(f"{metric}_{score}", 0)
    }


def sums(found: Mapping[str, int]) -> dict[str, int]:
    """The row-level queries' conditional sums (``queries._SUMS``) from per-value counts:
    the same integers, so ``queries.scores_from_sums`` gives the same floats."""

    def n(metric: str, low: int | None = None, high: int | None = None) -> int:
        lo, hi = SCALES[metric]
        lo = lo if low is None else low
        hi = hi if high is None else high
        return sum(found.get(f"{metric}_{s}", 0) for s in range(lo, hi + 1))

    def moment(metric: str, power: int) -> int:
        lo, hi = SCALES[metric]
        return sum(s**power * found.get(f"{metric}_{s}", 0) for s in range(lo, hi + 1))

    return {
        "nps_n": n("nps"),
        "promoters": n("nps", low=PROMOTER_MIN),
        "detractors": n("nps", high=DETRACTOR_MAX),
        "ces_n": n("ces"),
        "ces_sum": moment("ces", 1),
        "ces_sq": moment("ces", 2),
        "ces_easy": n("ces", low=CES_EASY_MIN),
        "csat_n": n("csat"),
        "csat_sum": moment("csat", 1),
        "csat_sq": moment("csat", 2),
        "csat_ok": n("csat", low=CSAT_SATISFIED_MIN),
        "emo_n": n("emotion"),
        "emo_sum": moment("emotion", 1),
        "emo_sq": moment("emotion", 2),
        "emo_pos": n("emotion", low=EMOTION_POSITIVE_MIN),
        "emo_neg": n("emotion", high=EMOTION_NEGATIVE_MAX),
    }


async def rebuild(db: Database) -> int:
    """Recompute ``metrics_hourly`` from ``responses`` in one unit (a repair; migration
    0060 ran the same backfill). Returns the number of rollup rows."""
    columns = ", ".join(COLUMNS)

    async def unit(tx: Any) -> int:
        await tx.execute("DELETE FROM metrics_hourly")
        await tx.execute(
            "INSERT INTO metrics_hourly (checkpoint_key, slot, survey_id, channel, part,"
            f" responses, {columns}) SELECT coalesce(checkpoint_key, ''),"
            f" substr(completed_at, 1, 13), survey_id, channel, 0, count(*), {_ROW_SUMS}"
            " FROM responses WHERE completed_at IS NOT NULL GROUP BY"
            " coalesce(checkpoint_key, ''), substr(completed_at, 1, 13), survey_id, channel"
        )
        return int(await tx.fetch_val("SELECT count(*) FROM metrics_hourly") or 0)

    return await db.write(unit)
