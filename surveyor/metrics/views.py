"""Dashboards (staff, any role): the overview, one checkpoint or survey, before/after.

Filters travel in the query string (``days`` or ``from``/``to``, ``segment_key`` and
``segment_value``, ``metric``, ``bucket``), so a dashboard is a link people can share;
the filter form swaps only the dashboard body with htmx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.checkpoints.store import get_checkpoint, list_checkpoints
from surveyor.ids import utcnow
from surveyor.metrics import (
    breakdowns,
    compare,
    comparisons,
    driver_cache,
    present,
    present_bars,
    queries,
    store,
)
from surveyor.metrics.calendar import Calendar
from surveyor.metrics.filters import PERIODS, Filters, calendar_of, read_filters
from surveyor.metrics.labels import version_labels
from surveyor.metrics.queries import Scope
from surveyor.metrics.stats import SCALES
from surveyor.services import services
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.store import get_survey
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render, request_locale

FUNNEL_LABELS = {
    "scheduled": "scheduled",
    "sent": "sent",
    "opened": "opened",
    "started": "started",
    "completed": "completed",
}


async def _headlines(db: Any, scope: Scope) -> dict[str, Any]:
    return _headline_cards(*await comparisons.compared(db, scope, scope.previous()))


def _headline_cards(current: Any, _previous: Any, change: Any) -> dict[str, Any]:
    return {
        "scores": current,
        "changes": change,
        "cards": [
            {
                **present.headline(current, m),
                "badge": present.badge(getattr(change, m)),
                "badges": present.badges(change, m),
            }
            for m in queries.KEY_METRICS
        ],
    }


def _control_fdr(rows: list[dict[str, Any]]) -> int:
    """Benjamini–Hochberg over every badge of the page: a badge stays "significant" only
    when it survives the false-discovery-rate control; returns how many tests there were."""
    badges = [b for row in rows for card in row["cards"] for b in card["badges"]]
    flags = compare.benjamini_hochberg([b["p_value"] for b in badges])
    for badge, keep in zip(badges, flags, strict=True):
        present.apply_fdr(badge, keep)
    for row in rows:
        for card in row["cards"]:
            card["badge"] = card["badges"][0] if card["badges"] else card["badge"]
    return sum(1 for b in badges if b["p_value"] is not None)


async def dashboard_context(
    request: Request[Any, Any, Any], filters: Filters, scope: Scope
) -> dict[str, Any]:
    """Everything one checkpoint's (or survey's) dashboard shows."""
    svc = services(request)
    db = svc.db
    calendar = calendar_of(request)
    min_n = svc.settings.metrics_min_n
    head = await _headlines(db, scope)
    tests = _control_fdr([head])
    points = await queries.series(db, scope, filters.bucket, calendar)  # type: ignore[arg-type]
    annotations = await _annotations(db, scope)
    windows = await _windows(db, scope, annotations, calendar)
    metric = filters.metric
    low, high = SCALES[metric]
    locale = request_locale(request)
    funnel = await breakdowns.funnel(db, scope)
    by_channel = await breakdowns.nps_by_channel(db, scope)
    labels = await version_labels(db, survey_id=scope.survey_id, kinds=question_kinds(svc))
    comments = await breakdowns.latest_comments(
        db, scope, {vid: v.text_question_ids() for vid, v in labels.items()}
    )
    key_drivers = await driver_cache.drivers(db, scope, "nps", question_kinds(svc))
    trend = present.trend(
        points,
        metric,
        filters.bucket,  # type: ignore[arg-type]
        [(a, windows[a.id]) for a in annotations],
        min_n,
        locale,
    )
    return {
        **head,
        "filters": filters,
        "tests": tests,
        "calendar": calendar,
        "min_n": min_n,
        "drivers": key_drivers.result,
        "drivers_as_of": key_drivers.as_of,
        "drivers_refresh": key_drivers.refresh,
        "trend": trend,
        "trend_svg": trend["svg"],
        "trend_rows": present.trend_rows(points, metric, min_n),
        "distribution": present_bars.distribution(
            await queries.distribution(db, scope, metric),
            low,
            high,
            present.translator(locale)("%(metric)s: answers per score")
            % {"metric": present.translator(locale)(present.HEADLINE[metric][3])},
            locale,
        ),
        "funnel": funnel,
        "funnel_chart": present_bars.funnel(funnel, FUNNEL_LABELS, locale),
        "channels": [(name, present.headline_nps(r)) for name, r in by_channel.items()],
        "channel_chart": present_bars.by_channel(by_channel, locale),
        "comments": comments,
        "annotations": _before_after(annotations, windows),
        "export_query": filters.query(),
    }


async def _annotations(db: Any, scope: Scope) -> list[Any]:
    """The change markers a dashboard shows: its checkpoint's; for a survey, those of
    the checkpoints that send it (their before/after is then the survey's scores)."""
    if scope.checkpoint_key:
        return await store.list_annotations(db, scope.checkpoint_key)
    if not scope.survey_id:
        return []
    keys = {c.key for c in await list_checkpoints(db) if c.survey_id == scope.survey_id}
    return [
        a
        for a in await store.list_annotations(db)
        if a.checkpoint_key in keys or a.survey_id == scope.survey_id
    ]


async def _windows(
    db: Any, scope: Scope, annotations: list[Any], calendar: Calendar
) -> dict[str, comparisons.BeforeAfter]:
    """Each change marker's equal whole-day periods before and after it, compared."""
    now = utcnow()
    return {
        a.id: await comparisons.before_after(db, scope, a.happened_on, now, calendar)
        for a in annotations
    }


def _before_after(
    annotations: list[Any], windows: dict[str, comparisons.BeforeAfter]
) -> list[dict[str, Any]]:
    """The "before and after changes" list, newest first."""
    found = []
    for annotation in reversed(annotations):
        ba = windows[annotation.id]
        if ba.before is None or ba.after is None or ba.changes is None:
            found.append({"annotation": annotation, "cards": [], "note": "", "window": ba.window})
            continue
        before, after, change_of = ba.before, ba.after, ba.changes
        found.append(
            {
                "annotation": annotation,
                "days": ba.window.days,
                "window": ba.window,
                "cards": [
                    {
                        "title": present.HEADLINE[m][3],
                        "before": present.headline(before, m),
                        "after": present.headline(after, m),
                        "badge": present.badge(getattr(change_of, m)),
                        "badges": present.badges(change_of, m),
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
    response = await render(
        request,
        "metrics/dashboard.html",
        {
            **context,
            "subject": {"kind": kind, "key": key, "name": name},
            "periods": PERIODS,
            "today": calendar_of(request).local_day(utcnow()).isoformat(),
        },
        fragment="metrics/_dashboard_body.html",
    )
    # Stale cached figures (the key drivers', a plugin panel's) shown "as of": redo them
    # after answering, one after the other.
    refreshes = [context["drivers_refresh"], *getattr(request.state, REFRESHES, [])]
    if any(refreshes):
        response.background = BackgroundTasks([BackgroundTask(r) for r in refreshes if r])
    return response


REFRESHES = "metrics_refreshes"


def after_answer(request: Request[Any, Any, Any], refresh: Callable[[], Awaitable[None]]) -> None:
    """Run ``refresh`` (the recomputation of a cached figure a dashboard showed "as of",
    e.g. a plugin panel's) after the dashboard page has been sent."""
    pending = getattr(request.state, REFRESHES, None)
    if pending is None:
        pending = []
        setattr(request.state, REFRESHES, pending)
    pending.append(refresh)


class Dashboards(Controller):
    path = "/dashboard"
    guards = [staff()]
    include_in_schema = False

    @get("/", cache=False)
    async def overview(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every checkpoint (journey order) and survey: key score, interval, n, change."""
        filters, scope = read_filters(request)
        db = services(request).db
        # Two statements for every checkpoint and survey (with the rollups).
        checkpoints = await list_checkpoints(db)
        surveys = await store.published_surveys(db)
        by_checkpoint, by_survey = await comparisons.compared_by(
            db, scope, [c.key for c in checkpoints], [survey["id"] for survey in surveys]
        )
        rows = [
            {
                "kind": "checkpoint",
                "key": c.key,
                "name": c.name,
                **_headline_cards(*by_checkpoint[c.key]),
            }
            for c in checkpoints
        ]
        survey_rows = [
            {
                "kind": "survey",
                "key": survey["id"],
                "name": survey["name"],
                **_headline_cards(*by_survey[survey["id"]]),
            }
            for survey in surveys
        ]
        tests = _control_fdr(rows + survey_rows)
        return await render(
            request,
            "metrics/overview.html",
            {
                "filters": filters,
                "checkpoints": rows,
                "surveys": survey_rows,
                "periods": PERIODS,
                "tests": tests,
            },
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
