"""The journey map (every checkpoint side by side). A response's own page lives in
``surveyor.records`` (with its access rules)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from surveyor.auth.guards import staff
from surveyor.checkpoints.store import list_checkpoints
from surveyor.ids import utcnow
from surveyor.metrics import compare, comparisons, present, store
from surveyor.metrics.filters import PERIODS, calendar_of, read_filters
from surveyor.services import services
from surveyor.web.templating import render, request_locale


@get("/journey/map", guards=[staff()], include_in_schema=False, cache=False)
async def journey_map(request: Request[Any, Any, Any]) -> Response[str]:
    """All checkpoints in journey order: NPS, CES and emotion side by side, and the
    emotion curve across the journey."""
    filters, scope = read_filters(request)
    db = services(request).db
    stops = []
    checkpoints = await list_checkpoints(db)
    compared, _ = await comparisons.compared_by(db, scope, [c.key for c in checkpoints], [])
    for checkpoint in checkpoints:
        scores, _, change = compared[checkpoint.key]
        stops.append(
            {
                "key": checkpoint.key,
                "name": checkpoint.name,
                "nps": present.headline(scores, "nps"),
                "ces": present.headline(scores, "ces"),
                "emotion": present.headline(scores, "emotion"),
                "emotion_result": scores.emotion,
                "badges": present.badges(change, "nps") + present.badges(change, "emotion"),
            }
        )
    every = [b for stop in stops for b in stop["badges"]]
    for badge, keep in zip(
        every, compare.benjamini_hochberg([b["p_value"] for b in every]), strict=True
    ):
        present.apply_fdr(badge, keep)
    tests = sum(1 for b in every if b["p_value"] is not None)
    # The period's change markers, at their checkpoint on the curve and on its card.
    calendar = calendar_of(request)
    first_day = calendar.local_day(scope.start).isoformat()
    last_day = calendar.local_day(scope.end).isoformat()
    position = {stop["key"]: index for index, stop in enumerate(stops)}
    now = utcnow()
    marked = []
    for annotation in await store.list_annotations(db):
        index = position.get(annotation.checkpoint_key)
        if index is None or not first_day <= annotation.happened_on <= last_day:
            continue
        here = scope.with_checkpoint(annotation.checkpoint_key)
        ba = await comparisons.before_after(db, here, annotation.happened_on, now, calendar)
        marked.append((annotation, ba, index))
    curve = present.journey_curve(stops, marked, request_locale(request)) if stops else None
    for index, stop in enumerate(stops):
        stop["markers"] = [m for m in (curve["markers"] if curve else []) if m["stop"] == index]
    return await render(
        request,
        "metrics/journey_map.html",
        {
            "stops": stops,
            "curve": curve,
            "filters": filters,
            "periods": PERIODS,
            "tests": tests,
        },
    )


ROUTES = (journey_map,)
