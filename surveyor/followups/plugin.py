"""The follow-up domain, registered as a plugin of the core: its pages, its API, its
outbox job kinds, and the listener that opens a case inside the response's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.models import JobKind
from surveyor.followups import api, notify, opening, report, rules_views, views
from surveyor.services import Services


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (*views.ROUTES, *rules_views.ROUTES, *report.ROUTES, *api.ROUTES):
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    for kind in notify.JOB_KINDS:
        register(kind)


@hookimpl
def startup(services: Services) -> None:
    # The respondent domain emits ResponseCompleted inside the unit that completes a
    # response: a matching response and its case commit together or not at all.
    services.tx_listeners.response_completed.append(opening.completion_listener(services))
