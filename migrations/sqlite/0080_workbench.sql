-- The account manager's workbench (issue 19), SQLite: the same as
-- migrations/0080_workbench.sql, with the timeline table rebuilt to widen its CHECK
-- (nothing references followup_events, so the copy-and-rename is safe with foreign keys on).

ALTER TABLE followups ADD COLUMN snoozed_until TEXT;
CREATE INDEX ix_followups_snoozed ON followups (snoozed_until);

CREATE TABLE followup_events_new (
    id TEXT PRIMARY KEY,
    followup_id TEXT NOT NULL REFERENCES followups (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN (
        'open', 'status', 'note', 'assign', 'reopen', 'recovery', 'sla', 'reply', 'snooze')),
    body TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO followup_events_new (id, followup_id, at, actor_id, kind, body, detail)
    SELECT id, followup_id, at, actor_id, kind, body, detail FROM followup_events;
DROP TABLE followup_events;
ALTER TABLE followup_events_new RENAME TO followup_events;
CREATE INDEX ix_followup_events_case ON followup_events (followup_id, at);

CREATE TABLE followup_reply_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE followup_saved_views (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);
