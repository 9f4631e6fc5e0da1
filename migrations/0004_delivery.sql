-- Delivery: the outbox (jobs) and every attempt made to run a job.
-- A job is committed in the same transaction as the decision that caused it; a worker
-- claims due jobs with a lease, so a crashed worker's jobs come back when it expires.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    -- What the job is about (e.g. 'invitation', id) and the channel it uses, for the log.
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    -- Enqueueing twice with the same key gives the first job back (NULLs never clash).
    dedupe_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX ix_jobs_due ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX ix_jobs_lease ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX ix_jobs_created ON jobs (created_at, id);
CREATE INDEX ix_jobs_status_created ON jobs (status, created_at);
CREATE INDEX ix_jobs_subject ON jobs (subject_type, subject_id);

CREATE TABLE job_attempts (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    -- ok: delivered; retry: failed, will run again; dead: failed for good;
    -- lost: the worker's lease expired before it reported; released: handed back at shutdown.
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'retry', 'dead', 'lost', 'released')),
    error TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_job_attempts_job ON job_attempts (job_id, started_at);
