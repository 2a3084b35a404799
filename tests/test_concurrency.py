"""Two parties writing overlapping notices at the same moment both learn of the conflict.

Real concurrent writers: threads, each with its own database connection, released together by
a barrier, on both engines. Whatever the interleaving, the conflict must be recorded and
visible from both notices.
"""

from __future__ import annotations

import threading
from datetime import timedelta

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
