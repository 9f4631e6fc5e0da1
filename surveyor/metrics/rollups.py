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
from surveyor.invitations import store as invitations
from surveyor.invitations.reads import FunnelCounts
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


def _parts(
    scope: Any, key: str = "", key_params: tuple[Any, ...] = (), daily: bool = True
) -> tuple[str, list[Any]]:
    """``SELECT … UNION ALL …`` of the window's parts, each with the per-value sums;
    grouped by ``key`` when given: an SQL expression of ``{slot}`` (the hour slot) with
    ``key_params``, e.g. ``channel`` or a ``CASE`` placing hours in trend buckets (then
    ``daily=False`` unless every bucket begins at a UTC midnight: a trend bucket may
    begin in the middle of a UTC day)."""
    dims, dim_params = _dims(scope)
    hours = _hours(scope.start, scope.end)

    def select(slot: str) -> tuple[str, list[Any], str]:
        if not key:
            return "", [], ""
        return f"{key.format(slot=slot)} AS k, ", list(key_params), " GROUP BY 1"

    def rows(low: str, high: str) -> tuple[str, list[Any]]:
        head, params, group = select("substr(completed_at, 1, 13)")
        where = " AND ".join([*dims, "completed_at >= ?", "completed_at < ?"])
        return (
            f"SELECT {head}count(*) AS responses, {_ROW_SUMS} FROM responses WHERE {where}{group}",
            [*params, *dim_params, low, high],
        )

    if hours is None:
        return rows(iso(scope.start), iso(scope.end))
    where = " AND ".join([*dims, "slot >= ?", "slot < ?"])

    def rolled(table: str, low: str, high: str) -> tuple[str, list[Any]]:
        # A day's key is its first hour's ('YYYY-MM-DD' || 'T00'): a day lies in one
        # group when every boundary of ``key`` is a UTC midnight (``counts_by_bucket``).
        head, params, group = select("slot" if table == "metrics_hourly" else "(slot || 'T00')")
        return (
            f"SELECT {head}sum(responses) AS responses, {_ROLLUP_SUMS} FROM {table}"
            f" WHERE {where}{group}",
            [*params, *dim_params, low, high],
        )

    first, last = slot_text(hours[0]), slot_text(hours[1])
    days = _days(*hours) if daily else None
    if days is None:
        middle = [rolled("metrics_hourly", first, last)]
    else:
        # Whole UTC days from metrics_daily, the whole hours around them from the hourly.
        day_first, day_last = slot_text(days[0])[:10], slot_text(days[1])[:10]
        middle = [
            rolled("metrics_hourly", first, slot_text(days[0])),
            rolled("metrics_daily", day_first, day_last),
            rolled("metrics_hourly", slot_text(days[1]), last),
        ]
    parts = [rows(iso(scope.start), first), *middle, rows(last, iso(scope.end))]
    return " UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]


def _days(first: datetime, last: datetime) -> tuple[datetime, datetime] | None:
    """The first and the end of the whole UTC days in [first, last), None when none."""
    begin = first.replace(hour=0)
    if begin < first:
        begin += timedelta(days=1)
    end = last.replace(hour=0)
    return (begin, end) if begin < end else None


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


async def counts_by_bucket(
    db: Database, scope: Any, starts: list[datetime]
) -> dict[int, dict[str, int]]:
    """The same per trend bucket: ``starts`` are the UTC moments the buckets begin (in
    order, whole hours); bucket ``i`` holds the hours from ``starts[i]`` to the next one.
    The database places each hour (at most ``len(starts)`` rows come back)."""
    bounds = [slot_text(moment) for moment in starts[1:]]
    # Buckets that begin at UTC midnights (a UTC workspace) hold whole UTC days: those are
    # read from metrics_daily (a row a day, not 24); else every whole hour is.
    midnights = all(bound.endswith("T00") for bound in bounds)
    case = (
        "CASE "
        + " ".join(f"WHEN {{slot}} < ? THEN {i}" for i in range(len(bounds)))
        + f" ELSE {len(bounds)} END"
        if bounds
        else "0"
    )
    sql, params = _parts(scope, key=case, key_params=tuple(bounds), daily=midnights)
    found: dict[int, dict[str, int]] = {}
    for row in await db.fetch_all(sql, params):
        _add(found.setdefault(int(row["k"]), {}), row)
    return found


async def counts_by_channel(db: Database, scope: Any) -> dict[str, dict[str, int]]:
    """The same per channel (the channel as stored: '' for a link)."""
    sql, params = _parts(scope, key="channel")
    found: dict[str, dict[str, int]] = {}
    for row in await db.fetch_all(sql, params):
        _add(found.setdefault(row["k"] or "", {}), row)
    return found


