"""Group commit, on both engines: concurrent writers share commits (one WAL flush for many
writes), yet each write is durable before its ``with store.write()`` returns, a failing write
rolls back only itself, and a lone writer commits at once; a write that cannot get its locks
at once does not hold up the batch it would have joined (PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.postgres import PostgresStore
from hotline.adapters.storage.sql import SqlStore
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.domain.errors import HotlineError
from hotline.ports import AuditEntry, LockScope

THREADS, EACH = 8, 40


def _committed_actions(store: SqlStore) -> list[str]:
    """What another connection (another process could be it) sees as committed."""
    sql = "SELECT data FROM audit_records ORDER BY seq"
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as conn:
            return [json.loads(d)["action"] for (d,) in conn.execute(sql)]
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.dsn) as pg:
        return [json.loads(d)["action"] for (d,) in pg.execute(sql).fetchall()]


def test_concurrent_writes_share_commits_and_failures_stay_their_own(
    store: SqlStore, clock: ManualClock
) -> None:
    # alone: one write, one commit, visible to another connection when write() returns
    with store.write(LockScope()) as tx:
        tx.append_audit(AuditEntry(clock.now(), "blue", "b", "solo", None))
    assert store.commits == 1 and _committed_actions(store) == ["solo"]

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    unseen: list[str] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(EACH):
                action = f"w{n}-{i}"
                fail = i % 10 == 3  # every tenth write of each thread fails midway
                try:
                    with store.write(LockScope()) as tx:
                        tx.append_audit(AuditEntry(clock.now(), "blue", "b", action, None))
                        if fail:
                            raise RuntimeError("refused")
                except RuntimeError:
                    continue
                # durable and visible before write() returned
                if action not in _committed_actions(store):
                    unseen.append(action)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not unseen, unseen[:5]
    actions = _committed_actions(store)
    wanted = {f"w{n}-{i}" for n in range(THREADS) for i in range(EACH) if i % 10 != 3}
    assert sorted(actions[1:]) == sorted(wanted)  # each once; the failed ones not at all
    with store.read() as tx:
        seqs = [r.seq for r in tx.audit_records(-1, 1000)]
    assert seqs == list(range(len(wanted) + 1))  # gap-free despite the rollbacks
    # fewer commits than writes: concurrent writers shared them
    commits = store.commits
    assert commits < 1 + len(wanted), commits


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
def test_group_commit_can_be_turned_off_by_url(tmp_path: Path, clock: ManualClock,
                                               engine: str, request: pytest.FixtureRequest
                                               ) -> None:
    """``?group_commit=off`` (the benchmark's baseline): every write is its own commit."""
    from hotline.adapters.storage import open_store

    if engine == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'serial.db'}?group_commit=off")
        assert isinstance(store, SqliteStore) and not store.group_commit

        def committed() -> int:
            return store.commits
    else:
        from conftest import _reset_pg

        dsn = request.getfixturevalue("pg_dsn")
        _reset_pg(dsn)
        sep = "&" if "?" in dsn else "?"
        store = open_store(f"{dsn}{sep}group_commit=off")
        assert isinstance(store, PostgresStore) and store.writes is None

        def committed() -> int:
            return len(_committed_actions(store))
    try:
        def work() -> None:
            for _ in range(20):
                with store.write(LockScope()) as tx:
                    tx.append_audit(AuditEntry(clock.now(), "blue", "b", "w", None))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert committed() == 80
    finally:
        store.close()


@pytest.mark.postgres
def test_a_write_that_must_wait_for_a_lock_does_not_hold_up_the_batch(
        pg_dsn: str, clock: ManualClock) -> None:
    """Write 1 (cell key 1) leaves its batch open because write 2 is queued; write 2 needs
    key 2, which another process holds. Write 2 must not wait inside the batch (that would
    hold write 1's commit, and its locks, hostage, and could deadlock batches of two
    processes): the batch commits, write 1 returns, and write 2 waits holding nothing."""
    from conftest import _reset_pg

    _reset_pg(pg_dsn)
    ours, other = PostgresStore(pg_dsn), PostgresStore(pg_dsn)
    assert ours.writes is not None
    writes = ours.writes
    holding, release = threading.Event(), threading.Event()
    inside, done1, done2 = threading.Event(), threading.Event(), threading.Event()

    def hold_key_2() -> None:  # the other process: holds cell key 2, appends nothing
        with other.write(LockScope(keys=(2,))):
            holding.set()
            release.wait(30)

    def write(key: int, name: str, inside_: threading.Event | None,
              then: threading.Event) -> None:
        with ours.write(LockScope(keys=(key,))) as tx:
            tx.append_audit(AuditEntry(clock.now(), "blue", "b", name, None))
            if inside_ is not None:
                inside_.set()
                deadline = time.monotonic() + 10
                while writes._queued < 2 and time.monotonic() < deadline:  # write 2 queued
                    time.sleep(0.001)
        then.set()

    threads = [threading.Thread(target=hold_key_2)]
    threads[0].start()
    try:
        assert holding.wait(10)
        threads.append(threading.Thread(target=write, args=(1, "w1", inside, done1)))
        threads[-1].start()
        assert inside.wait(10)
        threads.append(threading.Thread(target=write, args=(2, "w2", None, done2)))
        threads[-1].start()
        assert done1.wait(10), "write 1 was held up by write 2's lock wait"
        assert _committed_actions(ours) == ["w1"] and not done2.is_set()
        release.set()
        assert done2.wait(10)
        assert _committed_actions(ours) == ["w1", "w2"]
        assert writes.commits == 2
    finally:
        release.set()
        for t in threads:
            t.join(timeout=30)
        ours.close()
        other.close()


