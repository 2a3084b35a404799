-- Delivery lead time and closure of alerts.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- delivered_at/delivered_by: when (RFC 3339 UTC, microseconds) and by whom (officer, or
-- webhook:<id>) the alert first reached its addressee (a client confirmed the event, or a
-- webhook answered 2xx); delivery_lead_s: seconds from then to the start of the conflicting
-- activity (the alert's window start; negative once it has started).
-- closed_at/closed_reason: when and why (resolved | coordinated) the alert was closed;
-- coordinated_at/by/refs: the addressee recorded the conflict as coordinated (refs: JSON list
-- of message ids that agreed it); reopened: how many times the pair conflicted again after
-- the alert had been closed (the same alert is then reopened).
ALTER TABLE alerts ADD COLUMN delivered_at TEXT NULL;
ALTER TABLE alerts ADD COLUMN delivered_by TEXT NULL;
ALTER TABLE alerts ADD COLUMN delivery_lead_s DOUBLE PRECISION NULL;
ALTER TABLE alerts ADD COLUMN closed_at TEXT NULL;
ALTER TABLE alerts ADD COLUMN closed_reason TEXT NULL;
ALTER TABLE alerts ADD COLUMN coordinated_at TEXT NULL;
ALTER TABLE alerts ADD COLUMN coordinated_by TEXT NULL;
ALTER TABLE alerts ADD COLUMN coordinated_refs TEXT NULL;
ALTER TABLE alerts ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_by_subject ON alerts (subject_kind, subject_id);
CREATE INDEX alerts_by_other ON alerts (other_kind, other_id);
