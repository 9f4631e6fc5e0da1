"""Dashboards (staff, any role): the overview, one checkpoint or survey, before/after.

Filters travel in the query string (``days`` or ``from``/``to``, ``segment_key`` and
``segment_value``, ``metric``, ``bucket``), so a dashboard is a link people can share;
the filter form swaps only the dashboard body with htmx.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.checkpoints.store import get_checkpoint, list_checkpoints
from surveyor.ids import utcnow
from surveyor.metrics import breakdowns, charts, present, queries, store
from surveyor.metrics.filters import PERIODS, Filters, read_filters
from surveyor.metrics.labels import version_labels
from surveyor.metrics.queries import Scope
from surveyor.metrics.stats import SCALES
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.store import get_survey
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

FUNNEL_LABELS = {
    "scheduled": "scheduled",
    "sent": "sent",
    "opened": "opened",
    "started": "started",
    "completed": "completed",
}


async def _headlines(db: Any, scope: Scope) -> dict[str, Any]:
    current = await queries.key_scores(db, scope)
    previous = await queries.key_scores(db, scope.previous())
    change = queries.changes(current, previous)
    return {
        "scores": current,
        "cards": [
            {**present.headline(current, m), "badge": present.badge(getattr(change, m))}
            for m in queries.KEY_METRICS
        ],
    }


async def dashboard_context(
    request: Request[Any, Any, Any], filters: Filters, scope: Scope
) -> dict[str, Any]:
    """Everything one checkpoint's (or survey's) dashboard shows."""
    db = services(request).db
    head = await _headlines(db, scope)
    points = await queries.series(db, scope, filters.bucket)  # type: ignore[arg-type]
    annotations = (
        await store.list_annotations(db, scope.checkpoint_key) if scope.checkpoint_key else []
    )
    metric = filters.metric
    low, high = SCALES[metric]
    funnel = await breakdowns.funnel(db, scope)
    by_channel = await breakdowns.nps_by_channel(db, scope)
    labels = await version_labels(
        db, survey_id=scope.survey_id, kinds=question_kinds(services(request))
    )
    comments = await breakdowns.latest_comments(
        db, scope, {vid: v.text_question_ids() for vid, v in labels.items()}
    )
    return {
        **head,
        "filters": filters,
        "trend_svg": present.trend(points, metric, filters.bucket, annotations),  # type: ignore[arg-type]
        "trend_rows": present.trend_rows(points, metric),
        "distribution_svg": charts.distribution_chart(
            await queries.distribution(db, scope, metric),
            low,
            high,
            title=f"{present.HEADLINE[metric][3]}: answers per score",
        ),
        "funnel": funnel,
        "funnel_svg": charts.funnel_chart(funnel, FUNNEL_LABELS, title="Invitations → responses"),
        "channels": [(name, present.headline_nps(r)) for name, r in by_channel.items()],
        "channel_svg": charts.comparison_chart(
            list(by_channel),
            [r.score for r in by_channel.values()],
            [r.ci95 for r in by_channel.values()],
            title="NPS by channel",
            value_range=(-100, 100),
        )
        if by_channel
        else None,
        "comments": comments,
        "annotations": await _before_after(db, scope, annotations),
        "export_query": filters.query(),
    }


async def _before_after(db: Any, scope: Scope, annotations: list[Any]) -> list[dict[str, Any]]:
    """Each change marker with the periods before and after it compared (same length)."""
    now = utcnow()
    found = []
    for annotation in reversed(annotations):
        before_start, change, after_end = present.before_after_window(annotation.happened_on, now)
        if change >= now:
            found.append({"annotation": annotation, "cards": [], "note": "in the future"})
            continue
        before = await queries.key_scores(db, scope.shifted(before_start, change))
        after = await queries.key_scores(db, scope.shifted(change, after_end))
        change_of = queries.changes(after, before)
        found.append(
            {
                "annotation": annotation,
                "days": (after_end - change).days,
                "cards": [
                    {
                        "title": present.HEADLINE[m][3],
                        "before": present.headline(before, m),
                        "after": present.headline(after, m),
                        "badge": present.badge(getattr(change_of, m)),
                    }
                    for m in queries.KEY_METRICS
                    if getattr(before, m).n or getattr(after, m).n
                ],
                "note": "",
            }
        )
    return found


async def _dashboard(
    request: Request[Any, Any, Any], filters: Any, scope: Any, kind: str, key: str, name: str
) -> Response[str]:
    """One checkpoint's or one survey's dashboard: the same page, another subject."""
    context = await dashboard_context(request, filters, scope)
    return await render(
        request,
        "metrics/dashboard.html",
        {
            **context,
            "subject": {"kind": kind, "key": key, "name": name},
            "periods": PERIODS,
            "today": utcnow().date().isoformat(),
        },
        fragment="metrics/_dashboard_body.html",
    )


class Dashboards(Controller):
    path = "/dashboard"
    guards = [staff()]
    include_in_schema = False

    @get("/", cache=False)
    async def overview(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every checkpoint (journey order) and survey: key score, interval, n, change."""
        filters, scope = read_filters(request)
        db = services(request).db
        rows = []
        for checkpoint in await list_checkpoints(db):
            head = await _headlines(db, scope.with_checkpoint(checkpoint.key))
            rows.append(
                {"kind": "checkpoint", "key": checkpoint.key, "name": checkpoint.name, **head}
            )
        surveys = await store.published_surveys(db)
        survey_rows = []
        for survey in surveys:
            head = await _headlines(db, scope.with_survey(survey["id"]))
            survey_rows.append(
                {"kind": "survey", "key": survey["id"], "name": survey["name"], **head}
            )
        return await render(
            request,
            "metrics/overview.html",
            {"filters": filters, "checkpoints": rows, "surveys": survey_rows, "periods": PERIODS},
            fragment="metrics/_overview_body.html",
        )

    @get("/checkpoints/{key:str}", cache=False)
    async def checkpoint(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[str]:
        db = services(request).db
        found = await get_checkpoint(db, key)
        if found is None:
            raise NotFoundException(detail="no such checkpoint")
        filters, scope = read_filters(request, checkpoint=key)
        return await _dashboard(request, filters, scope, "checkpoint", key, found.name)

    @get("/surveys/{survey_id:str}", cache=False)
    async def survey(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[str]:
        db = services(request).db
        found = await get_survey(db, survey_id)
        if found is None:
            raise NotFoundException(detail="no such survey")
        filters, scope = read_filters(request, survey=survey_id)
        return await _dashboard(request, filters, scope, "survey", survey_id, found.name)

    @post("/checkpoints/{key:str}/annotations", status_code=303)
    async def annotate(self, request: Request[Any, Any, Any], key: FromPath[str]) -> Redirect:
        """Mark a dated change (an accelerator or a blocker) on the checkpoint's trend."""
        db = services(request).db
        if await get_checkpoint(db, key) is None:
            raise NotFoundException(detail="no such checkpoint")
        form = await read_form(request)
        raw = {
            "kind": form.get("kind", ""),
            "title": str(form.get("title", "")).strip(),
            "description": str(form.get("description", "")).strip(),
            "happened_on": form.get("happened_on", ""),
        }
        try:
            data = msgspec.convert(raw, store.AnnotationIn)
        except msgspec.ValidationError as exc:
            message = form_errors(exc)
            field = message.split(":", 1)[0]
            raise ValidationException(
                detail=message, extra=[{"key": field, "message": message}]
            ) from None
        await store.add_annotation(db, key, data, user=current_user(request))
        return Redirect(f"/dashboard/checkpoints/{key}#changes", status_code=303)

    @post("/annotations/{annotation_id:str}/delete", status_code=303)
    async def unannotate(
        self, request: Request[Any, Any, Any], annotation_id: FromPath[str]
    ) -> Redirect:
        db = services(request).db
        found = await store.get_annotation(db, annotation_id)
        if found is None:
            raise NotFoundException(detail="no such change marker")
        await store.delete_annotation(db, annotation_id, user=current_user(request))
        return Redirect(f"/dashboard/checkpoints/{found.checkpoint_key}#changes", status_code=303)


ROUTES = (Dashboards,)
