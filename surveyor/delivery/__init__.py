"""Delivery: the outbox (jobs), the worker that runs them, and the channel registry.

Other domains enqueue work with ``surveyor.delivery.store.enqueue_job(tx, ...)`` inside
their own write unit, and register the code that runs it as a :class:`JobKind`
through the ``register_job_kinds`` hook.
"""

from surveyor.delivery.models import Attempt, Job, JobKind

__all__ = ["Attempt", "Job", "JobKind"]
