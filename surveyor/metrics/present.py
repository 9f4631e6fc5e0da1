"""What the dashboard templates show: scores as short labelled figures, badges, charts.

Pure functions of the query results, so the templates stay free of arithmetic and
the same figure reads the same on every page.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from babel.dates import format_date, format_skeleton

from surveyor.i18n import translations
from surveyor.metrics import charts, stats
from surveyor.metrics.calendar import Bucket
from surveyor.metrics.compare import Comparison
from surveyor.metrics.comparisons import BeforeAfter
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


def _marker_position(points: list[SeriesPoint], index: int, day: str, bucket: Bucket) -> float:
    """Where in column units a day falls: the bucket's index, moved within its column
    by how far into the bucket the day is (0 = the column's centre)."""
    start = date.fromisoformat(points[index].bucket)
    length = 7 if bucket == "week" else monthrange(start.year, start.month)[1]
    offset = (date.fromisoformat(day) - start).days
    return index + max(0.0, min(1.0, offset / length)) - 0.5


def translator(locale: str) -> Callable[[str], str]:
    """The interface catalog's ``gettext`` for ``locale`` (for text drawn into charts)."""
    return translations(locale).gettext


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + num(value)


def marker_delta(
    ba: BeforeAfter | None, metric: str, label: str, _: Callable[[str], str] = str
) -> tuple[str, str, bool]:
    """A change marker's before/after delta on one figure: short text for the chart
    (``NPS +12.3``), the full sentence, and whether the change is significant."""
    change = None if ba is None or ba.changes is None else getattr(ba.changes, metric)
    if ba is None or ba.window.days == 0:
        return _("too recent"), _("Not one whole day has passed since this change."), False
    if change is None:
        return f"{label} –", _("No answers on one side of this change yet."), False
    verdict = _("significant") if change.significant else _("not significant")
    detail = _(
        "%(label)s %(before)s before → %(after)s after (%(days)s days each side): %(delta)s, %(verdict)s"
    ) % {
        "label": label,
        "before": num(change.previous),
        "after": num(change.current),
        "days": ba.window.days,
        "delta": _signed(change.difference),
        "verdict": verdict,
    }
    return f"{label} {_signed(change.difference)}", detail, change.significant


def chart_markers(
    found: Sequence[tuple[Annotation, BeforeAfter | None, float]],
    metric: str,
    label: str,
    _: Callable[[str], str] = str,
    locale: str = "en",
) -> tuple[list[charts.Marker], list[dict[str, Any]]]:
    """Markers for a chart and the rows describing them (the caption's list), from
    ``(annotation, before/after, position)``."""
    markers, rows = [], []
    for annotation, ba, position in found:
        delta, detail, significant = marker_delta(ba, metric, label, _)
        kind = _("▲ accelerator") if annotation.kind == "accelerator" else _("▼ blocker")
        full = f"{kind}: {annotation.title} ({day_label(annotation.happened_on, locale)}). {detail}"
        markers.append(
            charts.Marker(
                position=position,
                kind=annotation.kind,
                title=annotation.title,
                delta=delta,
                detail=full,
            )
        )
        rows.append(
            {
                "annotation": annotation,
                "delta": delta,
                "detail": detail,
                "significant": significant,
            }
        )
    return markers, rows


def trend(
    points: list[SeriesPoint],
    metric: str,
    bucket: Bucket,
    annotations: Sequence[tuple[Annotation, BeforeAfter | None]],
    min_n: int = stats.TOO_FEW_BELOW,
    locale: str = "en",
) -> dict[str, Any]:
    """The trend chart: score line over its 95 % band; buckets with fewer than ``min_n``
    answers are drawn as grey points off the line; change markers with the figure's
    before/after delta. Returns the SVG, its summary and the markers' rows."""
    _ = translator(locale)
    field, ci_field, axis, title = HEADLINE[metric]
    labels = [bucket_label(p.bucket, bucket, locale) for p in points]
    results = [getattr(p, metric) for p in points]
    values = [getattr(r, field) if r.n else None for r in results]
    intervals = [getattr(r, ci_field) for r in results]
    placed = []
    for annotation, ba in annotations:
        index = marker_index(points, annotation.happened_on)
        if index >= 0:
            placed.append(
                (annotation, ba, _marker_position(points, index, annotation.happened_on, bucket))
            )
    short = _("feeling") if metric == "emotion" else SHORT_LABEL[metric]
    markers, marker_rows = chart_markers(placed, metric, short, _, locale)
    full_title = (_("%(metric)s per week") if bucket == "week" else _("%(metric)s per month")) % {
        "metric": title
    }
    hovers = [
        f"{label}: {num(v)} [{interval(ci)}], n = {r.n}" if v is not None else f"{label}: n = 0"
        for label, v, ci, r in zip(labels, values, intervals, results, strict=True)
    ]
    summary = (
        series_summary(labels, values, _(title), _) + " " + markers_summary(marker_rows, _, locale)
    )
    svg = charts.line_chart(
        charts.Series(
            labels=labels,
            values=values,
            intervals=intervals,
            small=[0 < r.n < min_n for r in results],
            hovers=hovers,
        ),
        title=full_title,
        summary=summary.strip(),
        value_range=axis,
        markers=markers,
        band_label=_("95 % interval"),
        small_label=_("n < %(n)s") % {"n": min_n},
    )
    return {"svg": svg, "summary": summary.strip(), "title": full_title, "markers": marker_rows}


def series_summary(
    labels: Sequence[str], values: Sequence[float | None], what: str, _: Callable[[str], str]
) -> str:
    """One sentence a screen reader (or anyone) can take in place of the line."""
    known = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    if not known:
        return _("%(what)s: no answers in this period.") % {"what": what}
    low = min(known, key=lambda item: item[1])
    high = max(known, key=lambda item: item[1])
    return _(
        "%(what)s from %(first_label)s (%(first)s) to %(last_label)s (%(last)s); lowest %(low)s at %(low_label)s, highest %(high)s at %(high_label)s."
    ) % {
        "what": what,
        "first_label": known[0][0],
        "first": num(known[0][1]),
        "last_label": known[-1][0],
        "last": num(known[-1][1]),
        "low": num(low[1]),
        "low_label": low[0],
        "high": num(high[1]),
        "high_label": high[0],
    }


def markers_summary(
    rows: Sequence[dict[str, Any]], _: Callable[[str], str], locale: str = "en"
) -> str:
    if not rows:
        return ""
    parts = [
        f"{r['annotation'].title} ({day_label(r['annotation'].happened_on, locale)}): {r['delta']}"
        for r in rows
    ]
    return _("Change markers: %(list)s.") % {"list": "; ".join(parts)}


# Short names of each trend's figure, for the markers' delta text.
SHORT_LABEL = {"nps": "NPS", "ces": "CES", "csat": "CSAT", "emotion": "feeling"}


def journey_curve(
    stops: Sequence[dict[str, Any]],
    annotations: Sequence[tuple[Annotation, BeforeAfter | None, int]],
    locale: str = "en",
) -> dict[str, Any]:
    """The emotion curve across the journey: every checkpoint's full name under its
    column, the mean feeling over its 95 % band, and the change markers of the period
    at their checkpoint with the emotion mean's before/after delta."""
    _ = translator(locale)
    names = [s["name"] for s in stops]
    means = [s["emotion_result"].mean for s in stops]
    intervals = [s["emotion_result"].ci95 for s in stops]
    ns = [s["emotion_result"].n for s in stops]
    label = _("feeling")
    markers, rows = chart_markers(
        [(a, ba, float(index)) for a, ba, index in annotations], "emotion", label, _, locale
    )
    for row, (_a, _b, index) in zip(rows, annotations, strict=True):
        row["checkpoint"] = names[index]
        row["stop"] = index
    title = _("How customers feel along the journey (mean, 1–10)")
    summary = (
        series_summary(names, means, _("Mean feeling"), _) + " " + markers_summary(rows, _, locale)
    ).strip()
    hovers = [
        f"{name}: {num(m)} [{interval(ci)}], n = {n}" if m is not None else f"{name}: n = 0"
        for name, m, ci, n in zip(names, means, intervals, ns, strict=True)
    ]
    svg = charts.line_chart(
        charts.Series(labels=names, values=means, intervals=intervals, hovers=hovers),
        title=title,
        summary=summary,
        value_range=(1, 10),
        markers=markers,
        full_labels=True,
        band_label=_("95 % interval"),
        column_width=110,
    )
    return {"svg": svg, "summary": summary, "title": title, "markers": rows}


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


def day_label(day: str, locale: str = "en") -> str:
    """A day in the reader's language (``Oct 3, 2026``, ``2026年10月3日``)."""
    try:
        return format_date(date.fromisoformat(day), "medium", locale=locale)
    except (ValueError, LookupError):
        return day


def bucket_label(start: str, bucket: Bucket, locale: str = "en") -> str:
    """A bucket's first day, short and in the reader's language (``Mar 24``, ``3月24日``)."""
    day = date.fromisoformat(start)
    try:
        return format_skeleton("yMMM" if bucket == "month" else "MMMd", day, locale=locale)
    except (ValueError, LookupError):
        return day.isoformat()
