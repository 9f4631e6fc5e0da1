"""The follow-up domain, registered as a plugin of the core: its pages, its API, its
outbox job kinds, and the listener that opens a case inside the response's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.models import JobKind
from surveyor.followups import (
    api,
    notify,
    opening,
    report,
    rules_views,
    store,
    views,
    workbench,
    workbench_views,
)
from surveyor.followups.service import viewer_for
from surveyor.ids import now_iso
from surveyor.services import Services, services
from surveyor.web.templating import signed_in_user


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (
        *workbench_views.ROUTES,
        *views.ROUTES,
        *rules_views.ROUTES,
        *report.ROUTES,
        *api.ROUTES,
    ):
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    for kind in (*notify.JOB_KINDS, workbench.REPLY_KIND):
        register(kind)


@hookimpl
def startup(services: Services) -> None:
    # The respondent domain emits ResponseCompleted inside the unit that completes a
    # response: a matching response and its case commit together or not at all.
    services.tx_listeners.response_completed.append(opening.completion_listener(services))


@hookimpl
def extra_template_vars(template: str, request: Any) -> Any:
    """The navigation's counts of "mine" and "overdue" open cases (for managers and
    admins, on full pages; base.html includes ``followups/_nav_counts.html``)."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:  # a fragment: no navigation
        return None
    user = signed_in_user(request)
    if user is None or not user.can("manager"):
        return None
    svc = services(request)

    async def counts() -> dict[str, Any]:
        found = await store.inbox_counts(svc.db, viewer_for(user), now=now_iso())
        return {"followup_counts": found}

    return counts()
