-- The signed receipt of an alert's coordination (hotline.receipt.v1, event "acknowledged" or
-- "coordinated", with a "coordinated" member): handed out again on a retried coordination.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
ALTER TABLE alerts ADD COLUMN coordination_receipt TEXT NULL;
