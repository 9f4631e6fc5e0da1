-- The built-in mailbox (issue 13): messages that would have gone out by email or SMS,
-- kept for a person to read on /mailbox when no delivery is configured (or beside it).
CREATE TABLE mailbox_messages (
    id TEXT PRIMARY KEY,
    -- The message's own id (same on every retry): a repeat is stored once.
    message_key TEXT UNIQUE,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    text_body TEXT NOT NULL DEFAULT '',
    html_body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX ix_mailbox_created ON mailbox_messages (created_at);
