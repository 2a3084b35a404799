-- The parties the hotline knows (a party is known once it has any audit record other than
-- an auth.failure: it declared something or used the hotline; a message to an unknown party
-- is refused), one row each with the seq of that first record. audit_records_by_party only
-- answered that question, and cost every audit record an index entry on its party's pages
-- (10-14 WAL pages per write at 100k notices, benchmarks/wal_pages.py).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
CREATE TABLE parties (
    party       TEXT    NOT NULL PRIMARY KEY,
    first_seq   BIGINT  NOT NULL
);
INSERT INTO parties (party, first_seq)
    SELECT party, MIN(seq) FROM audit_records WHERE action <> 'auth.failure' GROUP BY party;
DROP INDEX audit_records_by_party;
