"""Inbound sources, registered as a plugin of the core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.sources.api import ROUTES
from surveyor.sources.views import SourcesViews


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in ROUTES:
        register(handler)
    register(SourcesViews)


@hookimpl
def menu_links(user: Any) -> list[dict[str, str]] | None:
    # Admins only: the sources pages are theirs (staff("admin")).
    if user.can("admin"):
        return [{"href": "/sources", "label": "Sources"}]
    return None
