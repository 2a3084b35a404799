"""Two parties writing overlapping notices at the same moment both learn of the conflict.

Real concurrent writers: threads, each with its own database connection, released together by
a barrier, on both engines. Whatever the interleaving, the conflict must be recorded and
visible from both notices.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.domain.notice import Kind
from hotline.service import Actor, HotlineService, NoticeDraft, PutResult

ROUNDS = 15


def test_simultaneous_overlapping_writers_both_learn(store: SqlStore, clock: ManualClock) -> None:
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=1)
    parties = [Actor("blue", "b"), Actor("red", "r"), Actor("green", "g"), Actor("white", "w")]
    for round_ in range(ROUNDS):
        lat = 30 + round_ * 0.5  # each round in its own place
        barrier = threading.Barrier(len(parties))
        results: dict[str, PutResult] = {}
        errors: list[BaseException] = []

        def write(actor: Actor, lat: float = lat, round_: int = round_,
                  barrier: threading.Barrier = barrier,
                  results: dict[str, PutResult] = results,
                  errors: list[BaseException] = errors) -> None:
            try:
                draft = NoticeDraft((vol(box(lat, 10, 5), start),))
                barrier.wait()
                results[actor.party] = svc.put_notice(actor, f"{actor.party}-{round_}", draft)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(p,)) for p in parties]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        # Every pair conflicts exactly once, whoever won the race: all n(n-1)/2 pairs seen.
        seen = {frozenset((p, c.other.owner)) for p, r in results.items() for c in r.conflicts}
        n = len(parties)
        assert len(seen) == n * (n - 1) // 2
        for p in parties:
            view = svc.get(p, Kind.NOTICE, f"{p.party}-{round_}")
            assert {c.other.owner for c in view.conflicts} == {q.party for q in parties} - {
                p.party}


@pytest.mark.postgres
def test_moving_a_notice_waits_for_the_lock_of_where_it_was(pg_dsn: str,
                                                           clock: ManualClock) -> None:
    """An amendment that moves a notice far away must also hold the lock of its old place,
    or a writer there could record a conflict with volumes that are already gone. The old
    place is read under the new place's lock (no read beforehand): a writer holding the old
    place's keys must hold the move up until it commits."""
    from conftest import _reset_pg
    from hotline.adapters.storage.postgres import PostgresStore

    _reset_pg(pg_dsn)  # (SQLite needs no such test: one lock serialises every write there)
    store = PostgresStore(pg_dsn)
    try:
        _move_while_the_old_place_is_locked(store, pg_dsn, clock)
    finally:
        store.close()


def _move_while_the_old_place_is_locked(store: SqlStore, dsn: str, clock: ManualClock) -> None:
    import psycopg

    from hotline.adapters.storage.postgres import GLOBAL_KEY
    from hotline.strategic.cells import coarse_lock_keys, covering

    svc = HotlineService(store, clock)
    blue = Actor("blue", "b")
    start = clock.now() + timedelta(hours=1)
    here, there = box(30, 10, 5), box(50, 100, 5)
    svc.put_notice(blue, "moving", NoticeDraft((vol(here, start),)))
    keys = coarse_lock_keys(covering(here, svc.config.separation.horizontal_buffer_m))
    assert keys and not set(keys) & set(
        coarse_lock_keys(covering(there, svc.config.separation.horizontal_buffer_m)) or ())
    done = threading.Event()
    errors: list[BaseException] = []

    def move() -> None:
        try:
            svc.put_notice(blue, "moving", NoticeDraft((vol(there, start),)), 1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        done.set()

    with psycopg.connect(dsn) as other:  # a writer at the old place, mid-transaction
        other.execute("SELECT pg_advisory_xact_lock_shared(%s)", (GLOBAL_KEY,))
        for k in sorted(keys):
            other.execute("SELECT pg_advisory_xact_lock(%s)", (k,))
        mover = threading.Thread(target=move)
        mover.start()
        assert not done.wait(1.0), "the move did not wait for the old place's lock"
        other.commit()
    assert done.wait(10.0)
    mover.join()
    assert not errors, errors
    assert svc.get(blue, Kind.NOTICE, "moving").declaration.version == 2
