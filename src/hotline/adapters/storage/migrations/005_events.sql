-- Each party's event stream: one row per alert raised to it and per message sent to it, with
-- a gap-free per-party sequence (1, 2, 3, ...) that SSE and polling clients resume from.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- seq is the party's previous max + 1, assigned under the audit lock (writers serialised);
-- kind is alert | message; body is the item's JSON as the party saw it when it was raised;
-- times are RFC 3339 UTC with microseconds; delivered_at/by and receipt are set once, when a
-- client of the party confirms receipt (POST /v1/events/ack): receipt is the signed
-- hotline.receipt.v1 JSON of event "delivered".
CREATE TABLE events (
    party        TEXT    NOT NULL,
    seq          BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    item_id      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    delivered_at TEXT    NULL,
    delivered_by TEXT    NULL,
    receipt      TEXT    NULL,
    PRIMARY KEY (party, seq)
);
