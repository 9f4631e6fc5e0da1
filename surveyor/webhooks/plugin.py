"""Outgoing webhooks, registered as a plugin of the core."""

from __future__ import annotations

from typing import Any

from surveyor import hookimpl
from surveyor.respond.store import ON_COMPLETE_TX
from surveyor.webhooks.api import ROUTES
from surveyor.webhooks.events import DELIVER_JOB, FollowupWebhooks, on_response_complete

ADAPTER_NAME = "surveyor.webhooks.followups"


@hookimpl
def register_routes(register: Any) -> None:
    for handler in ROUTES:
        register(handler)


@hookimpl
def register_job_kinds(register: Any) -> None:
    register(DELIVER_JOB)


@hookimpl
def startup(services: Any) -> None:
    # response.completed is queued inside the completing transaction (outbox rule:
    # the decision to send commits with its cause), not in the after-commit hook.
    callbacks = services.registries.setdefault(ON_COMPLETE_TX, [])
    if on_response_complete not in callbacks:
        callbacks.append(on_response_complete)
    # Only when the follow-up domain's hooks exist (it may be switched off in a test app).
    if hasattr(services.pm.hook, "followup_opened") and not services.pm.has_plugin(ADAPTER_NAME):
        services.pm.register(FollowupWebhooks(services), name=ADAPTER_NAME)
