"""``/settings/apikeys``: create and revoke API keys (admins only).

A new key's secret is rendered exactly once, in the response to the form that made it;
only its SHA-256 is stored, so it cannot be shown again.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from surveyor.auth import changes, store
from surveyor.auth.guards import forget_api_keys, staff
from surveyor.auth.models import SCOPES, NewKeyForm
from surveyor.auth.pagekit import actor, done, htmx_request
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

NO_STORE = {"Cache-Control": "no-store"}


class ApiKeysController(Controller):
    path = "/settings/apikeys"
    guards = [staff("admin")]
    include_in_schema = False

    async def _page(
        self, request: Request[Any, Any, Any], *, status: int = 200, **context: Any
    ) -> Response[str]:
        revoked = request.method == "GET" and request.query_params.get("done") == "revoked"
        ctx = {
            "keys": await store.list_api_keys(services(request).db),
            "scopes": SCOPES,
            "new_key": {"name": "", "scopes": []},
            "create_error": "",
            "created": None,
            "secret": "",
            "notice": "The key was revoked." if revoked else "",
            **context,
        }
        return await render(
            request,
            "settings/apikeys.html",
            ctx,
            fragment="settings/_apikeys.html",
            status_code=status,
            headers=NO_STORE,
        )

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._page(request)

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Response[str]:
        raw = await read_form(request)
        scopes = raw.get("scopes", [])
        raw["scopes"] = [scopes] if isinstance(scopes, str) else scopes
        try:
            form = msgspec.convert(raw, NewKeyForm)
        except msgspec.ValidationError as exc:
            shown = {"name": str(raw.get("name", ""))[:100], "scopes": raw["scopes"]}
            return await self._page(
                request, status=422, new_key=shown, create_error=form_errors(exc)
            )
        secret, key = await changes.create_api_key(
            services(request).db, name=form.name, scopes=list(form.scopes), actor=actor(request)
        )
        # Rendered, not redirected: the secret exists only in this response.
        return await self._page(request, created=key, secret=secret)

    @post("/{key_id:str}/revoke", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], key_id: FromPath[str]) -> Response[Any]:
        key = await changes.revoke_api_key(services(request).db, key_id, actor=actor(request))
        forget_api_keys(services(request))
        if key is None:
            raise NotFoundException(detail="key: no such API key")
        if not htmx_request(request):
            return done("/settings/apikeys", "revoked")
        return await render(
            request,
            "settings/_apikey_row.html",
            {"k": key},
            fragment="settings/_apikey_row.html",
            headers=NO_STORE,
        )
