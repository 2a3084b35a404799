"""The same storage suite on SQLite and PostgreSQL (real engines, no mocks)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.domain.notice import Kind
from hotline.ports import LockScope
from hotline.service import Actor, HotlineService, NoticeDraft

BLUE, RED = Actor("blue", "blue-1"), Actor("red", "red-1")


def test_durability_settings_are_what_the_design_promises(store: SqlStore) -> None:
    settings = store.settings()
    if store.engine == "sqlite":
        assert settings["journal_mode"] == "wal"
        assert settings["synchronous"] == "2"  # FULL
    else:
        assert settings["fsync"] == "on"
        assert settings["synchronous_commit"] == "on"


def test_round_trip_and_conflicts_both_directions(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    a = svc.put_notice(BLUE, "blue-1", NoticeDraft((vol(box(50, 10, 5), start),), purpose="CAP"))
    assert a.created and a.conflicts == ()
    b = svc.put_notice(RED, "red-1", NoticeDraft((vol(box(50.02, 10, 5), start),)))
    assert [c.other.id for c in b.conflicts] == ["blue-1"]
    with store.read() as tx:
        back = tx.get(Kind.NOTICE, "blue-1")
        assert back == a.declaration  # exact round trip through JSON
        mirrored = tx.conflicts_of(Kind.NOTICE, "blue-1")
    assert [(c.subject.id, c.other.id) for c in mirrored] == [("blue-1", "red-1")]
    assert mirrored[0].overlaps[0].window.start == start


def test_delete_forgets_index_rows_and_conflicts(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(50, 10, 5), start),)))
    svc.put_notice(RED, "r", NoticeDraft((vol(box(50, 10, 5), start),)))
    svc.delete(BLUE, Kind.NOTICE, "b")
    with store.read() as tx:
        assert tx.get(Kind.NOTICE, "b") is None
        assert tx.conflicts_of(Kind.NOTICE, "r") == []
    again = svc.put_notice(BLUE, "b2", NoticeDraft((vol(box(50, 10, 5), start),)))
    assert [c.other.id for c in again.conflicts] == ["r"]


def test_browse_pages_by_id_and_owner(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    for i in range(5):
        svc.put_notice(BLUE, f"n{i}", NoticeDraft((vol(box(40 + i, 10, 1), start),)))
    svc.put_notice(RED, "r0", NoticeDraft((vol(box(30, 10, 1), start),)))
    with store.read() as tx:
        page = tx.browse(Kind.NOTICE, owner="blue", limit=2, after="n1")
        assert [d.id for d in page] == ["n2", "n3"]
        assert len(tx.browse(Kind.NOTICE, limit=100)) == 6


def test_write_rolls_back_on_error(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    made = svc.put_notice(BLUE, "x", NoticeDraft((vol(box(50, 10, 5), start),)))
    with pytest.raises(RuntimeError), store.write(LockScope(everything=True)) as tx:
        tx.delete(Kind.NOTICE, "x")
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.get(Kind.NOTICE, "x") == made.declaration


def test_reopening_applies_no_migration_twice(store: SqlStore, tmp_path: object) -> None:
    if store.engine == "sqlite":
        from hotline.adapters.storage.sqlite import SqliteStore

        path = store.path  # type: ignore[attr-defined]
        SqliteStore(path).close()
        SqliteStore(path).close()
    else:
        from hotline.adapters.storage.postgres import PostgresStore

        PostgresStore(store.dsn).close()  # type: ignore[attr-defined]


def test_migrations_are_numbered_one_to_n_without_duplicates() -> None:
    """Two branches that each add "the next" migration must not both land silently: the
    runner refuses duplicate or missing numbers, and the shipped set is 1..n."""
    from hotline.adapters.storage.sql import migrations

    numbers = [n for n, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_sqlite_creates_databases_with_its_page_size_and_opens_older_ones(
        tmp_path: Path, clock: ManualClock) -> None:
    """A new SQLite database gets ``PAGE_SIZE`` pages (fewer bytes per dirty page in the WAL);
    a database made with SQLite's default 4 KiB pages keeps them and works as before."""
    import sqlite3

    from hotline.adapters.storage.sqlite import PAGE_SIZE, SqliteStore

    assert PAGE_SIZE != 4096
    old = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(old)) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE made_before (x INTEGER)")
    for path, size in ((tmp_path / "new.db", PAGE_SIZE), (old, 4096)):
        store = SqliteStore(path)
        try:
            svc = HotlineService(store, clock)
            start = clock.now() + timedelta(hours=2)
            svc.put_notice(BLUE, "b", NoticeDraft((vol(box(50, 10, 5), start),)))
            res = svc.put_notice(RED, "r", NoticeDraft((vol(box(50, 10, 5), start),)))
            assert [c.other.id for c in res.conflicts] == ["b"]
        finally:
            store.close()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA page_size").fetchone()[0] == size


