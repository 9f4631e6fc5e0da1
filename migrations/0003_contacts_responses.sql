-- Contacts, invitations (personal survey links), responses and their answers,
-- public anonymous links and unsubscribe tokens.
-- Survey and event ids are plain text columns without foreign keys: surveys live in
-- another domain's migration and the events table comes later; a response must
-- survive whatever happens to them (history is never rewritten).

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}',
    unsubscribed_at TEXT,
    erased_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_contacts_email ON contacts (email);

-- A raw unsubscribe token is never stored; invitation tokens unsubscribe as well.
CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_unsubscribe_tokens_contact ON unsubscribe_tokens (contact_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    event_id TEXT,
    survey_id TEXT NOT NULL,
    survey_version_id TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    checkpoint_key TEXT,
    channel TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'sent', 'failed', 'opened', 'answered', 'expired')),
    send_at TEXT NOT NULL,
    expires_at TEXT,
    locale TEXT NOT NULL DEFAULT '',
    properties TEXT NOT NULL DEFAULT '{}',
    reminder_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_invitations_contact ON invitations (contact_id, created_at);
CREATE INDEX ix_invitations_event ON invitations (event_id);
CREATE INDEX ix_invitations_status_send ON invitations (status, send_at);

CREATE TABLE public_links (
    slug TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    -- JSON list of query-string names copied into responses.hidden (everything else is ignored).
    hidden_fields TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_public_links_survey ON public_links (survey_id);

CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    -- One response per invitation: the unique constraint is what makes a double submit
    -- produce exactly one response.
    invitation_id TEXT UNIQUE REFERENCES invitations (id) ON DELETE SET NULL,
    public_slug TEXT,
    -- SHA-256 of the resume key handed to an anonymous (public link) respondent.
    resume_hash TEXT UNIQUE,
    survey_id TEXT NOT NULL,
    survey_version_id TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    checkpoint_key TEXT,
    channel TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT '',
    hidden TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'partial' CHECK (status IN ('partial', 'complete')),
    current_step TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    -- The key scores, copied out of the answers when the response completes, so metrics
    -- are index-only aggregates.
    nps INTEGER,
    ces INTEGER,
    csat INTEGER,
    emotion INTEGER
);
CREATE INDEX ix_responses_survey_completed
    ON responses (survey_id, completed_at, nps, ces, csat, emotion);
CREATE INDEX ix_responses_checkpoint_completed
    ON responses (checkpoint_key, completed_at, nps, ces, csat, emotion);
CREATE INDEX ix_responses_contact ON responses (contact_id, started_at);
CREATE INDEX ix_responses_completed ON responses (completed_at);

CREATE TABLE answers (
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);
