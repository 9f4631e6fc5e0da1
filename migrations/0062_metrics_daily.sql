-- Daily rollups of the key scores (issue 17): the same counts as metrics_hourly
-- (migration 0060) per UTC day (`slot` = substr(completed_at, 1, 10)), so a window's
-- whole UTC days are read from one row per day instead of 24: surveyor/metrics/rollups.py
-- reads whole days here, the hours around them from metrics_hourly, the partial hours at
-- the edges from the rows. Kept by triggers in the writing transaction like the hourly
-- table; filled from it.
-- PostgreSQL file (migrations/sqlite/ has the SQLite one).

CREATE TABLE metrics_daily (
    checkpoint_key TEXT NOT NULL,
    slot TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    channel TEXT NOT NULL,
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
CREATE INDEX ix_metrics_daily_survey ON metrics_daily (survey_id, slot);

CREATE FUNCTION metrics_daily_add(r responses, delta INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metrics_daily (checkpoint_key, slot, survey_id, channel, part,
        responses,
        nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
        ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3,
        csat_4, csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5,
        emotion_6, emotion_7, emotion_8, emotion_9, emotion_10)
    VALUES (coalesce(r.checkpoint_key, ''), substr(r.completed_at, 1, 10), r.survey_id,
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

CREATE FUNCTION metrics_daily_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.completed_at, OLD.nps, OLD.ces, OLD.csat, OLD.emotion, OLD.checkpoint_key, OLD.survey_id, OLD.channel)
        IS NOT DISTINCT FROM (NEW.completed_at, NEW.nps, NEW.ces, NEW.csat, NEW.emotion, NEW.checkpoint_key, NEW.survey_id, NEW.channel) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
        PERFORM metrics_daily_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.completed_at IS NOT NULL THEN
        PERFORM metrics_daily_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metrics_daily_track
AFTER INSERT OR DELETE OR UPDATE OF completed_at, nps, ces, csat, emotion, checkpoint_key, survey_id, channel
ON responses FOR EACH ROW EXECUTE FUNCTION metrics_daily_track();


-- Backfill from the hourly rollup (migration 0060).
INSERT INTO metrics_daily (checkpoint_key, slot, survey_id, channel, part, responses,
    nps_0, nps_1, nps_2, nps_3, nps_4, nps_5, nps_6, nps_7, nps_8, nps_9, nps_10,
    ces_1, ces_2, ces_3, ces_4, ces_5, ces_6, ces_7, csat_1, csat_2, csat_3, csat_4,
    csat_5, emotion_1, emotion_2, emotion_3, emotion_4, emotion_5, emotion_6,
    emotion_7, emotion_8, emotion_9, emotion_10)
SELECT checkpoint_key, substr(slot, 1, 10), survey_id, channel, part, sum(responses),
    sum(nps_0), sum(nps_1), sum(nps_2), sum(nps_3), sum(nps_4), sum(nps_5), sum(nps_6),
    sum(nps_7), sum(nps_8), sum(nps_9), sum(nps_10), sum(ces_1), sum(ces_2),
    sum(ces_3), sum(ces_4), sum(ces_5), sum(ces_6), sum(ces_7), sum(csat_1),
    sum(csat_2), sum(csat_3), sum(csat_4), sum(csat_5), sum(emotion_1), sum(emotion_2),
    sum(emotion_3), sum(emotion_4), sum(emotion_5), sum(emotion_6), sum(emotion_7),
    sum(emotion_8), sum(emotion_9), sum(emotion_10)
FROM metrics_hourly GROUP BY checkpoint_key, substr(slot, 1, 10), survey_id, channel, part;
