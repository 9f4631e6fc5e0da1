"""Server-side SVG charts, written by hand: a line over its interval band (trends and the
emotion curve), bars (distribution, NPS by channel) and horizontal bars (the funnel).

Why by hand and not pygal (used until issue 19): the charts need full labels (the
journey's checkpoint names wrapped onto lines, never cut), change markers with their
before/after delta on the line, crisp grid lines and a text alternative, and pygal
offers none of these without fighting it. The drawing is small (scales, ticks, paths
and text) and about 30× faster than pygal's (measured in issue 19's report); nothing
runs in the browser and nothing is fetched from elsewhere.

Every chart is an inline ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its
summary in words), sized by its ``viewBox`` so CSS scales it to the column; a minimum
width keeps the text at a readable size on a phone, where the chart scrolls sideways
inside its frame. Colours come from CSS classes (``static/metrics/charts.css``), so the
dark scheme applies. Labels that must be shortened (a change marker's title) keep their
full text in a ``<title>`` the browser shows on hover, and every chart's page has the
numbers in a table.

Text widths are estimated (``_width``: 0.6 em per character, 1 em for wide CJK
characters) — generous for Latin text in system fonts — so labels are placed inside
the drawing without a browser measuring them.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from markupsafe import Markup, escape

from surveyor.metrics.models import Interval

FONT = 14  # user units; the scale keeps it ≥ 10.5 px (see ``min_width``)
SMALL_FONT = 12
LINE_HEIGHT = 17
MIN_SCALE = 0.75  # the narrowest the chart is drawn: 0.75 px per user unit
CLASS_OF_SCORE = {
    "detractor": "bar-detractor",
    "passive": "bar-passive",
    "promoter": "bar-promoter",
}

_ids = count(1)


def _width(text: str, size: float = FONT) -> float:
    """Estimated rendered width of ``text`` in user units."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return (0.6 * (len(text) - wide) + 1.0 * wide) * size


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _esc(text: str) -> str:
    return str(escape(text))


@dataclass(frozen=True)
class Marker:
    """A change marker on a chart: ``position`` in column units (0 = the first column's
    centre), its kind, its title and the before/after delta text (e.g. "NPS +12.3")."""

    position: float
    kind: str  # accelerator | blocker
    title: str
    delta: str
    detail: str = ""  # the full sentence, shown on hover


@dataclass
class Chart:
    """An SVG being drawn: primitives appended as strings, then wrapped in ``<svg>``."""

    width: float
    height: float
    title: str
    summary: str
    css: str = ""
    parts: list[str] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        body: str,
        *,
        cls: str = "",
        anchor: str = "middle",
        size: float = FONT,
        hover: str = "",
        rotate: float = 0,
    ) -> None:
        transform = f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"' if rotate else ""
        tip = f"<title>{_esc(hover)}</title>" if hover else ""
        self.add(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}"'
            f' class="{cls}"{transform}>{tip}{_esc(body)}</text>'
        )

    def lines(
        self, x: float, y: float, rows: Sequence[str], *, cls: str = "", hover: str = ""
    ) -> None:
        """Several lines of text centred under ``x``, the first baseline at ``y``."""
        tip = f"<title>{_esc(hover)}</title>" if hover else ""
        spans = "".join(
            f'<tspan x="{_n(x)}" dy="{0 if i == 0 else LINE_HEIGHT}">{_esc(row)}</tspan>'
            for i, row in enumerate(rows)
        )
        self.add(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" font-size="{FONT}"'
            f' class="{cls}">{tip}{spans}</text>'
        )

    def render(self) -> Markup:
        number = next(_ids)
        title_id, desc_id = f"chart-{number}-title", f"chart-{number}-desc"
        min_width = round(self.width * MIN_SCALE)
        max_width = round(self.width * 1.1)
        body = "".join(self.parts)
        svg = (
            f'<svg class="chart-svg {self.css}" viewBox="0 0 {_n(self.width)} {_n(self.height)}"'
            f' xmlns="http://www.w3.org/2000/svg" role="img"'
            f' aria-labelledby="{title_id} {desc_id}"'
            f' style="min-width:{min_width}px;max-width:{max_width}px"'
            f' data-min-width="{min_width}">'
            f'<title id="{title_id}">{_esc(self.title)}</title>'
            f'<desc id="{desc_id}">{_esc(self.summary)}</desc>{body}</svg>'
        )
        return Markup(svg)  # noqa: S704 - every text above went through escape()


# -- scales and ticks ------------------------------------------------------------------


