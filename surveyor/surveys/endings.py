"""The designer's endings: thank-you texts chosen by condition, edited in place with htmx."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import staff
from surveyor.services import services
from surveyor.surveys import edit
from surveyor.surveys.designer import condition_from_form
from surveyor.surveys.edit import EditError
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.models import Survey
from surveyor.surveys.views import CHANGED, designer_context, draft_state, is_htmx, load, save
from surveyor.web.forms import read_form
from surveyor.web.templating import render


async def endings_fragment(
    request: Request[Any, Any, Any], survey: Survey, *, status: int = 200, **extra: Any
) -> Response[Any]:
    if not is_htmx(request):
        return Redirect(f"/surveys/{survey.id}#endings", status_code=303)
    state = await draft_state(request, survey)
    context = designer_context(
        request, survey, **{"editing_ending": "", **state, "fragment": True, **extra}
    )
    headers = CHANGED if status == 200 and not extra.get("pending_ending") else None
    return await render(
        request, "surveys/_endings.html", context, status_code=status, headers=headers
    )


class EndingsDesigner(Controller):
    path = "/surveys/{survey_id:str}/endings"
    guards = [staff("designer")]
    include_in_schema = False

    @post("/")
    async def add(self, request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
        """Open the editor on a new ending; it is stored only when "Save ending" is pressed."""
        survey = await load(request, survey_id)
        definition, new_id = edit.add_ending(survey.draft)
        if not is_htmx(request):
            return Redirect(f"/surveys/{survey_id}?add_ending=1#end-{new_id}", status_code=303)
        return await endings_fragment(
            request, survey, definition=definition, editing_ending=new_id, pending_ending=new_id
        )

    @get("/{ending_id:str}/edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], ending_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        return await endings_fragment(request, survey, editing_ending=ending_id)

    @post("/{ending_id:str}")
    async def save_ending(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], ending_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        definition = survey.draft
        locale = definition.default_locale
        kinds = question_kinds(services(request))
        pending: dict[str, Any] = {}
        if form.get("new_ending") and all(e.id != ending_id for e in definition.endings):
            definition, ending_id = edit.add_ending(definition)
            pending = {"definition": definition, "pending_ending": ending_id}
        try:
            ending = next(e for e in definition.endings if e.id == ending_id)
            text = {**ending.text, locale: str(form.get("text", "")).strip()}
            condition = condition_from_form(form, definition.questions, kinds)
            definition = edit.replace_ending(
                definition,
                ending_id,
                {
                    "text": {k: v for k, v in text.items() if v} or None,
                    "condition": msgspec.to_builtins(condition) if condition else None,
                },
            )
        except (StopIteration, EditError, ValueError) as exc:
            message = "no such ending" if isinstance(exc, StopIteration) else str(exc)
            return await endings_fragment(
                request, survey, editing_ending=ending_id, error=message, status=422, **pending
            )
        survey = await save(request, survey, definition)
        return await endings_fragment(request, survey)

    @post("/{ending_id:str}/move")
    async def move(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], ending_id: FromPath[str]
    ) -> Response[Any]:
        """Reorder: ``to`` is ``up``, ``down`` or a position from 1 (drag and drop). The
        first ending whose condition holds wins, so the order is the logic."""
        survey = await load(request, survey_id)
        form = await read_form(request)
        ids = [e.id for e in survey.draft.endings]
        if ending_id not in ids:
            return await endings_fragment(request, survey, error="no such ending", status=404)
        where = str(form.get("to", "")).strip()
        current = ids.index(ending_id)
        if where in ("up", "down"):
            target = current + (-1 if where == "up" else 1)
        elif where.isdigit() and 1 <= int(where) <= len(ids):
            target = int(where) - 1
        else:
            message = f"to: must be up, down or a position from 1 to {len(ids)}"
            return await endings_fragment(request, survey, error=message, status=422)
        target = max(0, min(len(ids) - 1, target))
        definition = edit.move_ending(survey.draft, ending_id, target)
        survey = await save(request, survey, definition)
        return await endings_fragment(
            request,
            survey,
            moved_ending=ending_id,
            moved_to=target + 1,
            moved_via="handle"
            if form.get("via") == "handle" or where not in ("up", "down")
            else where,
        )

    @post("/{ending_id:str}/delete")
    async def delete(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], ending_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        try:
            definition = edit.delete_ending(survey.draft, ending_id)
        except EditError as exc:
            return await endings_fragment(request, survey, error=str(exc), status=422)
        survey = await save(request, survey, definition)
        return await endings_fragment(request, survey)
