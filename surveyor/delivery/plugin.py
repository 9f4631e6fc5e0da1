"""The delivery domain, registered as a plugin of the core: its pages, its API, the
built-in ``message.send`` job kind, and the in-process worker of ``surveyor serve``."""

from __future__ import annotations

import logging
from typing import Any

from surveyor import hookimpl
from surveyor.delivery.api import ROUTES as API_ROUTES
from surveyor.delivery.channels import MESSAGE_JOB, channels
from surveyor.delivery.views import ROUTES as VIEW_ROUTES
from surveyor.delivery.worker import Worker, job_kinds

log = logging.getLogger("surveyor.delivery")


@hookimpl
def register_routes(register: Any) -> None:
    for handler in (*VIEW_ROUTES, *API_ROUTES):
        register(handler)


@hookimpl
def menu_links(user: Any) -> list[dict[str, str]]:
    return [{"href": "/deliveries", "label": "Deliveries"}]


@hookimpl
def register_job_kinds(register: Any) -> None:
    register(MESSAGE_JOB)


@hookimpl
async def startup(services: Any) -> None:
    # Build the channels and job kinds now, so a broken channel plugin shows at start-up, not at
    # the first delivery.
    channels(services)
    job_kinds(services)
    if services.settings.run_worker:
        worker = Worker(services)
        services.worker = worker
        worker.start()


@hookimpl
async def shutdown(services: Any) -> None:
    worker, services.worker = services.worker, None
    if worker is not None:
        await worker.stop()
    registry = services.channels
    if registry is not None:
        await registry.close()
