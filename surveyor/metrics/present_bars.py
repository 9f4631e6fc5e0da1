"""Bar charts for people: a score's distribution, the response funnel and NPS by channel,
with their summaries in words (beside ``present``, which draws the trends and the curve)."""

from __future__ import annotations

from typing import Any

from surveyor.metrics import bar_charts, charts
from surveyor.metrics.breakdowns import Funnel
from surveyor.metrics.models import NpsResult
from surveyor.metrics.present import num, translator


def distribution(
    counts: dict[int, int], low: int, high: int, title: str, locale: str
) -> dict[str, Any]:
    """Answers per score, coloured by NPS class when the scale is 0–10."""
    _ = translator(locale)
    scores = list(range(low, high + 1))
    values = [counts.get(s, 0) for s in scores]
    total = sum(values) or 1
    classes = []
    for score in scores:
        if (low, high) == (0, 10):
            cls = "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"
            classes.append(charts.CLASS_OF_SCORE[cls])
        else:
            classes.append("bar")
    mode = max(scores, key=lambda s: counts.get(s, 0))
    summary = (
        _("%(n)s answers; the most common score is %(mode)s (%(share)s %%).")
        % {"n": sum(values), "mode": mode, "share": num(100 * counts.get(mode, 0) / total, 0)}
        if sum(values)
        else _("No answers to draw in this period.")
    )
    svg = bar_charts.bar_chart(
        [str(s) for s in scores],
        values,
        title=title,
        summary=summary,
        classes=classes,
        value_text=[str(v) for v in values],
        column_width=34,
    )
    rows = [
        {"score": s, "n": v, "share": num(100 * v / total, 1)}
        for s, v in zip(scores, values, strict=True)
    ]
    return {"svg": svg, "summary": summary, "rows": rows, "title": title}


def funnel(funnel: Funnel, labels: dict[str, str], locale: str) -> dict[str, Any]:
    """Invitations → responses, as horizontal bars (easier to read than a cone)."""
    _ = translator(locale)
    steps = funnel.steps()
    top = steps[0][1] or 1
    rows = [
        {"step": _(labels.get(name, name)), "n": n, "share": num(100 * n / top, 0)}
        for name, n in steps
    ]
    texts = [f"{r['n']:,} · {r['share']} %" for r in rows]
    rate = funnel.response_rate
    summary = _("%(sent)s sent, %(completed)s completed: a response rate of %(rate)s %%.") % {
        "sent": funnel.sent,
        "completed": funnel.completed,
        "rate": num(rate) if rate is not None else "–",
    }
    title = _("Invitations → responses")
    svg = bar_charts.hbar_chart(
        [r["step"] for r in rows],
        [float(r["n"]) for r in rows],
        texts,
        title=title,
        summary=summary,
    )
    return {"svg": svg, "summary": summary, "rows": rows, "title": title}


def by_channel(results: dict[str, NpsResult], locale: str) -> dict[str, Any] | None:
    """One bar per channel with its NPS and 95 % interval as an error bar."""
    if not results:
        return None
    _ = translator(locale)
    names = list(results)
    values = [r.score for r in results.values()]
    parts = [f"{name} {num(r.score)} (n = {r.n})" for name, r in results.items()]
    summary = _("NPS by channel: %(list)s.") % {"list": "; ".join(parts)}
    title = _("NPS by channel")
    svg = bar_charts.bar_chart(
        names,
        values,
        title=title,
        summary=summary,
        value_range=(-100, 100),
        intervals=[r.ci95 for r in results.values()],
        value_text=[num(v) for v in values],
        column_width=90,
        full_labels=True,
    )
    return {"svg": svg, "summary": summary, "title": title}
