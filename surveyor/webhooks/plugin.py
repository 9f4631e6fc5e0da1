"""Outgoing webhooks, registered as a plugin of the core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.models import JobKind
from surveyor.services import Services
from surveyor.webhooks.api import ROUTES
from surveyor.webhooks.events import (
    DELIVER_JOB,
    on_followup_closed,
    on_followup_opened,
    on_response_completed,
)


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in ROUTES:
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    register(DELIVER_JOB)


@hookimpl
def startup(services: Services) -> None:
    # Every webhook is queued inside the unit that made its change (outbox rule: the
    # decision to send commits with its cause), never in an after-commit hook.
    listeners = services.tx_listeners
    for found, listener in (
        (listeners.response_completed, on_response_completed),
        (listeners.followup_opened, on_followup_opened),
        (listeners.followup_closed, on_followup_closed),
    ):
        if listener not in found:
            found.append(listener)
