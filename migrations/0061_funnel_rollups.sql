-- Hourly rollups of the response funnel (issue 17): invitations by the UTC hour they are
-- sent (`slot` = substr(send_at, 1, 13)), checkpoint ('' for none) and survey: how many
-- are in each status, how many responses were started from them and how many completed
-- (status 'complete'), exactly what surveyor/invitations/reads.py funnel_counts counts
-- from the rows. An invitation's status moves and its response comes later, so triggers
-- on both tables keep the table equal to "the sum over invitations of (its status, has a
-- response, has a complete response)": a change on either side takes its old
-- contribution out and puts the new one in, inside the writing transaction.
-- PostgreSQL file (migrations/sqlite/ has the SQLite one); `part` as in 0060.

CREATE TABLE metrics_funnel_hourly (
    checkpoint_key TEXT NOT NULL,
    slot TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    part INTEGER NOT NULL DEFAULT 0,
    status_scheduled INTEGER NOT NULL DEFAULT 0,
    status_sent INTEGER NOT NULL DEFAULT 0,
    status_failed INTEGER NOT NULL DEFAULT 0,
    status_opened INTEGER NOT NULL DEFAULT 0,
    status_answered INTEGER NOT NULL DEFAULT 0,
    status_expired INTEGER NOT NULL DEFAULT 0,
    started INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_key, slot, survey_id, part)
);
CREATE INDEX ix_metrics_funnel_hourly_survey ON metrics_funnel_hourly (survey_id, slot);

CREATE FUNCTION metrics_funnel_invitation(x invitations, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(x.checkpoint_key, ''), substr(x.send_at, 1, 13), x.survey_id,
        pg_backend_pid() % 4, CASE WHEN x.status = 'scheduled' THEN d ELSE 0 END, CASE WHEN x.status = 'sent' THEN d ELSE 0 END, CASE WHEN x.status = 'failed' THEN d ELSE 0 END, CASE WHEN x.status = 'opened' THEN d ELSE 0 END, CASE WHEN x.status = 'answered' THEN d ELSE 0 END, CASE WHEN x.status = 'expired' THEN d ELSE 0 END,
        d * (SELECT count(*) FROM responses r WHERE r.invitation_id = x.id),
        d * (SELECT count(*) FROM responses r WHERE r.invitation_id = x.id
            AND r.status = 'complete'))
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = metrics_funnel_hourly.status_scheduled + excluded.status_scheduled,
        status_sent = metrics_funnel_hourly.status_sent + excluded.status_sent,
        status_failed = metrics_funnel_hourly.status_failed + excluded.status_failed,
        status_opened = metrics_funnel_hourly.status_opened + excluded.status_opened,
        status_answered = metrics_funnel_hourly.status_answered + excluded.status_answered,
        status_expired = metrics_funnel_hourly.status_expired + excluded.status_expired,
        started = metrics_funnel_hourly.started + excluded.started,
        completed = metrics_funnel_hourly.completed + excluded.completed;
END
$$;

CREATE FUNCTION metrics_funnel_response(x responses, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF x.invitation_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id,
        pg_backend_pid() % 4, 0, 0, 0, 0, 0, 0, d,
        CASE WHEN x.status = 'complete' THEN d ELSE 0 END
    FROM invitations i WHERE i.id = x.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = metrics_funnel_hourly.status_scheduled + excluded.status_scheduled,
        status_sent = metrics_funnel_hourly.status_sent + excluded.status_sent,
        status_failed = metrics_funnel_hourly.status_failed + excluded.status_failed,
        status_opened = metrics_funnel_hourly.status_opened + excluded.status_opened,
        status_answered = metrics_funnel_hourly.status_answered + excluded.status_answered,
        status_expired = metrics_funnel_hourly.status_expired + excluded.status_expired,
        started = metrics_funnel_hourly.started + excluded.started,
        completed = metrics_funnel_hourly.completed + excluded.completed;
END
$$;

CREATE FUNCTION metrics_funnel_track_invitation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.status, OLD.send_at, OLD.checkpoint_key, OLD.survey_id)
        IS NOT DISTINCT FROM (NEW.status, NEW.send_at, NEW.checkpoint_key, NEW.survey_id) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM metrics_funnel_invitation(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM metrics_funnel_invitation(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION metrics_funnel_track_response() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.invitation_id, OLD.status)
        IS NOT DISTINCT FROM (NEW.invitation_id, NEW.status) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM metrics_funnel_response(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM metrics_funnel_response(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_funnel_track_invitation
AFTER INSERT OR DELETE OR UPDATE OF status, send_at, checkpoint_key, survey_id
ON invitations FOR EACH ROW EXECUTE FUNCTION metrics_funnel_track_invitation();

CREATE TRIGGER metrics_funnel_track_response
AFTER INSERT OR DELETE OR UPDATE OF invitation_id, status
ON responses FOR EACH ROW EXECUTE FUNCTION metrics_funnel_track_response();

-- Backfill: every invitation written before this migration, with its response.
INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
    sum(CASE WHEN i.status = 'scheduled' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'sent' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'failed' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'opened' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'answered' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'expired' THEN 1 ELSE 0 END),
    count(r.id), sum(CASE WHEN r.status = 'complete' THEN 1 ELSE 0 END)
FROM invitations i LEFT JOIN responses r ON r.invitation_id = i.id
GROUP BY coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id;
