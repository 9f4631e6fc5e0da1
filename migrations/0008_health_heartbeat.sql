-- Readiness: /readyz writes and reads back one row per server process, durably, so the
-- probe fails while the database cannot take writes (disk full, I/O errors, read-only).
CREATE TABLE health_heartbeat (
    id TEXT PRIMARY KEY,
    beat_at TEXT NOT NULL,
    nonce TEXT NOT NULL
);
