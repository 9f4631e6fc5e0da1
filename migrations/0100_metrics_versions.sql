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
-- PostgreSQL file (migrations/sqlite/ has the SQLite one).

CREATE TABLE metrics_versions (
    checkpoint_key TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    -- pg_backend_pid() % 4 of the writing connection: concurrent writers bump different
    -- rows (no row-lock queue); a version is a sum over parts
    part INTEGER NOT NULL DEFAULT 0,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_key, survey_id, part)
);

CREATE FUNCTION metrics_versions_bump(cp TEXT, survey TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (cp, survey, pg_backend_pid() % 4, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = metrics_versions.n + 1;
END
$$;

CREATE FUNCTION metrics_versions_response() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
        PERFORM metrics_versions_bump(coalesce(OLD.checkpoint_key, ''), OLD.survey_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.completed_at IS NOT NULL THEN
        PERFORM metrics_versions_bump(coalesce(NEW.checkpoint_key, ''), NEW.survey_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_versions_response
AFTER INSERT OR DELETE OR UPDATE OF completed_at, nps, ces, csat, emotion, contact_id,
    checkpoint_key, survey_id, survey_version_id
ON responses FOR EACH ROW EXECUTE FUNCTION metrics_versions_response();

-- Answers: only those of a completed response (a response in progress is in no figure;
-- its completion moves the version through the trigger above).
CREATE FUNCTION metrics_versions_answer() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT coalesce(checkpoint_key, '') AS cp, survey_id FROM responses
        WHERE completed_at IS NOT NULL AND id IN (
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.response_id END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.response_id END)
    LOOP
        PERFORM metrics_versions_bump(r.cp, r.survey_id);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_versions_answer
AFTER INSERT OR UPDATE OR DELETE ON answers
FOR EACH ROW EXECUTE FUNCTION metrics_versions_answer();

-- A contact's attributes (segments, the drivers' contact attributes; erasure blanks
-- them) and survey versions (the questions' labels and kinds): every scope.
CREATE FUNCTION metrics_versions_everything() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM metrics_versions_bump('*', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_versions_contact_update
AFTER UPDATE OF attributes ON contacts
FOR EACH ROW WHEN (OLD.attributes IS DISTINCT FROM NEW.attributes)
EXECUTE FUNCTION metrics_versions_everything();

CREATE TRIGGER metrics_versions_contact_delete
AFTER DELETE ON contacts
FOR EACH ROW EXECUTE FUNCTION metrics_versions_everything();

CREATE TRIGGER metrics_versions_version
AFTER INSERT OR UPDATE OR DELETE ON survey_versions
FOR EACH ROW EXECUTE FUNCTION metrics_versions_everything();
