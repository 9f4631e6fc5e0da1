"""What the settings pages share: who is acting, and how to answer htmx or a plain form."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from surveyor.auth.changes import Actor
from surveyor.auth.guards import client_ip, current_user


def htmx_request(request: Request[Any, Any, Any]) -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def done(path: str, notice: str) -> Response[Any]:
    """After a plain form post: redirect, so reloading the page does not post again.
    ``notice`` is a fixed key the page maps to its message, never text from the request."""
    return Redirect(f"{path}?done={notice}", status_code=303)


def actor(request: Request[Any, Any, Any]) -> Actor:
    """The signed-in user making a change, with their address, for the audit log."""
    return Actor(user=current_user(request), ip=client_ip(request))
