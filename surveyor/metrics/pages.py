"""The journey map (every checkpoint side by side). A response's own page lives in
``surveyor.records`` (with its access rules)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from surveyor.auth.guards import staff
from surveyor.checkpoints.store import list_checkpoints
from surveyor.metrics import charts, compare, present, queries
from surveyor.metrics.filters import PERIODS, read_filters
from surveyor.services import services
from surveyor.web.templating import render


@get("/journey/map", guards=[staff()], include_in_schema=False, cache=False)
async def journey_map(request: Request[Any, Any, Any]) -> Response[str]:
    """All checkpoints in journey order: NPS, CES and emotion side by side, and the
    emotion curve across the journey."""
    filters, scope = read_filters(request)
    db = services(request).db
    stops = []
    for checkpoint in await list_checkpoints(db):
        here = scope.with_checkpoint(checkpoint.key)
        scores, _, change = await queries.compared(db, here, here.previous())
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
    curve = (
        charts.journey_curve(
            [s["name"] for s in stops],
            [s["emotion_result"].mean for s in stops],
            [s["emotion_result"].ci95 for s in stops],
            title="How customers feel along the journey (mean, 1–10)",
        )
        if stops
        else None
    )
    return await render(
        request,
        "metrics/journey_map.html",
        {
            "stops": stops,
            "curve_svg": curve,
            "filters": filters,
            "periods": PERIODS,
            "tests": tests,
        },
    )


ROUTES = (journey_map,)
