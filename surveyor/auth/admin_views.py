"""Admin settings: ``/settings/users`` (accounts and roles) and ``/settings/audit``.

The role guard sits on the controller, so every page and fragment URL below is
checked before any context is built. Each handler answers htmx with a fragment
and a plain form post with a redirect (or the page with its errors).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from surveyor.auth import accounts_store, changes, store
from surveyor.auth.changes import EmailTakenError, LastAdminError
from surveyor.auth.guards import current_user, staff
from surveyor.auth.models import ROLES, NewUserForm, RoleForm, User
from surveyor.auth.pagekit import actor, done, htmx_request
from surveyor.auth.passwords import hash_password
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

USER_NOTICES = {
    "created": "The user was created.",
    "role": "The role was changed.",
    "disabled": "The user was disabled and signed out everywhere.",
    "enabled": "The user was enabled.",
}
LAST_ADMIN = "role: this is the last enabled admin; make someone else admin first"


class UsersController(Controller):
    path = "/settings/users"
    guards = [staff("admin")]
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        *,
        fragment: str | None = "settings/_users.html",
        status: int = 200,
        **context: Any,
    ) -> Response[str]:
        ctx = {
            "users": await store.list_users(services(request).db),
            "roles": ROLES,
            "new_user": {"email": "", "name": "", "role": "designer"},
            "create_error": "",
            "row_errors": {},
            "notice": USER_NOTICES.get(request.query_params.get("done", ""), "")
            if request.method == "GET"
            else "",
            **context,
        }
        return await render(
            request, "settings/users.html", ctx, fragment=fragment, status_code=status
        )

    async def _row(
        self, request: Request[Any, Any, Any], user: User, *, error: str = "", status: int = 200
    ) -> Response[str]:
        """htmx: the user's table row again; a plain post: the page (with the error)."""
        if not htmx_request(request):
            return await self._page(request, status=status, row_errors={user.id: error})
        return await render(
            request,
            "settings/_user_row.html",
            {"u": user, "roles": ROLES, "row_error": error},
            fragment="settings/_user_row.html",
            status_code=status,
        )

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._page(request)

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        svc = services(request)
        raw = await read_form(request)
        shown = {key: str(raw.get(key, ""))[:254] for key in ("email", "name", "role")}
        try:
            form = msgspec.convert(raw, NewUserForm)
        except msgspec.ValidationError as exc:
            return await self._page(
                request, status=422, new_user=shown, create_error=form_errors(exc)
            )
        try:
            await changes.create_user(
                svc.db,
                email=form.email,
                name=form.name,
                role=form.role,
                password_hash=await hash_password(form.password),
                actor=actor(request),
            )
        except EmailTakenError:
            return await self._page(
                request,
                status=409,
                new_user=shown,
                create_error="email: another user already has this address",
            )
        if not htmx_request(request):
            return done("/settings/users", "created")
        return await self._page(request, notice=USER_NOTICES["created"])

    async def _user(self, request: Request[Any, Any, Any], user_id: str) -> User:
        user = await store.get_user(services(request).db, user_id)
        if user is None:
            raise NotFoundException(detail="user: no such user")
        return user

    @post("/{user_id:str}/role", status_code=200)
    async def change_role(
        self, request: Request[Any, Any, Any], user_id: FromPath[str]
    ) -> Response[Any]:
        user = await self._user(request, user_id)
        try:
            form = msgspec.convert(await read_form(request), RoleForm)
        except msgspec.ValidationError as exc:
            return await self._row(request, user, error=form_errors(exc), status=422)
        try:
            changed = await changes.change_role(
                services(request).db, user_id, form.role, actor=actor(request)
            )
        except LastAdminError:
            return await self._row(request, user, error=LAST_ADMIN, status=409)
        if not htmx_request(request):
            return done("/settings/users", "role")
        return await self._row(request, changed or user)

    async def _set_disabled(
        self, request: Request[Any, Any, Any], user_id: str, disabled: bool
    ) -> Response[Any]:
        user = await self._user(request, user_id)
        if disabled and user.id == current_user(request).id:
            return await self._row(
                request, user, error="disabled: you cannot disable your own account", status=409
            )
        try:
            changed = await changes.set_disabled(
                services(request).db, user_id, disabled, actor=actor(request)
            )
        except LastAdminError:
            return await self._row(
                request,
                user,
                error="disabled: this is the last enabled admin; make someone else admin first",
                status=409,
            )
        if not htmx_request(request):
            return done("/settings/users", "disabled" if disabled else "enabled")
        return await self._row(request, changed or user)

    @post("/{user_id:str}/disable", status_code=200)
    async def disable(
        self, request: Request[Any, Any, Any], user_id: FromPath[str]
    ) -> Response[Any]:
        return await self._set_disabled(request, user_id, True)

    @post("/{user_id:str}/enable", status_code=200)
    async def enable(
        self, request: Request[Any, Any, Any], user_id: FromPath[str]
    ) -> Response[Any]:
        return await self._set_disabled(request, user_id, False)


class AuditController(Controller):
    path = "/settings/audit"
    guards = [staff("admin")]
    include_in_schema = False

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        action: Annotated[str, QueryParameter(max_length=100)] = "",
        cursor: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Response[str]:
        db = services(request).db
        entries, next_cursor = await changes.audit_page(
            db, action=action, cursor=changes.decode_cursor(cursor) if cursor else None
        )
        return await render(
            request,
            "settings/audit.html",
            {
                "entries": entries,
                "labels": await changes.user_labels(db, entries),
                "actions": await accounts_store.audit_actions(db),
                "action": action,
                "next_cursor": next_cursor,
            },
            fragment="settings/_audit_table.html",
        )
