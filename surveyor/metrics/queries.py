"""Metrics in SQL: counts and sums aggregated in the database, scores computed by ``stats``.

This is the metrics read store: every aggregate of the dashboards is here; the rows
read for the breakdowns, the drivers, the export and the question labels are in
``read_store`` (annotations have their own ``store``).

No response is ever loaded into Python to compute a score. Each query walks one of
the covering indexes of migration 0003 (``checkpoint_key|survey_id, completed_at,
nps, ces, csat, emotion``), so a checkpoint's 90 days is an index range scan:

* the key scores are one pass of conditional sums (``count(x)``, ``sum(x)``,
  ``sum(x*x)``, ``sum(CASE WHEN x >= 9 …)``) handed to ``stats.*_from_moments`` —
  measured twice as fast as a ``GROUP BY score`` per metric on 1M rows; a score's
  distribution (for its chart) is a ``GROUP BY score`` of that one column;
* a trend groups by hour (``substr(completed_at, 1, 13)`` of the ISO-8601 text, which
  both engines support) with conditional sums, and the days are folded into ISO weeks
  or calendar months here, in Python: at most 366 rows a year, and no engine-specific
  date function in the SQL. Buckets are whole days in the workspace's time zone
  (``calendar.Calendar``): the SQL groups by UTC hour, Python places each hour in its
  local day.

The one engine-specific expression — reading a contact attribute out of the JSON text
in ``contacts.attributes`` — lives in :func:`attribute_sql`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from surveyor.db import Database
from surveyor.ids import iso
from surveyor.metrics import rollups, stats
from surveyor.metrics.calendar import UTC_CALENDAR, Bucket, Calendar
from surveyor.metrics.calendar import next_bucket as calendar_next_bucket
from surveyor.metrics.models import CesResult, CsatResult, EmotionResult, NpsResult

KEY_METRICS: tuple[str, ...] = ("nps", "ces", "csat", "emotion")


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """Which responses a metric covers: completed in [start, end), optionally one survey,
    one checkpoint and one segment (a contact attribute equal to a value)."""

    start: datetime
    end: datetime
    survey_id: str | None = None
    checkpoint_key: str | None = None
    segment: tuple[str, str] | None = None

    def shifted(self, start: datetime, end: datetime) -> Scope:
        return msgspec.structs.replace(self, start=start, end=end)

    def with_checkpoint(self, key: str) -> Scope:
        return msgspec.structs.replace(self, checkpoint_key=key)

    def with_survey(self, survey_id: str) -> Scope:
        return msgspec.structs.replace(self, survey_id=survey_id)

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        return self.shifted(self.start - (self.end - self.start), self.start)


class KeyScores(msgspec.Struct, frozen=True, kw_only=True):
    nps: NpsResult
    ces: CesResult
    csat: CsatResult
    emotion: EmotionResult

    def payload(self) -> dict[str, Any]:
        return stats.metrics_payload(
            nps=self.nps, ces=self.ces, csat=self.csat, emotion=self.emotion
        )


class SeriesPoint(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str  # first day of the week or month, YYYY-MM-DD
    start: str
    end: str
    nps: NpsResult
    ces: CesResult
    csat: CsatResult
    emotion: EmotionResult


def attribute_sql(backend: str) -> str:
    """SQL for "contact attribute ``?`` as text", the one engine-specific expression.

    Why here: SQLite reads JSON text with ``json_extract`` and a JSON path; PostgreSQL
    needs a cast to ``jsonb`` and ``->>``. Both return text here (SQLite would return
    a number for ``{"tier": 3}``), so ``tier:3`` matches on both.
    """
    if backend == "postgresql":
        return "(c.attributes::jsonb ->> ?)"
    return "CAST(json_extract(c.attributes, '$.\"' || ? || '\"') AS TEXT)"


def scope_where(scope: Scope, backend: str, alias: str = "") -> tuple[str, list[Any]]:
    """The WHERE clause of a scope, on ``responses`` (optionally aliased)."""
    p = f"{alias}." if alias else ""
    clauses = [f"{p}completed_at >= ?", f"{p}completed_at < ?"]
    params: list[Any] = [iso(scope.start), iso(scope.end)]
    if scope.checkpoint_key is not None:
        clauses.insert(0, f"{p}checkpoint_key = ?")
        params.insert(0, scope.checkpoint_key)
    if scope.survey_id is not None:
        clauses.insert(0, f"{p}survey_id = ?")
        params.insert(0, scope.survey_id)
    if scope.segment is not None:
        key, value = scope.segment
        clauses.append(
            f"{p}contact_id IN (SELECT c.id FROM contacts c WHERE {attribute_sql(backend)} = ?)"
        )
        params.extend([key, value])
    return " AND ".join(clauses), params


# -- the key scores --------------------------------------------------------------------


async def key_scores(db: Database, scope: Scope) -> KeyScores:
    """The four key scores: from the hourly rollups (``rollups``), else from the rows."""
    if rollups.applies(scope):
        return scores_from_sums(rollups.sums(await rollups.counts(db, scope)))
    return await row_key_scores(db, scope)


async def key_scores_by(
    db: Database, scope: Scope, checkpoints: list[str], surveys: list[str]
) -> tuple[dict[str, KeyScores], dict[str, KeyScores]]:
    """The key scores of each checkpoint and of each survey within ``scope``: one
    statement over the rollups for all of them, else each from the rows."""
    if not rollups.applies(scope):
        return (
            {k: await row_key_scores(db, scope.with_checkpoint(k)) for k in checkpoints},
            {s: await row_key_scores(db, scope.with_survey(s)) for s in surveys},
        )
    by_checkpoint: dict[str, dict[str, int]] = {}
    by_survey: dict[str, dict[str, int]] = {}
    for (checkpoint, survey), found in (
        await rollups.counts_by_checkpoint_and_survey(db, scope)
    ).items():
        for target in (by_checkpoint.setdefault(checkpoint, {}), by_survey.setdefault(survey, {})):
            for name, n in found.items():
                target[name] = target.get(name, 0) + n

    def scores(found: dict[str, int] | None) -> KeyScores:
        return scores_from_sums(rollups.sums(found or {}))

    return (
        {k: scores(by_checkpoint.get(k)) for k in checkpoints},
        {s: scores(by_survey.get(s)) for s in surveys},
    )


async def row_key_scores(db: Database, scope: Scope) -> KeyScores:
    """The four key scores in one pass over the index range (conditional sums): the
    row-level reference the rollups must equal, and the path for segments."""
    where, params = scope_where(scope, db.backend)
    row = await db.fetch_one(_TOTALS.format(where=where), params)
    assert row is not None
    return scores_from_sums({name: int(row[name] or 0) for name in _SUMS})


async def distribution(db: Database, scope: Scope, metric: str) -> dict[int, int]:
    """``{score: count}`` of one key score; skipped answers excluded."""
    if metric not in KEY_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if rollups.applies(scope):
        return rollups.distribution(await rollups.counts(db, scope), metric)
    return await row_distribution(db, scope, metric)


async def row_distribution(db: Database, scope: Scope, metric: str) -> dict[int, int]:
    """``{score: count}`` of one key score (``GROUP BY score``), from the rows."""
    if metric not in KEY_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    where, params = scope_where(scope, db.backend)
    rows = await db.fetch_all(
        f"SELECT {metric} AS score, count(*) AS n FROM responses"
        f" WHERE {where} AND {metric} IS NOT NULL GROUP BY {metric}",
        params,
    )
    return {int(row["score"]): int(row["n"]) for row in rows}


def scores_from_distributions(distributions: Mapping[str, Mapping[int, int]]) -> KeyScores:
    """The pure computation from ``{metric: {score: count}}`` (what the SQL must equal)."""
    return KeyScores(
        nps=stats.nps_from_distribution(distributions.get("nps", {})),
        ces=stats.ces_from_distribution(distributions.get("ces", {})),
        csat=stats.csat_from_distribution(distributions.get("csat", {})),
        emotion=stats.emotion_from_distribution(distributions.get("emotion", {})),
    )


def scores_from_sums(sums: Mapping[str, int]) -> KeyScores:
    nps_n = sums["nps_n"]
    promoters, detractors = sums["promoters"], sums["detractors"]
    return KeyScores(
        nps=stats.nps_from_counts(promoters, nps_n - promoters - detractors, detractors),
        ces=stats.ces_from_moments(
            sums["ces_n"], sums["ces_sum"], sums["ces_sq"], sums["ces_easy"]
        ),
        csat=stats.csat_from_moments(
            sums["csat_n"], sums["csat_sum"], sums["csat_sq"], sums["csat_ok"]
        ),
        emotion=stats.emotion_from_moments(
            sums["emo_n"], sums["emo_sum"], sums["emo_sq"], sums["emo_pos"], sums["emo_neg"]
        ),
    )


# Every compared figure: (name, what it is, test). Emotion has two: the mean (Welch)
# and NEV (the trinomial difference test NPS uses), shown side by side, both labelled.
COMPARED: tuple[tuple[str, str, str], ...] = (
    ("nps", "NPS", "net_score_z"),
    ("ces", "CES mean (1–7)", "welch_t"),
    ("ces_pct_easy", "CES % easy (5–7)", "two_proportion_z"),
    ("csat", "CSAT % satisfied (4–5)", "two_proportion_z"),
    ("csat_mean", "CSAT mean (1–5)", "welch_t"),
    ("emotion", "Emotion mean (1–10)", "welch_t"),
    ("nev", "NEV (net emotional value)", "net_score_z"),
)
# -- trends ------------------------------------------------------------------------------

_AGGREGATES = (
    " count(nps) AS nps_n,"
    f" sum(CASE WHEN nps >= {stats.PROMOTER_MIN} THEN 1 ELSE 0 END) AS promoters,"
    f" sum(CASE WHEN nps <= {stats.DETRACTOR_MAX} THEN 1 ELSE 0 END) AS detractors,"
    " count(ces) AS ces_n, sum(ces) AS ces_sum, sum(ces * ces) AS ces_sq,"
    f" sum(CASE WHEN ces >= {stats.CES_EASY_MIN} THEN 1 ELSE 0 END) AS ces_easy,"
    " count(csat) AS csat_n, sum(csat) AS csat_sum, sum(csat * csat) AS csat_sq,"
    f" sum(CASE WHEN csat >= {stats.CSAT_SATISFIED_MIN} THEN 1 ELSE 0 END) AS csat_ok,"
    " count(emotion) AS emo_n, sum(emotion) AS emo_sum, sum(emotion * emotion) AS emo_sq,"
    f" sum(CASE WHEN emotion >= {stats.EMOTION_POSITIVE_MIN} THEN 1 ELSE 0 END) AS emo_pos,"
    f" sum(CASE WHEN emotion <= {stats.EMOTION_NEGATIVE_MAX} THEN 1 ELSE 0 END) AS emo_neg"
)
# One pass over the index range: cheaper than a GROUP BY per metric (measured ~2x at 1M).
_TOTALS = "SELECT" + _AGGREGATES + " FROM responses WHERE {where}"
_GROUPED = (
    "SELECT substr(completed_at, 1, {width}) AS slot,"
    + _AGGREGATES
    + " FROM responses WHERE {where} GROUP BY substr(completed_at, 1, {width})"
)
_SUMS = (
    "nps_n",
    "promoters",
    "detractors",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "ces_easy",
    "csat_n",
    "csat_sum",
    "csat_sq",
    "csat_ok",
    "emo_n",
    "emo_sum",
    "emo_sq",
    "emo_pos",
    "emo_neg",
)


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the ISO week (Monday) or calendar month holding ``day`` (UTC)."""
    return UTC_CALENDAR.bucket_start(day, bucket)


