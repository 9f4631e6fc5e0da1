-- The account manager's workbench (issue 19): snoozing a case until a date, replies to
-- the customer and snoozes on the timeline, reply templates, saved inbox views.
-- This is the PostgreSQL file; migrations/sqlite/ holds the SQLite one (SQLite cannot
-- change a CHECK constraint in place, so it rebuilds the timeline table).

-- Until this instant the case stays out of the inbox; NULL (or a past instant): in it.
ALTER TABLE followups ADD COLUMN snoozed_until TEXT;
CREATE INDEX ix_followups_snoozed ON followups (snoozed_until);

ALTER TABLE followup_events DROP CONSTRAINT IF EXISTS followup_events_kind_check;
ALTER TABLE followup_events ADD CONSTRAINT followup_events_kind_check CHECK (kind IN (
    'open', 'status', 'note', 'assign', 'reopen', 'recovery', 'sla', 'reply', 'snooze'));

-- Reply templates managers write once and pick on a case; subject and body are Jinja
-- rendered in a sandbox with the case's placeholders ({{ contact.name }}, {{ score }}…).
CREATE TABLE followup_reply_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A person's named inbox filters (the query string of the inbox).
CREATE TABLE followup_saved_views (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);