def nice_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """Round tick values inside [low, high], at most ``most`` of them."""
    span = high - low
    for step in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if span / step <= most - 1:
            break
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def wrap(text: str, width: float, most: int = 3) -> list[str] | None:
    """``text`` in at most ``most`` lines no wider than ``width``, breaking at spaces;
    None when a word alone is too wide or more lines would be needed."""
    rows: list[str] = []
    for word in text.split():
        if _width(word) > width:
            return None
        if rows and _width(rows[-1] + " " + word) <= width:
            rows[-1] += " " + word
        else:
            rows.append(word)
    return rows if len(rows) <= most else None


@dataclass(frozen=True)
class _XLabels:
    every: int
    rows: list[list[str]]  # per label, its lines (horizontal mode)
    rotated: bool
    height: float  # room they need under the axis
    left_overhang: float  # room a rotated first label needs left of its column


def _x_labels(labels: Sequence[str], step: float, *, full: bool) -> _XLabels:
    """How to print the x labels: one line each (every k-th when they would collide),
    wrapped onto up to three lines (``full``: every label, never shortened), or slanted
    at 35° when even wrapping does not fit."""
    if not labels:
        return _XLabels(1, [], False, 0, 0)
    widest = max(_width(label) for label in labels)
    if not full:
        every = max(1, math.ceil((widest + 8) / step))
        return _XLabels(every, [[label] for label in labels], False, LINE_HEIGHT + 8, 0)
    wrapped = [wrap(label, step - 8) for label in labels]
    if all(w is not None for w in wrapped):
        rows = [w for w in wrapped if w is not None]
        return _XLabels(1, rows, False, LINE_HEIGHT * max(len(r) for r in rows) + 8, 0)
    slant = math.radians(35)
    return _XLabels(
        1,
        [[label] for label in labels],
        True,
        widest * math.sin(slant) + FONT + 10,
        widest * math.cos(slant),
    )


