"""The outbox in SQL, in four modules along its seams.

- ``outbox``: enqueue (and cancel) jobs inside another domain's transaction.
- ``leases``: the worker's claims, leases and attempt reports.
- ``parking``: jobs that wait for a channel that is not configured.
- ``log``: reading jobs and their attempts for people, retrying, pruning.

Other domains import from here (``from surveyor.delivery.store import enqueue_job``).
"""

from surveyor.delivery.store.leases import (
    claim_due_jobs,
    complete_job,
    extend_leases,
    fail_job,
    has_due_jobs,
    has_expired_leases,
    recover_expired_leases,
    release_job,
)
from surveyor.delivery.store.log import (
    channel_activity,
    deliveries_for_subject,
    filter_values,
    get_job,
    jobs_for_subject,
    list_attempts,
    list_jobs,
    prune_finished_jobs,
    retry_job,
    status_counts,
)
from surveyor.delivery.store.outbox import (
    ATTEMPT_COLUMNS,
    JOB_COLUMNS,
    cancel_job,
    cancel_jobs,
    enqueue_job,
    enqueue_message,
    erase_job_data,
    job_from_row,
)
from surveyor.delivery.store.parking import park_job, park_waiting_jobs, wake_parked_jobs

__all__ = [
    "ATTEMPT_COLUMNS",
    "JOB_COLUMNS",
    "cancel_job",
    "cancel_jobs",
    "channel_activity",
    "claim_due_jobs",
    "complete_job",
    "deliveries_for_subject",
    "enqueue_job",
    "enqueue_message",
    "erase_job_data",
    "extend_leases",
    "fail_job",
    "filter_values",
    "get_job",
    "has_due_jobs",
    "has_expired_leases",
    "job_from_row",
    "jobs_for_subject",
    "list_attempts",
    "list_jobs",
    "park_job",
    "park_waiting_jobs",
    "prune_finished_jobs",
    "recover_expired_leases",
    "release_job",
    "retry_job",
    "status_counts",
    "wake_parked_jobs",
]
