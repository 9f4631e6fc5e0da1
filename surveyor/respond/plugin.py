"""The respondent pages, registered as a plugin of the core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.respond import (
    abandoned,
    links_api,
    links_views,
    public_views,
    store,
    unsubscribe,
    views,
)
from surveyor.services import Services


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (
        *views.ROUTES,
        *public_views.ROUTES,
        *unsubscribe.ROUTES,
        *links_api.ROUTES,
        *links_views.ROUTES,
    ):
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[Any], None]) -> None:
    register(abandoned.CLOSE_ABANDONED_JOB)


@hookimpl
def startup(services: Services) -> None:
    if services.response_counts is None:
        services.response_counts = store.completed_counts