# -- the line over its band ------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One score per column: ``values[i]`` (None: no answers), its 95 % interval and
    whether it has too few answers to be on the line (drawn as a grey dot instead)."""

    labels: Sequence[str]
    values: Sequence[float | None]
    intervals: Sequence[Interval | None]
    small: Sequence[bool] = ()
    hovers: Sequence[str] = ()  # full text for each point's tooltip


def _marker_rows(
    markers: Sequence[Marker], xs: Sequence[float], width: float
) -> list[tuple[Marker, float, int, str, str]]:
    """Each marker with its x, its row in the flag area (rows avoid overlapping text)
    and its anchored label; titles are shortened so a flag fits in the drawing."""
    placed: list[tuple[Marker, float, int, str, str]] = []
    ends: list[list[tuple[float, float]]] = []
    for marker in sorted(markers, key=lambda m: m.position):
        x = _x_at(marker.position, xs)
        glyph = "▲" if marker.kind == "accelerator" else "▼"
        most = (width - 12) * 0.6
        label = f"{glyph} {marker.title} · {marker.delta}"
        short = marker.title
        while _width(label, SMALL_FONT) > most and len(short) > 6:
            short = short[:-1].rstrip()
            label = f"{glyph} {short}… · {marker.delta}"
        span = _width(label, SMALL_FONT)
        anchor = "start" if x + 6 + span <= width - 4 else "end"
        left = x + 6 if anchor == "start" else x - 6 - span
        left = max(4, left)
        right = left + span
        row = 0
        while row < len(ends) and any(not (right < a or left > b) for a, b in ends[row]):
            row += 1
        if row == len(ends):
            ends.append([])
        ends[row].append((left - 6, right + 6))
        placed.append((marker, x, row, anchor, label))
    return placed


def _x_at(position: float, xs: Sequence[float]) -> float:
    if not xs:
        return 0.0
    if len(xs) == 1:
        return xs[0]
    step = xs[1] - xs[0]
    return xs[0] + position * step


def line_chart(
    series: Series,
    *,
    title: str,
    summary: str,
    value_range: tuple[float, float],
    markers: Sequence[Marker] = (),
    full_labels: bool = False,
    band_label: str = "95 % interval",
    small_label: str = "too few answers",
    column_width: float = 0,
) -> Markup:
    """A score line over its 95 % band, with change markers drawn as dashed lines from
    a flag (glyph, title and before/after delta) at the top down to the axis."""
    n = len(series.values)
    low, high = value_range
    ticks = nice_ticks(low, high)
    y_label_width = max(_width(_n(t)) for t in ticks) + 10
    width = max(400.0, 48 + n * column_width) if column_width else 600.0
    # First pass for the column step, then the labels' needs.
    left = y_label_width + 6
    step = (width - left - 12) / max(1, n)
    xl = _x_labels(series.labels, step, full=full_labels)
    if xl.rotated and xl.left_overhang > left + step / 2:
        left = xl.left_overhang - step / 2 + 6
        step = (width - left - 12) / max(1, n)
    xs = [left + (i + 0.5) * step for i in range(n)]
    flags = _marker_rows(markers, xs, width) if markers else []
    rows = 1 + max((row for _, _, row, _, _ in flags), default=-1)
    top = 12 + rows * (SMALL_FONT + 8)
    plot_height = 220.0
    bottom = top + plot_height
    legend_y = bottom + xl.height + 14
    height = legend_y + 12

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * plot_height

    chart = Chart(width, height, title, summary, css="chart-line")
    # Horizontal grid lines on whole pixels (crisp, never staggered) and their labels.
    for tick in ticks:
        y = round(y_of(tick)) + 0.5
        chart.add(f'<line class="grid" x1="{_n(left)}" x2="{_n(width - 12)}" y1="{y}" y2="{y}"/>')
        chart.text(left - 8, y + FONT * 0.35, _n(tick), cls="axis", anchor="end")
    base = round(bottom) + 0.5
    chart.add(
        f'<line class="axis-line" x1="{_n(left)}" x2="{_n(width - 12)}" y1="{base}" y2="{base}"/>'
    )
    # The band: one polygon per run of columns that have an interval.
    runs: list[list[int]] = [[]]
    for i, (value, ci) in enumerate(zip(series.values, series.intervals, strict=True)):
        if value is None or ci is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(i)
    for run in (r for r in runs if r):
        upper = [(xs[i], y_of(min(high, series.intervals[i][1]))) for i in run]  # type: ignore[index]
        lower = [(xs[i], y_of(max(low, series.intervals[i][0]))) for i in reversed(run)]  # type: ignore[index]
        if len(run) == 1:  # a lone column: a short bar for its interval
            x = xs[run[0]]
            upper = [(x - 6, upper[0][1]), (x + 6, upper[0][1])]
            lower = [(x + 6, lower[0][1]), (x - 6, lower[0][1])]
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in upper + lower)
        chart.add(f'<polygon class="band" points="{points}"/>')
    # The line, broken where a column has no answers or too few.
    small = list(series.small) or [False] * n
    path: list[str] = []
    pen_down = False
    for i, value in enumerate(series.values):
        if value is None or small[i]:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{_n(xs[i])},{_n(y_of(value))}")
        pen_down = True
    if path:
        chart.add(f'<path class="line" d="{" ".join(path)}"/>')
    hovers = list(series.hovers) or list(series.labels)
    for i, value in enumerate(series.values):
        if value is None:
            continue
        cls = "dot-small" if small[i] else "dot"
        chart.add(
            f'<circle class="{cls}" cx="{_n(xs[i])}" cy="{_n(y_of(value))}" r="{5 if small[i] else 4}">'
            f"<title>{_esc(hovers[i])}</title></circle>"
        )
    # Change markers: a dashed rule through the plot and a flag at the top.
    for marker, x, row, anchor, label in flags:
        y_flag = 12 + row * (SMALL_FONT + 8) + SMALL_FONT
        chart.add(
            f'<g class="marker marker-{marker.kind}" data-delta="{_esc(marker.delta)}">'
            f"<title>{_esc(marker.detail or marker.title)}</title>"
            f'<line class="marker-rule" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y_flag + 4)}"'
            f' y2="{_n(bottom)}"/>'
        )
        chart.text(
            x + (6 if anchor == "start" else -6),
            y_flag,
            label,
            cls="marker-label",
            anchor=anchor,
            size=SMALL_FONT,
        )
        chart.add("</g>")
    # X labels.
    for i, rows_of_label in enumerate(xl.rows):
        if i % xl.every:
            continue
        hover = hovers[i] if i < len(hovers) else ""
        if xl.rotated:
            chart.text(
                xs[i] + 4,
                bottom + FONT + 6,
                rows_of_label[0],
                cls="axis label",
                anchor="end",
                rotate=-35,
                hover=hover,
            )
        else:
            x = xs[i]
            half = max(_width(r) for r in rows_of_label) / 2
            x = min(max(x, half + 2), width - half - 2)
            chart.lines(x, bottom + FONT + 6, rows_of_label, cls="axis label", hover=hover)
    # Legend (what the shapes mean), one line.
    legend_x = left
    chart.add(
        f'<rect class="band" x="{_n(legend_x)}" y="{_n(legend_y - 10)}" width="14" height="10"/>'
    )
    chart.text(legend_x + 20, legend_y, band_label, cls="axis", anchor="start", size=SMALL_FONT)
    if any(small[i] and v is not None for i, v in enumerate(series.values)):
        at = legend_x + 32 + _width(band_label, SMALL_FONT)
        chart.add(f'<circle class="dot-small" cx="{_n(at)}" cy="{_n(legend_y - 4)}" r="5"/>')
        chart.text(at + 10, legend_y, small_label, cls="axis", anchor="start", size=SMALL_FONT)
    return chart.render()
