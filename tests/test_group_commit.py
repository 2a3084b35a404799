"""SQLite group commit: concurrent writers share commits (one fsync for many writes), yet each
write is durable before its ``with store.write()`` returns, a failing write rolls back only
itself, and a lone writer commits at once."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.ports import AuditEntry, LockScope

THREADS, EACH = 8, 40


def _committed_actions(path: Path) -> list[str]:
    """What another connection (another process could be it) sees as committed."""
    with sqlite3.connect(path) as conn:
        return [json.loads(d)["action"] for (d,) in conn.execute(
            "SELECT data FROM audit_records ORDER BY seq")]


def test_concurrent_writes_share_commits_and_failures_stay_their_own(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "g.db"
    store = SqliteStore(path)
    try:
        # alone: one write, one commit, visible to another connection when write() returns
        with store.write(LockScope()) as tx:
            tx.append_audit(AuditEntry(clock.now(), "blue", "b", "solo", None))
        assert store.commits == 1 and _committed_actions(path) == ["solo"]

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
                    if action not in _committed_actions(path):
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
        actions = _committed_actions(path)
        wanted = {f"w{n}-{i}" for n in range(THREADS) for i in range(EACH) if i % 10 != 3}
        assert sorted(actions[1:]) == sorted(wanted)  # each once; the failed ones not at all
        with store.read() as tx:
            seqs = [r.seq for r in tx.audit_records(-1, 1000)]
        assert seqs == list(range(len(wanted) + 1))  # gap-free despite the rollbacks
        # fewer commits than writes: concurrent writers shared them
        assert store.commits < 1 + len(wanted), store.commits
    finally:
        store.close()


def test_group_commit_can_be_turned_off_by_url(tmp_path: Path, clock: ManualClock) -> None:
    """``?group_commit=off`` (the benchmark's baseline): every write is its own commit."""
    from hotline.adapters.storage import open_store

    store = open_store(f"sqlite:///{tmp_path / 'serial.db'}?group_commit=off")
    assert isinstance(store, SqliteStore) and not store.group_commit
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
        assert store.commits == 80
    finally:
        store.close()
