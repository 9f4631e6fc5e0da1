"""What the dashboard templates show: scores as short labelled figures, badges, charts.

Pure functions of the query results, so the templates stay free of arithmetic and
the same figure reads the same on every page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from surveyor.metrics import charts, stats
from surveyor.metrics.compare import Comparison
from surveyor.metrics.models import Interval, NpsResult
from surveyor.metrics.queries import Bucket, KeyScores, SeriesPoint
from surveyor.metrics.store import Annotation

# The headline figure of each metric: (field on the result, its interval field, axis).
HEADLINE: dict[str, tuple[str, str, tuple[float, float], str]] = {
    "nps": ("score", "ci95", (-100, 100), "NPS"),
    "ces": ("mean", "ci95", (1, 7), "CES (mean, 1–7)"),
    "csat": ("pct_satisfied", "ci95", (0, 100), "CSAT (% satisfied)"),
    "emotion": ("mean", "ci95", (1, 10), "Emotion (mean, 1–10)"),
}


def num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return "0.0" if text in ("-0.0", "-0") else text


def interval(ci: Interval | None, digits: int = 1) -> str:
    return "" if ci is None else f"{num(ci[0], digits)} – {num(ci[1], digits)}"


def headline(scores: KeyScores, metric: str) -> dict[str, Any]:
    """One metric's headline: value, interval, n and sample warning, ready to print."""
    field, ci_field, _, title = HEADLINE[metric]
    result = getattr(scores, metric)
    value = getattr(result, field)
    warning = result.warning
    extra = ""
    if metric == "ces":
        extra = f"{num(result.pct_easy)} % easy (5–7)"
    elif metric == "emotion":
        extra = f"NEV {num(result.nev)}"
    elif metric == "nps":
        extra = f"{result.promoters} / {result.passives} / {result.detractors}"
    return {
        "metric": metric,
        "title": title,
        "value": num(value),
        "raw": value,
        "ci": interval(getattr(result, ci_field)),
        "n": result.n,
        "warning": warning,
        "warning_text": stats.WARNING_TEXT.get(warning or "", ""),
        "extra": extra,
    }


def headline_nps(result: NpsResult) -> dict[str, Any]:
    """An NPS on its own (a channel, a checkpoint on the journey map)."""
    return {
        "value": num(result.score),
        "ci": interval(result.ci95),
        "n": result.n,
        "warning": result.warning,
        "warning_text": stats.WARNING_TEXT.get(result.warning or "", ""),
    }


def badge(change: Comparison | None) -> dict[str, str]:
    """A significance badge: what changed against the previous period, and whether it is real."""
    if change is None:
        return {"kind": "", "text": "no comparison", "title": "one period has no answers"}
    arrow = "▲" if change.difference > 0 else "▼" if change.difference < 0 else "="
    sign = "+" if change.difference > 0 else ""
    text = f"{arrow} {sign}{num(change.difference)}"
    if change.significant:
        kind = "ok" if change.difference > 0 else "danger"
        verdict = "significant"
    else:
        kind = ""
        verdict = "not significant"
    return {
        "kind": kind,
        "text": f"{text} · {verdict}",
        "title": (
            f"{num(change.previous)} → {num(change.current)}, difference interval "
            f"{interval(change.ci95)}, p = {change.p_value:.3f}"
        ),
    }


def marker_index(points: list[SeriesPoint], day: str) -> int:
    for i, p in enumerate(points):
        if p.start <= day < p.end:
            return i
    return -1


def trend(
    points: list[SeriesPoint], metric: str, bucket: Bucket, annotations: list[Annotation]
) -> Any:
    field, ci_field, axis, title = HEADLINE[metric]
    labels = [_bucket_label(p.bucket, bucket) for p in points]
    results = [getattr(p, metric) for p in points]
    markers = [
        (marker_index(points, a.happened_on), a.kind, a.title)
        for a in annotations
        if marker_index(points, a.happened_on) >= 0
    ]
    return charts.band_chart(
        labels,
        [getattr(r, field) if r.n else None for r in results],
        [getattr(r, ci_field) for r in results],
        title=f"{title} per {bucket}",
        value_range=axis,
        markers=markers,
    )


def trend_rows(points: list[SeriesPoint], metric: str) -> list[dict[str, Any]]:
    field, ci_field, _, _ = HEADLINE[metric]
    rows = []
    for p in points:
        r = getattr(p, metric)
        rows.append(
            {
                "bucket": p.bucket,
                "value": num(getattr(r, field)),
                "ci": interval(getattr(r, ci_field)),
                "n": r.n,
            }
        )
    return rows


def _bucket_label(start: str, bucket: Bucket) -> str:
    day = date.fromisoformat(start)
    return day.strftime("%b %y") if bucket == "month" else day.strftime("%d %b")


def before_after_window(happened_on: str, now: datetime, days: int = 90) -> tuple[datetime, ...]:
    """[before_start, change, after_end): equal periods either side of the change, cut at now."""
    change = datetime.fromisoformat(happened_on).replace(tzinfo=now.tzinfo)
    after_end = min(change + timedelta(days=days), now)
    length = max(after_end - change, timedelta(days=1))
    return change - length, change, change + length
