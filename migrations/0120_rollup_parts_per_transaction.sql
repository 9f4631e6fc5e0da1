-- Rollup counters without a row-lock queue on PostgreSQL (issue 17). Migrations 0060,
-- 0061, 0062 and 0100 striped each rollup row by `pg_backend_pid() % 4`: every
-- transaction that completes a response (or sends an invitation) of a survey upserted one
-- of four rows per table and held its lock until COMMIT, so at most four such
-- transactions of a survey ran at once and the others waited (`Lock/transactionid` in
-- pg_stat_activity under the customer-path benchmark, bench/README.md "Issue 17 — p-pg").
--
-- Now each writing transaction adds its counts to rows of its own: `part` is
-- metrics_rollup_part(), derived from the transaction id, so no two transactions write
-- the same rollup row and none waits for another's. Readers sum over `part` as before,
-- so every figure is still exactly the row-level one at every moment. The extra rows are
-- folded into `part` 0 by metrics_rollups_fold(): one statement per table that deletes
-- the committed rows of other parts and adds their sums to part 0, under a
-- transaction-scoped advisory lock (one folder at a time; a busy one is skipped, not
-- waited for). A statement trigger runs it in about one writing transaction in 64 (those
-- whose transaction id is a multiple of 64), so the unfolded rows stay a few hundred
-- whatever writes, with no worker or timer; the fold only touches part-0 rows (which no
-- writer touches) and committed rows of finished transactions, so it waits for nobody.
-- The parts 1-3 of the old striping are folded at the end of this migration.
-- PostgreSQL file; migrations/sqlite/ has the SQLite one (a no-op: SQLite has one writer,
-- there `part` is always 0).

CREATE FUNCTION metrics_rollup_part() RETURNS INTEGER
LANGUAGE sql VOLATILE AS $$
    SELECT (1 + txid_current() % 2147483646)::int
$$;

