"""The public respondent pages: ``/s/{token}``, ``/p/{slug}`` and ``/u/{token}``.

* GET and HEAD only read: mail scanners that prefetch a link change nothing.
* Each POST saves one step (a partial response) in one write unit; the last step
  completes it with a conditional UPDATE and, in the same unit, emits ``ResponseCompleted``
  (in-transaction listeners, and an outbox job that calls the plugins after commit).
* With htmx the answer POST returns the next ``#survey`` part; without JavaScript it
  answers 303 back to the page (POST/redirect/GET), so both flows are the same code.
* No CSRF token: these pages carry no ambient authority (no cookie, no session). The
  secret in the URL is the credential, which a cross-site attacker does not have;
  replaying a POST only re-saves the same answers, and completion happens once.
* Unknown and expired links get the same page and status; unknown tokens count
  against the client's address in counters shared by every process
  (``surveyor.ops.ratelimit``), and a client past the limit gets 429 for wrong tokens
  only: a valid link always answers, so customers behind one address keep answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request, Response, post, route
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import client_ip
from surveyor.db import Tx
from surveyor.delivery.worker import wake_worker
from surveyor.ids import now_iso, utcnow
from surveyor.ops.ratelimit import counters_for
from surveyor.respond import abandoned, flow, store
from surveyor.respond.completion import on_completion
from surveyor.respond.models import NewResponse, ReadInUnit, SaveResult
from surveyor.respond.pages import (
    PRIVATE_HEADERS,
    Sheet,
    cached_version,
    choose_locale,
    kinds_of,
    render_notice,
    render_sheet,
)
from surveyor.respond.ratelimit import TOKEN_MISSES, Limits, client_key
from surveyor.services import Services, services
from surveyor.surveys.kinds import KindRegistry
from surveyor.web.forms import read_form

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_HIDDEN_VALUE = 200
SWEEP_SLOT = "abandoned-sweep-slot"  # in ``svc.caches.respond``: the last slot committed
Req = Request[Any, Any, Any]


def limits(request: Req) -> Limits:
    svc = services(request)
    if svc.respond_limits is None:
        svc.respond_limits = Limits()
    return svc.respond_limits


async def refuse(request: Req, retry: int) -> Response[str]:
    return await render_notice(
        request, "limited", status_code=429, headers={"Retry-After": str(retry)}
    )


async def unavailable(request: Req, *, miss: bool) -> Response[str]:
    """The page for an unknown or expired link. An unknown token (``miss``) counts against
    the client's address in the shared counters; past ``TOKEN_MISSES`` the client gets 429
    for wrong tokens only, so valid links keep answering customers behind the same office
    or carrier address."""
    if miss:
        limit, window = TOKEN_MISSES
        key = "s-miss:" + client_key(client_ip(request))
        count, reset = await counters_for(services(request)).hit(key, int(window))
        if count > limit:
            return await refuse(request, reset)
    return await render_notice(request, "unavailable", status_code=404)


# -- personal links -------------------------------------------------------------


async def personal_sheet(request: Req, token: str, source: Any = None) -> Sheet | str:
    """The sheet a personal link opens, or why not: ``"miss"`` or ``"gone"``.

    ``source`` is where to read: the readers by default, or the ``tx`` of the answer
    POST's unit of work (one writer round trip instead of a reader hop and a write).
    """
    svc = services(request)
    source = source or svc.db
    if not TOKEN.match(token):
        return "miss"
    state = await store.invitation_for_token(source, token)
    if state is None:
        return "miss"
    invitation, response = state.invitation, state.response
    finished = response is not None and response.status == "complete"
    expired = invitation.status == "expired" or (
        invitation.expires_at is not None and invitation.expires_at <= now_iso()
    )
    if expired and not finished:
        return "gone"
    version_id = response.survey_version_id if response else state.latest_version_id
    version = await cached_version(svc, version_id, source) if version_id else None
    if version is None:
        return "gone"
    contact = state.contact
    locale = (
        response.locale
        if response and response.locale
        else choose_locale(request, version, invitation.locale, contact.locale if contact else "")
    )
    return Sheet(
        action=f"/s/{token}",
        version=version,
        response=response,
        answers=state.answers,
        new=NewResponse(
            invitation_id=invitation.id,
            survey_id=invitation.survey_id,
            survey_version_id=version.id,
            contact_id=invitation.contact_id,
            checkpoint_key=invitation.checkpoint_key,
            channel=invitation.channel,
            locale=locale,
            # Only the event properties the survey whitelists are kept with the response.
            hidden={
                name: invitation.properties[name]
                for name in version.definition.settings.hidden_fields
                if name in invitation.properties
            },
        ),
        locale=locale,
        contact=contact,
        invitation=invitation,
        properties=invitation.properties,
    )


@route(
    "/s/{token:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    opt={"public": True, "fast_lane": True},
    include_in_schema=False,
)
async def open_link(request: Req, token: FromPath[str]) -> Response[Any]:
    """Show the current step; never records anything (mail scanners prefetch links)."""
    sheet = await personal_sheet(request, token)
    if isinstance(sheet, str):
        page = await unavailable(request, miss=sheet == "miss")
    else:
        preselected = {}
        if sheet.response is None:
            kinds = kinds_of(request)
            preselected = flow.preselect(sheet.definition, request.query_params.get("score"), kinds)
        page = await render_sheet(
            request,
            sheet,
            values={**sheet.answers, **preselected},
            preselected=bool(preselected),
        )
    if request.method == "HEAD":
        return Response(b"", status_code=page.status_code, headers=PRIVATE_HEADERS)
    return page


@post(
    "/s/{token:str}",
    opt={"public": True, "fast_lane": True},
    include_in_schema=False,
    status_code=200,
)
async def answer_link(request: Req, token: FromPath[str]) -> Response[Any]:
    if not TOKEN.match(token):
        return await unavailable(request, miss=True)
    svc = services(request)
    form = await read_form(request)
    kinds = kinds_of(request)

    async def unit(tx: Tx) -> tuple[Sheet | str, Plan | None, Saved | None]:
        # Read, check and write in one unit: the answer POST is the hot path.
        sheet = await personal_sheet(request, token, tx)
        if isinstance(sheet, str):
            return sheet, None, None
        plan = plan_answer(sheet, form, kinds)
        if plan.kind != "save":
            return sheet, plan, None
        assert sheet.invitation is not None
        read = ReadInUnit(
            response=sheet.response,
            answers=sheet.answers,
            invitation_status=sheet.invitation.status,
        )
        return sheet, plan, await save_plan(tx, svc, sheet, plan, read)

    sheet, plan, saved = await svc.db.write(unit)
    if isinstance(sheet, str) or plan is None:
        return await unavailable(request, miss=sheet == "miss")
    return await answered(request, sheet, plan, committed(svc, saved))


@dataclass(frozen=True)
class Plan:
    """What an answer POST will do, decided before anything is written."""

    kind: str  # "already" (complete), "stale" (step not shown now), "errors", "save"
    step: flow.Step | None = None
    outcome: flow.Outcome | None = None
    values: dict[str, Any] | None = None  # answers to show again with the errors
    scores: dict[str, int | None] | None = None
    partial: bool = False  # saved as the customer leaves the page: keep the step, answer 204


def plan_answer(sheet: Sheet, form: dict[str, Any], kinds: KindRegistry) -> Plan:
    """Check the posted step against the sheet: pure, so it may run inside a unit."""
    if sheet.complete:
        return Plan("already")
    step_field = form.get("step")
    ids = step_field.split(",")[:100] if isinstance(step_field, str) else []
    definition = sheet.definition
    step = flow.step_for_ids(definition, sheet.answers, ids)
    if step is None:  # a stale page (back button, second tab): show where we are now
        return Plan("stale")
    outcome = flow.advance(definition, sheet.answers, step, form, kinds)
    if outcome.errors:
        posted = {
            q.id: flow.posted_value(q, form, kinds)
            for q in step.questions
            if not flow.too_long(form.get(flow.field_name(q.id)))
        }
        return Plan("errors", step=step, outcome=outcome, values={**sheet.answers, **posted})
    if form.get("partial") == "1":
        # respond.js saves what a customer leaving a page of several questions filled in:
        # kept, not sent; reopening the link shows that page's first question again.
        partial = flow.Outcome(answers=outcome.answers, next_step=step.ids[0])
        return Plan("save", step=step, outcome=partial, partial=True)
    scores = None
    if outcome.complete:
        scores = flow.scores(definition, flow.merge(sheet.answers, outcome.answers), kinds)
    return Plan("save", step=step, outcome=outcome, scores=scores)


@dataclass(frozen=True)
class Saved:
    """What ``save_plan`` wrote: the result, and the sweep slot it queued (0: none)."""

    result: SaveResult
    sweep_slot: int = 0


async def save_plan(
    tx: Tx, svc: Services, sheet: Sheet, plan: Plan, read: ReadInUnit | None = None
) -> Saved:
    """Write the step; the unit that completes the response also emits ``ResponseCompleted``
    (its in-transaction listeners, and the plugins' outbox job). ``read``: what this unit
    read before (``store.save_answers_tx``)."""
    assert plan.outcome is not None and plan.step is not None
    result = await store.save_answers_tx(
        tx,
        sheet.new,
        plan.outcome.answers,
        step=plan.outcome.next_step or plan.step.ids[-1],
        complete=plan.outcome.complete,
        scores=plan.scores,
        on_complete=on_completion(
            svc, sheet.version, contact=sheet.contact, invitation=sheet.invitation
        ),
        read=read,
    )
    hours = svc.settings.abandoned_close_hours
    if result.response.status == "partial" and hours > 0:
        # Should the respondent leave now, a sweep closes the response after ``hours``.
        # One job per 15-minute slot: once this process committed the slot's job, the
        # other partial saves of that slot need not ask again.
        slot = abandoned.sweep_slot(utcnow() + timedelta(hours=hours))
        if slot != svc.caches.respond.get(SWEEP_SLOT):
            await abandoned.schedule_sweep(tx, slot)
            return Saved(result, slot)
    return Saved(result)


def committed(svc: Services, saved: Saved | None) -> SaveResult | None:
    """After the unit of ``save_plan`` committed: remember the sweep slot it queued."""
    if saved is None:
        return None
    if saved.sweep_slot:
        svc.caches.respond[SWEEP_SLOT] = saved.sweep_slot
    return saved.result


async def answer(request: Req, sheet: Sheet, form: dict[str, Any]) -> Response[Any]:
    """Save the posted step of a sheet read beforehand (public links)."""
    svc = services(request)
    plan = plan_answer(sheet, form, kinds_of(request))
    result = None
    if plan.kind == "save":
        result = committed(svc, await svc.db.write(lambda tx: save_plan(tx, svc, sheet, plan)))
    return await answered(request, sheet, plan, result)


async def answered(
    request: Req, sheet: Sheet, plan: Plan, result: SaveResult | None
) -> Response[Any]:
    """The answer to an answer POST, once its unit committed."""
    svc = services(request)
    if plan.kind == "already":
        return await render_sheet(request, sheet, view="already", status_code=409)
    if plan.kind == "stale":
        return await render_sheet(request, sheet, status_code=409)
    if plan.kind == "errors":
        assert plan.outcome is not None
        return await render_sheet(
            request,
            sheet,
            step=plan.step,
            values=plan.values,
            errors=plan.outcome.errors,
            status_code=422,
        )
    assert result is not None
    if result.completed_now:
        # Plugins hear of it from the outbox job queued with the completion: never here.
        wake_worker(svc)
    sheet.response, sheet.answers = result.response, result.answers
    if result.already_complete:
        return await render_sheet(request, sheet, view="already", status_code=409)
    if plan.partial:  # a beacon from a page being left: nobody reads the answer
        return Response(b"", status_code=204, headers=PRIVATE_HEADERS)
    if getattr(request, "htmx", None):
        return await render_sheet(request, sheet, headers=_replace_url(sheet))
    return Redirect(_page_url(sheet), status_code=303, headers=PRIVATE_HEADERS)


def _page_url(sheet: Sheet) -> str:
    key = sheet.hidden_inputs.get("r")
    sep = "&" if "?" in sheet.action else "?"
    return f"{sheet.action}{sep}r={key}" if key else sheet.action


def _replace_url(sheet: Sheet) -> dict[str, str]:
    # A public respondent who reloads or comes back keeps their response.
    return {"HX-Replace-Url": _page_url(sheet)} if "r" in sheet.hidden_inputs else {}


# -- public links ---------------------------------------------------------------------


ROUTES = [open_link, answer_link]
