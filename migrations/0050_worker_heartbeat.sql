-- Operability (issue 18): every delivery worker notes when it last polled, so /metrics
-- can show the age of the freshest heartbeat and /readyz may require a live worker.
CREATE TABLE worker_heartbeat (
    worker TEXT PRIMARY KEY,
    beat_at TEXT NOT NULL
);
-- Rate-limit counters shared by every process on PostgreSQL (fixed windows).
CREATE TABLE rate_limit_counters (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL
);
