"""Bar charts (vertical and horizontal) in hand-written SVG, beside the line charts of
``surveyor.metrics.charts``, whose text measures and escaping they share."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from surveyor.metrics.charts import (
    FONT,
    SMALL_FONT,
    Chart,
    _esc,
    _n,
    _width,
    _x_labels,
    nice_ticks,
)
from surveyor.metrics.models import Interval


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    summary: str,
    value_range: tuple[float, float] | None = None,
    intervals: Sequence[Interval | None] = (),
    classes: Sequence[str] = (),
    value_text: Sequence[str] = (),
    column_width: float = 36,
    full_labels: bool = False,
) -> Markup:
    """Vertical bars from zero (or the bottom of ``value_range``), the value printed over
    each, an optional 95 % interval as an error bar."""
    n = len(values)
    present = [v for v in values if v is not None]
    low, high = value_range if value_range else (0.0, max(present, default=0) or 1)
    if value_range is None:
        high = nice_ticks(0, high * 1.1 or 1)[-1] if high else 1
        ticks = nice_ticks(0, high)
        if ticks[-1] < high:
            high = ticks[-1] + (ticks[1] - ticks[0] if len(ticks) > 1 else 1)
    ticks = nice_ticks(low, high)
    left = max(_width(_n(t)) for t in ticks) + 16
    width = max(360.0, left + 12 + n * column_width)
    step = (width - left - 12) / max(1, n)
    xl = _x_labels(labels, step, full=full_labels)
    top, plot_height = 24.0, 200.0
    bottom = top + plot_height
    height = bottom + xl.height + 8

    def y_of(value: float) -> float:
        return bottom - (max(low, min(high, value)) - low) / (high - low) * plot_height

    chart = Chart(width, height, title, summary, css="chart-bars")
    for tick in ticks:
        y = round(y_of(tick)) + 0.5
        chart.add(f'<line class="grid" x1="{_n(left)}" x2="{_n(width - 12)}" y1="{y}" y2="{y}"/>')
        chart.text(left - 8, y + FONT * 0.35, _n(tick), cls="axis", anchor="end")
    zero = y_of(max(low, 0) if low < 0 < high else low)
    texts = list(value_text) or [_n(v) if v is not None else "–" for v in values]
    for i, value in enumerate(values):
        x = left + i * step
        if value is not None:
            y = y_of(value)
            y_top, y_bottom = min(y, zero), max(y, zero)
            cls = classes[i] if i < len(classes) and classes[i] else "bar"
            chart.add(
                f'<rect class="{cls}" x="{_n(x + step * 0.15)}" y="{_n(y_top)}"'
                f' width="{_n(step * 0.7)}" height="{_n(max(1.0, y_bottom - y_top))}">'
                f"<title>{_esc(labels[i])}: {_esc(texts[i])}</title></rect>"
            )
            ci = intervals[i] if i < len(intervals) else None
            if ci is not None:
                centre = x + step / 2
                y1, y2 = y_of(ci[0]), y_of(ci[1])
                chart.add(
                    f'<path class="whisker" d="M{_n(centre)},{_n(y1)} V{_n(y2)}'
                    f" M{_n(centre - 5)},{_n(y1)} H{_n(centre + 5)}"
                    f' M{_n(centre - 5)},{_n(y2)} H{_n(centre + 5)}"/>'
                )
            label_y = min(y_top, y_of(ci[1]) if ci is not None else y_top) - 5
            chart.text(
                x + step / 2, max(SMALL_FONT, label_y), texts[i], cls="value", size=SMALL_FONT
            )
    base = round(zero) + 0.5
    chart.add(
        f'<line class="axis-line" x1="{_n(left)}" x2="{_n(width - 12)}" y1="{base}" y2="{base}"/>'
    )
    for i, rows in enumerate(xl.rows):
        if i % xl.every:
            continue
        x = left + (i + 0.5) * step
        if xl.rotated:
            chart.text(
                x + 4, bottom + FONT + 6, rows[0], cls="axis label", anchor="end", rotate=-35
            )
        else:
            chart.lines(x, bottom + FONT + 6, rows, cls="axis label")
    return chart.render()


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    value_text: Sequence[str],
    *,
    title: str,
    summary: str,
) -> Markup:
    """Horizontal bars, one labelled row each (the funnel): the label above its bar,
    the figure at the bar's end."""
    top_value = max(values, default=0) or 1
    width = 420.0
    row_height = FONT + 26
    height = 8 + row_height * len(values)
    chart = Chart(width, height, title, summary, css="chart-hbars")
    for i, (label, value, text) in enumerate(zip(labels, values, value_text, strict=True)):
        y = 8 + i * row_height
        chart.text(8, y + FONT, label, cls="axis label", anchor="start")
        span = (width - 16 - _width(text, SMALL_FONT) - 10) * value / top_value
        chart.add(
            f'<rect class="bar" x="8" y="{_n(y + FONT + 5)}" width="{_n(max(1.0, span))}"'
            f' height="14"><title>{_esc(label)}: {_esc(text)}</title></rect>'
        )
        chart.text(14 + span, y + FONT + 16, text, cls="value", anchor="start", size=SMALL_FONT)
    return chart.render()
