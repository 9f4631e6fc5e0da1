-- Hourly rollups of the key scores (issue 17): what the dashboards and GET /api/v1/metrics
-- read instead of scanning responses, so a window costs O(hours) and not O(responses).
--
-- One row per UTC hour of completion (`slot` = the first 13 characters of completed_at,
-- 'YYYY-MM-DDTHH'), checkpoint ('' for none), survey and channel: how many responses
-- completed, and per key score how many gave each value (nps_0 … nps_10, ces_1 … ces_7,
-- csat_1 … csat_5, emotion_1 … emotion_10). Counts per value are sufficient statistics:
-- every figure (NPS and its interval, CSAT, CES, emotion means and variances, NEV, the
-- distributions) is computed from them exactly as from the rows. Hours, not local days,
-- so every workspace time zone with whole-hour offsets (and any change of zone) reads
-- the same table; surveyor/metrics/rollups.py adds the partial hours at a window's
-- edges from the rows. A trigger keeps the table in step with responses inside the very
-- transaction that writes the response (insert, completion, change, delete), whatever
-- code path writes it.
-- PostgreSQL file (migrations/sqlite/ has the SQLite one).

CREATE TABLE metrics_hourly (
    checkpoint_key TEXT NOT NULL,
    slot TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    -- pg_backend_pid() % 4 of the writing connection: concurrent completions in one
    -- busy hour update different rows (no row-lock queue); reads sum over parts
    part INTEGER NOT NULL DEFAULT 0,
    responses INTEGER NOT NULL DEFAULT 0,
    nps_0 INTEGER NOT NULL DEFAULT 0, nps_1 INTEGER NOT NULL DEFAULT 0,
    nps_2 INTEGER NOT NULL DEFAULT 0, nps_3 INTEGER NOT NULL DEFAULT 0,
    nps_4 INTEGER NOT NULL DEFAULT 0, nps_5 INTEGER NOT NULL DEFAULT 0,
    nps_6 INTEGER NOT NULL DEFAULT 0, nps_7 INTEGER NOT NULL DEFAULT 0,
    nps_8 INTEGER NOT NULL DEFAULT 0, nps_9 INTEGER NOT NULL DEFAULT 0,
    nps_10 INTEGER NOT NULL DEFAULT 0, ces_1 INTEGER NOT NULL DEFAULT 0,
    ces_2 INTEGER NOT NULL DEFAULT 0, ces_3 INTEGER NOT NULL DEFAULT 0,
    ces_4 INTEGER NOT NULL DEFAULT 0, ces_5 INTEGER NOT NULL DEFAULT 0,
    ces_6 INTEGER NOT NULL DEFAULT 0, ces_7 INTEGER NOT NULL DEFAULT 0,
    csat_1 INTEGER NOT NULL DEFAULT 0, csat_2 INTEGER NOT NULL DEFAULT 0,
    csat_3 INTEGER NOT NULL DEFAULT 0, csat_4 INTEGER NOT NULL DEFAULT 0,
    csat_5 INTEGER NOT NULL DEFAULT 0, emotion_1 INTEGER NOT NULL DEFAULT 0,
    emotion_2 INTEGER NOT NULL DEFAULT 0, emotion_3 INTEGER NOT NULL DEFAULT 0,
    emotion_4 INTEGER NOT NULL DEFAULT 0, emotion_5 INTEGER NOT NULL DEFAULT 0,
    emotion_6 INTEGER NOT NULL DEFAULT 0, emotion_7 INTEGER NOT NULL DEFAULT 0,
    emotion_8 INTEGER NOT NULL DEFAULT 0, emotion_9 INTEGER NOT NULL DEFAULT 0,
    emotion_10 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (checkpoint_key, slot, survey_id, channel, part)
);
CREATE INDEX ix_metrics_hourly_survey ON metrics_hourly (survey_id, slot);
CREATE INDEX ix_metrics_hourly_slot ON metrics_hourly (slot);

CREATE FUNCTION metrics_hourly_add(r responses, delta INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_hourly (checkpoint_key, slot, survey_id, channel, part,
        responses,
        nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
        ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3,
        csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5,
        emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    VALUES (coalesce(r.checkpoint_key, ''), substr(r.completed_at, 1, 13), r.survey_id,
        r.channel, pg_backend_pid() % 4, delta,
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

CREATE FUNCTION metrics_hourly_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.completed_at, OLD.nps, OLD.ces, OLD.csat, OLD.emotion, OLD.checkpoint_key, OLD.survey_id, OLD.channel)
        IS NOT DISTINCT FROM (NEW.completed_at, NEW.nps, NEW.ces, NEW.csat, NEW.emotion, NEW.checkpoint_key, NEW.survey_id, NEW.channel) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
        PERFORM metrics_hourly_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.completed_at IS NOT NULL THEN
        PERFORM metrics_hourly_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_hourly_track
AFTER INSERT OR DELETE OR UPDATE OF completed_at, nps, ces, csat, emotion, checkpoint_key, survey_id, channel
ON responses FOR EACH ROW EXECUTE FUNCTION metrics_hourly_track();

-- Backfill: every response completed before this migration.
INSERT INTO metrics_hourly (checkpoint_key, slot, survey_id, channel, part, responses,
    nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
    ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4,
    csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6,
    emotion_7, emotion_8, emotion_9, emotion_10)
SELECT coalesce(checkpoint_key, ''), substr(completed_at, 1, 13), survey_id, channel, 0,
    count(*),
    sum(CASE WHEN nps = 0 THEN 1 ELSE 0 END), sum(CASE WHEN nps = 1 THEN 1 ELSE 0 END),
    sum(CASE WHEN nps = 2 THEN 1 ELSE 0 END), sum(CASE WHEN nps = 3 THEN 1 ELSE 0 END),
    sum(CASE WHEN nps = 4 THEN 1 ELSE 0 END), sum(CASE WHEN nps = 5 THEN 1 ELSE 0 END),
    sum(CASE WHEN nps = 6 THEN 1 ELSE 0 END), sum(CASE WHEN nps = 7 THEN 1 ELSE 0 END),
    sum(CASE WHEN nps = 8 THEN 1 ELSE 0 END), sum(CASE WHEN nps = 9 THEN 1 ELSE 0 END),
    sum(CASE WHEN nps = 10 THEN 1 ELSE 0 END),
    sum(CASE WHEN ces = 1 THEN 1 ELSE 0 END), sum(CASE WHEN ces = 2 THEN 1 ELSE 0 END),
    sum(CASE WHEN ces = 3 THEN 1 ELSE 0 END), sum(CASE WHEN ces = 4 THEN 1 ELSE 0 END),
    sum(CASE WHEN ces = 5 THEN 1 ELSE 0 END), sum(CASE WHEN ces = 6 THEN 1 ELSE 0 END),
    sum(CASE WHEN ces = 7 THEN 1 ELSE 0 END),
    sum(CASE WHEN csat = 1 THEN 1 ELSE 0 END),
    sum(CASE WHEN csat = 2 THEN 1 ELSE 0 END),
    sum(CASE WHEN csat = 3 THEN 1 ELSE 0 END),
    sum(CASE WHEN csat = 4 THEN 1 ELSE 0 END),
    sum(CASE WHEN csat = 5 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 1 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 2 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 3 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 4 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 5 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 6 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 7 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 8 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 9 THEN 1 ELSE 0 END),
    sum(CASE WHEN emotion = 10 THEN 1 ELSE 0 END)
FROM responses WHERE completed_at IS NOT NULL
GROUP BY coalesce(checkpoint_key, ''), substr(completed_at, 1, 13), survey_id, channel;
