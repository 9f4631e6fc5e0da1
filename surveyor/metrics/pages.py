"""The journey map (every checkpoint side by side) and a response's own page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from surveyor.auth.guards import staff
from surveyor.checkpoints.store import list_checkpoints
from surveyor.contacts.store import get_contact
from surveyor.metrics import charts, compare, present, queries, store
from surveyor.metrics.filters import PERIODS, read_filters
from surveyor.metrics.labels import labelled_answers, nps_class, version_labels
from surveyor.respond.store import get_answers, get_response
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
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


@get("/responses/{response_id:str}", guards=[staff()], include_in_schema=False, cache=False)
async def response_page(
    request: Request[Any, Any, Any], response_id: FromPath[str]
) -> Response[str]:
    """One response with its labelled answers, scores and contact (linked from comments)."""
    svc = services(request)
    db = svc.db
    response = await get_response(db, response_id)
    if response is None:
        raise NotFoundException(detail="no such response")
    answers = await get_answers(db, response_id)
    labels = (await version_labels(db, version_ids=[response.survey_version_id])).get(
        response.survey_version_id
    )
    contact = await get_contact(db, response.contact_id) if response.contact_id else None
    case = await store.followup_for_response(db, response_id)
    return await render(
        request,
        "metrics/response.html",
        {
            "response": response,
            "answers": labelled_answers(labels, answers, question_kinds(svc)),
            "labels": labels,
            "contact": contact,
            "nps_class": nps_class(response.nps),
            "case": case,
        },
    )


ROUTES = (journey_map, response_page)
