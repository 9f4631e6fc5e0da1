"""The themes report: per theme, how often it is mentioned, how people who mention it
feel and score, against those who do not (with intervals and a significance test from
the metrics' statistics), and its share over time. One function for the dashboards'
panel and ``GET /api/v1/themes``."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import msgspec

from surveyor.metrics import driver_cache
from surveyor.metrics.compare import compare_means, compare_net
from surveyor.metrics.queries import Bucket, Scope, bucket_start, buckets_between
from surveyor.metrics.stats import mean_from_moments, nps_from_counts
from surveyor_text import store


def _counts(scores: list[int]) -> tuple[int, int, int]:
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return promoters, len(scores) - promoters - detractors, detractors


def _rounded(value: Any, digits: int = 1) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, tuple | list):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    return value


def _nps(scores: list[int]) -> dict[str, Any]:
    return _rounded(msgspec.to_builtins(nps_from_counts(*_counts(scores))))


def _mean(scores: list[int]) -> dict[str, Any]:
    moments = mean_from_moments(
        len(scores), float(sum(scores)), float(sum(s * s for s in scores)), scale=(0, 10)
    )
    return _rounded(msgspec.to_builtins(moments), 2)


def _comparison(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return _rounded(
        {
            "difference": found.difference,
            "ci95": found.ci95,
            "p_value": found.p_value,
            "significant": found.significant,
            "method": found.method,
        },
        3,
    )


def report_from_rows(
    rows: list[dict[str, Any]], scope: Scope, bucket: Bucket, *, top: int = 20
) -> dict[str, Any]:
    """The report over the scope's responses (``store.analysed_in_scope`` rows)."""
    analysed = [r for r in rows if r["sentiment_label"] is not None]
    per_theme: dict[str, list[dict[str, Any]]] = {}
    for row in analysed:
        for theme in msgspec.json.decode(row["themes"] or "[]"):
            per_theme.setdefault(theme, []).append(row)
    buckets = buckets_between(scope.start, scope.end, bucket)

    def bucket_of(row: dict[str, Any]) -> date:
        moment = datetime.fromisoformat(str(row["completed_at"]).replace("Z", "+00:00"))
        return bucket_start(moment.date(), bucket)

    analysed_per_bucket: dict[date, int] = {}
    for row in analysed:
        key = bucket_of(row)
        analysed_per_bucket[key] = analysed_per_bucket.get(key, 0) + 1
    themes = []
    for name, mentioning in sorted(per_theme.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]:
        ids = {r["id"] for r in mentioning}
        with_scores = [int(r["nps"]) for r in mentioning if r["nps"] is not None]
        without_scores = [
            int(r["nps"]) for r in rows if r["id"] not in ids and r["nps"] is not None
        ]
        sentiments = [float(r["sentiment_score"]) for r in mentioning]
        labels = [r["sentiment_label"] for r in mentioning]
        per_bucket: dict[date, int] = {}
        for row in mentioning:
            key = bucket_of(row)
            per_bucket[key] = per_bucket.get(key, 0) + 1
        with_mean, without_mean = _mean(with_scores), _mean(without_scores)
        themes.append(
            {
                "theme": name,
                "count": len(mentioning),
                "share": round(100 * len(mentioning) / len(analysed), 1),
                "sentiment": {
                    "mean": round(sum(sentiments) / len(sentiments), 3),
                    "negative": labels.count("negative"),
                    "neutral": labels.count("neutral"),
                    "positive": labels.count("positive"),
                },
                "mentioning": {"nps": _nps(with_scores), "mean_score": with_mean},
                "not_mentioning": {"nps": _nps(without_scores), "mean_score": without_mean},
                "nps_difference": _comparison(
                    compare_net(_counts(with_scores), _counts(without_scores))
                    if with_scores and without_scores
                    else None
                ),
                "mean_score_difference": _comparison(
                    compare_means(
                        mean_from_moments(
                            len(with_scores),
                            float(sum(with_scores)),
                            float(sum(s * s for s in with_scores)),
                        ),
                        mean_from_moments(
                            len(without_scores),
                            float(sum(without_scores)),
                            float(sum(s * s for s in without_scores)),
                        ),
                    )
                ),
                "trend": [
                    {
                        "bucket": b.isoformat(),
                        "count": per_bucket.get(b, 0),
                        "share": (
                            round(100 * per_bucket.get(b, 0) / analysed_per_bucket[b], 1)
                            if analysed_per_bucket.get(b)
                            else None
                        ),
                    }
                    for b in buckets
                ],
            }
        )
    labels_all = [r["sentiment_label"] for r in analysed]
    return {
        "responses": len(rows),
        "analysed": len(analysed),
        "sentiment": {
            "negative": labels_all.count("negative"),
            "neutral": labels_all.count("neutral"),
            "positive": labels_all.count("positive"),
        },
        "bucket": bucket,
        "themes": themes,
    }


async def themes_report(db: Any, scope: Scope, bucket: Bucket, *, top: int = 20) -> dict[str, Any]:
    rows = await store.analysed_in_scope(db, scope)
    # The counting is pure CPU (every response of the window): in a thread, so a
    # panel recomputed after a write does not hold the event loop meanwhile.
    return await asyncio.to_thread(report_from_rows, rows, scope, bucket, top=top)


def _key(scope: Scope, bucket: Bucket, top: int) -> tuple[Any, ...]:
    """The cache key: everything but the window's edges the report depends on, with
    the trend's buckets (which the window's edges decide)."""
    length = round((scope.end - scope.start).total_seconds() / 60)
    buckets = tuple(buckets_between(scope.start, scope.end, bucket))
    return (
        "themes",
        scope.survey_id,
        scope.checkpoint_key,
        scope.segment,
        bucket,
        top,
        length,
        buckets,
    )


async def cached_report(db: Any, scope: Scope, bucket: Bucket, *, top: int = 20) -> dict[str, Any]:
    """``themes_report``, cached per scope and data version like the key drivers
    (``driver_cache.reuse``; migration 0101 moves the version when an analysis lands):
    read from the rows once per change, not once per view. Do not change the result."""
    return await driver_cache.reuse(
        db, scope, _key(scope, bucket, top), lambda: themes_report(db, scope, bucket, top=top)
    )


async def report_as_of(
    db: Any, scope: Scope, bucket: Bucket, *, top: int = 20
) -> driver_cache.Cached:
    """``cached_report`` for the dashboards' panel: right after a write (a new response
    or analysis) the last report is served "as of" its time while it is recomputed after
    the answer (``Cached.refresh``), so the first view after a write does not read the
    rows; exact again once the refresh has run (``driver_cache.reuse_as_of``)."""
    return await driver_cache.reuse_as_of(
        db, scope, _key(scope, bucket, top), lambda: themes_report(db, scope, bucket, top=top)
    )


def share_between(report: dict[str, Any], name: str) -> float | None:
    for theme in report["themes"]:
        if theme["theme"] == name:
            return float(theme["share"])
    return 0.0 if report["analysed"] else None
