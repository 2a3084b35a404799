-- The tamper-evident audit log: one row per Merkle leaf, and the signed tree heads handed out.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- seq is the leaf index (gap-free from 0); data is the record's RFC 8785 canonical JSON;
-- leaf_hash is hex SHA-256(0x00 || data).
CREATE TABLE audit_records (
    seq         BIGINT  NOT NULL PRIMARY KEY,
    at          TEXT    NOT NULL,
    party       TEXT    NOT NULL,
    officer     TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    leaf_hash   TEXT    NOT NULL
);
CREATE INDEX audit_records_by_party ON audit_records (party, seq);

-- One signed tree head (hotline.tree-head.v1 JSON) per tree size: the last one handed out.
CREATE TABLE audit_heads (
    size        BIGINT  NOT NULL PRIMARY KEY,
    signed      TEXT    NOT NULL
);
