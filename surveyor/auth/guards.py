"""Who is asking: staff sessions (with CSRF) for pages, Bearer API keys for ``/api/v1``.

Guards are attached at controller level: ``guards=[staff("designer")]`` or
``guards=[api_scope("events:write")]``. A staff guard loads the session, checks the
role and, on unsafe methods, the CSRF token, before any handler or fragment runs.
API routes only ever accept a Bearer key, never a session cookie, so a browser
cannot be tricked into calling them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from surveyor.auth import store
from surveyor.auth.models import ApiKey, Session, User
from surveyor.cache import MISSING, TTLCache
from surveyor.ids import now_iso, parse_iso, token_hash, utcnow
from surveyor.services import services

SESSION_COOKIE = "surveyor_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY = timedelta(minutes=10)
KEY_USED_EVERY = timedelta(minutes=1)
# A key revoked in another process is refused here within this many seconds.
API_KEY_TTL_SECONDS = 5.0

Connection = ASGIConnection[Any, Any, Any, Any]


class CSRFError(PermissionDeniedException):
    """A staff form or htmx request arrived without the session's CSRF token."""


def client_ip(connection: Connection) -> str:
    """The peer's address. ``X-Forwarded-For`` counts only when the peer is a trusted proxy,
    so a client cannot pick its own address to dodge throttling."""
    peer = connection.client.host if connection.client else ""
    trusted = services(connection).settings.trusted_proxy_list
    if peer in trusted:
        forwarded = [p.strip() for p in connection.headers.get("x-forwarded-for", "").split(",")]
        # Walk from the right: the first address not belonging to our proxies is the client.
        for hop in reversed(forwarded):
            if hop and hop not in trusted:
                return hop
    return peer


async def load_session(connection: Connection) -> tuple[Session, User] | None:
    """Resolve the session cookie once per request; the result sits on ``request.state``."""
    if "session_loaded" in connection.state:
        user = connection.state.get("user")
        return (connection.state["session"], user) if user is not None else None
    connection.state["session_loaded"] = True
    connection.state["user"] = None
    connection.state["session"] = None
    token = connection.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    svc = services(connection)
    found = await store.session_user(svc.db, token)
    if found is None:
        return None
    session, user = found
    connection.state["session"] = session
    connection.state["user"] = user
    if user.locale:
        connection.state["locale"] = user.locale
    if utcnow() - parse_iso(session.last_seen_at) > TOUCH_EVERY:
        await store.touch_session(svc.db, session.id_hash, days=svc.settings.session_days)
    return found


async def check_csrf(connection: Connection, session: Session) -> None:
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent:
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()  # type: ignore[attr-defined]
            sent = str(form.get(CSRF_FIELD, ""))
    if not sent or not secrets.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CSRFError(detail="CSRF token missing or wrong: reload the page and try again")


def staff(*roles: str):
    """A guard: a signed-in, enabled user whose role is one of ``roles`` (admins always pass).

    With no roles, any staff user passes.
    """

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        found = await load_session(connection)
        if found is None:
            raise NotAuthorizedException(detail="sign in to continue")
        session, user = found
        if roles and not any(user.can(role) for role in roles):
            raise PermissionDeniedException(detail="your role does not allow this page")
        if connection.scope.get("method", "GET") not in SAFE_METHODS:
            await check_csrf(connection, session)

    guard.__name__ = f"staff_{'_'.join(roles) or 'any'}"
    return guard


def current_user(connection: Connection) -> User:
    """The signed-in user of a guarded handler."""
    user = connection.state.get("user")
    if user is None:
        raise NotAuthorizedException(detail="sign in to continue")
    return user


def bearer_token(connection: Connection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_scope(scope: str | None):
    """A guard for ``/api/v1``: a valid, unrevoked Bearer key whose scopes include ``scope``.

    ``api_scope(None)`` accepts any valid key (``GET /api/v1/whoami``).
    """

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        connection.state["api_key"] = await authorize_api_key(
            connection, bearer_token(connection), scope
        )

    guard.__name__ = f"api_scope_{scope or 'any'}"
    return guard


async def authorize_api_key(
    connection: Connection, secret: str | None, scope: str | None
) -> ApiKey:
    """The valid, unrevoked key ``secret`` whose scopes include ``scope``, else 401/403.

    What :func:`api_scope` checks, for a handler that reads the ``Authorization`` header
    itself (``POST /api/v1/events`` skips Litestar's guard machinery, which copies the
    route handler for every guard on every request). Keys are read through a cache of
    ``API_KEY_TTL_SECONDS``: a key revoked in this process is refused at once
    (:func:`forget_api_keys`), one revoked in another process within that many seconds.
    """
    return await check_api_key(services(connection), secret, scope)


async def check_api_key(svc: Any, secret: str | None, scope: str | None) -> ApiKey:
    """:func:`authorize_api_key` with the services at hand (no connection object)."""
    if secret is None or len(secret) > 200:
        raise NotAuthorizedException(
            detail="Authorization: a 'Bearer <api key>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    cache = api_key_cache(svc)
    digest = token_hash(secret)
    key = cache.get(digest)
    if key is MISSING:
        key = await store.api_key_for_secret(svc.db, secret)
        cache.put(digest, key)
    if key is None or key.revoked_at is not None:
        raise NotAuthorizedException(
            detail="Authorization: the API key is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if scope is not None and not key.allows(scope):
        raise PermissionDeniedException(
            detail=f"Authorization: this API key lacks the {scope!r} scope"
        )
    if key.last_used_at is None or utcnow() - parse_iso(key.last_used_at) > KEY_USED_EVERY:
        # Recorded at most once a minute per key, so a busy integration does not turn
        # every API call into an extra write.
        await store.mark_api_key_used(svc.db, key.id)
        cache.put(digest, msgspec.structs.replace(key, last_used_at=now_iso()))
    return key


def bearer_of(scope: Any) -> str | None:
    """:func:`bearer_token` read from the ASGI scope's raw headers (no Headers object)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return token.strip()
    return None


def api_key_cache(svc: Any) -> TTLCache:
    """API keys by the hash of their secret, for a few seconds (see ``surveyor.cache``)."""
    if svc.caches.api_keys is None:
        svc.caches.api_keys = TTLCache(API_KEY_TTL_SECONDS)
    return svc.caches.api_keys


def forget_api_keys(svc: Any) -> None:
    """Call after revoking a key, so this process refuses it at once."""
    api_key_cache(svc).clear()


def current_api_key(connection: Connection) -> ApiKey:
    key = connection.state.get("api_key")
    if key is None:
        raise NotAuthorizedException(detail="Authorization: API key required")
    return key
