"""Concurrent writers never leave a gap or a duplicate in a party's event stream.

Real threads, each with its own connection, released together by a barrier, on both engines:
several senders send messages to one another while others file conflicting notices (which
raise alerts) at the same time. Afterwards each party's seqs are exactly 1..n, and its stream
holds exactly the messages it received and the alerts addressed to it, once each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit.signing import Signer
from hotline.relay.messages import MessageDraft
from hotline.relaying import AlertDesk, EventDesk, MessageDesk
from hotline.service import Actor, HotlineService, NoticeDraft

PARTIES = ("blue", "red", "green")
MESSAGES_PER_SENDER = 8


def test_concurrent_writers_keep_each_stream_gap_free(
    store: SqlStore, clock: ManualClock
) -> None:
    svc = HotlineService(store, clock)
    signer = Signer(Ed25519PrivateKey.generate())
    messages, events = MessageDesk(store, clock, signer), EventDesk(store, clock, signer)
    alerts = AlertDesk(store, clock, signer)
    start = clock.now() + timedelta(hours=1)
    actors = {p: Actor(p, f"{p}-officer") for p in PARTIES}
    for i, p in enumerate(PARTIES):  # known to the hotline; no conflicts yet
        svc.put_notice(actors[p], f"{p}-home", NoticeDraft((vol(box(-40 + i * 5, 10, 5),
                                                                start),)))
    sent: dict[str, list[str]] = {p: [] for p in PARTIES}
    lock = threading.Lock()

    def sender(p: str) -> Callable[[], None]:
        def run() -> None:
            others = [q for q in PARTIES if q != p]
            for k in range(MESSAGES_PER_SENDER):
                to = others[k % len(others)]
                body = messages.send(actors[p], MessageDraft(to, text=f"{p} {k}")).body
                with lock:
                    sent[to].append(body["id"])
        return run

    def filer(p: str) -> Callable[[], None]:
        def run() -> None:
            for k in range(3):  # each round conflicts with the other parties' same round
                draft = NoticeDraft((vol(box(30 + k, 10, 5), start),))
                svc.put_notice(actors[p], f"{p}-{k}", draft)
        return run

    jobs = [sender(p) for p in PARTIES] + [filer(p) for p in PARTIES]
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for p in PARTIES:
        stream = events.list(actors[p], limit=1000)
        assert [e.seq for e in stream] == list(range(1, len(stream) + 1)), p
        got = [e.item_id for e in stream]
        assert len(got) == len(set(got)), f"{p}: an item twice in the stream"
        assert sorted(e.item_id for e in stream if e.kind == "message") == sorted(sent[p])
        alert_ids = sorted(a.id for a in alerts.list(actors[p], limit=1000))
        assert alert_ids and sorted(e.item_id for e in stream if e.kind == "alert") == alert_ids
