-- Cheaper rollup maintenance on the customer's path (issue 17): the same tables, the same
-- figures, fewer statements per answer POST. An UPDATE that changes a row's status but
-- not its rollup key takes its old contribution out of a rollup row and puts the new one
-- into that very row: one upsert of the difference does the same.
--
-- * metrics_funnel_hourly, invitations: a status change with send_at, checkpoint and
--   survey unchanged moves one status count; the started/completed counts (two count(*)
--   subqueries each side) cancel out and are no longer read. A change of key still runs
--   the old pair of triggers (recreated with that condition).
-- * metrics_funnel_hourly, responses: a status change of a response that keeps its
--   invitation moves `completed` only, and only when completeness changes.
-- * metrics_versions, responses: the old scope is bumped when the old row was complete,
--   the new one when the new row is (as the PostgreSQL trigger does): a completion
--   bumps once instead of twice; every change still moves the version.
-- SQLite file (migrations/0110_rollup_triggers_net.sql is the PostgreSQL one).

DROP TRIGGER metrics_funnel_inv_au_old;
DROP TRIGGER metrics_funnel_inv_au_new;

CREATE TRIGGER metrics_funnel_inv_au_status AFTER UPDATE OF status ON invitations
WHEN old.status IS NOT new.status AND old.send_at IS new.send_at
    AND old.checkpoint_key IS new.checkpoint_key AND old.survey_id IS new.survey_id BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(new.checkpoint_key, ''), substr(new.send_at, 1, 13), new.survey_id, 0,
        (new.status = 'scheduled') - (old.status = 'scheduled'),
        (new.status = 'sent') - (old.status = 'sent'),
        (new.status = 'failed') - (old.status = 'failed'),
        (new.status = 'opened') - (old.status = 'opened'),
        (new.status = 'answered') - (old.status = 'answered'),
        (new.status = 'expired') - (old.status = 'expired'),
        0, 0)
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = status_scheduled + excluded.status_scheduled,
        status_sent = status_sent + excluded.status_sent,
        status_failed = status_failed + excluded.status_failed,
        status_opened = status_opened + excluded.status_opened,
        status_answered = status_answered + excluded.status_answered,
        status_expired = status_expired + excluded.status_expired;
END;

CREATE TRIGGER metrics_funnel_inv_au_old AFTER UPDATE ON invitations
WHEN old.send_at IS NOT new.send_at OR old.checkpoint_key IS NOT new.checkpoint_key OR old.survey_id IS NOT new.survey_id BEGIN
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
WHEN old.send_at IS NOT new.send_at OR old.checkpoint_key IS NOT new.checkpoint_key OR old.survey_id IS NOT new.survey_id BEGIN
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

DROP TRIGGER metrics_funnel_resp_au_old;
DROP TRIGGER metrics_funnel_resp_au_new;

CREATE TRIGGER metrics_funnel_resp_au_status AFTER UPDATE OF status ON responses
WHEN new.invitation_id IS NOT NULL AND old.invitation_id IS new.invitation_id
    AND (old.status = 'complete') IS NOT (new.status = 'complete') BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, 0, (new.status = 'complete') - (old.status = 'complete')
    FROM invitations i WHERE i.id = new.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_au_old AFTER UPDATE ON responses
WHEN old.invitation_id IS NOT NULL AND old.invitation_id IS NOT new.invitation_id BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, -1, CASE WHEN old.status = 'complete' THEN -1 ELSE 0 END
    FROM invitations i WHERE i.id = old.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

CREATE TRIGGER metrics_funnel_resp_au_new AFTER UPDATE ON responses
WHEN new.invitation_id IS NOT NULL AND old.invitation_id IS NOT new.invitation_id BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id, 0,
        0, 0, 0, 0, 0, 0, 1, CASE WHEN new.status = 'complete' THEN 1 ELSE 0 END
    FROM invitations i WHERE i.id = new.invitation_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        started = started + excluded.started,
        completed = completed + excluded.completed;
END;

DROP TRIGGER metrics_versions_response_au;

CREATE TRIGGER metrics_versions_response_au_old AFTER UPDATE OF completed_at, nps, ces, csat,
    emotion, contact_id, checkpoint_key, survey_id, survey_version_id ON responses
WHEN old.completed_at IS NOT NULL BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(old.checkpoint_key, ''), old.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER metrics_versions_response_au_new AFTER UPDATE OF completed_at, nps, ces, csat,
    emotion, contact_id, checkpoint_key, survey_id, survey_version_id ON responses
WHEN new.completed_at IS NOT NULL BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (coalesce(new.checkpoint_key, ''), new.survey_id, 0, 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = n + 1;
END;
