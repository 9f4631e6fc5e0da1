-- Metrics (before/after annotations, funnel indexes) and outgoing webhook subscriptions.

-- A dated change on a checkpoint ("we shipped the new returns flow"): the dashboard
-- marks it on the trend and compares the periods before and after it.
CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    checkpoint_key TEXT NOT NULL,
    survey_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('accelerator', 'blocker')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    happened_on TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_annotations_checkpoint ON annotations (checkpoint_key, happened_on);

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- whsec_… signing secret: shown once when created, needed again at every delivery.
    secret TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    event_types TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX ix_webhook_subscriptions_active ON webhook_subscriptions (active, created_at);

-- The dashboard's funnel counts invitations of one checkpoint over a period, and the
-- responses started from them: without these it would scan every invitation.
CREATE INDEX ix_invitations_checkpoint_send ON invitations (checkpoint_key, send_at, status);
CREATE INDEX ix_invitations_survey_send ON invitations (survey_id, send_at, status);
CREATE INDEX ix_responses_checkpoint_channel
    ON responses (checkpoint_key, completed_at, channel, nps);
