-- Fewer index entries written per accepted event (issue 17, POST /api/v1/events).
--
-- No query looks invitations up by their event (the event's page joins the other way,
-- events.id = invitations.event_id), so ix_invitations_event only cost every scheduled
-- event an index entry.
DROP INDEX IF EXISTS ix_invitations_event;

-- Only events sent with an idempotency key are ever looked up by it, and a NULL key never
-- clashes: the unique index keeps just those rows (the lookup `idempotency_key = ?` uses
-- the partial index on both engines; two requests racing with one key still collide).
DROP INDEX IF EXISTS ux_events_idempotency;
CREATE UNIQUE INDEX ux_events_idempotency ON events (api_key_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
