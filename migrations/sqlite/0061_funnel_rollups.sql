-- Hourly rollups of the response funnel (issue 17): invitations by the UTC hour they are
-- sent (`slot` = substr(send_at, 1, 13)), checkpoint ('' for none) and survey: how many
-- are in each status, how many responses were started from them and how many completed
-- (status 'complete'), exactly what surveyor/invitations/reads.py funnel_counts counts
-- from the rows. An invitation's status moves and its response comes later, so triggers
-- on both tables keep the table equal to "the sum over invitations of (its status, has a
-- response, has a complete response)": a change on either side takes its old
-- contribution out and puts the new one in, inside the writing transaction.
-- SQLite file (migrations/0061_funnel_rollups.sql is the PostgreSQL one).

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
) WITHOUT ROWID;
CREATE INDEX ix_metrics_funnel_hourly_survey ON metrics_funnel_hourly (survey_id, slot);

CREATE TRIGGER metrics_funnel_inv_ai AFTER INSERT ON invitations BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(new.checkpoint_key, ''), substr(new.send_at, 1, 13), new.survey_id, 0,
        CASE WHEN new.status = 'scheduled' THEN 1 ELSE 0 END, CASE WHEN new.status = 'sent' THEN 1 ELSE 0 END, CASE WHEN new.status = 'failed' THEN 1 ELSE 0 END, CASE WHEN new.status = 'opened' THEN 1 ELSE 0 END, CASE WHEN new.status = 'answered' THEN 1 ELSE 0 END, CASE WHEN new.status = 'expired' THEN 1 ELSE 0 END,
        1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = new.id),
        1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = new.id
            AND r.status = 'complete'))
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_inv_ad AFTER DELETE ON invitations BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(old.checkpoint_key, ''), substr(old.send_at, 1, 13), old.survey_id, 0,
        CASE WHEN old.status = 'scheduled' THEN -1 ELSE 0 END, CASE WHEN old.status = 'sent' THEN -1 ELSE 0 END, CASE WHEN old.status = 'failed' THEN -1 ELSE 0 END, CASE WHEN old.status = 'opened' THEN -1 ELSE 0 END, CASE WHEN old.status = 'answered' THEN -1 ELSE 0 END, CASE WHEN old.status = 'expired' THEN -1 ELSE 0 END,
        -1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = old.id),
        -1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = old.id
            AND r.status = 'complete'))
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_inv_au_old AFTER UPDATE ON invitations
WHEN old.status IS NOT new.status OR old.send_at IS NOT new.send_at OR old.checkpoint_key IS NOT new.checkpoint_key OR old.survey_id IS NOT new.survey_id BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(old.checkpoint_key, ''), substr(old.send_at, 1, 13), old.survey_id, 0,
        CASE WHEN old.status = 'scheduled' THEN -1 ELSE 0 END, CASE WHEN old.status = 'sent' THEN -1 ELSE 0 END, CASE WHEN old.status = 'failed' THEN -1 ELSE 0 END, CASE WHEN old.status = 'opened' THEN -1 ELSE 0 END, CASE WHEN old.status = 'answered' THEN -1 ELSE 0 END, CASE WHEN old.status = 'expired' THEN -1 ELSE 0 END,
        -1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = old.id),
        -1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = old.id
            AND r.status = 'complete'))
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_inv_au_new AFTER UPDATE ON invitations
WHEN old.status IS NOT new.status OR old.send_at IS NOT new.send_at OR old.checkpoint_key IS NOT new.checkpoint_key OR old.survey_id IS NOT new.survey_id BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(new.checkpoint_key, ''), substr(new.send_at, 1, 13), new.survey_id, 0,
        CASE WHEN new.status = 'scheduled' THEN 1 ELSE 0 END, CASE WHEN new.status = 'sent' THEN 1 ELSE 0 END, CASE WHEN new.status = 'failed' THEN 1 ELSE 0 END, CASE WHEN new.status = 'opened' THEN 1 ELSE 0 END, CASE WHEN new.status = 'answered' THEN 1 ELSE 0 END, CASE WHEN new.status = 'expired' THEN 1 ELSE 0 END,
        1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = new.id),
        1 * (SELECT count(*) FROM responses r WHERE r.invitation_id = new.id
            AND r.status = 'complete'))
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_ai AFTER INSERT ON responses
WHEN new.invitation_id IS NOT NULL BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, 1, CASE WHEN new.status = 'complete' THEN 1 ELSE 0 END
    FROM invitations i WHERE i.id = new.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_ad AFTER DELETE ON responses
WHEN old.invitation_id IS NOT NULL BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, -1, CASE WHEN old.status = 'complete' THEN -1 ELSE 0 END
    FROM invitations i WHERE i.id = old.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_au_old AFTER UPDATE ON responses
WHEN old.invitation_id IS NOT NULL AND (old.invitation_id IS NOT new.invitation_id OR old.status IS NOT new.status) BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, -1, CASE WHEN old.status = 'complete' THEN -1 ELSE 0 END
    FROM invitations i WHERE i.id = old.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_au_new AFTER UPDATE ON responses
WHEN new.invitation_id IS NOT NULL AND (old.invitation_id IS NOT new.invitation_id OR old.status IS NOT new.status) BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, 1, CASE WHEN new.status = 'complete' THEN 1 ELSE 0 END
    FROM invitations i WHERE i.id = new.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired,
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

-- Backfill: every invitation written before this migration, with its response.
INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
    sum(CASE WHEN i.status = 'scheduled' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'sent' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'failed' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'opened' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'answered' THEN 1 ELSE 0 END), sum(CASE WHEN i.status = 'expired' THEN 1 ELSE 0 END),
    count(r.id), sum(CASE WHEN r.status = 'complete' THEN 1 ELSE 0 END)
FROM invitations i LEFT JOIN responses r ON r.invitation_id = i.id
GROUP BY coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id;