def next_bucket(start: date, bucket: Bucket) -> date:
    return calendar_next_bucket(start, bucket)


def buckets_between(start: datetime, end: datetime, bucket: Bucket) -> list[date]:
    """Every bucket touching [start, end), empty ones included, so a chart has no gaps."""
    return UTC_CALENDAR.buckets_between(start, end, bucket)


def point_from_sums(bucket: date, end: date, sums: Mapping[str, int]) -> SeriesPoint:
    scores = scores_from_sums(sums)
    return SeriesPoint(
        bucket=bucket.isoformat(),
        start=bucket.isoformat(),
        end=end.isoformat(),
        nps=scores.nps,
        ces=scores.ces,
        csat=scores.csat,
        emotion=scores.emotion,
    )


async def series(
    db: Database, scope: Scope, bucket: Bucket, calendar: Calendar = UTC_CALENDAR
) -> list[SeriesPoint]:
    """The key scores per week or month over the scope (empty buckets included): from
    the hourly rollups when the zone is a whole number of hours from UTC all through
    the period (each UTC hour then lies in one local day), else from the rows."""
    if not rollups.applies(scope) or not calendar.whole_hour_offsets(scope.start, scope.end):
        return await row_series(db, scope, bucket, calendar)
    starts = calendar.buckets_between(scope.start, scope.end, bucket)
    found = await rollups.counts_by_bucket(db, scope, [calendar.midnight(b) for b in starts])
    return [
        point_from_sums(start, next_bucket(start, bucket), rollups.sums(found.get(i, {})))
        for i, start in enumerate(starts)
    ]


