-- Notices and zones (declarations), their S2 index rows and their conflicts.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
CREATE TABLE entities (
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    body        TEXT    NOT NULL,
    t_start_us  BIGINT  NOT NULL,
    t_end_us    BIGINT  NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX entities_by_owner ON entities (kind, owner, id);

CREATE TABLE cells (
    cell        BIGINT           NOT NULL,
    t_end_us    BIGINT           NOT NULL,
    t_start_us  BIGINT           NOT NULL,
    alt_lo_m    DOUBLE PRECISION NOT NULL,
    alt_hi_m    DOUBLE PRECISION NOT NULL,
    owner       TEXT             NOT NULL,
    kind        TEXT             NOT NULL,
    id          TEXT             NOT NULL,
    volume      INTEGER          NOT NULL
);
-- Covering index: the candidate query never touches the table itself.
CREATE INDEX cells_by_cell ON cells (cell, t_end_us, t_start_us, alt_lo_m, alt_hi_m, owner, kind, id);
-- (id, kind), not (kind, id): a leading kind column tempts SQLite to answer the
-- candidate query's "kind IN (...)" from this index instead of the cell ranges.
CREATE INDEX cells_by_entity ON cells (id, kind);

CREATE TABLE conflicts (
    kind        TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    other_kind  TEXT   NOT NULL,
    other_id    TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    PRIMARY KEY (kind, id, other_kind, other_id)
);
CREATE INDEX conflicts_by_other ON conflicts (other_kind, other_id);
