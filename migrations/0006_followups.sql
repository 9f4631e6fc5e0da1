-- Follow-ups: rules that turn low scores into cases, the cases, their timeline, and the
-- round-robin state. A case is created in the same transaction that completes its
-- response (response_id UNIQUE makes a second attempt a no-op, never a second case).

CREATE TABLE followup_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    survey_id TEXT,
    checkpoint_key TEXT,
    -- The surveyor.followups.models.FollowupRule struct as JSON (bands, keywords, SLA…).
    definition TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_followup_rules_scope ON followup_rules (survey_id, checkpoint_key);

CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    response_id TEXT NOT NULL UNIQUE,
    contact_id TEXT,
    survey_id TEXT NOT NULL,
    checkpoint_key TEXT,
    rule_id TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_progress', 'waiting', 'resolved', 'closed')),
    assignee_id TEXT,
    -- 1 while nobody owns the case: every manager sees it in the team queue.
    team_queue INTEGER NOT NULL DEFAULT 0,
    reasons TEXT NOT NULL DEFAULT '[]',
    due_at TEXT NOT NULL,
    warn_at TEXT NOT NULL,
    first_action_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    root_cause TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    recovery_invitation_id TEXT,
    recovery_response_id TEXT,
    -- NULL until the recovery answer arrives; 1 when a detractor came back passive/promoter.
    recovered INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_followups_assignee ON followups (assignee_id, status, due_at);
CREATE INDEX ix_followups_status_due ON followups (status, due_at);
CREATE INDEX ix_followups_queue ON followups (team_queue, status, due_at);
CREATE INDEX ix_followups_contact ON followups (contact_id, created_at);
CREATE INDEX ix_followups_created ON followups (created_at, id);
CREATE INDEX ix_followups_recovery ON followups (recovery_invitation_id);

CREATE TABLE followup_events (
    id TEXT PRIMARY KEY,
    followup_id TEXT NOT NULL REFERENCES followups (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('open', 'status', 'note', 'assign', 'reopen', 'recovery', 'sla')),
    body TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_followup_events_case ON followup_events (followup_id, at);

-- One row per rotation (today only 'managers'): the id of the last manager chosen.
CREATE TABLE followup_rotation (
    name TEXT PRIMARY KEY,
    last_user_id TEXT
);
