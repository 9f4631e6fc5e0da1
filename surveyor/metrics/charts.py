"""Server-side SVG charts, drawn by pygal (a maintained chart library), not by hand.

Why pygal: the dashboards work without JavaScript, and an inline SVG is accessible
(titles, a data table beside it) and crisp at any size. Every chart is rendered
without width/height, only a ``viewBox``, so CSS scales it to its container; the
canvas is a narrow 480 units with large fonts so that at 360 px wide the labels are
still about 11 px. pygal's tooltip script (loaded from a CDN by default) is switched
off: nothing is fetched from elsewhere, and the numbers are in the tables.

The interval band: pygal has no band series, so it is drawn as two filled lines —
the upper bound filled in the band colour down to the bottom of the axis, the lower
bound filled in the plot's background colour over it — then the score line on top.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from surveyor.metrics.breakdowns import Funnel
from surveyor.metrics.models import Interval

# pygal appends a legacy import hook (for its map plugins, which we do not use) to
# sys.meta_path; it has no find_spec, so every later failed import (an optional
# dependency probing for another) raises an ImportWarning. Take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

WIDTH, HEIGHT = 480, 300
BACKGROUND = "#ffffff"
BAND = "#cfe0f5"
LINE = "#1f5fa8"
SMALL = "#9aa0a6"
MARKER_ACCELERATOR = "#1b7f3b"
MARKER_BLOCKER = "#b3261e"
CLASS_COLOURS = {"detractor": "#c8423b", "passive": "#9aa0a6", "promoter": "#2e8b57"}


def _style(*colours: str) -> Style:
    return Style(
        background="transparent",
        plot_background=BACKGROUND,
        foreground="#333333",
        foreground_strong="#111111",
        foreground_subtle="#d0d4da",
        colors=colours or (LINE,),
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=15,
        major_label_font_size=15,
        value_font_size=14,
        legend_font_size=15,
        title_font_size=17,
        tooltip_font_size=14,
        opacity="1",
        opacity_hover="1",
        guide_stroke_color="#e6e9ed",
        major_guide_stroke_color="#c9ced6",
        guide_stroke_dasharray="2,3",
    )


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": False,
        "disable_xml_declaration": True,
        "js": [],
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "margin": 6,
        "spacing": 8,
        "print_values": False,
        "truncate_label": 14,
        "truncate_legend": 28,
        **extra,
    }


def _svg(chart: Any) -> Markup:
    # pygal builds the SVG with an XML library, so every label is escaped.
    return Markup(chart.render(is_unicode=True))  # noqa: S704


def _sparse_labels(labels: Sequence[str], every: int) -> list[str]:
    return [label if i % every == 0 else "" for i, label in enumerate(labels)]


def band_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[Interval | None],
    *,
    title: str,
    value_range: tuple[float, float],
    markers: Sequence[tuple[int, str, str]] = (),
    label_rotation: int = 0,
    small: Sequence[bool] = (),
    small_label: str = "below minimum n",
) -> Markup:
    """A score line over its 95 % band. ``markers``: (index, kind, title) change markers,
    drawn as large dots on the line at their bucket. ``small[i]`` marks a bucket with too
    few answers: its band is still drawn, the line skips it and a grey dot shows it."""
    low_axis, high_axis = value_range
    uppers, lowers = [], []
    for value, ci in zip(values, intervals, strict=True):
        if value is None:
            uppers.append(None)
            lowers.append(None)
        else:
            lo, hi = ci if ci is not None else (value, value)
            uppers.append(hi)
            lowers.append(lo)
    every = max(1, len(labels) // 6)
    kinds_present = [k for k in ("accelerator", "blocker") if any(m[1] == k for m in markers)]
    flags = list(small) or [False] * len(values)
    show_small = any(f and v is not None for v, f in zip(values, flags, strict=True))
    colours = (
        [BAND, BACKGROUND, LINE]
        + ([SMALL] if show_small else [])
        + [MARKER_ACCELERATOR if k == "accelerator" else MARKER_BLOCKER for k in kinds_present]
    )
    chart = pygal.Line(
        **_config(
            title=title,
            range=value_range,
            zero=low_axis,
            show_legend=bool(markers) or show_small,
            x_labels=_sparse_labels(labels, every),
            x_label_rotation=label_rotation,
            allow_interruptions=True,
            dots_size=2,
            style=_style(*colours),
        )
    )
    # pygal only fills under a stroked line: a zero-width stroke keeps the fill alone.
    invisible = {"width": 0}
    chart.add("95 % interval", uppers, fill=True, show_dots=False, stroke_style=invisible)
    chart.add(None, lowers, fill=True, show_dots=False, stroke_style=invisible)
    line = [None if flag else v for v, flag in zip(values, flags, strict=True)]
    chart.add("score", line, stroke_style={"width": 3})
    if show_small:
        chart.add(
            small_label,
            [v if flag else None for v, flag in zip(values, flags, strict=True)],
            stroke=False,
            dots_size=5,
        )
    for kind in ("accelerator", "blocker"):
        points: list[Any] = [None] * len(values)
        for index, marker_kind, marker_title in markers:
            if marker_kind == kind and 0 <= index < len(values):
                y = values[index]
                y = (low_axis + high_axis) / 2 if y is None else y
                points[index] = {"value": y, "label": marker_title}
        if any(p is not None for p in points):
            chart.add(f"change: {kind}", points, stroke=False, dots_size=9)
    return _svg(chart)


def distribution_chart(counts: dict[int, int], low: int, high: int, *, title: str) -> Markup:
    """Answers per score, coloured by NPS class when the scale is 0–10."""
    chart = pygal.Bar(
        **_config(
            title=title,
            show_legend=False,
            x_labels=[str(s) for s in range(low, high + 1)],
            style=_style(LINE),
        )
    )
    values: list[Any] = []
    for score in range(low, high + 1):
        value: dict[str, Any] = {"value": counts.get(score, 0)}
        if (low, high) == (0, 10):
            cls = "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"
            value["color"] = CLASS_COLOURS[cls]
        values.append(value)
    chart.add("answers", values)
    return _svg(chart)


def funnel_chart(funnel: Funnel, labels: dict[str, str], *, title: str) -> Markup:
    """Invitations → responses, as horizontal bars (easier to read than a cone)."""
    steps = funnel.steps()
    top = steps[0][1] or 1
    chart = pygal.HorizontalBar(
        **_config(
            title=title,
            show_legend=False,
            print_values=True,
            x_labels=[labels.get(name, name) for name, _ in reversed(steps)],
            style=_style(LINE),
            value_formatter=lambda v: f"{v:,.0f}",
        )
    )
    chart.add(
        "invitations",
        [{"value": n, "label": f"{100 * n / top:.0f} %"} for _, n in reversed(steps)],
    )
    return _svg(chart)


def comparison_chart(
    names: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[Interval | None],
    *,
    title: str,
    value_range: tuple[float, float],
) -> Markup:
    """One bar per group (channel, segment…) with its 95 % interval as an error bar."""
    chart = pygal.Bar(
        **_config(
            title=title,
            show_legend=False,
            range=value_range,
            x_labels=list(names),
            style=_style(LINE),
        )
    )
    data: list[Any] = []
    for value, ci in zip(values, intervals, strict=True):
        if value is None:
            data.append(None)
        elif ci is None:
            data.append(value)
        else:
            data.append({"value": value, "ci": {"low": ci[0], "high": ci[1]}})
    chart.add("score", data)
    return _svg(chart)


def journey_curve(
    names: Sequence[str],
    means: Sequence[float | None],
    intervals: Sequence[Interval | None],
    *,
    title: str,
) -> Markup:
    """The emotion curve across the journey: mean feeling (1–10) per checkpoint, in order."""
    # Checkpoint names are long: slanted, they do not run into each other on a phone.
    return band_chart(names, means, intervals, title=title, value_range=(1, 10), label_rotation=30)
