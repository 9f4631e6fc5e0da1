"""Metrics, registered as a plugin of the core: the metrics API, exports, dashboards,
the journey map and the response page."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.metrics import api, export, pages, rollups, views


@hookimpl
def register_routes(register: Any) -> None:
    for handler in (*api.ROUTES, *export.ROUTES, *views.ROUTES, *pages.ROUTES):
        register(handler)


@hookimpl
def startup(services: Any) -> None:
    rollups.configure(services.settings.metrics_rollups)
