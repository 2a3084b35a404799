-- Alerts addressed to one party each (conflict, late_notice), and their acknowledgments.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- id is deterministic per (addressee, kind, pair of declarations): a retried or repeated
-- write never adds a second row. body is the alert's JSON; created_at and ack_at are RFC 3339
-- UTC with microseconds (fixed width, so text order is time order); receipt is the signed
-- hotline.receipt.v1 JSON handed out on acknowledgment.
CREATE TABLE alerts (
    id          TEXT    NOT NULL PRIMARY KEY,
    party       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    subject_kind TEXT   NOT NULL,
    subject_id  TEXT    NOT NULL,
    other_kind  TEXT    NOT NULL,
    other_id    TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    ack_at      TEXT    NULL,
    ack_by      TEXT    NULL,
    receipt     TEXT    NULL
);
CREATE INDEX alerts_by_party ON alerts (party, created_at);
