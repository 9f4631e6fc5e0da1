"""``/api/v1/surveys``: definitions and versions as JSON.

Scopes: ``read`` for every GET, ``admin`` for every write (creating, editing the draft,
publishing), because a survey change reaches customers. Export/import: the
``definition`` of ``GET /api/v1/surveys/{id}`` can be posted back as is to
``POST /api/v1/surveys`` and gives a survey with an equal definition.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter

from surveyor.auth.guards import api_scope
from surveyor.services import services
from surveyor.surveys import store
from surveyor.surveys.kinds import question_kinds
from surveyor.surveys.models import Survey, SurveyDefinition, SurveyVersion
from surveyor.surveys.templates_lib import TEMPLATE_NAMES, blank_definition, template_definition
from surveyor.surveys.validation import validate_definition

SurveyName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CreateSurvey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Either ``template`` (nps, ces, csat, emotion) or ``definition`` (or neither: blank)."""

    name: SurveyName
    template: str | None = None
    definition: SurveyDefinition | None = None


class UpdateSurvey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: SurveyName | None = None
    definition: SurveyDefinition | None = None


class ProblemOut(msgspec.Struct, frozen=True):
    path: str
    message: str


class SurveyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    status: str
    latest_version: int | None
    created_at: str
    updated_at: str
    definition: SurveyDefinition  # the draft
    unpublished_changes: bool
    problems: list[ProblemOut]  # what publishing the draft would refuse, now


class SurveySummary(msgspec.Struct, kw_only=True):
    id: str
    name: str
    status: str
    latest_version: int | None
    created_at: str
    updated_at: str


class SurveyPage(msgspec.Struct, kw_only=True):
    items: list[SurveySummary]
    next_cursor: str | None


class VersionOut(msgspec.Struct, kw_only=True):
    id: str
    survey_id: str
    number: int
    published_at: str
    published_by: str | None
    definition: SurveyDefinition


class VersionSummary(msgspec.Struct, kw_only=True):
    id: str
    number: int
    published_at: str
    published_by: str | None


class VersionPage(msgspec.Struct, kw_only=True):
    items: list[VersionSummary]
    next_cursor: str | None


def _summary(survey: Survey) -> SurveySummary:
    return SurveySummary(
        id=survey.id,
        name=survey.name,
        status=survey.status,
        latest_version=survey.latest_version,
        created_at=survey.created_at,
        updated_at=survey.updated_at,
    )


async def survey_out(request: Request[Any, Any, Any], survey: Survey) -> SurveyOut:
    svc = services(request)
    latest = await store.get_published_version(svc.db, survey.id)
    problems = validate_definition(survey.draft, question_kinds(svc))
    return SurveyOut(
        id=survey.id,
        name=survey.name,
        status=survey.status,
        latest_version=survey.latest_version,
        created_at=survey.created_at,
        updated_at=survey.updated_at,
        definition=survey.draft,
        unpublished_changes=latest is None or latest.definition != survey.draft,
        problems=[ProblemOut(p.path, p.message) for p in problems],
    )


def version_out(version: SurveyVersion) -> VersionOut:
    return VersionOut(
        id=version.id,
        survey_id=version.survey_id,
        number=version.number,
        published_at=version.published_at,
        published_by=version.published_by,
        definition=version.definition,
    )


async def _survey_or_404(request: Request[Any, Any, Any], survey_id: str) -> Survey:
    survey = await store.get_survey(services(request).db, survey_id)
    if survey is None:
        raise NotFoundException(detail=f"survey_id: no survey {survey_id!r}")
    return survey


def initial_definition(data: CreateSurvey) -> SurveyDefinition:
    if data.template is not None and data.definition is not None:
        raise ValidationException(
            detail="template: give either a template or a definition, not both",
            extra=[{"key": "template", "message": "give either a template or a definition"}],
        )
    if data.template is not None:
        if data.template not in TEMPLATE_NAMES:
            choices = ", ".join(sorted(TEMPLATE_NAMES))
            raise ValidationException(
                detail=f"template: unknown template (choose {choices})",
                extra=[{"key": "template", "message": f"unknown template; choose {choices}"}],
            )
        return template_definition(data.template)
    return data.definition or blank_definition()


def publish_problems_exception(problems: list[Any]) -> ValidationException:
    return ValidationException(
        detail=f"definition: {len(problems)} problem(s) prevent publishing",
        extra=[{"key": p.path, "message": p.message} for p in problems],
    )


class SurveysApi(Controller):
    path = "/api/v1/surveys"
    tags = ["surveys"]

    @get("/", guards=[api_scope("read")])
    async def list_surveys(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=200)] = 50,
        cursor: Annotated[str | None, QueryParameter(name="cursor", max_length=200)] = None,
    ) -> SurveyPage:
        """Surveys, newest first, with cursor pagination."""
        surveys, next_cursor = await store.list_surveys(
            services(request).db, limit=limit, cursor=cursor
        )
        return SurveyPage(items=[_summary(s) for s in surveys], next_cursor=next_cursor)

    @post("/", guards=[api_scope("admin")], status_code=201)
    async def create_survey(
        self, request: Request[Any, Any, Any], data: JSONBody[CreateSurvey]
    ) -> SurveyOut:
        """Create a draft from a template, a full definition (import), or blank."""
        definition = initial_definition(data)
        survey = await store.create_survey(
            services(request).db, name=data.name, definition=definition
        )
        return await survey_out(request, survey)

    @get("/{survey_id:str}", guards=[api_scope("read")])
    async def get_survey(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> SurveyOut:
        """A survey with its draft definition and what would block publishing it."""
        return await survey_out(request, await _survey_or_404(request, survey_id))

    @put("/{survey_id:str}", guards=[api_scope("admin")])
    async def update_survey(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        data: JSONBody[UpdateSurvey],
    ) -> SurveyOut:
        """Replace the draft (any well-formed definition; validation happens on publish)."""
        await _survey_or_404(request, survey_id)
        survey = await store.update_draft(
            services(request).db, survey_id, definition=data.definition, name=data.name
        )
        return await survey_out(request, survey)

    @post("/{survey_id:str}/publish", guards=[api_scope("admin")], status_code=201)
    async def publish_survey(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> VersionOut:
        """Validate the whole draft and freeze it as the next version.

        422 lists every problem with its JSON path; publishing an unchanged draft
        returns the latest version again.
        """
        svc = services(request)
        survey = await _survey_or_404(request, survey_id)
        problems = validate_definition(survey.draft, question_kinds(svc))
        if problems:
            raise publish_problems_exception(problems)
        version, _ = await store.publish(svc.db, survey_id, survey.draft)
        return version_out(version)

    @get("/{survey_id:str}/versions", guards=[api_scope("read")])
    async def list_versions(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str]
    ) -> VersionPage:
        """Published versions, newest first."""
        await _survey_or_404(request, survey_id)
        versions = await store.list_versions(services(request).db, survey_id)
        items = [
            VersionSummary(
                id=v.id, number=v.number, published_at=v.published_at, published_by=v.published_by
            )
            for v in versions
        ]
        return VersionPage(items=items, next_cursor=None)

    @get("/{survey_id:str}/versions/{number:int}", guards=[api_scope("read")])
    async def get_version(
        self, request: Request[Any, Any, Any], survey_id: FromPath[str], number: FromPath[int]
    ) -> VersionOut:
        """One published version, frozen as it was."""
        version = await store.get_version_number(services(request).db, survey_id, number)
        if version is None:
            raise NotFoundException(detail=f"number: survey {survey_id!r} has no version {number}")
        return version_out(version)
