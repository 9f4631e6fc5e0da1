"""Comparisons the dashboards and the API share: a period against the one before, and
the days before and after a change marker, with their significance tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from surveyor.db import Database
from surveyor.metrics import compare
from surveyor.metrics.calendar import Calendar, Window, marker_window
from surveyor.metrics.queries import COMPARED, KeyScores, Scope, key_scores, key_scores_by

METHOD_LABELS = {
    "net_score_z": "trinomial difference z-test (adjusted Wald)",
    "welch_t": "Welch's t-test",
    "two_proportion_z": "two-proportion z-test",
}


class Changes(msgspec.Struct, frozen=True, kw_only=True):
    """Current against previous, per compared figure; None = cannot compare."""

    nps: compare.Comparison | None
    ces: compare.Comparison | None
    ces_pct_easy: compare.Comparison | None = None
    csat: compare.Comparison | None
    csat_mean: compare.Comparison | None = None
    emotion: compare.Comparison | None
    nev: compare.Comparison | None = None

    def items(self) -> list[tuple[str, compare.Comparison | None]]:
        return [(name, getattr(self, name)) for name, _, _ in COMPARED]


def changes(current: KeyScores, previous: KeyScores) -> Changes:
    """The one comparison function: dashboards, markers, journey map and API all call it."""
    return Changes(
        nps=compare.compare_nps(current.nps, previous.nps),
        ces=compare.compare_means(
            compare.mean_stats(current.ces), compare.mean_stats(previous.ces)
        ),
        ces_pct_easy=compare.compare_proportions(
            current.ces.easy, current.ces.n, previous.ces.easy, previous.ces.n
        ),
        csat=compare.compare_proportions(
            current.csat.satisfied, current.csat.n, previous.csat.satisfied, previous.csat.n
        ),
        csat_mean=compare.compare_means(
            compare.mean_stats(current.csat), compare.mean_stats(previous.csat)
        ),
        emotion=compare.compare_means(
            compare.mean_stats(current.emotion), compare.mean_stats(previous.emotion)
        ),
        nev=compare.compare_nev(current.emotion, previous.emotion),
    )


def comparison_payload(change: compare.Comparison | None) -> dict[str, Any] | None:
    """One comparison for the API: figures to 2 decimals, p to 4, the method named."""
    if change is None:
        return None
    body = msgspec.to_builtins(change)
    for key in ("current", "previous", "difference", "se"):
        body[key] = round(body[key], 2)
    body["ci95"] = [round(v, 2) for v in body["ci95"]]
    body["statistic"] = round(body["statistic"], 3)
    body["df"] = None if body["df"] is None else round(body["df"], 1)
    body["p_value"] = round(body["p_value"], 4)
    body["method_label"] = METHOD_LABELS[change.method]
    return body


def changes_payload(found: Changes) -> dict[str, Any]:
    labels = {name: label for name, label, _ in COMPARED}
    out: dict[str, Any] = {}
    for name, change in found.items():
        out[name] = {"label": labels[name], **(comparison_payload(change) or {"method": None})}
    return out


async def compared(
    db: Database, scope: Scope, other: Scope
) -> tuple[KeyScores, KeyScores, Changes]:
    """The scores of ``scope`` and of ``other`` and how the first differs from the second."""
    current = await key_scores(db, scope)
    previous = await key_scores(db, other)
    return current, previous, changes(current, previous)


Compared = tuple[KeyScores, KeyScores, Changes]


async def compared_by(
    db: Database, scope: Scope, checkpoints: list[str], surveys: list[str]
) -> tuple[dict[str, Compared], dict[str, Compared]]:
    """``compared`` against the previous period for each checkpoint and each survey:
    two statements over the rollups for all of them (``key_scores_by``)."""
    now_cp, now_sv = await key_scores_by(db, scope, checkpoints, surveys)
    then_cp, then_sv = await key_scores_by(db, scope.previous(), checkpoints, surveys)

    def pair(now: KeyScores, then: KeyScores) -> Compared:
        return now, then, changes(now, then)

    return (
        {k: pair(now_cp[k], then_cp[k]) for k in checkpoints},
        {s: pair(now_sv[s], then_sv[s]) for s in surveys},
    )


class BeforeAfter(msgspec.Struct, frozen=True, kw_only=True):
    """A change marker's whole-day window and the scores either side of it."""

    window: Window
    before: KeyScores | None
    after: KeyScores | None
    changes: Changes | None


async def before_after(
    db: Database, scope: Scope, happened_on: str, now: datetime, calendar: Calendar
) -> BeforeAfter:
    window = marker_window(happened_on, now, calendar)
    if window.days == 0:
        return BeforeAfter(window=window, before=None, after=None, changes=None)
    after, before, found = await compared(
        db,
        scope.shifted(window.change, window.after_end),
        scope.shifted(window.before_start, window.change),
    )
    return BeforeAfter(window=window, before=before, after=after, changes=found)
