"""The outer loop: what the cases teach, over a period.

``summarize`` is pure (cases in, figures out) so the page and the tests agree; the
controller only reads the period's cases and renders. Figures:

* root-cause Pareto: finished cases per root cause, most frequent first, with the
  cumulative share (the few causes behind most complaints);
* median hours to first action and to finish (resolved or closed);
* SLA compliance: finished in time / (finished + open past due); open cases not yet
  due are still undecided and left out;
* recovery rate: customers won back / recovery surveys answered.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import QueryParameter

from surveyor.auth.guards import current_user, staff
from surveyor.followups import store
from surveyor.followups.models import Followup
from surveyor.followups.service import can_see, viewer_for
from surveyor.ids import iso, parse_iso, utcnow
from surveyor.services import services
from surveyor.web.templating import render


def _hours(start: str, end: str | None) -> float | None:
    if not end:
        return None
    return (parse_iso(end) - parse_iso(start)) / timedelta(hours=1)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def figures(cases: list[Followup], now: datetime) -> dict[str, Any]:
    first = [h for c in cases if (h := _hours(c.created_at, c.first_action_at)) is not None]
    done = [
        h for c in cases if (h := _hours(c.created_at, c.resolved_at or c.closed_at)) is not None
    ]
    met = missed = 0
    for c in cases:
        finished = c.resolved_at or c.closed_at
        if finished and not c.is_open:
            met, missed = (met + 1, missed) if finished <= c.due_at else (met, missed + 1)
        elif c.is_open and parse_iso(c.due_at) <= now:
            missed += 1
    answered = [c for c in cases if c.recovery_response_id]
    won = sum(1 for c in answered if c.recovered)
    return {
        "cases": len(cases),
        "open": sum(1 for c in cases if c.is_open),
        "median_first_action_h": _median(first),
        "median_close_h": _median(done),
        "sla_n": met + missed,
        "sla_pct": round(100 * met / (met + missed), 1) if met + missed else None,
        "recovery_n": len(answered),
        "recovery_pct": round(100 * won / len(answered), 1) if answered else None,
    }


def pareto(cases: list[Followup]) -> list[dict[str, Any]]:
    counts = Counter(c.root_cause for c in cases if not c.is_open and c.root_cause)
    total = sum(counts.values())
    rows, running = [], 0
    for cause, n in counts.most_common():
        running += n
        rows.append(
            {
                "cause": cause,
                "n": n,
                "pct": round(100 * n / total, 1),
                "cumulative": round(100 * running / total, 1),
            }
        )
    return rows


def summarize(cases: list[Followup], now: datetime) -> dict[str, Any]:
    by_manager: dict[str, list[Followup]] = defaultdict(list)
    by_checkpoint: dict[str, list[Followup]] = defaultdict(list)
    for c in cases:
        by_manager[c.assignee_id or ""].append(c)
        by_checkpoint[c.checkpoint_key or ""].append(c)
    return {
        "total": figures(cases, now),
        "pareto": pareto(cases),
        "managers": {k: figures(v, now) for k, v in sorted(by_manager.items())},
        "checkpoints": {k: figures(v, now) for k, v in sorted(by_checkpoint.items())},
    }


@get("/followups/report", guards=[staff("manager")], include_in_schema=False)
async def report_page(
    request: Request[Any, Any, Any],
    days: Annotated[int, QueryParameter(name="days", ge=1, le=3660)] = 90,
) -> Response[str]:
    """The outer-loop report over the last ``days`` days (managers: the cases they see)."""
    db = services(request).db
    now = utcnow()
    viewer = viewer_for(current_user(request))
    cases = [
        c
        for c in await store.cases_between(db, iso(now - timedelta(days=days)), iso(now))
        if can_see(c, viewer)
    ]
    summary = summarize(cases, now)
    people = await store.staff_by_ids(db, list(summary["managers"]))
    return await render(
        request,
        "followups/report.html",
        {"summary": summary, "people": people, "days": days},
    )


ROUTES = [report_page]
