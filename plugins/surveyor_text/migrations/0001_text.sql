-- surveyor_text (issue 15): one analysis per completed response with a comment, its
-- themes, the editable theme dictionary and the follow-up rules on words.

CREATE TABLE text_analyses (
    response_id TEXT PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    sentiment_score REAL NOT NULL,
    sentiment_label TEXT NOT NULL CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
    themes TEXT NOT NULL DEFAULT '[]',
    key_phrases TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    dictionary_version INTEGER NOT NULL DEFAULT 0,
    analyzed_at TEXT NOT NULL
);

-- One row per (response, theme): the themes panel counts by theme through this index.
CREATE TABLE text_response_themes (
    response_id TEXT NOT NULL REFERENCES text_analyses (response_id) ON DELETE CASCADE,
    theme TEXT NOT NULL,
    PRIMARY KEY (response_id, theme)
);
CREATE INDEX text_response_themes_theme ON text_response_themes (theme);

-- The theme dictionary; empty until first needed, then filled from themes.toml.
CREATE TABLE text_themes (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    keywords_en TEXT NOT NULL DEFAULT '[]',
    keywords_zh TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);

-- A counter bumped by every dictionary change: analyses older than it are stale.
CREATE TABLE text_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    dictionary_version INTEGER NOT NULL DEFAULT 0,
    reindex_total INTEGER NOT NULL DEFAULT 0,
    reindex_done INTEGER NOT NULL DEFAULT 0
);
INSERT INTO text_state (id, dictionary_version) VALUES (1, 0);

-- Follow-up rules on words, evaluated when an analysis lands (docs/text.md).
CREATE TABLE text_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    nps_classes TEXT NOT NULL DEFAULT '[]',
    max_sentiment REAL,
    sentiment_labels TEXT NOT NULL DEFAULT '[]',
    themes TEXT NOT NULL DEFAULT '[]',
    priority TEXT NOT NULL DEFAULT 'high',
    sla_hours REAL NOT NULL DEFAULT 24,
    assignee_email TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
INSERT INTO text_rules (id, name, position, nps_classes, max_sentiment, priority, sla_hours, created_at)
VALUES ('text-passive-negative', 'Passive score, strongly negative comment', 0, '["passive"]', -0.5, 'high', 24, '2026-01-01T00:00:00Z');