@pytest.mark.postgres
def test_a_batch_postgresql_rolled_back_is_never_reported_committed(
        pg_dsn: str, clock: ManualClock) -> None:
    """Write 2 swallows an SQL error, leaving the shared transaction failed: PostgreSQL then
    answers COMMIT with "ROLLBACK", not an error. Write 1, in the same batch, must fail too,
    not return as if durable (every write that returns is in the database)."""
    from conftest import _reset_pg

    _reset_pg(pg_dsn)
    store = PostgresStore(pg_dsn)
    assert store.writes is not None
    writes = store.writes
    inside = threading.Event()
    outcome: dict[str, str] = {}

    def write1() -> None:
        try:
            with store.write(LockScope(keys=(1,))) as tx:
                tx.append_audit(AuditEntry(clock.now(), "blue", "b", "w1", None))
                inside.set()
                deadline = time.monotonic() + 10
                while writes._queued < 2 and time.monotonic() < deadline:
                    time.sleep(0.001)
            outcome["w1"] = "returned"
        except Exception as exc:
            outcome["w1"] = type(exc).__name__

    def write2() -> None:
        try:
            with store.write(LockScope(keys=(2,))) as tx, contextlib.suppress(psycopg.Error):
                tx._run("SELECT 1/0")  # the error is swallowed: the transaction failed
            outcome["w2"] = "returned"
        except Exception as exc:
            outcome["w2"] = type(exc).__name__

    try:
        t1 = threading.Thread(target=write1)
        t1.start()
        assert inside.wait(10)
        t2 = threading.Thread(target=write2)
        t2.start()
        t1.join(30)
        t2.join(30)
        committed = _committed_actions(store)
        assert outcome["w1"] != "returned" or "w1" in committed, (outcome, committed)
        assert outcome["w2"] != "returned", outcome
        assert committed == []
    finally:
        store.close()


@pytest.mark.postgres
def test_without_group_commit_a_failed_transaction_is_not_reported_committed(
        pg_dsn: str, clock: ManualClock) -> None:
    """The pooled path (``?group_commit=off``): psycopg ends a transaction block whose
    statement failed with a silent ROLLBACK; the store must raise instead."""
    from conftest import _reset_pg

    _reset_pg(pg_dsn)
    store = PostgresStore(pg_dsn, group_commit=False)
    try:
        with pytest.raises(HotlineError, match="not committed"), store.write(LockScope()) as tx:
            tx.append_audit(AuditEntry(clock.now(), "blue", "b", "lost", None))
            with contextlib.suppress(psycopg.Error):
                tx._run("SELECT 1/0")
        assert _committed_actions(store) == []
    finally:
        store.close()


def test_sqlite_writers_of_other_processes_wait_for_the_file_lock_then_give_up(
        tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite writers queue on an exclusive flock of ``<db>-lock`` (another process's
    writers hold it the same way): a write waits while it is held, starts the moment it is
    freed, and fails like SQLite's busy timeout if it stays held, leaving no lock behind."""
    import fcntl
    import os

    from hotline.adapters.storage import sqlite as engine

    store = SqliteStore(tmp_path / "h.db")
    other = os.open(f"{tmp_path / 'h.db'}-lock", os.O_RDWR | os.O_CREAT)  # "another process"
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 0.3)
        t0 = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"), \
                store.write(LockScope()) as tx:
            tx.append_audit(AuditEntry(clock.now(), "blue", "b", "test", None, {}))
        assert 0.3 <= time.monotonic() - t0 < 5
        # a writer that waits is woken the moment the lock is free
        monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 30.0)
        threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()
        t0 = time.monotonic()
        with store.write(LockScope()) as tx:
            tx.append_audit(AuditEntry(clock.now(), "blue", "b", "test", None, {}))
        assert 0.15 <= time.monotonic() - t0 < 5
        # nothing kept it: neither the write, nor the wait that gave up
        time.sleep(0.1)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_UN)
        with store.read() as tx:
            assert tx.audit_size() == 1
    finally:
        os.close(other)
        store.close()
