-- Records (issue 12), SQLite: the same tables as migrations/0010_records.sql, with an
-- FTS5 index (external content: the text is kept once, in response_search) instead of
-- PostgreSQL's tsvector column. Triggers keep the index in step with the table.

CREATE TABLE response_search (
    response_id TEXT PRIMARY KEY,
    body TEXT NOT NULL DEFAULT '',
    has_comment INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE response_fts USING fts5(
    body, content='response_search', content_rowid='rowid', tokenize='unicode61'
);
CREATE TRIGGER response_search_ai AFTER INSERT ON response_search BEGIN
    INSERT INTO response_fts (rowid, body) VALUES (new.rowid, new.body);
END;
CREATE TRIGGER response_search_ad AFTER DELETE ON response_search BEGIN
    INSERT INTO response_fts (response_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
CREATE TRIGGER response_search_au AFTER UPDATE ON response_search BEGIN
    INSERT INTO response_fts (response_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
    INSERT INTO response_fts (rowid, body) VALUES (new.rowid, new.body);
END;

CREATE TABLE saved_filters (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_saved_filters_user ON saved_filters (user_id, name);

CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    ran_at TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    responses INTEGER NOT NULL DEFAULT 0,
    contacts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_retention_runs_at ON retention_runs (ran_at);
