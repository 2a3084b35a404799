"""The audit log on both engines: one record per accepted write, appended in the write's own
transaction; gap-free, unique seqs under real concurrent writers; the operator's full check
(``hotline audit verify``) names the first bad record."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import box, vol
from hotline.adapters.audit_key import load_or_create_audit_signer
from hotline.adapters.clock import ManualClock
from hotline.adapters.codec import declaration_to_json
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import canonical_json, leaf_hash
from hotline.auditing import AuditTrail, verify_store
from hotline.cli.main import main as hotline
from hotline.domain.errors import Conflict, Forbidden
from hotline.domain.notice import Kind, ZoneRole
from hotline.ports import AuditRow
from hotline.service import Actor, HotlineService, NoticeDraft, ZoneDraft

BLUE, RED = Actor("blue", "blue-1"), Actor("red", "red-1")


def rows(store: SqlStore) -> list[AuditRow]:
    with store.read() as tx:
        return tx.audit_records(-1, 1000)


def raw_sql(store: SqlStore, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the database behind the service's back, as its operator could."""
    if store.engine == "sqlite":
        import sqlite3

        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        with conn:
            conn.execute(sql, params)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(store.dsn, autocommit=True) as pg:  # type: ignore[attr-defined]
            pg.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]


def store_url(store: SqlStore) -> str:
    if store.engine == "sqlite":
        return f"sqlite:///{store.path}"  # type: ignore[attr-defined]
    return str(store.dsn)  # type: ignore[attr-defined]


def content_hash_of(d: Any) -> str:
    return hashlib.sha256(canonical_json(declaration_to_json(d))).hexdigest()


def test_each_accepted_write_appends_one_record(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=2)
    a = svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(50, 10, 5), start),), purpose="CAP"))
    clock.advance(1)
    b = svc.put_notice(RED, "r1", NoticeDraft((vol(box(50.02, 10, 5), start),)))
    clock.advance(1)
    z = svc.put_zone(RED, "z1", ZoneDraft((vol(box(40, 10, 5), start),), ZoneRole.PROTECTED))
    a2 = svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(45, 10, 5), start),)), 1)
    gone = svc.delete(RED, Kind.ZONE, "z1")
    # refused writes append nothing: the record is in the write's transaction
    with pytest.raises(Forbidden):
        svc.put_notice(RED, "b1", NoticeDraft((vol(box(45, 10, 5), start),)), 2)
    with pytest.raises(Conflict):
        svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(45, 10, 5), start),)), 1)

    everything = rows(store)
    assert [r.seq for r in everything] == list(range(9))
    for r in everything:
        d = json.loads(r.data)
        assert r.leaf_hash == leaf_hash(r.data) and canonical_json(d) == r.data
        assert d["seq"] == r.seq and d["party"] == r.party
    # the conflict r1 found raised one alert per party, recorded right after r1's write
    assert [(json.loads(r.data)["action"], r.party) for r in everything[2:4]] == [
        ("alert.create", "red"), ("alert.create", "blue")]
    # moving b1 away ended its conflict with r1: both alerts closed, right after that write
    assert sorted((json.loads(r.data)["action"], r.party) for r in everything[6:8]) == [
        ("alert.close", "blue"), ("alert.close", "red")]
    got = everything[:2] + everything[4:6] + everything[8:]
    data = [json.loads(r.data) for r in got]
    assert [(d["action"], d["party"], d["officer"]) for d in data] == [
        ("notice.put", "blue", "blue-1"), ("notice.put", "red", "red-1"),
        ("zone.put", "red", "red-1"), ("notice.put", "blue", "blue-1"),
        ("zone.delete", "red", "red-1"),
    ]
    assert data[0] == {
        "seq": 0, "at": "2026-11-24T12:00:00Z", "party": "blue", "officer": "blue-1",
        "action": "notice.put", "subject": {"kind": "notice", "id": "b1", "version": 1},
        "content_hash": content_hash_of(a.declaration), "conflicts": [],
    }
    assert data[1]["at"] == "2026-11-24T12:00:01Z"
    assert data[1]["conflicts"] == [{"kind": "notice", "id": "b1", "owner": "blue"}]
    assert data[1]["content_hash"] == content_hash_of(b.declaration)
    assert data[2]["content_hash"] == content_hash_of(z.declaration)
    assert data[3]["subject"]["version"] == 2
    assert data[3]["content_hash"] == content_hash_of(a2.declaration)
    assert data[4]["subject"] == {"kind": "zone", "id": "z1", "version": 1}
    assert data[4]["content_hash"] == content_hash_of(gone)
    report = verify_store(store, {})
    assert report.ok and report.size == 9, report


