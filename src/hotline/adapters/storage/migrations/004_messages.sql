-- Duty-officer messages between parties, their acknowledgments, and idempotent POSTs.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- body is the message's JSON ({"text": ...} or {"template": ..., "fields": {...}}); times are
-- RFC 3339 UTC with microseconds (fixed width, so text order is time order); receipt is the
-- signed hotline.receipt.v1 JSON handed out on acknowledgment.
CREATE TABLE messages (
    id          TEXT    NOT NULL PRIMARY KEY,
    sender      TEXT    NOT NULL,
    officer     TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    template    TEXT    NULL,
    body        TEXT    NOT NULL,
    in_reply_to TEXT    NULL,
    created_at  TEXT    NOT NULL,
    ack_at      TEXT    NULL,
    ack_by      TEXT    NULL,
    receipt     TEXT    NULL
);
CREATE INDEX messages_by_recipient ON messages (recipient, created_at, id);
CREATE INDEX messages_by_sender ON messages (sender, created_at, id);

-- One row per (party, Idempotency-Key): the request's hash and the response given, so that a
-- retry gets the same answer and creates nothing.
CREATE TABLE idempotency (
    party        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    response     TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (party, key)
);
