-- Inbound sources (issue 14): other systems' webhooks fire checkpoints.

CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    -- The checkpoint key fired unless the mapping picks another.
    checkpoint TEXT NOT NULL,
    -- HMAC key: needed at every delivery, so kept as is (like webhook secrets).
    secret TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    mapping TEXT NOT NULL,
    allow_list TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    -- Requests refused by verification: only counted, never stored.
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_at TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The payload log: the last deliveries of a source, redacted by its allow-list, with
-- what the mapping made of them and the decision. The unique index refuses a replayed
-- delivery id (a racing duplicate fails here and is answered as a duplicate).
CREATE TABLE source_payloads (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources (id),
    delivery_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    mapped TEXT NOT NULL DEFAULT '{}',
    decision TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    event_id TEXT
);
CREATE UNIQUE INDEX ux_source_payloads_delivery ON source_payloads (source_id, delivery_id);
CREATE INDEX ix_source_payloads_received ON source_payloads (source_id, received_at);
