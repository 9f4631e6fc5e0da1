-- The themes panel's cache (issue 17): an analysis written, re-written (re-index) or
-- deleted moves the data version of its response's checkpoint and survey (core
-- migration 0100), like an answer does; analyses land after their response, so the
-- response's own trigger alone would leave a cached panel without them.
-- SQLite file (../0101_analyses_versions.sql is the PostgreSQL one).

CREATE TRIGGER metrics_versions_text_analysis_ai AFTER INSERT ON text_analyses BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id = new.response_id AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_text_analysis_au AFTER UPDATE ON text_analyses BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id IN (old.response_id, new.response_id) AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_text_analysis_ad AFTER DELETE ON text_analyses BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id = old.response_id AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;
