"""Domain events reach plugins through the outbox, never on the request path.

``emit(tx, svc, event)`` runs inside the unit that made the change: it awaits the
in-transaction listeners (``svc.tx_listeners``) with the event, then, when some plugin
implements the event's hook, queues ONE durable job ``hook.<name>`` whose payload is
the event encoded with msgspec. The worker decodes it back into the typed event and
calls every plugin's hookimpl with ``(event, services)``, each under its own timeout
(``svc.hook_timeout``): a plugin that raises or overruns is logged and skipped, the
others still run, and the job is done. If the worker dies mid-job the lease expires
and the job runs again (at least once, like every outbox job).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from surveyor.db import Tx
from surveyor.delivery.models import Job, JobKind
from surveyor.delivery.store import enqueue_job
from surveyor.events import EVENT_FOR, HOOK_FOR, DomainEvent
from surveyor.plugins import gather_with_timeout

if TYPE_CHECKING:
    from surveyor.services import Services

PREFIX = "hook."


def job_kind_name(hook_name: str) -> str:
    return f"{PREFIX}{hook_name}"


def has_listeners(svc: Services, hook_name: str) -> bool:
    return bool(getattr(svc.pm.hook, hook_name).get_hookimpls())


async def emit(tx: Tx, svc: Services, event: DomainEvent) -> str | None:
    """In the caller's unit: run the in-transaction listeners, then queue the plugins'
    job. Returns the job id, or None when no plugin implements the hook."""
    name = HOOK_FOR[type(event)]
    for listener in getattr(svc.tx_listeners, name):
        await listener(tx, event)
    if not has_listeners(svc, name):
        return None
    return await enqueue_job(
        tx,
        job_kind_name(name),
        {"event": msgspec.to_builtins(event)},
        subject_type="event",
        subject_id=name,
    )


async def call_plugins(svc: Services, event: DomainEvent) -> None:
    """Call each plugin's hookimpl with ``(event, services)``, one timeout per plugin."""
    hook = getattr(svc.pm.hook, HOOK_FOR[type(event)])
    await gather_with_timeout(hook, svc.hook_timeout, event=event, services=svc)


def _runner(hook_name: str) -> Any:
    event_type = EVENT_FOR[hook_name]

    async def run(job: Job, svc: Services) -> None:
        from surveyor import DeliveryError

        try:
            event = msgspec.convert(job.payload["event"], event_type)
        except (KeyError, msgspec.ValidationError) as exc:
            raise DeliveryError(f"malformed {hook_name} event: {exc}", permanent=True) from None
        await call_plugins(svc, event)

    return run


JOB_KINDS = [JobKind(name=job_kind_name(name), run=_runner(name)) for name in EVENT_FOR]
