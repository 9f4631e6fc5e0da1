-- Surveys: an editable draft per survey, and the frozen published versions.
-- A response points at survey_versions.id, so editing a draft never changes history.

CREATE TABLE surveys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    draft TEXT NOT NULL,
    latest_version INTEGER,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_surveys_created ON surveys (created_at, id);

CREATE TABLE survey_versions (
    id TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    definition TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (survey_id, number)
);
