"""What the dashboard templates show: scores as short labelled figures, badges, charts.

Pure functions of the query results, so the templates stay free of arithmetic and
the same figure reads the same on every page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from surveyor.metrics import charts, stats
from surveyor.metrics.calendar import Bucket
from surveyor.metrics.compare import Comparison
from surveyor.metrics.models import Interval, NpsResult
from surveyor.metrics.queries import KeyScores, SeriesPoint
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


# The badges of each card: emotion has two (its mean by Welch's t, NEV by the trinomial
# difference test), each labelled with the figure and the test.
CARD_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "nps": (("nps", "NPS"),),
    "ces": (("ces", "mean"),),
    "csat": (("csat", "% satisfied"),),
    "emotion": (("emotion", "mean"), ("nev", "NEV")),
}
TEST_NAMES = {
    "net_score_z": "trinomial difference test",
    "welch_t": "Welch's t-test",
    "two_proportion_z": "two-proportion z-test",
}


def badges(changes: Any, metric: str) -> list[dict[str, Any]]:
    """The labelled badges of one card, each with its p-value (for the FDR control)."""
    found = []
    for figure, label in CARD_FIGURES[metric]:
        change = getattr(changes, figure)
        body: dict[str, Any] = dict(badge(change))
        body["label"] = label
        body["test"] = "" if change is None else TEST_NAMES[change.method]
        body["p_value"] = None if change is None else change.p_value
        body["raw_significant"] = bool(change is not None and change.significant)
        found.append(body)
    return found


def apply_fdr(body: dict[str, Any], keep: bool) -> None:
    """Demote a badge that is significant alone but not once the page's false discovery
    rate is controlled (Benjamini–Hochberg): it says so in its text."""
    body["fdr_significant"] = keep and body["raw_significant"]
    if body["raw_significant"] and not keep:
        body["kind"] = ""
        body["text"] = body["text"].replace(
            " · significant", " · not significant after FDR control"
        )


def marker_index(points: list[SeriesPoint], day: str) -> int:
    for i, p in enumerate(points):
        if p.start <= day < p.end:
            return i
    return -1


def trend(
    points: list[SeriesPoint],
    metric: str,
    bucket: Bucket,
    annotations: list[Annotation],
    min_n: int = stats.TOO_FEW_BELOW,
) -> Any:
    """The trend chart: score line over its 95 % band; buckets with fewer than ``min_n``
    answers are drawn as grey "n < min" points off the line."""
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
        small=[0 < r.n < min_n for r in results],
        small_label=f"n < {min_n}",
    )


def trend_rows(
    points: list[SeriesPoint], metric: str, min_n: int = stats.TOO_FEW_BELOW
) -> list[dict[str, Any]]:
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
                "below_min_n": r.n < min_n,
            }
        )
    return rows


def _bucket_label(start: str, bucket: Bucket) -> str:
    day = date.fromisoformat(start)
    return day.strftime("%b %y") if bucket == "month" else day.strftime("%d %b")