async def row_series(
    db: Database, scope: Scope, bucket: Bucket, calendar: Calendar = UTC_CALENDAR
) -> list[SeriesPoint]:
    """The key scores per week or month over the scope (empty buckets included), from
    the rows: the reference the rollups must equal.

    Buckets are whole days in the workspace's zone (``calendar``): the database groups
    by UTC hour (by UTC minute for a zone with a half-hour offset), and each group is
    put in the local day it falls in, here. At most 24 rows per day of the period.
    """
    where, params = scope_where(scope, db.backend)
    width = 13 if calendar.whole_hour_offsets(scope.start, scope.end) else 16
    rows = await db.fetch_all(_GROUPED.format(width=width, where=where), params)
    totals: dict[date, dict[str, int]] = {
        b: dict.fromkeys(_SUMS, 0) for b in calendar.buckets_between(scope.start, scope.end, bucket)
    }
    for row in rows:
        text = row["slot"] + (":00" if width == 13 else "")
        moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        start = calendar.bucket_start(calendar.local_day(moment), bucket)
        target = totals.setdefault(start, dict.fromkeys(_SUMS, 0))
        for name in _SUMS:
            target[name] += int(row[name] or 0)
    return [
        point_from_sums(start, next_bucket(start, bucket), sums)
        for start, sums in sorted(totals.items())
    ]


def series_payload(
    points: list[SeriesPoint], min_n: int = stats.TOO_FEW_BELOW
) -> list[dict[str, Any]]:
    """Each bucket's scores; ``below_min_n`` lists the metrics with fewer than ``min_n``
    answers in it (the workspace's minimum: such a bucket's figure is not to be trusted)."""
    return [
        {
            "bucket": p.bucket,
            "from": p.start,
            "to": p.end,
            **stats.metrics_payload(nps=p.nps, ces=p.ces, csat=p.csat, emotion=p.emotion),
            "min_n": min_n,
            "below_min_n": [m for m in KEY_METRICS if getattr(p, m).n < min_n],
        }
        for p in points
    ]
