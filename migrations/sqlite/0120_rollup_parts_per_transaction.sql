-- Rollup counters without a row-lock queue (issue 17): on PostgreSQL each writing
-- transaction adds its counts to rollup rows of its own `part`, folded into part 0 later
-- (migrations/0120_rollup_parts_per_transaction.sql). Nothing to change on SQLite: one
-- writer commits at a time, so there is no lock queue to avoid and `part` stays 0. The
-- tables' schema is the same on both engines (the new partial indexes would stay empty
-- here and are not made).
SELECT 1;
