-- Data versions for the metrics caches (issue 17): a counter per checkpoint and survey
-- that moves whenever something a cached figure was computed from may have changed, so
-- a cache (surveyor/metrics/driver_cache.py: the key drivers) can tell, in one read of
-- a few rows, that its result is still exactly what the rows give.
--
-- `checkpoint_key` is '' for responses without one; '*' in both columns is "everything"
-- (a contact's attributes or a survey version changed: every scope may be affected).
-- A scope's version is the sum of `n` over its rows and the '*' rows; counters only go
-- up, so the sum moves on every change. Bumped by triggers inside the transaction that
-- writes: a completed response inserted, changed or deleted (old and new scope), an
-- answer of a completed response written or deleted, a contact's attributes changed or
-- the contact deleted, a survey version written.
-- SQLite file (migrations/0100_metrics_versions.sql is the PostgreSQL one): one writer,
-- so `part` is always 0.

CREATE TABLE metrics_versions (
    checkpoint_key TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    part INTEGER NOT NULL DEFAULT 0,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_key, survey_id, part)
) WITHOUT ROWID;

CREATE TRIGGER metrics_versions_response_ai AFTER INSERT ON responses
WHEN new.completed_at IS NOT NULL BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(new.checkpoint_key, ''), new.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_response_au AFTER UPDATE OF completed_at, nps, ces, csat,
    emotion, contact_id, checkpoint_key, survey_id, survey_version_id ON responses
WHEN old.completed_at IS NOT NULL OR new.completed_at IS NOT NULL BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(old.checkpoint_key, ''), old.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(new.checkpoint_key, ''), new.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_response_ad AFTER DELETE ON responses
WHEN old.completed_at IS NOT NULL BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(old.checkpoint_key, ''), old.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

-- Answers: only those of a completed response (a response in progress is in no figure;
-- its completion moves the version through the trigger above).
CREATE TRIGGER metrics_versions_answer_ai AFTER INSERT ON answers BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id = new.response_id AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_answer_au AFTER UPDATE ON answers BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id IN (old.response_id, new.response_id) AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_answer_ad AFTER DELETE ON answers BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    SELECT coalesce(checkpoint_key, ''), survey_id, 0, 1 FROM responses
    WHERE id = old.response_id AND completed_at IS NOT NULL
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

-- A contact's attributes (segments, the drivers' contact attributes; erasure blanks them).
CREATE TRIGGER metrics_versions_contact_au AFTER UPDATE OF attributes ON contacts
WHEN old.attributes IS NOT new.attributes BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n) VALUES ('*', '*', 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_contact_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n) VALUES ('*', '*', 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

-- Survey versions (the questions' labels and kinds).
CREATE TRIGGER metrics_versions_version_ai AFTER INSERT ON survey_versions BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n) VALUES ('*', '*', 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_version_au AFTER UPDATE ON survey_versions BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n) VALUES ('*', '*', 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_version_ad AFTER DELETE ON survey_versions BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n) VALUES ('*', '*', 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;
