"""The job kinds a running app knows, and the nudge that wakes this process's worker:
what the domains that enqueue jobs need, without importing the worker itself."""

from __future__ import annotations

from typing import Any

from surveyor.delivery.models import JobKind
from surveyor.plugins import PluginError, collect


def job_kinds(svc: Any) -> dict[str, JobKind]:
    """Every registered job kind by name (``register_job_kinds``), built on first use."""
    kinds = svc.job_kinds
    if kinds is None:
        kinds = {}
        for kind in collect(svc.pm.hook.register_job_kinds):
            if not isinstance(kind, JobKind):
                raise PluginError(f"job kind {kind!r}: register a surveyor.delivery.JobKind")
            if kind.name in kinds:
                raise PluginError(f"job kind {kind.name!r}: registered twice")
            kinds[kind.name] = kind
        svc.job_kinds = kinds
    return kinds


def wake_worker(svc: Any) -> None:
    """Tell this process's worker that jobs were just committed, so it need not wait for
    its next poll. Harmless when no worker runs here."""
    worker = svc.worker
    if worker is not None:
        worker.wake()
