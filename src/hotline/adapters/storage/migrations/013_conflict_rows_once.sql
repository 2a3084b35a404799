-- A pair of conflicting declarations is stored once, as the declaration written last sees it
-- (it was stored twice, once from each side): reads find it by (kind, id) or by (other_kind,
-- other_id) and mirror it (SqlTx.conflicts_of). A write with N conflicts adds N rows, not 2N,
-- and touches N random index pages fewer.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
DELETE FROM conflicts WHERE (kind, id) > (other_kind, other_id)
  AND EXISTS (SELECT 1 FROM conflicts m WHERE m.kind = conflicts.other_kind
              AND m.id = conflicts.other_id AND m.other_kind = conflicts.kind
              AND m.other_id = conflicts.id);
