"""Brand pages: the workspace brand (``/settings/brand``, admins), a survey's override
(``/surveys/{id}/brand``, designers) and the uploaded logos (``/brand/logo/{id}``, public,
because respondents and email clients load them).

A form with a problem answers 422 and shows every problem beside its field, naming it;
nothing is saved. A logo is sniffed from its bytes, never trusted from the browser.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.auth.pagekit import done
from surveyor.auth.store import audit
from surveyor.branding import resolve, store
from surveyor.branding.models import WORKSPACE, BrandSettings
from surveyor.db import Tx
from surveyor.i18n import translations
from surveyor.services import services
from surveyor.surveys import store as surveys
from surveyor.web.forms import read_form
from surveyor.web.templating import render, request_locale

Req = Request[Any, Any, Any]
NO_STORE = {"Cache-Control": "no-store"}
FIELDS = ("name", "logo_url", "logo", "primary_color", "font_stack")


async def _upload(raw: dict[str, Any], errors: dict[str, resolve.Problem]) -> Any:
    """The uploaded logo (a :class:`Logo`), None when no file was chosen."""
    upload = raw.get("logo")
    if isinstance(upload, list):
        errors["logo"] = ("upload one image.", {})
        return None
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(resolve.MAX_LOGO_BYTES + 1)
    if not data:
        return None
    logo, problem = resolve.check_logo(data)
    if problem:
        errors["logo"] = problem
    return logo


def _messages(request: Req, errors: dict[str, resolve.Problem]) -> dict[str, str]:
    """Each problem as ``field: sentence`` in the page's language."""
    catalog = translations(request_locale(request))
    shown = {}
    for field, (message, variables) in errors.items():
        text = catalog.gettext(message)
        shown[field] = f"{field}: {text % variables if variables else text}"
    return shown


async def save_brand_form(
    request: Req, scope: str, current: BrandSettings | None, *, with_name: bool
) -> tuple[BrandSettings, dict[str, str]]:
    """Check and save a posted brand form; the errors (by field) when it was refused."""
    raw = await read_form(request)
    brand, errors = resolve.check_brand_form(raw, scope, with_name=with_name)
    logo = await _upload(raw, errors)
    if errors:
        return brand, _messages(request, errors)
    logo_id = "" if raw.get("remove_logo") else (current.logo_id if current else "")
    if logo is not None:
        logo_id = logo.id
    brand = msgspec.structs.replace(brand, logo_id=logo_id)
    user = current_user(request)
    svc = services(request)

    async def unit(tx: Tx) -> BrandSettings:
        if logo is not None:
            await store.save_logo(tx, logo)
        saved = await store.save_brand(tx, brand, actor=user.id)
        await audit(
            tx,
            "brand.update",
            actor=user,
            target_type="brand",
            target_id=scope,
            detail={
                "name": saved.name,
                "primary_color": saved.primary_color,
                "logo": bool(saved.logo_id or saved.logo_url),
            },
            ip=client_ip(request),
        )
        return saved

    saved = await svc.db.write(unit)
    resolve.forget_brands(svc)
    return saved, {}


class WorkspaceBrandController(Controller):
    path = "/settings/brand"
    guards = [staff("admin")]
    include_in_schema = False

    async def _page(
        self, request: Req, brand: BrandSettings | None, *, status: int = 200, **context: Any
    ) -> Response[str]:
        brand = brand or BrandSettings(scope=WORKSPACE)
        look = resolve.merge_look(brand)
        return await render(
            request,
            "settings/brand.html",
            {
                "brand": brand,
                "look": look,
                "contrast": resolve.contrast_note(look.primary),
                "errors": {},
                "saved": request.query_params.get("done") == "saved",
                "max_logo_kib": resolve.MAX_LOGO_BYTES // 1024,
                **context,
            },
            status_code=status,
            headers=NO_STORE,
        )

    @get("/")
    async def page(self, request: Req) -> Response[str]:
        return await self._page(request, await store.get_brand(services(request).db, WORKSPACE))

    @post("/", status_code=200)
    async def save(self, request: Req) -> Response[Any]:
        current = await store.get_brand(services(request).db, WORKSPACE)
        brand, errors = await save_brand_form(request, WORKSPACE, current, with_name=True)
        if errors:
            shown = msgspec.structs.replace(brand, logo_id=current.logo_id if current else "")
            return await self._page(request, shown, status=422, errors=errors)
        return done("/settings/brand", "saved")


class SurveyBrandController(Controller):
    """A survey's own logo and colour; its name is the designer's ``Brand`` setting,
    which is translatable and versioned with the survey."""

    path = "/surveys/{survey_id:str}/brand"
    guards = [staff("designer")]
    include_in_schema = False

    async def _page(
        self, request: Req, survey: Any, brand: BrandSettings | None, **context: Any
    ) -> Response[str]:
        svc = services(request)
        workspace = await store.get_brand(svc.db, WORKSPACE)
        brand = brand or BrandSettings(scope=survey.id)
        look = resolve.merge_look(workspace, brand)
        status = context.pop("status", 200)
        return await render(
            request,
            "surveys/brand.html",
            {
                "survey": survey,
                "brand": brand,
                "workspace": workspace or BrandSettings(scope=WORKSPACE),
                "look": look,
                "contrast": resolve.contrast_note(look.primary),
                "errors": {},
                "saved": request.query_params.get("done") == "saved",
                "max_logo_kib": resolve.MAX_LOGO_BYTES // 1024,
                **context,
            },
            status_code=status,
            headers=NO_STORE,
        )

    async def _survey(self, request: Req, survey_id: str) -> Any:
        survey = await surveys.get_survey(services(request).db, survey_id)
        if survey is None:
            raise NotFoundException(detail="survey_id: no such survey")
        return survey

    @get("/")
    async def page(self, request: Req, survey_id: FromPath[str]) -> Response[str]:
        survey = await self._survey(request, survey_id)
        return await self._page(
            request, survey, await store.get_brand(services(request).db, survey.id)
        )

    @post("/", status_code=200)
    async def save(self, request: Req, survey_id: FromPath[str]) -> Response[Any]:
        survey = await self._survey(request, survey_id)
        current = await store.get_brand(services(request).db, survey.id)
        brand, errors = await save_brand_form(request, survey.id, current, with_name=False)
        if errors:
            shown = msgspec.structs.replace(brand, logo_id=current.logo_id if current else "")
            return await self._page(request, survey, shown, status=422, errors=errors)
        return done(f"/surveys/{survey.id}/brand", "saved")


@get("/brand/logo/{logo_id:str}", opt={"public": True}, include_in_schema=False)
async def logo_image(request: Req, logo_id: FromPath[str]) -> Response[bytes]:
    """An uploaded logo. Its id is the hash of its bytes, so it may be cached forever."""
    logo = None
    if len(logo_id) == 32 and all(c in "0123456789abcdef" for c in logo_id):
        logo = await store.get_logo(services(request).db, logo_id)
    if logo is None:
        raise NotFoundException(detail="logo_id: no such logo")
    return Response(
        logo.data,
        media_type=logo.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


ROUTES = [WorkspaceBrandController, SurveyBrandController, logo_image]
