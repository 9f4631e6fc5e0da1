-- The themes panel's cache (issue 17): an analysis written, re-written (re-index) or
-- deleted moves the data version of its response's checkpoint and survey (core
-- migration 0100), like an answer does; analyses land after their response, so the
-- response's own trigger alone would leave a cached panel without them.
-- PostgreSQL file (sqlite/ has the SQLite one): the answers' function fits, it reads
-- only `response_id`.

CREATE TRIGGER metrics_versions_text_analysis
AFTER INSERT OR UPDATE OR DELETE ON text_analyses
FOR EACH ROW EXECUTE FUNCTION metrics_versions_answer();
