"""The designer's question handlers: add (unsaved until saved), edit, save, and the
per-question actions (move, duplicate, delete). Beside ``views`` (the survey pages) and
``endings`` (the endings), with the same guard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import staff
from surveyor.services import services
from surveyor.surveys import edit
from surveyor.surveys.designer import apply_question_form
from surveyor.surveys.edit import EditError
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.views import (
    designer_context,
    is_htmx,
    load,
    questions_fragment,
    save,
    with_pending_question,
)
from surveyor.web.forms import read_form
from surveyor.web.templating import render


class QuestionsDesigner(Controller):
    path = "/surveys"
    guards = [staff("designer")]
    include_in_schema = False

    @post("/{survey_id:str}/questions")
    async def add_question(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        kinds = question_kinds(services(request))
        kind = str(form.get("kind", ""))
        try:
            definition, new_id = with_pending_question(survey.draft, kind, kinds)
        except EditError as exc:
            return await questions_fragment(request, survey, error=str(exc), status=422)
        if not is_htmx(request):
            return Redirect(f"/surveys/{survey_id}?add={kind}#q-{new_id}", status_code=303)
        # Nothing is stored yet: the editor opens on the new question, "Save question"
        # adds it to the draft and "Close" (or leaving the page) forgets it.
        return await questions_fragment(
            request, survey, definition=definition, editing=new_id, pending=new_id
        )

    @get("/{survey_id:str}/questions/{question_id:str}/edit")
    async def edit_question(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], question_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        if not is_htmx(request):
            return Redirect(f"/surveys/{survey_id}?edit={question_id}#q-{question_id}", 303)
        return await render(
            request,
            "surveys/_questions.html",
            designer_context(request, survey, editing=question_id),
        )

    @post("/{survey_id:str}/questions/{question_id:str}")
    async def save_question(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], question_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        kinds = question_kinds(services(request))
        definition = survey.draft
        new_kind = str(form.get("new_kind", ""))
        pending: dict[str, Any] = {}
        try:
            if new_kind and all(q.id != question_id for q in definition.questions):
                definition, question_id = with_pending_question(definition, new_kind, kinds)
                pending = {"definition": definition, "pending": question_id}
            definition = apply_question_form(definition, question_id, form, kinds)
        except (EditError, ValueError) as exc:
            return await questions_fragment(
                request, survey, editing=question_id, error=str(exc), status=422, **pending
            )
        survey = await save(request, survey, definition)
        editing = question_id if form.get("keep_editing") else ""
        return await questions_fragment(request, survey, editing=editing)

    @post("/{survey_id:str}/questions/{question_id:str}/{action:str}")
    async def question_action(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        question_id: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        """``up``, ``down``, ``duplicate`` or ``delete`` one question."""
        survey = await load(request, survey_id)
        try:
            if action in ("up", "down"):
                delta = -1 if action == "up" else 1
                definition = edit.move_question(survey.draft, question_id, delta)
            elif action == "duplicate":
                definition, _ = edit.duplicate_question(survey.draft, question_id)
            elif action == "delete":
                definition = edit.delete_question(survey.draft, question_id)
            else:
                raise NotFoundException(detail="no such action")
        except EditError as exc:
            return await questions_fragment(request, survey, error=str(exc), status=422)
        survey = await save(request, survey, definition)
        return await questions_fragment(request, survey, moved=question_id)

    # -- preview, publish, history ----------------------------------------------------
