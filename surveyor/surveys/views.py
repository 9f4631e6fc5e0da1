"""The survey designer (role designer or admin): list, editor, translations, preview,
publishing and version history.

Question edits are htmx posts that answer with the question list fragment
(``surveys/_questions.html``) and an ``HX-Trigger: survey-changed`` header that reloads
the live preview; without JavaScript the same forms post and redirect back.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from surveyor.auth.guards import current_user, staff
from surveyor.services import services
from surveyor.surveys import edit, store
from surveyor.surveys.designer import (
    OPERATOR_LABELS,
    describe_condition,
    path_label,
)
from surveyor.surveys.draftdiff import draft_changes
from surveyor.surveys.edit import EditError
from surveyor.surveys.edit import add_ending as new_ending
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.logic import text_for
from surveyor.surveys.models import Survey, SurveyDefinition
from surveyor.surveys.preview import preview_context
from surveyor.surveys.templates_lib import TEMPLATE_NAMES, blank_definition, template_definition
from surveyor.surveys.validation import validate_definition
from surveyor.web.forms import read_form
from surveyor.web.templating import render

CHANGED = {"HX-Trigger": "survey-changed"}


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


async def response_counts(request: Request[Any, Any, Any], ids: list[str]) -> dict[str, int]:
    """Completed responses per survey. Another domain may own the answer by registering
    ``services.response_counts`` (``async (db, ids) -> {id: n}``); otherwise
    the ``responses`` table is counted if it exists, and 0 is shown if it does not."""
    svc = services(request)
    counter = svc.response_counts
    if counter is not None:
        return await counter(svc.db, ids)
    return await store.completed_response_counts(svc.db, ids)


async def load(request: Request[Any, Any, Any], survey_id: str) -> Survey:
    survey = await store.get_survey(services(request).db, survey_id)
    if survey is None:
        raise NotFoundException(detail="no such survey")
    return survey


def designer_context(
    request: Request[Any, Any, Any], survey: Survey, **extra: Any
) -> dict[str, Any]:
    definition = survey.draft
    locale = definition.default_locale

    def t(text: dict[str, str]) -> str:
        return text_for(text, locale, locale)

    return {
        "survey": survey,
        "definition": definition,
        "kinds": question_kinds(services(request)),
        "t": t,
        "describe": lambda condition: describe_condition(condition, definition, locale),
        "operators": OPERATOR_LABELS,
        "path_label": path_label,
        "editing": "",
        "editing_ending": "",
        "error": "",
        **extra,
    }


async def draft_state(request: Request[Any, Any, Any], survey: Survey) -> dict[str, Any]:
    """``draft_changes``: what the draft changes against the last published version
    (empty when it is that version, or never published), for the badge and the list."""
    if survey.latest_version is None:
        return {"draft_changes": []}
    version = await store.get_version_number(services(request).db, survey.id, survey.latest_version)
    if version is None:
        return {"draft_changes": []}
    return {"draft_changes": draft_changes(version.definition, survey.draft)}


def with_pending_question(
    definition: SurveyDefinition, kind: str, kinds: Any
) -> tuple[SurveyDefinition, str]:
    """The draft with a new question of ``kind`` at the end, as the editor shows it
    before it is saved (nothing is stored until "Save question")."""
    return edit.add_question(definition, kind, kinds)


async def save(
    request: Request[Any, Any, Any], survey: Survey, definition: SurveyDefinition
) -> Survey:
    return await store.update_draft(
        services(request).db, survey.id, definition=definition, user=current_user(request)
    )


async def questions_fragment(
    request: Request[Any, Any, Any], survey: Survey, *, status: int = 200, **extra: Any
) -> Response[Any]:
    if not is_htmx(request):
        return Redirect(f"/surveys/{survey.id}", status_code=303)
    changed = status == 200 and not extra.get("pending")
    return await render(
        request,
        "surveys/_questions.html",
        designer_context(
            request, survey, **{**await draft_state(request, survey), "fragment": True, **extra}
        ),
        status_code=status,
        headers=CHANGED if changed else None,
    )


class SurveyDesigner(Controller):
    path = "/surveys"
    guards = [staff("designer")]
    include_in_schema = False

    @get("/")
    async def list_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        surveys, _ = await store.list_surveys(services(request).db, limit=200)
        ids = [s.id for s in surveys]
        counts = await response_counts(request, ids)
        versions = await store.version_counts(services(request).db, ids)
        return await render(
            request,
            "surveys/list.html",
            {
                "surveys": surveys,
                "counts": counts,
                "versions": versions,
                "templates": TEMPLATE_NAMES,
            },
        )

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        name = str(form.get("name", "")).strip()[:200]
        template = str(form.get("template", ""))
        definition = (
            template_definition(template) if template in TEMPLATE_NAMES else blank_definition()
        )
        name = name or TEMPLATE_NAMES.get(template, "Untitled survey")
        survey = await store.create_survey(
            services(request).db, name=name, definition=definition, user=current_user(request)
        )
        return Redirect(f"/surveys/{survey.id}", status_code=303)

    @post("/import")
    async def import_definition(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        try:
            data = msgspec.json.decode(str(form.get("json", "")).encode())
            name = str(data.get("name") or "Imported survey")[:200]
            definition = msgspec.convert(data.get("definition"), SurveyDefinition)
        except (msgspec.DecodeError, msgspec.ValidationError, AttributeError) as exc:
            return await render(
                request,
                "surveys/list.html",
                {
                    "surveys": [],
                    "counts": {},
                    "versions": {},
                    "templates": TEMPLATE_NAMES,
                    "import_error": str(exc),
                },
                status_code=422,
            )
        survey = await store.create_survey(
            services(request).db, name=name, definition=definition, user=current_user(request)
        )
        return Redirect(f"/surveys/{survey.id}", status_code=303)

    @get("/{survey_id:str}")
    async def designer(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        edit: FromQuery[str] = "",
        add: FromQuery[str] = "",
        add_ending: FromQuery[str] = "",
    ) -> Response[str]:
        survey = await load(request, survey_id)
        versions = await store.list_versions(services(request).db, survey_id)
        extra: dict[str, Any] = {"editing": edit, "versions": versions}
        if add:  # without JavaScript: the new question's editor, not saved yet
            try:
                pending, new_id = with_pending_question(
                    survey.draft, add, question_kinds(services(request))
                )
            except EditError:
                pass
            else:
                extra |= {"definition": pending, "editing": new_id, "pending": new_id}
        elif add_ending:  # without JavaScript: a new ending's editor, not saved yet
            pending, new_id = new_ending(survey.draft)
            extra |= {"definition": pending, "editing_ending": new_id, "pending_ending": new_id}
        context = designer_context(request, survey, **await draft_state(request, survey), **extra)
        return await render(request, "surveys/designer.html", context)

    @post("/{survey_id:str}/discard")
    async def discard(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        """Throw the draft's changes away: the draft becomes the last published version."""
        survey = await load(request, survey_id)
        if survey.latest_version is None:
            raise NotFoundException(detail="survey: never published, nothing to go back to")
        svc = services(request)
        version = await store.get_version_number(svc.db, survey_id, survey.latest_version)
        if version is None:
            raise NotFoundException(detail="survey: its published version is missing")
        await store.discard_draft(svc.db, survey_id, version, user=current_user(request))
        return Redirect(f"/surveys/{survey_id}", status_code=303)

    @post("/{survey_id:str}/settings")
    async def update_settings(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        survey = await load(request, survey_id)
        form = await read_form(request)
        definition = survey.draft
        locale = definition.default_locale
        tree = msgspec.to_builtins(definition)
        settings = tree.setdefault("settings", {})
        settings["one_page"] = bool(form.get("one_page"))
        # Names that are not identifiers are dropped rather than refused: this is a hint
        # list, and the form stays usable without JavaScript validation.
        settings["hidden_fields"] = [
            name
            for name in dict.fromkeys(
                part.strip() for part in str(form.get("hidden_fields", "")).split(",")
            )
            if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name)
        ]
        brand = str(form.get("brand", "")).strip()
        settings["brand"] = {**settings.get("brand", {}), locale: brand}
        if not brand:
            settings["brand"].pop(locale)
        for key in ("title", "intro"):
            value = str(form.get(key, "")).strip()
            tree[key] = {**tree.get(key, {}), locale: value}
            if not value:
                tree[key].pop(locale)
        definition = msgspec.convert(tree, SurveyDefinition)
        name = str(form.get("name", "")).strip()[:200] or survey.name
        await store.update_draft(
            services(request).db,
            survey_id,
            definition=definition,
            name=name,
            user=current_user(request),
        )
        return Redirect(f"/surveys/{survey_id}", status_code=303)

    # -- questions ------------------------------------------------------------------

    @get("/{survey_id:str}/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        locale: FromQuery[str] = "",
    ) -> Response[str]:
        """The draft rendered with the respondent templates; answers in the query string
        drive the display logic, so a designer can try the conditions."""
        survey = await load(request, survey_id)
        query = {key: request.query_params.getall(key) for key in request.query_params}
        query = {key: values[0] if len(values) == 1 else values for key, values in query.items()}
        context = preview_context(request, survey.draft, locale, query)
        return await render(
            request,
            "surveys/preview_frame.html",
            {**context, "survey": survey},
            fragment="surveys/_preview_sheet.html",
        )

    @get("/{survey_id:str}/preview-panel")
    async def preview_panel(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        device: FromQuery[str] = "phone",
    ) -> Response[str]:
        survey = await load(request, survey_id)
        device = device if device in ("phone", "desktop") else "phone"
        context = designer_context(request, survey, device=device)
        return await render(request, "surveys/_preview_panel.html", context)

    @post("/{survey_id:str}/publish")
    async def publish(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[Any]:
        svc = services(request)
        survey = await load(request, survey_id)
        problems = validate_definition(survey.draft, question_kinds(svc))
        version = None
        if not problems:
            version, _ = await store.publish(
                svc.db, survey_id, survey.draft, user=current_user(request)
            )
        if not is_htmx(request) and not problems:
            return Redirect(f"/surveys/{survey_id}#history", status_code=303)
        versions = await store.list_versions(svc.db, survey_id)
        context = designer_context(
            request, survey, problems=problems, published=version, versions=versions
        )
        template = "surveys/_publish.html" if is_htmx(request) else "surveys/designer.html"
        return await render(request, template, context, status_code=422 if problems else 200)

    @get("/{survey_id:str}/versions/{number:int}")
    async def version(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], number: FromPath[int]
    ) -> Response[str]:
        survey = await load(request, survey_id)
        found = await store.get_version_number(services(request).db, survey_id, number)
        if found is None:
            raise NotFoundException(detail="no such version")
        context = designer_context(request, survey, version=found)
        locale = found.definition.default_locale
        context["describe"] = lambda c: describe_condition(c, found.definition, locale)
        return await render(request, "surveys/version.html", context)

    @get("/{survey_id:str}/export")
    async def export(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> Response[bytes]:
        survey = await load(request, survey_id)
        body = msgspec.json.format(
            msgspec.json.encode({"name": survey.name, "definition": survey.draft})
        )
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}.json"'},
        )


ROUTES = [SurveyDesigner]
