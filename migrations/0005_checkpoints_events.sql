-- Journey checkpoints and the events fired at them (with their policy decision).

CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    survey_id TEXT REFERENCES surveys (id),
    channels TEXT NOT NULL DEFAULT '["email"]',
    delay_seconds INTEGER NOT NULL DEFAULT 0,
    sample_rate DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    quiet_hours TEXT,
    recontact_days INTEGER NOT NULL DEFAULT 90,
    reminder_days INTEGER,
    max_reminders INTEGER NOT NULL DEFAULT 1,
    expires_days INTEGER NOT NULL DEFAULT 14,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_checkpoints_position ON checkpoints (position, key);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
    checkpoint_key TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    decision TEXT NOT NULL CHECK (decision IN ('scheduled', 'suppressed')),
    reason TEXT NOT NULL,
    api_key_id TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    request_hash TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
-- Idempotency keys are scoped per API key: two integrations may pick the same key.
CREATE UNIQUE INDEX ux_events_idempotency ON events (api_key_id, idempotency_key);
CREATE INDEX ix_events_contact ON events (contact_id, created_at);
CREATE INDEX ix_events_checkpoint ON events (checkpoint_key, created_at);
