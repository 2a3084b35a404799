-- Track history: every stored track report, in batches, and the digests put into the audit log.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- track_batches: one row per accepted POST (or feed flush); seq is gap-free from 1 in commit
-- order (assigned under the audit lock); digest is the SHA-256 (hex) of its reports' canonical
-- lines (hotline.tactical.digest). track_reports: the reports of each batch in order (idx),
-- SI units, time t_us in epoch microseconds. track_digests: each digest of the batches
-- of one party's batches in from_batch..to_batch (to_batch: the last batch of any party then
-- stored), appended to the audit log (record audit_seq, action tracks.digest).
CREATE TABLE track_batches (
    seq         BIGINT  NOT NULL PRIMARY KEY,
    party       TEXT    NOT NULL,
    officer     TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    reports     INTEGER NOT NULL,
    digest      TEXT    NOT NULL
);
CREATE TABLE track_reports (
    batch       BIGINT  NOT NULL,
    idx         INTEGER NOT NULL,
    party       TEXT    NOT NULL,
    aircraft    TEXT    NOT NULL,
    t_us        BIGINT  NOT NULL,
    lat_deg     DOUBLE PRECISION NOT NULL,
    lon_deg     DOUBLE PRECISION NOT NULL,
    alt_m       DOUBLE PRECISION NOT NULL,
    alt_ref     TEXT    NOT NULL,
    gs_mps      DOUBLE PRECISION NOT NULL,
    trk_deg     DOUBLE PRECISION NOT NULL,
    vs_mps      DOUBLE PRECISION NOT NULL,
    callsign    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    PRIMARY KEY (batch, idx)
);
CREATE INDEX track_reports_by_aircraft ON track_reports (party, aircraft, t_us);
CREATE INDEX track_reports_by_time ON track_reports (t_us);
CREATE TABLE track_digests (
    to_batch    BIGINT  NOT NULL,
    party       TEXT    NOT NULL,
    from_batch  BIGINT  NOT NULL,
    reports     BIGINT  NOT NULL,
    created_at  TEXT    NOT NULL,
    digest      TEXT    NOT NULL,
    audit_seq   BIGINT  NOT NULL,
    PRIMARY KEY (to_batch, party)
);
