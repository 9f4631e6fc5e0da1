-- Records (issue 12): full-text search over responses' comments, saved feed filters per
-- user, and the retention job's log. This is the PostgreSQL file; migrations/sqlite/
-- holds the SQLite one (FTS5 instead of tsvector).

-- One row per completed response: its comments joined, for search and "has comment".
-- Written by surveyor.records.store only (a listener on ResponseCompleted).
CREATE TABLE response_search (
    response_id TEXT PRIMARY KEY,
    body TEXT NOT NULL DEFAULT '',
    has_comment INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    -- 'simple': no stemming or stop words, so both engines find the same words.
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX ix_response_search_tsv ON response_search USING GIN (tsv);

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
