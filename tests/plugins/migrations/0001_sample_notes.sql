-- A plugin's own table: applied after the core's migrations, recorded as sample:0001_sample_notes.sql.
CREATE TABLE sample_notes (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
INSERT INTO sample_notes (id, body) VALUES ('first', 'written by a plugin migration');
