-- The open alerts about a declaration are found from its conflict rows and the pair's
-- deterministic alert ids (hotline.relay.alerts.ids_of_pair), not by subject or other: each
-- alert row no longer updates two indexes at random places (two WAL pages per alert fewer).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
DROP INDEX alerts_by_subject;
DROP INDEX alerts_by_other;
