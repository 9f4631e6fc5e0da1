"""``GET /api/v1/metrics``: the key scores with n and 95 % intervals (DESIGN.md §9),
optionally compared with another group; ``GET /api/v1/annotations``: the change markers
with their before/after comparison; ``GET /api/v1/drivers``: what moves the outcome.

The comparisons are the dashboards' own (``comparisons.changes``), so an API figure and the
figure on a dashboard card cannot disagree.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter

from surveyor.auth.guards import api_scope
from surveyor.ids import utcnow
from surveyor.metrics import comparisons, driver_cache, queries, store
from surveyor.metrics import drivers as key_drivers
from surveyor.metrics.filters import (
    ID_LIKE,
    calendar_of,
    compare_echo,
    parse_bucket,
    parse_compare,
    parse_scope,
    scope_echo,
)
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
from surveyor.web.errors import invalid


def _known_only(request: Request[Any, Any, Any], *names: str) -> None:
    """An unknown query parameter is a 400 naming it (a typo must not be ignored)."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        raise invalid(unknown[0], "unknown parameter")


@get("/api/v1/metrics", guards=[api_scope("read")], tags=["metrics"], cache=False)
async def metrics_api(
    request: Request[Any, Any, Any],
    survey: Annotated[str | None, QueryParameter(name="survey")] = None,
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    segment: Annotated[str | None, QueryParameter(name="segment")] = None,
    bucket: Annotated[str | None, QueryParameter(name="bucket")] = None,
    compare: Annotated[str | None, QueryParameter(name="compare")] = None,
) -> dict[str, Any]:
    """NPS, CES, CSAT and emotion over ``from``–``to`` (dates — whole days in the
    workspace time zone — or ISO timestamps; the last 90 days by default), optionally for
    one ``survey`` (id) and/or ``checkpoint`` (key), one ``segment`` (``attribute:value``
    of the contact, e.g. ``tier:gold``). With ``bucket=week|month`` the answer also has a
    ``series`` of the same per bucket. With ``compare=previous_period``,
    ``compare=<from>/<to>`` or ``compare=segment:<attribute>=<value>`` it also has a
    ``comparison``: the other group's scores and, per figure, the difference with its
    95 % interval, the test statistic, the p-value and whether it is significant."""
    _known_only(request, "survey", "checkpoint", "from", "to", "segment", "bucket", "compare")
    calendar = calendar_of(request)
    scope = parse_scope(
        survey=survey,
        checkpoint=checkpoint,
        start=date_from,
        end=date_to,
        segment=segment,
        calendar=calendar,
    )
    size = parse_bucket(bucket)
    other = parse_compare(compare, scope, calendar)
    db = services(request).db
    current = await queries.key_scores(db, scope)
    body: dict[str, Any] = {**current.payload(), **scope_echo(scope), "time_zone": calendar.zone}
    if other is not None:
        assert compare is not None
        previous = await queries.key_scores(db, other)
        kind = (
            "previous_period"
            if compare.strip() == "previous_period"
            else "segment"
            if compare.strip().startswith("segment:")
            else "period"
        )
        body["comparison"] = {
            "with": compare_echo(other, kind),
            "scores": previous.payload(),
            "changes": comparisons.changes_payload(comparisons.changes(current, previous)),
            "note": "difference = this group − the other group; 95 % intervals; "
            "each figure tested on its own (no multiple-comparison correction)",
        }
    if size is not None:
        body["bucket"] = size
        body["week_start"] = calendar.week_start
        body["series"] = queries.series_payload(
            await queries.series(db, scope, size, calendar),
            services(request).settings.metrics_min_n,
        )
    return body


@get("/api/v1/annotations", guards=[api_scope("read")], tags=["metrics"], cache=False)
async def annotations_api(
    request: Request[Any, Any, Any],
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
) -> dict[str, Any]:
    """Change markers (all, or one ``checkpoint``'s), each with the key scores over equal
    whole-day periods before and after it (in the workspace time zone, at most 90 days
    each) and the comparison of every figure, as on the checkpoint's dashboard."""
    _known_only(request, "checkpoint")
    if checkpoint is not None and not ID_LIKE.match(checkpoint):
        raise invalid("checkpoint", "not a checkpoint key")
    calendar = calendar_of(request)
    db = services(request).db
    now = utcnow()
    found = []
    for annotation in await store.list_annotations(db, checkpoint or None):
        scope = queries.Scope(start=now, end=now, checkpoint_key=annotation.checkpoint_key)
        ba = await comparisons.before_after(db, scope, annotation.happened_on, now, calendar)
        found.append(
            {
                "id": annotation.id,
                "checkpoint": annotation.checkpoint_key,
                "kind": annotation.kind,
                "title": annotation.title,
                "description": annotation.description,
                "happened_on": annotation.happened_on,
                "window": {
                    "days": ba.window.days,
                    "before": [
                        ba.window.before_first.isoformat(),
                        ba.window.before_last.isoformat(),
                    ],
                    "after": [ba.window.after_first.isoformat(), ba.window.after_last.isoformat()],
                    "time_zone": ba.window.zone,
                    "label": ba.window.label(),
                },
                "before": None if ba.before is None else ba.before.payload(),
                "after": None if ba.after is None else ba.after.payload(),
                "changes": None if ba.changes is None else comparisons.changes_payload(ba.changes),
            }
        )
    return {"annotations": found, "time_zone": calendar.zone}


@get("/api/v1/drivers", guards=[api_scope("read")], tags=["metrics"], cache=False)
async def drivers_api(
    request: Request[Any, Any, Any],
    survey: Annotated[str | None, QueryParameter(name="survey")] = None,
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    segment: Annotated[str | None, QueryParameter(name="segment")] = None,
    outcome: Annotated[str | None, QueryParameter(name="outcome")] = None,
) -> dict[str, Any]:
    """Key drivers of ``outcome`` (``nps`` by default, or ``ces``, ``csat``, ``emotion``)
    for a survey or checkpoint: each other numeric answer and contact attribute with its
    share of the explained variance (Shapley decomposition of R²), direction and n."""
    _known_only(request, "survey", "checkpoint", "from", "to", "segment", "outcome")
    if not survey and not checkpoint:
        raise invalid("survey", "give a survey or a checkpoint")
    target = outcome or "nps"
    if target not in queries.KEY_METRICS:
        raise invalid("outcome", "expected nps, ces, csat or emotion")
    calendar = calendar_of(request)
    scope = parse_scope(
        survey=survey,
        checkpoint=checkpoint,
        start=date_from,
        end=date_to,
        segment=segment,
        calendar=calendar,
    )
    db = services(request).db
    found = await driver_cache.drivers(
        db,
        scope,
        target,  # type: ignore[arg-type]
        question_kinds(services(request)),
        stale=False,
    )
    return {**key_drivers.payload(found.result), **scope_echo(scope)}


ROUTES = (metrics_api, annotations_api, drivers_api)
