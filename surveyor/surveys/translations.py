"""The designer's translations view: per language, which strings are missing, filled in place."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from surveyor.auth.guards import staff
from surveyor.surveys import edit
from surveyor.surveys.edit import EditError
from surveyor.surveys.logic import text_fields
from surveyor.surveys.models import Survey
from surveyor.surveys.views import CHANGED, designer_context, draft_state, is_htmx, load, save
from surveyor.web.forms import read_form
from surveyor.web.templating import render


def translations_context(
    request: Request[Any, Any, Any], survey: Survey, **extra: Any
) -> dict[str, Any]:
    definition = survey.draft
    rows = [
        (path, text)
        for path, text, _ in text_fields(definition)
        if text.get(definition.default_locale)
    ]
    return designer_context(
        request,
        survey,
        rows=rows,
        missing=edit.missing_translations(definition),
        **{"saved": None, **extra},
    )


class TranslationsDesigner(Controller):
    path = "/surveys"
    guards = [staff("designer")]
    include_in_schema = False

    @get("/{survey_id:str}/translations")
    async def translations(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[str]:
        survey = await load(request, survey_id)
        context = translations_context(request, survey, **await draft_state(request, survey))
        return await render(request, "surveys/translations.html", context)

    @post("/{survey_id:str}/translations")
    async def save_translation(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        path, locale = str(form.get("path", "")), str(form.get("locale", ""))
        try:
            definition = edit.set_text(survey.draft, path, locale, str(form.get("value", "")))
        except EditError as exc:
            context = translations_context(request, survey, error=str(exc))
            return await render(request, "surveys/translations.html", context, status_code=422)
        survey = await save(request, survey, definition)
        if not is_htmx(request):
            return Redirect(f"/surveys/{survey_id}/translations#{locale}", status_code=303)
        context = translations_context(request, survey, saved=(path, locale))
        return await render(request, "surveys/_translations.html", context, headers=CHANGED)

    @post("/{survey_id:str}/locales")
    async def update_locales(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        locales = list(survey.draft.locales)
        added = str(form.get("add", "")).strip().replace("-", "_")
        removed = str(form.get("remove", "")).strip()
        if added:
            locales.append(added)
        if removed:
            locales = [loc for loc in locales if loc != removed]
        try:
            definition = edit.set_locales(survey.draft, locales)
        except EditError as exc:
            context = translations_context(request, survey, error=str(exc))
            return await render(request, "surveys/translations.html", context, status_code=422)
        await save(request, survey, definition)
        return Redirect(f"/surveys/{survey_id}/translations", status_code=303)
