-- Cheaper rollup maintenance on the customer's path (issue 17): the same tables, the same
-- figures, fewer statements per answer POST. An UPDATE that changes a row's status but
-- not its rollup key takes its old contribution out of a rollup row and puts the new one
-- into the same row (the same `part`: one connection): one upsert of the difference
-- does the same.
--
-- * metrics_funnel_hourly, invitations: a status change with send_at, checkpoint and
--   survey unchanged moves one status count; the started/completed counts (two count(*)
--   subqueries each side) cancel out and are no longer read. A change of key still takes
--   the old contribution out and puts the new one in.
-- * metrics_funnel_hourly, responses: a status change of a response that keeps its
--   invitation moves `completed` only.
-- PostgreSQL file (migrations/sqlite/ has the SQLite one, which also makes its
-- metrics_versions trigger bump only the scopes of complete rows, as this one does).

CREATE FUNCTION metrics_funnel_invitation_status(o invitations, n invitations) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(n.checkpoint_key, ''), substr(n.send_at, 1, 13), n.survey_id,
        pg_backend_pid() % 4,
        (n.status = 'scheduled')::int - (o.status = 'scheduled')::int,
        (n.status = 'sent')::int - (o.status = 'sent')::int,
        (n.status = 'failed')::int - (o.status = 'failed')::int,
        (n.status = 'opened')::int - (o.status = 'opened')::int,
        (n.status = 'answered')::int - (o.status = 'answered')::int,
        (n.status = 'expired')::int - (o.status = 'expired')::int,
        0, 0)
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = metrics_funnel_hourly.status_scheduled + excluded.status_scheduled,
        status_sent = metrics_funnel_hourly.status_sent + excluded.status_sent,
        status_failed = metrics_funnel_hourly.status_failed + excluded.status_failed,
        status_opened = metrics_funnel_hourly.status_opened + excluded.status_opened,
        status_answered = metrics_funnel_hourly.status_answered + excluded.status_answered,
        status_expired = metrics_funnel_hourly.status_expired + excluded.status_expired;
END
$$;

CREATE OR REPLACE FUNCTION metrics_funnel_track_invitation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.send_at, OLD.checkpoint_key, OLD.survey_id)
        IS NOT DISTINCT FROM (NEW.send_at, NEW.checkpoint_key, NEW.survey_id) THEN
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            PERFORM metrics_funnel_invitation_status(OLD, NEW);
        END IF;
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

CREATE OR REPLACE FUNCTION metrics_funnel_track_response() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.invitation_id IS NOT DISTINCT FROM NEW.invitation_id THEN
        IF NEW.invitation_id IS NOT NULL
            AND (OLD.status = 'complete') IS DISTINCT FROM (NEW.status = 'complete') THEN
            INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
            SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id,
                pg_backend_pid() % 4, 0, 0, 0, 0, 0, 0, 0,
                (NEW.status = 'complete')::int - (OLD.status = 'complete')::int
            FROM invitations i WHERE i.id = NEW.invitation_id
            ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
                completed = metrics_funnel_hourly.completed + excluded.completed;
        END IF;
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
