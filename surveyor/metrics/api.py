"""``GET /api/v1/metrics``: the key scores with n and 95 % intervals (DESIGN.md §9)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter

from surveyor.auth.guards import api_scope
from surveyor.metrics import queries
from surveyor.metrics.filters import parse_bucket, parse_scope, scope_echo
from surveyor.services import services


@get("/api/v1/metrics", guards=[api_scope("read")], tags=["metrics"], cache=False)
async def metrics_api(
    request: Request[Any, Any, Any],
    survey: Annotated[str | None, QueryParameter(name="survey")] = None,
    checkpoint: Annotated[str | None, QueryParameter(name="checkpoint")] = None,
    date_from: Annotated[str | None, QueryParameter(name="from")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to")] = None,
    segment: Annotated[str | None, QueryParameter(name="segment")] = None,
    bucket: Annotated[str | None, QueryParameter(name="bucket")] = None,
) -> dict[str, Any]:
    """NPS, CES, CSAT and emotion over ``from``–``to`` (dates or ISO timestamps; the last
    90 days by default), optionally for one ``survey`` (id) and/or ``checkpoint`` (key),
    one ``segment`` (``attribute:value`` of the contact, e.g. ``tier:gold``). With
    ``bucket=week|month`` the answer also has a ``series`` of the same per bucket."""
    scope = parse_scope(
        survey=survey, checkpoint=checkpoint, start=date_from, end=date_to, segment=segment
    )
    size = parse_bucket(bucket)
    db = services(request).db
    body: dict[str, Any] = {**(await queries.key_scores(db, scope)).payload(), **scope_echo(scope)}
    if size is not None:
        body["bucket"] = size
        body["series"] = queries.series_payload(await queries.series(db, scope, size))
    return body


ROUTES = (metrics_api,)
