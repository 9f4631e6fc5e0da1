"""The per-page template hooks read the signed-in user without building ``request.state``."""

from __future__ import annotations

from typing import Any

from litestar import Request

from surveyor.web.templating import signed_in_user


def _request(scope_state: Any) -> Request[Any, Any, Any]:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": []}
    if scope_state is not None:
        scope["state"] = scope_state
    return Request(scope)  # type: ignore[arg-type]


def test_signed_in_user_is_what_request_state_holds() -> None:
    user = object()
    request = _request({})
    request.state["user"] = user
    assert signed_in_user(request) is user
    assert signed_in_user(_request({"user": None})) is None


def test_signed_in_user_is_none_without_a_user_or_a_state() -> None:
    assert signed_in_user(_request({})) is None
    assert signed_in_user(_request(None)) is None
