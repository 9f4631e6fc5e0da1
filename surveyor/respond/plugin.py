"""The respondent pages, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.respond import store, unsubscribe, views

# The survey list asks this registry for its response counts.
RESPONSE_COUNTS = "survey_response_counts"


@hookimpl
def register_routes(register: Any) -> None:
    for handler in (*views.ROUTES, *unsubscribe.ROUTES):
        register(handler)


@hookimpl
def startup(services: Any) -> None:
    services.registries.setdefault(RESPONSE_COUNTS, store.completed_counts)
