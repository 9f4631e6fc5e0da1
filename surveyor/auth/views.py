"""Sign in, sign out, and the first-run page that creates the first admin."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from surveyor.auth import changes, store
from surveyor.auth.guards import SESSION_COOKIE, client_ip, current_user, load_session, staff
from surveyor.auth.models import Email, Name, Password
from surveyor.auth.passwords import hash_password, verify_password
from surveyor.auth.throttle import WINDOW, AddressThrottle, login_delay
from surveyor.services import services
from surveyor.web.forms import form_errors, read_form
from surveyor.web.templating import render

LOGIN_CSRF_COOKIE = "surveyor_login"


class LoginForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    next: str = ""
    csrf: str = msgspec.field(name="_csrf", default="")


class SetupForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    name: Name = ""
    password: Password
    csrf: str = msgspec.field(name="_csrf", default="")


def safe_next(target: str) -> str:
    """Only same-site paths: ``/x`` yes; ``//evil``, ``https://…`` and anything odd no.

    Browsers drop tabs and newlines inside URLs (so ``/<tab>/evil.com`` turns into
    ``//evil.com``) and read a backslash as a slash: both are refused outright.
    """
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
        and len(target) <= 2000
    ):
        return target
    return "/"


def session_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    settings = services(request).settings
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        max_age=settings.session_days * 86400,
        path="/",
    )


def login_csrf_cookie(request: Request[Any, Any, Any], value: str) -> Cookie:
    return Cookie(
        key=LOGIN_CSRF_COOKIE,
        value=value,
        httponly=True,
        secure=services(request).settings.secure_cookies,
        samesite="strict",
        max_age=3600,
        path="/",
    )


async def _login_page(
    request: Request[Any, Any, Any],
    *,
    error: str = "",
    email: str = "",
    next_: str = "",
    status: int = 200,
) -> Response[str]:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = await render(
        request,
        "auth/login.html",
        {"error": error, "email": email, "next": next_, "login_csrf": token},
        status_code=status,
    )
    response.cookies.append(login_csrf_cookie(request, token))
    return response


@get("/login", include_in_schema=False, opt={"public": True})
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "") -> Response[str]:
    if await load_session(request) is not None:
        return Redirect(safe_next(next), status_code=303)  # type: ignore[return-value]
    return await _login_page(request, next_=safe_next(next) if next else "")


@post("/login", include_in_schema=False, opt={"public": True}, status_code=303)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    svc = services(request)
    raw = await read_form(request)
    email = str(raw.get("email", ""))[:254]
    sent = str(raw.get("_csrf", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        return await _login_page(
            request, error="Your sign-in form expired: please try again.", email=email, status=403
        )
    try:
        form = msgspec.convert(raw, LoginForm)
    except msgspec.ValidationError as exc:
        return await _login_page(request, error=form_errors(exc), email=email, status=422)
    address = client_ip(request)
    if svc.login_throttle is None:
        svc.login_throttle = AddressThrottle()
    throttle = svc.login_throttle
    wait = 0 if throttle.blocked(address) else await login_delay(svc.db, form.email, address)
    if throttle.blocked(address) or wait:
        await store.audit(
            svc.db,
            "login.throttled",
            actor_label=form.email.lower(),
            target_type="user",
            target_id=form.email.lower(),
            ip=address,
        )
        message = (
            "Too many failed attempts from your network. Wait 15 minutes and try again."
            if not wait
            else f"Too many failed attempts. Wait {wait} seconds and try again."
        )
        page = await _login_page(request, error=message, email=email, status=429)
        page.headers["Retry-After"] = str(wait or int(WINDOW.total_seconds()))
        return page
    user, stored = await store.password_hash_for(svc.db, form.email)
    ok = await verify_password(stored, form.password)
    if not ok or user is None or user.disabled:
        throttle.failed(address)
        await store.audit(
            svc.db,
            "login.failed",
            actor_label=form.email.lower(),
            target_type="user",
            target_id=form.email.lower(),
            ip=address,
        )
        return await _login_page(request, error="Wrong email or password.", email=email, status=401)
    token, _ = await store.create_session(
        svc.db,
        user.id,
        days=svc.settings.session_days,
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    await store.audit(
        svc.db, "login", actor=user, target_type="user", target_id=user.id, ip=address
    )
    response = Redirect(safe_next(form.next) if form.next else "/", status_code=303)
    response.cookies.append(session_cookie(request, token))
    response.cookies.append(Cookie(key=LOGIN_CSRF_COOKIE, value="", max_age=0, path="/"))
    return response


@post("/logout", include_in_schema=False, guards=[staff()], status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    svc = services(request)
    user = current_user(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    await store.delete_session(svc.db, token)
    await store.audit(
        svc.db, "logout", actor=user, target_type="user", target_id=user.id, ip=client_ip(request)
    )
    response = Redirect("/login", status_code=303)
    response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/"))
    return response


async def _setup_allowed(request: Request[Any, Any, Any], token: str) -> None:
    svc = services(request)
    if await store.count_admins(svc.db) > 0 or not await store.check_setup_token(svc.db, token):
        raise NotFoundException(detail="This setup link is not valid (any more).")


@get("/setup/{token:str}", include_in_schema=False, opt={"public": True})
async def setup_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    await _setup_allowed(request, token)
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = await render(
        request, "auth/setup.html", {"error": "", "login_csrf": csrf, "email": "", "name": ""}
    )
    response.cookies.append(login_csrf_cookie(request, csrf))
    return response


@post("/setup/{token:str}", include_in_schema=False, opt={"public": True}, status_code=303)
async def setup(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    svc = services(request)
    await _setup_allowed(request, token)
    raw = await read_form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    context = {
        "email": str(raw.get("email", ""))[:254],
        "name": str(raw.get("name", ""))[:200],
        "login_csrf": expected,
    }
    if not expected or not secrets.compare_digest(
        str(raw.get("_csrf", "")).encode(), expected.encode()
    ):
        return await render(
            request,
            "auth/setup.html",
            {**context, "error": "The form expired: reload the page."},
            status_code=403,
        )
    try:
        form = msgspec.convert(raw, SetupForm)
    except msgspec.ValidationError as exc:
        return await render(
            request, "auth/setup.html", {**context, "error": form_errors(exc)}, status_code=422
        )
    try:
        user = await changes.create_first_admin(
            svc.db,
            setup_token=token,
            email=form.email,
            name=form.name,
            password_hash=await hash_password(form.password),
            ip=client_ip(request),
        )
    except changes.EmailTakenError:
        return await render(
            request,
            "auth/setup.html",
            {**context, "error": "email: a user with this address exists already"},
            status_code=409,
        )
    if user is None:  # another submission of the same link won the race
        raise NotFoundException(detail="This setup link is not valid (any more).")
    session_token, _ = await store.create_session(svc.db, user.id, days=svc.settings.session_days)
    response = Redirect("/", status_code=303)
    response.cookies.append(session_cookie(request, session_token))
    return response


ROUTES = [login_page, login, logout, setup_page, setup]
