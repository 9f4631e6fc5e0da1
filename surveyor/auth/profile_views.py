"""``/settings``: every staff user's own profile and password."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post

from surveyor.auth import accounts_store, changes, store
from surveyor.auth.guards import client_ip, current_user, staff
from surveyor.auth.models import LOCALES, PasswordForm, ProfileForm, User
from surveyor.auth.pagekit import done, htmx_request
from surveyor.auth.passwords import hash_password, verify_password
from surveyor.auth.views import session_cookie
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

NOTICES = {
    "profile": "Your profile was saved.",
    "password": "Your password was changed. Other devices were signed out.",
}


def notify_url_problem(url: str) -> str:
    """An empty string, or why Apprise cannot use ``url`` (checked offline, nothing is sent)."""
    if not url:
        return ""
    import apprise  # imported here: it is slow to import and only this form needs it

    # Nothing is sent; Apprise only parses. (It logs an unparseable URL with its middle
    # elided, so a token in it does not reach the server log; a test holds it to that.)
    understood = apprise.Apprise().add(url)
    if not understood:
        return "notify_url: not an Apprise URL this server understands (e.g. mailto://, ntfy://)"
    return ""


class ProfileController(Controller):
    path = "/settings"
    guards = [staff()]
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        *,
        user: User,
        fragment: str | None = None,
        status: int = 200,
        **context: Any,
    ) -> Response[str]:
        done_key = request.query_params.get("done", "") if request.method == "GET" else ""
        ctx = {
            "profile": {"name": user.name, "locale": user.locale, "notify_url": user.notify_url},
            "locales": LOCALES,
            "profile_error": "",
            "password_error": "",
            "profile_notice": NOTICES["profile"] if done_key == "profile" else "",
            "password_notice": NOTICES["password"] if done_key == "password" else "",
            **context,
        }
        return await render(
            request, "settings/profile.html", ctx, fragment=fragment, status_code=status
        )

    @get("/")
    async def page(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await self._page(request, user=current_user(request))

    @post("/profile", status_code=200)
    async def save_profile(self, request: Request[Any, Any, Any]) -> Response[Any]:
        svc = services(request)
        user = current_user(request)
        raw = await read_form(request)
        fragment = "settings/_profile_form.html"
        shown = {key: str(raw.get(key, ""))[:2000] for key in ("name", "locale", "notify_url")}
        try:
            form = msgspec.convert(raw, ProfileForm)
            error = notify_url_problem(form.notify_url)
        except msgspec.ValidationError as exc:
            error = form_errors(exc)
        if error:
            return await self._page(
                request,
                user=user,
                fragment=fragment,
                status=422,
                profile=shown,
                profile_error=error,
            )
        updated = await changes.update_profile(
            svc.db,
            user,
            name=form.name,
            locale=form.locale,
            notify_url=form.notify_url,
            ip=client_ip(request),
        )
        if not htmx_request(request):
            return done("/settings", "profile")
        if updated.locale != user.locale:
            # The interface language changed: reload the whole page in the new one.
            return Response("", status_code=200, headers={"HX-Refresh": "true"})
        request.state["user"] = updated
        return await self._page(
            request, user=updated, fragment=fragment, profile_notice=NOTICES["profile"]
        )

    @post("/password", status_code=200)
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        svc = services(request)
        user = current_user(request)
        raw = await read_form(request)
        fragment = "settings/_password_form.html"
        error = ""
        try:
            form = msgspec.convert(raw, PasswordForm)
        except msgspec.ValidationError as exc:
            error = form_errors(exc)
        else:
            if form.password != form.confirm_password:
                error = "confirm_password: the two new passwords differ"
            elif not await verify_password(
                await accounts_store.password_hash_of(svc.db, user.id), form.current_password
            ):
                error = "current_password: wrong password"
        if error:
            return await self._page(
                request, user=user, fragment=fragment, status=422, password_error=error
            )
        await changes.change_password(
            svc.db, user, await hash_password(form.password), ip=client_ip(request)
        )
        # Every session of the user ended with the old password, this one included;
        # this browser gets a fresh one so the person stays signed in here.
        token, _ = await store.create_session(svc.db, user.id, days=svc.settings.session_days)
        cookie = session_cookie(request, token)
        if htmx_request(request):
            # A full reload: the page's CSRF token belonged to the old session.
            response: Response[Any] = Response(
                "", status_code=200, headers={"HX-Redirect": "/settings?done=password"}
            )
        else:
            response = done("/settings", "password")
        response.cookies.append(cookie)
        return response
