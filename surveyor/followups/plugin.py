"""The follow-up domain, registered as a plugin of the core: its pages, its API, its
outbox job kinds, and the callback that opens a case inside the response's transaction."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.followups import api, notify, report, rules_views, service, views
from surveyor.respond.store import ON_COMPLETE_TX


@hookimpl
def register_routes(register: Any) -> None:
    for handler in (*views.ROUTES, *rules_views.ROUTES, *report.ROUTES, *api.ROUTES):
        register(handler)


@hookimpl
def register_job_kinds(register: Any) -> None:
    for kind in notify.JOB_KINDS:
        register(kind)


@hookimpl
def startup(services: Any) -> None:
    # The respondent domain runs these inside the unit that completes a response: a
    # matching response and its case commit together or not at all.
    callbacks = services.registries.setdefault(ON_COMPLETE_TX, [])
    callbacks.append(service.completion_callback(services))


@hookimpl
async def response_completed(response: Any, answers: Any, version: Any, services: Any) -> None:
    await service.announce_opened(services, response.id)