async def counts_by_checkpoint_and_survey(
    db: Database, scope: Any
) -> dict[tuple[str, str], dict[str, int]]:
    """The same per (checkpoint ('' for none), survey), in one statement: the overview's
    and the journey map's rows (instead of one statement per row)."""
    # Checkpoint keys hold no '|' (filters.ID_LIKE), so the first '|' splits the pair.
    sql, params = _parts(scope, key="coalesce(checkpoint_key, '') || '|' || survey_id")
    found: dict[tuple[str, str], dict[str, int]] = {}
    # The parts added up in the database: one row per pair comes back, not five.
    totals = ", ".join(f"sum({c}) AS {c}" for c in ("responses", *COLUMNS))
    sql = f"SELECT k, {totals} FROM ({sql}) AS parts GROUP BY k"
    for row in await db.fetch_all(sql, params):
        checkpoint, _, survey = str(row["k"]).partition("|")
        _add(found.setdefault((checkpoint, survey), {}), row)
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


# -- the response funnel (migration 0061) ---------------------------------------------

STATUSES = ("scheduled", "sent", "failed", "opened", "answered", "expired")


async def funnel_counts(db: Database, scope: Any) -> FunnelCounts:
    """What ``invitations.funnel_counts`` counts (invitations *sent* in the scope, by
    status, and the responses started and completed from them): the whole hours of
    ``send_at`` from ``metrics_funnel_hourly``, the partial edge hours from the rows."""
    hours = _hours(scope.start, scope.end)
    if hours is None:
        return await _funnel_rows(db, scope, iso(scope.start), iso(scope.end))
    first, last = slot_text(hours[0]), slot_text(hours[1])
    dims, params = _dims(scope)
    where = " AND ".join([*dims, "slot >= ?", "slot < ?"])
    row = await db.fetch_one(
        "SELECT "
        + ", ".join(f"sum(status_{s}) AS {s}" for s in STATUSES)
        + ", sum(started) AS started, sum(completed) AS completed"
        + f" FROM metrics_funnel_hourly WHERE {where}",
        [*params, first, last],
    )
    assert row is not None
    by_status = {s: int(row[s] or 0) for s in STATUSES}
    started, completed = int(row["started"] or 0), int(row["completed"] or 0)
    for low, high in ((iso(scope.start), first), (last, iso(scope.end))):
        edge = await _funnel_rows(db, scope, low, high)
        for status, n in edge.by_status.items():
            by_status[status] = by_status.get(status, 0) + n
        started += edge.started
        completed += edge.completed
    return FunnelCounts(
        by_status={s: n for s, n in by_status.items() if n},
        started=started,
        completed=completed,
    )


async def _funnel_rows(db: Database, scope: Any, low: str, high: str) -> FunnelCounts:
    if low >= high:
        return FunnelCounts(by_status={}, started=0, completed=0)
    return await invitations.funnel_counts(
        db,
        start=low,
        end=high,
        checkpoint_key=scope.checkpoint_key,
        survey_id=scope.survey_id,
    )


# -- rebuilding ---------------------------------------------------------------------------

# Every completed response's counts, per rollup row: migration 0060's backfill, rebuild().
BACKFILL = (
    "INSERT INTO metrics_hourly (checkpoint_key, slot, survey_id, channel, part, responses,"
    f" {', '.join(COLUMNS)}) SELECT coalesce(checkpoint_key, ''), substr(completed_at, 1, 13),"
    f" survey_id, channel, 0, count(*), {_ROW_SUMS} FROM responses"
    " WHERE completed_at IS NOT NULL"
    " GROUP BY coalesce(checkpoint_key, ''), substr(completed_at, 1, 13), survey_id, channel"
)

# metrics_daily from metrics_hourly: migration 0062's backfill, rebuild().
DAILY_BACKFILL = (
    "INSERT INTO metrics_daily (checkpoint_key, slot, survey_id, channel, part, responses,"
    f" {', '.join(COLUMNS)}) SELECT checkpoint_key, substr(slot, 1, 10), survey_id, channel,"
    f" part, sum(responses), {', '.join(f'sum({c})' for c in COLUMNS)} FROM metrics_hourly"
    " GROUP BY checkpoint_key, substr(slot, 1, 10), survey_id, channel, part"
)


async def rebuild(db: Database) -> int:
    """Recompute ``metrics_hourly`` from the rows in one unit (a repair; migration 0060
    ran the same backfill). Returns the number of rollup rows. (The funnel's rollup is
    built from the invitations by migration 0061; SQL on that table stays in its room.)"""

    async def unit(tx: Any) -> int:
        if db.backend == "postgresql":
            # The fold's lock (migration 0120): no fold moves rows while they are rebuilt.
            await tx.execute("SELECT pg_advisory_xact_lock(727275, hashtext(current_schema()))")
        await tx.execute("DELETE FROM metrics_hourly")
        await tx.execute(BACKFILL)
        await tx.execute("DELETE FROM metrics_daily")
        await tx.execute(DAILY_BACKFILL)
        return int(await tx.fetch_val("SELECT count(*) FROM metrics_hourly") or 0)

    return await db.write(unit)
