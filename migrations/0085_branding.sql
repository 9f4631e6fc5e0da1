-- Branding (issue 19): the workspace brand and per-survey overrides, and uploaded logos.
-- ``scope`` is 'workspace' or the id of a survey; an empty column means "not set here"
-- (a survey falls back to the workspace, the workspace to Surveyor's defaults).
CREATE TABLE brands (
    scope TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    logo_url TEXT NOT NULL DEFAULT '',
    logo_id TEXT NOT NULL DEFAULT '',
    primary_color TEXT NOT NULL DEFAULT '',
    font_stack TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT
);

-- Logos are small (at most 256 KiB) and kept in the database, so a backup carries them;
-- the id is the SHA-256 of the bytes, so a logo URL never changes meaning and caches forever.
-- The bytes are stored as base64 text: the same column type on SQLite and PostgreSQL.
CREATE TABLE brand_logos (
    id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