@pytest.mark.parametrize("hours", [2, 30])  # one or two time buckets; several over a day
def test_sqlite_candidate_query_only_seeks(tmp_path: Path, clock: ManualClock,
                                           hours: int) -> None:
    """The one-statement candidate query (JSON arrays of cell ranges and ancestors) must be
    index seeks only: a plan that scans ``cells`` or ``entities`` reads every row (it took
    220 ms at 100k notices while the statement was being written)."""
    import sqlite3

    from hotline.adapters.storage.sql import json_candidates_sql
    from hotline.adapters.storage.sqlite import SqliteStore
    from hotline.strategic.policy import SeparationPolicy

    path = tmp_path / "plan.db"
    SqliteStore(path).close()  # the schema
    svc = HotlineService(SqliteStore(path), clock, None)
    start = clock.now() + timedelta(hours=2)
    queries, _, _ = svc._queries([vol(box(50, 10, 40), start, hours)])
    assert SeparationPolicy().horizontal_buffer_m == 0.0 and queries[0].cells.ancestors
    sql, params = json_candidates_sql(queries[0], " AND c.owner <> ?", ["blue"])
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("ANALYZE")
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    svc.store.close()
    assert not [s for s in plan if s.startswith("SCAN e") or s.startswith("SCAN c")], plan
    assert sum("cells_by_bucket" in s for s in plan) == 2, plan  # ranges, ancestors
    assert any("SEARCH e USING INDEX sqlite_autoindex_entities" in s for s in plan), plan


def _reopened(store: SqlStore) -> SqlStore:
    from hotline.adapters.storage.postgres import PostgresStore
    from hotline.adapters.storage.sqlite import SqliteStore

    store.close()
    return (SqliteStore(store.path) if isinstance(store, SqliteStore)  # type: ignore[attr-defined]
            else PostgresStore(store.dsn))  # type: ignore[attr-defined]


def test_migration_13_keeps_one_row_per_conflicting_pair(store: SqlStore,
                                                          clock: ManualClock) -> None:
    """Databases from before migration 13 hold each pair twice (once from each side): the
    migration keeps one, and both declarations still list the conflict from their side."""
    import json

    from hotline.adapters.codec import conflict_to_json

    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(50, 10, 5), start),)))
    svc.put_notice(RED, "r", NoticeDraft((vol(box(50, 10, 5), start),)))
    with store.write(LockScope(everything=True)) as tx:  # as the old code stored it
        (c,) = tx.conflicts_of(Kind.NOTICE, "b")  # (b's side: the row is r's)
        tx._run("INSERT INTO conflicts (kind, id, other_kind, other_id, body) "  # type: ignore[attr-defined]
                "VALUES (?, ?, ?, ?, ?)", ("notice", "b", "notice", "r",
                                           json.dumps(conflict_to_json(c))))
        assert len(tx.conflicts_of(Kind.NOTICE, "r")) == 2  # the duplicate the old rows made
        tx._run("DELETE FROM schema_migrations WHERE version = 13")  # type: ignore[attr-defined]
    again = _reopened(store)
    try:
        with again.read() as tx:
            for me, other in (("b", "r"), ("r", "b")):
                (seen,) = tx.conflicts_of(Kind.NOTICE, me)
                assert (seen.subject.id, seen.other.id) == (me, other)
                assert seen.overlaps[0].volume == 0 and seen.overlaps[0].other_volume == 0
            assert tx._all("SELECT COUNT(*) FROM conflicts")[0][0] == 1  # type: ignore[attr-defined]
    finally:
        again.close()


def test_a_party_is_known_from_its_first_record_but_an_auth_failure(
        store: SqlStore, clock: ManualClock) -> None:
    from hotline.ports import AuditEntry

    with store.write(LockScope()) as tx:
        assert not tx.party_known("blue") and not tx.party_known("ghost")
        tx.append_audits([AuditEntry(clock.now(), "ghost", "?", "auth.failure"),
                          AuditEntry(clock.now(), "blue", "blue-1", "message.send")])
        assert tx.party_known("blue") and not tx.party_known("ghost")
        (seq,) = tx.append_audits([AuditEntry(clock.now(), "red", "red-1", "notice.put")])
        tx.append_audits([AuditEntry(clock.now(), "red", "red-1", "notice.delete")])
        rows = tx._all("SELECT party, first_seq FROM parties ORDER BY party")  # type: ignore[attr-defined]
    assert [(p, int(s)) for p, s in rows] == [("blue", 1), ("red", seq)]
    with pytest.raises(RuntimeError), store.write(LockScope()) as tx:
        tx.append_audits([AuditEntry(clock.now(), "green", "g", "notice.put")])
        raise RuntimeError("boom")
    with store.read() as tx:  # the rolled back write made nobody known
        assert not tx.party_known("green") and tx.party_known("red")


def test_migration_14_knows_the_parties_of_an_older_audit_log(store: SqlStore,
                                                              clock: ManualClock) -> None:
    """Databases from before migration 14 have no parties table: the migration fills it
    from the audit log (first record but an auth.failure) and drops the index it replaces."""
    from hotline.ports import AuditEntry

    with store.write(LockScope()) as tx:
        tx.append_audits([AuditEntry(clock.now(), "ghost", "?", "auth.failure"),
                          AuditEntry(clock.now(), "blue", "blue-1", "notice.put"),
                          AuditEntry(clock.now(), "red", "red-1", "message.send"),
                          AuditEntry(clock.now(), "blue", "blue-1", "notice.delete")])
    with store.write(LockScope(everything=True)) as tx:  # as the old schema was
        tx._run("DROP TABLE parties")  # type: ignore[attr-defined]
        tx._run("CREATE INDEX audit_records_by_party ON audit_records (party, seq)")  # type: ignore[attr-defined]
        tx._run("DELETE FROM schema_migrations WHERE version = 14")  # type: ignore[attr-defined]
    again = _reopened(store)
    try:
        with again.read() as tx:
            assert tx.party_known("blue") and tx.party_known("red")
            assert not tx.party_known("ghost")
            rows = tx._all("SELECT party, first_seq FROM parties ORDER BY party")  # type: ignore[attr-defined]
        assert [(p, int(s)) for p, s in rows] == [("blue", 1), ("red", 2)]
    finally:
        again.close()
