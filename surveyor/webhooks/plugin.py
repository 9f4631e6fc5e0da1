"""Outgoing webhooks, registered as a plugin of the core."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.models import JobKind
from surveyor.services import Services
from surveyor.surveys.kinds import question_kinds
from surveyor.webhooks.api import ROUTES
from surveyor.webhooks.events import (
    DELIVER_JOB,
    on_followup_closed,
    on_followup_opened,
    on_response_completed,
)
from surveyor.webhooks.views import ROUTES as PAGES


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (*ROUTES, *PAGES):
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    register(DELIVER_JOB)


@hookimpl
def startup(services: Services) -> None:
    # Every webhook is queued inside the unit that made its change (outbox rule: the
    # decision to send commits with its cause), never in an after-commit hook.
    # Bound to the app's question kinds, so answers print the way their kind says.
    listeners = services.tx_listeners
    kinds = question_kinds(services)
    for found, listener in (
        (listeners.response_completed, on_response_completed),
        (listeners.followup_opened, on_followup_opened),
        (listeners.followup_closed, on_followup_closed),
    ):
        if not any(getattr(known, "func", known) is listener for known in found):
            found.append(partial(listener, kinds=kinds))