def test_concurrent_writers_get_gap_free_unique_seqs(
    store: SqlStore, clock: ManualClock, tmp_path: Path
) -> None:
    """Writers in different cells (which run concurrently on PostgreSQL) and auth failures,
    released together: seqs are exactly 0..n-1, each record's data names its own seq."""
    svc = HotlineService(store, clock)
    trail = AuditTrail(store, clock, load_or_create_audit_signer(tmp_path))
    start = clock.now() + timedelta(hours=1)
    writers, rounds = 8, 6
    barrier = threading.Barrier(writers + 2)
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):  # each writer far from the others: disjoint lock keys
                svc.put_notice(Actor(f"p{w}", "o"), f"n{w}-{i}",
                               NoticeDraft((vol(box(-60 + 15 * w, 20 * i - 50, 5), start),)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def fail_auth() -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                trail.record_auth_failure("unknown", "unknown", "token has expired")
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    def sign_heads() -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                trail.head()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    threads += [threading.Thread(target=fail_auth), threading.Thread(target=sign_heads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    got = rows(store)
    total = writers * rounds + rounds
    assert [r.seq for r in got] == list(range(total))
    assert [json.loads(r.data)["seq"] for r in got] == list(range(total))
    # the heads signed while the log grew are all consistent with it and never go back in time
    report = trail.verify()
    assert report.ok and report.size == total and report.heads_checked >= 1, report


def test_cli_verify_names_the_first_bad_record(
    store: SqlStore, clock: ManualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc = HotlineService(store, clock)
    trail = AuditTrail(store, clock, load_or_create_audit_signer(tmp_path))
    start = clock.now() + timedelta(hours=1)
    for i in range(6):
        svc.put_notice(BLUE, f"b{i}", NoticeDraft((vol(box(40 + i, 10, 5), start),)))
    trail.head()
    args = ["audit", "verify", "--db", store_url(store), "--data-dir", str(tmp_path)]
    assert hotline(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 6 records") and "1 signed tree heads verified" in out

    # edit record #3 (its purpose-free body hash) without rehashing
    (row,) = [r for r in rows(store) if r.seq == 3]
    edited = row.data.decode().replace('"content_hash":"', '"content_hash":"0')
    raw_sql(store, "UPDATE audit_records SET data = ? WHERE seq = ?", (edited, 3))
    assert hotline(args) == 1
    out = capsys.readouterr().out
    assert "first bad record #3" in out and "edited" in out

    # the same edit, rehashed: the stored signed head exposes it
    raw_sql(store, "UPDATE audit_records SET leaf_hash = ? WHERE seq = ?",
            (leaf_hash(edited.encode()).hex(), 3))
    assert hotline(args) == 1
    out = capsys.readouterr().out
    assert "BAD: first bad record #0" in out and "log rewritten" in out

    # a record moved to another party (column edited) is named too
    raw_sql(store, "UPDATE audit_records SET data = ?, leaf_hash = ? WHERE seq = ?",
            (row.data.decode(), row.leaf_hash.hex(), 3))
    assert hotline(args) == 0
    capsys.readouterr()
    raw_sql(store, "UPDATE audit_records SET party = ? WHERE seq = ?", ("red", 5))
    assert hotline(args) == 1
    assert "first bad record #5" in capsys.readouterr().out
