"""The records room, registered as a plugin of the core: the response feed, contact
pages and the records API, the retention job, and the listener that indexes comments
inside the transaction that completes a response."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from surveyor import hookimpl
from surveyor.db import StorageUnavailable
from surveyor.delivery.models import JobKind
from surveyor.records import api, erasure, erasure_store, indexing, views
from surveyor.services import Services
from surveyor.services import services as services_of
from surveyor.web.templating import signed_in_user

log = logging.getLogger("surveyor.records")


@hookimpl
def register_routes(register: Callable[[Any], None]) -> None:
    for handler in (*views.ROUTES, *api.ROUTES):
        register(handler)


@hookimpl
def register_job_kinds(register: Callable[[JobKind], None]) -> None:
    register(erasure.RETENTION_JOB)


@hookimpl
async def startup(services: Services) -> None:
    services.tx_listeners.response_completed.append(indexing.completion_listener(services))
    try:
        indexed = await indexing.index_missing(services)
        if indexed:
            log.info("indexed %d earlier responses for search", indexed)
        await erasure.schedule_retention(services)
    except StorageUnavailable:
        # A read-only or full disk must not stop the app from starting; the next start
        # (or the next completed response) catches up.
        log.warning("could not index earlier responses or schedule retention", exc_info=True)


@hookimpl
def extra_template_vars(template: str, request: Any) -> Any:
    """The settings page shows admins the retention setting and its latest runs."""
    if template != "settings/profile.html":
        return None
    user = signed_in_user(request)
    if user is None or not user.can("admin"):
        return None
    svc = services_of(request)

    async def retention() -> dict[str, Any]:
        return {
            "records_retention": {
                "days": svc.settings.retention_days,
                "runs": await erasure_store.retention_runs(svc.db),
            }
        }

    return retention()
