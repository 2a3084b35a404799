-- Outbound webhooks of each party's event stream, with their delivery state.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- url is http(s) with a host and no credentials; secret keys the HMAC-SHA256 signature of each
-- delivery; times are RFC 3339 UTC with microseconds. cursor_seq is the seq of the party's last
-- event this webhook answered 2xx for (events go out in seq order, one at a time); attempts
-- counts consecutive failures at event cursor + 1, next_attempt_at is when the next try is due
-- and last_error says what went wrong last (NULL after a success).
CREATE TABLE webhooks (
    party           TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    cursor_seq      BIGINT  NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NULL,
    last_error      TEXT    NULL,
    PRIMARY KEY (party, id)
);
