-- Ack deadlines and escalation of alerts and messages.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- deadline_at is the ack deadline (RFC 3339 UTC, microseconds; NULL: no deadline, as for the
-- rows created before this migration); escalated_at is when the item was escalated (its
-- severity raised and re-sent), escalation_level how many times; unacked_at is when it was
-- recorded as unacknowledged after the second deadline.
ALTER TABLE alerts ADD COLUMN deadline_at TEXT NULL;
ALTER TABLE alerts ADD COLUMN escalated_at TEXT NULL;
ALTER TABLE alerts ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN unacked_at TEXT NULL;
CREATE INDEX alerts_by_deadline ON alerts (deadline_at);
ALTER TABLE messages ADD COLUMN deadline_at TEXT NULL;
ALTER TABLE messages ADD COLUMN escalated_at TEXT NULL;
ALTER TABLE messages ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN unacked_at TEXT NULL;
CREATE INDEX messages_by_deadline ON messages (deadline_at);