-- metrics_hourly_add: as in 0060_metrics_rollups.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_hourly_add(r responses, delta INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_hourly (checkpoint_key, slot, survey_id, channel, part,
        responses,
        nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
        ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3,
        csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5,
        emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    VALUES (coalesce(r.checkpoint_key, ''), substr(r.completed_at, 1, 13), r.survey_id,
        r.channel, metrics_rollup_part(), delta,
        CASE WHEN r.nps = 0 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 1 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 2 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 3 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 4 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 5 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 6 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 7 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 8 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 9 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 10 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 1 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 2 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 3 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 4 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 5 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 6 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 7 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 1 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 2 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 3 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 4 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 5 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 1 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 2 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 3 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 4 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 5 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 6 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 7 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 8 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 9 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 10 THEN delta ELSE 0 END)
    ON CONFLICT (checkpoint_key, slot, survey_id, channel, part) DO UPDATE SET
        responses = metrics_hourly.responses + excluded.responses,
        nps_0 = metrics_hourly.nps_0 + excluded.nps_0,
        nps_1 = metrics_hourly.nps_1 + excluded.nps_1,
        nps_2 = metrics_hourly.nps_2 + excluded.nps_2,
        nps_3 = metrics_hourly.nps_3 + excluded.nps_3,
        nps_4 = metrics_hourly.nps_4 + excluded.nps_4,
        nps_5 = metrics_hourly.nps_5 + excluded.nps_5,
        nps_6 = metrics_hourly.nps_6 + excluded.nps_6,
        nps_7 = metrics_hourly.nps_7 + excluded.nps_7,
        nps_8 = metrics_hourly.nps_8 + excluded.nps_8,
        nps_9 = metrics_hourly.nps_9 + excluded.nps_9,
        nps_10 = metrics_hourly.nps_10 + excluded.nps_10,
        ces_1 = metrics_hourly.ces_1 + excluded.ces_1,
        ces_2 = metrics_hourly.ces_2 + excluded.ces_2,
        ces_3 = metrics_hourly.ces_3 + excluded.ces_3,
        ces_4 = metrics_hourly.ces_4 + excluded.ces_4,
        ces_5 = metrics_hourly.ces_5 + excluded.ces_5,
        ces_6 = metrics_hourly.ces_6 + excluded.ces_6,
        ces_7 = metrics_hourly.ces_7 + excluded.ces_7,
        csat_1 = metrics_hourly.csat_1 + excluded.csat_1,
        csat_2 = metrics_hourly.csat_2 + excluded.csat_2,
        csat_3 = metrics_hourly.csat_3 + excluded.csat_3,
        csat_4 = metrics_hourly.csat_4 + excluded.csat_4,
        csat_5 = metrics_hourly.csat_5 + excluded.csat_5,
        emotion_1 = metrics_hourly.emotion_1 + excluded.emotion_1,
        emotion_2 = metrics_hourly.emotion_2 + excluded.emotion_2,
        emotion_3 = metrics_hourly.emotion_3 + excluded.emotion_3,
        emotion_4 = metrics_hourly.emotion_4 + excluded.emotion_4,
        emotion_5 = metrics_hourly.emotion_5 + excluded.emotion_5,
        emotion_6 = metrics_hourly.emotion_6 + excluded.emotion_6,
        emotion_7 = metrics_hourly.emotion_7 + excluded.emotion_7,
        emotion_8 = metrics_hourly.emotion_8 + excluded.emotion_8,
        emotion_9 = metrics_hourly.emotion_9 + excluded.emotion_9,
        emotion_10 = metrics_hourly.emotion_10 + excluded.emotion_10;
END
$$;

-- metrics_daily_add: as in 0062_metrics_daily.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_daily_add(r responses, delta INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_daily (checkpoint_key, slot, survey_id, channel, part,
        responses,
        nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
        ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3,
        csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5,
        emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    VALUES (coalesce(r.checkpoint_key, ''), substr(r.completed_at, 1, 10), r.survey_id,
        r.channel, metrics_rollup_part(), delta,
        CASE WHEN r.nps = 0 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 1 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 2 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 3 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 4 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 5 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 6 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 7 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 8 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 9 THEN delta ELSE 0 END,
        CASE WHEN r.nps = 10 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 1 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 2 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 3 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 4 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 5 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 6 THEN delta ELSE 0 END,
        CASE WHEN r.ces = 7 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 1 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 2 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 3 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 4 THEN delta ELSE 0 END,
        CASE WHEN r.csat = 5 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 1 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 2 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 3 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 4 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 5 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 6 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 7 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 8 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 9 THEN delta ELSE 0 END,
        CASE WHEN r.emotion = 10 THEN delta ELSE 0 END)
    ON CONFLICT (checkpoint_key, slot, survey_id, channel, part) DO UPDATE SET
        responses = metrics_daily.responses + excluded.responses,
        nps_0 = metrics_daily.nps_0 + excluded.nps_0,
        nps_1 = metrics_daily.nps_1 + excluded.nps_1,
        nps_2 = metrics_daily.nps_2 + excluded.nps_2,
        nps_3 = metrics_daily.nps_3 + excluded.nps_3,
        nps_4 = metrics_daily.nps_4 + excluded.nps_4,
        nps_5 = metrics_daily.nps_5 + excluded.nps_5,
        nps_6 = metrics_daily.nps_6 + excluded.nps_6,
        nps_7 = metrics_daily.nps_7 + excluded.nps_7,
        nps_8 = metrics_daily.nps_8 + excluded.nps_8,
        nps_9 = metrics_daily.nps_9 + excluded.nps_9,
        nps_10 = metrics_daily.nps_10 + excluded.nps_10,
        ces_1 = metrics_daily.ces_1 + excluded.ces_1,
        ces_2 = metrics_daily.ces_2 + excluded.ces_2,
        ces_3 = metrics_daily.ces_3 + excluded.ces_3,
        ces_4 = metrics_daily.ces_4 + excluded.ces_4,
        ces_5 = metrics_daily.ces_5 + excluded.ces_5,
        ces_6 = metrics_daily.ces_6 + excluded.ces_6,
        ces_7 = metrics_daily.ces_7 + excluded.ces_7,
        csat_1 = metrics_daily.csat_1 + excluded.csat_1,
        csat_2 = metrics_daily.csat_2 + excluded.csat_2,
        csat_3 = metrics_daily.csat_3 + excluded.csat_3,
        csat_4 = metrics_daily.csat_4 + excluded.csat_4,
        csat_5 = metrics_daily.csat_5 + excluded.csat_5,
        emotion_1 = metrics_daily.emotion_1 + excluded.emotion_1,
        emotion_2 = metrics_daily.emotion_2 + excluded.emotion_2,
        emotion_3 = metrics_daily.emotion_3 + excluded.emotion_3,
        emotion_4 = metrics_daily.emotion_4 + excluded.emotion_4,
        emotion_5 = metrics_daily.emotion_5 + excluded.emotion_5,
        emotion_6 = metrics_daily.emotion_6 + excluded.emotion_6,
        emotion_7 = metrics_daily.emotion_7 + excluded.emotion_7,
        emotion_8 = metrics_daily.emotion_8 + excluded.emotion_8,
        emotion_9 = metrics_daily.emotion_9 + excluded.emotion_9,
        emotion_10 = metrics_daily.emotion_10 + excluded.emotion_10;
END
$$;

-- metrics_funnel_invitation: as in 0061_funnel_rollups.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_funnel_invitation(x invitations, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(x.checkpoint_key, ''), substr(x.send_at, 1, 13), x.survey_id,
        metrics_rollup_part(), CASE WHEN x.status = 'scheduled' THEN d ELSE 0 END, CASE WHEN x.status = 'sent' THEN d ELSE 0 END, CASE WHEN x.status = 'failed' THEN d ELSE 0 END, CASE WHEN x.status = 'opened' THEN d ELSE 0 END, CASE WHEN x.status = 'answered' THEN d ELSE 0 END, CASE WHEN x.status = 'expired' THEN d ELSE 0 END,
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

-- metrics_funnel_response: as in 0061_funnel_rollups.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_funnel_response(x responses, d INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF x.invitation_id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id,
        metrics_rollup_part(), 0, 0, 0, 0, 0, 0, d,
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

-- metrics_versions_bump: as in 0100_metrics_versions.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_versions_bump(cp TEXT, survey TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_versions (checkpoint_key, survey_id, part, n)
    VALUES (cp, survey, metrics_rollup_part(), 1)
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET n = metrics_versions.n + 1;
END
$$;

-- metrics_funnel_invitation_status: as in 0110_rollup_triggers_net.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_funnel_invitation_status(o invitations, n invitations) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    VALUES (coalesce(n.checkpoint_key, ''), substr(n.send_at, 1, 13), n.survey_id,
        metrics_rollup_part(),
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

-- metrics_funnel_track_response: as in 0110_rollup_triggers_net.sql, the part per transaction
CREATE OR REPLACE FUNCTION metrics_funnel_track_response() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.invitation_id IS NOT DISTINCT FROM NEW.invitation_id THEN
        IF NEW.invitation_id IS NOT NULL
            AND (OLD.status = 'complete') IS DISTINCT FROM (NEW.status = 'complete') THEN
            INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
            SELECT coalesce(i.checkpoint_key, ''), substr(i.send_at, 1, 13), i.survey_id,
                metrics_rollup_part(), 0, 0, 0, 0, 0, 0, 0,
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

-- metrics_funnel_track_invitation: as in 0110_rollup_triggers_net.sql, an insert without
-- the count(*) of its responses
CREATE OR REPLACE FUNCTION metrics_funnel_track_invitation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A new invitation has no response yet (responses.invitation_id references an
        -- invitation that exists, not deferred), so only its status counts: no
        -- count(*) of its responses on every event.
        INSERT INTO metrics_funnel_hourly (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
        VALUES (coalesce(NEW.checkpoint_key, ''), substr(NEW.send_at, 1, 13), NEW.survey_id,
            metrics_rollup_part(),
            CASE WHEN NEW.status = 'scheduled' THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'sent' THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'failed' THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'opened' THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'answered' THEN 1 ELSE 0 END,
            CASE WHEN NEW.status = 'expired' THEN 1 ELSE 0 END,
            0, 0)
        ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
            status_scheduled = metrics_funnel_hourly.status_scheduled + excluded.status_scheduled,
            status_sent = metrics_funnel_hourly.status_sent + excluded.status_sent,
            status_failed = metrics_funnel_hourly.status_failed + excluded.status_failed,
            status_opened = metrics_funnel_hourly.status_opened + excluded.status_opened,
            status_answered = metrics_funnel_hourly.status_answered + excluded.status_answered,
            status_expired = metrics_funnel_hourly.status_expired + excluded.status_expired;
        RETURN NULL;
    END IF;
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

CREATE FUNCTION metrics_rollups_fold() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(727275, hashtext(current_schema())) THEN
        RETURN;
    END IF;
    WITH moved AS (
        DELETE FROM metrics_hourly WHERE part <> 0
        RETURNING checkpoint_key, slot, survey_id, channel, responses, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    INSERT INTO metrics_hourly AS m (checkpoint_key, slot, survey_id, channel, part, responses, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    SELECT checkpoint_key, slot, survey_id, channel, 0, sum(responses), sum(nps_0), sum(nps_1), sum(nps_2), sum(nps_3), sum(nps_4), sum(nps_5), sum(nps_6), sum(nps_7), sum(nps_8), sum(nps_9), sum(nps_10), sum(ces_1), sum(ces_2), sum(ces_3), sum(ces_4), sum(ces_5), sum(ces_6), sum(ces_7), sum(csat_1), sum(csat_2), sum(csat_3), sum(csat_4), sum(csat_5), sum(emotion_1), sum(emotion_2), sum(emotion_3), sum(emotion_4), sum(emotion_5), sum(emotion_6), sum(emotion_7), sum(emotion_8), sum(emotion_9), sum(emotion_10)
    FROM moved GROUP BY checkpoint_key, slot, survey_id, channel
    ON CONFLICT (checkpoint_key, slot, survey_id, channel, part) DO UPDATE SET
        responses = m.responses + excluded.responses,
        nps_0 = m.nps_0 + excluded.nps_0,
        nps_1 = m.nps_1 + excluded.nps_1,
        nps_2 = m.nps_2 + excluded.nps_2,
        nps_3 = m.nps_3 + excluded.nps_3,
        nps_4 = m.nps_4 + excluded.nps_4,
        nps_5 = m.nps_5 + excluded.nps_5,
        nps_6 = m.nps_6 + excluded.nps_6,
        nps_7 = m.nps_7 + excluded.nps_7,
        nps_8 = m.nps_8 + excluded.nps_8,
        nps_9 = m.nps_9 + excluded.nps_9,
        nps_10 = m.nps_10 + excluded.nps_10,
        ces_1 = m.ces_1 + excluded.ces_1,
        ces_2 = m.ces_2 + excluded.ces_2,
        ces_3 = m.ces_3 + excluded.ces_3,
        ces_4 = m.ces_4 + excluded.ces_4,
        ces_5 = m.ces_5 + excluded.ces_5,
        ces_6 = m.ces_6 + excluded.ces_6,
        ces_7 = m.ces_7 + excluded.ces_7,
        csat_1 = m.csat_1 + excluded.csat_1,
        csat_2 = m.csat_2 + excluded.csat_2,
        csat_3 = m.csat_3 + excluded.csat_3,
        csat_4 = m.csat_4 + excluded.csat_4,
        csat_5 = m.csat_5 + excluded.csat_5,
        emotion_1 = m.emotion_1 + excluded.emotion_1,
        emotion_2 = m.emotion_2 + excluded.emotion_2,
        emotion_3 = m.emotion_3 + excluded.emotion_3,
        emotion_4 = m.emotion_4 + excluded.emotion_4,
        emotion_5 = m.emotion_5 + excluded.emotion_5,
        emotion_6 = m.emotion_6 + excluded.emotion_6,
        emotion_7 = m.emotion_7 + excluded.emotion_7,
        emotion_8 = m.emotion_8 + excluded.emotion_8,
        emotion_9 = m.emotion_9 + excluded.emotion_9,
        emotion_10 = m.emotion_10 + excluded.emotion_10;
    WITH moved AS (
        DELETE FROM metrics_daily WHERE part <> 0
        RETURNING checkpoint_key, slot, survey_id, channel, responses, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    INSERT INTO metrics_daily AS m (checkpoint_key, slot, survey_id, channel, part, responses, nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10, ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    SELECT checkpoint_key, slot, survey_id, channel, 0, sum(responses), sum(nps_0), sum(nps_1), sum(nps_2), sum(nps_3), sum(nps_4), sum(nps_5), sum(nps_6), sum(nps_7), sum(nps_8), sum(nps_9), sum(nps_10), sum(ces_1), sum(ces_2), sum(ces_3), sum(ces_4), sum(ces_5), sum(ces_6), sum(ces_7), sum(csat_1), sum(csat_2), sum(csat_3), sum(csat_4), sum(csat_5), sum(emotion_1), sum(emotion_2), sum(emotion_3), sum(emotion_4), sum(emotion_5), sum(emotion_6), sum(emotion_7), sum(emotion_8), sum(emotion_9), sum(emotion_10)
    FROM moved GROUP BY checkpoint_key, slot, survey_id, channel
    ON CONFLICT (checkpoint_key, slot, survey_id, channel, part) DO UPDATE SET
        responses = m.responses + excluded.responses,
        nps_0 = m.nps_0 + excluded.nps_0,
        nps_1 = m.nps_1 + excluded.nps_1,
        nps_2 = m.nps_2 + excluded.nps_2,
        nps_3 = m.nps_3 + excluded.nps_3,
        nps_4 = m.nps_4 + excluded.nps_4,
        nps_5 = m.nps_5 + excluded.nps_5,
        nps_6 = m.nps_6 + excluded.nps_6,
        nps_7 = m.nps_7 + excluded.nps_7,
        nps_8 = m.nps_8 + excluded.nps_8,
        nps_9 = m.nps_9 + excluded.nps_9,
        nps_10 = m.nps_10 + excluded.nps_10,
        ces_1 = m.ces_1 + excluded.ces_1,
        ces_2 = m.ces_2 + excluded.ces_2,
        ces_3 = m.ces_3 + excluded.ces_3,
        ces_4 = m.ces_4 + excluded.ces_4,
        ces_5 = m.ces_5 + excluded.ces_5,
        ces_6 = m.ces_6 + excluded.ces_6,
        ces_7 = m.ces_7 + excluded.ces_7,
        csat_1 = m.csat_1 + excluded.csat_1,
        csat_2 = m.csat_2 + excluded.csat_2,
        csat_3 = m.csat_3 + excluded.csat_3,
        csat_4 = m.csat_4 + excluded.csat_4,
        csat_5 = m.csat_5 + excluded.csat_5,
        emotion_1 = m.emotion_1 + excluded.emotion_1,
        emotion_2 = m.emotion_2 + excluded.emotion_2,
        emotion_3 = m.emotion_3 + excluded.emotion_3,
        emotion_4 = m.emotion_4 + excluded.emotion_4,
        emotion_5 = m.emotion_5 + excluded.emotion_5,
        emotion_6 = m.emotion_6 + excluded.emotion_6,
        emotion_7 = m.emotion_7 + excluded.emotion_7,
        emotion_8 = m.emotion_8 + excluded.emotion_8,
        emotion_9 = m.emotion_9 + excluded.emotion_9,
        emotion_10 = m.emotion_10 + excluded.emotion_10;
    WITH moved AS (
        DELETE FROM metrics_funnel_hourly WHERE part <> 0
        RETURNING checkpoint_key, slot, survey_id, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    INSERT INTO metrics_funnel_hourly AS m (checkpoint_key, slot, survey_id, part, status_scheduled, status_sent, status_failed, status_opened, status_answered, status_expired, started, completed)
    SELECT checkpoint_key, slot, survey_id, 0, sum(status_scheduled), sum(status_sent), sum(status_failed), sum(status_opened), sum(status_answered), sum(status_expired), sum(started), sum(completed)
    FROM moved GROUP BY checkpoint_key, slot, survey_id
    ON CONFLICT (checkpoint_key, slot, survey_id, part) DO UPDATE SET
        status_scheduled = m.status_scheduled + excluded.status_scheduled,
        status_sent = m.status_sent + excluded.status_sent,
        status_failed = m.status_failed + excluded.status_failed,
        status_opened = m.status_opened + excluded.status_opened,
        status_answered = m.status_answered + excluded.status_answered,
        status_expired = m.status_expired + excluded.status_expired,
        started = m.started + excluded.started,
        completed = m.completed + excluded.completed;
    WITH moved AS (
        DELETE FROM metrics_versions WHERE part <> 0
        RETURNING checkpoint_key, survey_id, n)
    INSERT INTO metrics_versions AS m (checkpoint_key, survey_id, part, n)
    SELECT checkpoint_key, survey_id, 0, sum(n)
    FROM moved GROUP BY checkpoint_key, survey_id
    ON CONFLICT (checkpoint_key, survey_id, part) DO UPDATE SET
        n = m.n + excluded.n;
END
$$;

CREATE FUNCTION metrics_rollups_fold_sometimes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF txid_current_if_assigned() % 64 = 0 THEN
        PERFORM metrics_rollups_fold();
    END IF;
    RETURN NULL;
END
$$;

-- The rows left to fold, found without reading the folded ones.
CREATE INDEX ix_metrics_hourly_unfolded ON metrics_hourly (part) WHERE part <> 0;
CREATE INDEX ix_metrics_daily_unfolded ON metrics_daily (part) WHERE part <> 0;
CREATE INDEX ix_metrics_funnel_hourly_unfolded ON metrics_funnel_hourly (part) WHERE part <> 0;
CREATE INDEX ix_metrics_versions_unfolded ON metrics_versions (part) WHERE part <> 0;

-- After the row triggers of the same statements (statement-level AFTER triggers fire
-- after the row-level ones), on the statements that can write a rollup row.
CREATE TRIGGER metrics_rollups_fold_responses
AFTER INSERT OR DELETE OR UPDATE OF completed_at, nps, ces, csat, emotion, checkpoint_key,
    survey_id, channel, contact_id, survey_version_id, invitation_id, status
ON responses FOR EACH STATEMENT EXECUTE FUNCTION metrics_rollups_fold_sometimes();

CREATE TRIGGER metrics_rollups_fold_invitations
AFTER INSERT OR DELETE OR UPDATE OF status, send_at, checkpoint_key, survey_id
ON invitations FOR EACH STATEMENT EXECUTE FUNCTION metrics_rollups_fold_sometimes();

SELECT metrics_rollups_fold();
