"""Track history and the track desk on both engines: batches stored exactly and gap-free,
out-of-order and future reports, stale tracks ageing out, the board rebuilt after a restart,
digests in the audit log that anyone holding the rows recomputes, need to know."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import Forbidden, TooLarge
from hotline.domain.notice import ZoneRole
from hotline.domain.tracks import ParseResult, TrackReport, make_report
from hotline.domain.units import NM
from hotline.ports import LockScope
from hotline.service import Actor, HotlineService, ZoneDraft
from hotline.tactical.digest import batch_digest, history_digest
from hotline.tracking import TrackConfig, TrackDesk


def rep(party: str, aircraft: str, t: datetime, lat: float = 35.0, lon: float = 37.0,
        alt: float = 7000.0, gs: float = 200.0, trk: float = 90.0,
        ref: AltitudeReference = AltitudeReference.PRESSURE) -> TrackReport:
    return make_report(party, aircraft, t, lat, lon, alt, ref, gs, trk, 0.0)


def batch(*reports: TrackReport) -> ParseResult:
    out = ParseResult()
    for i, r in enumerate(reports):
        out.add(r, f"reports[{i}]")
    return out


def test_batches_round_trip_exactly_and_seqs_are_gap_free(store: SqlStore,
                                                         clock: ManualClock) -> None:
    now = clock.now()
    a = [rep("blue", "B1", now, lat=35.123456789012345, lon=-0.1 + 0.2), rep("blue", "B2", now)]
    with store.write(LockScope()) as tx:
        assert tx.add_track_batch("blue", "feed-1", now, a, batch_digest(a)) == 1
        assert tx.add_track_batch("red", "feed-2", now, a[:1], batch_digest(a[:1])) == 2
    with store.read() as tx:
        assert tx.batch_reports(1) == a  # doubles, times and references survive exactly
        assert [b.seq for b in tx.track_batches(0)] == [1, 2]
        assert tx.track_batches(0)[0].digest == batch_digest(tx.batch_reports(1))
        assert tx.track_reports(since=now, party="blue", aircraft="B2") == [a[1]]
        assert tx.track_reports(since=now + timedelta(seconds=1)) == []


def test_ingest_outcomes(store: SqlStore, clock: ManualClock) -> None:
    desk = TrackDesk(store, clock, TrackConfig(stale_after_s=60, future_tolerance_s=5))
    now = clock.now()
    result = desk.ingest("blue", "feed", batch(
        rep("blue", "B1", now - timedelta(seconds=2)),
        rep("blue", "B1", now - timedelta(seconds=3)),  # older than the one before: out of order
        rep("blue", "B2", now + timedelta(seconds=4)),  # within the tolerance
        rep("blue", "B3", now + timedelta(seconds=30)),  # from the future: rejected
        rep("blue", "B4", now - timedelta(seconds=61)),  # already stale: history only
    ))
    assert (result.accepted, result.out_of_order, result.rejected) == (2, 2, 1)
    by_id = {o.aircraft: o for o in result.outcomes}
    assert by_id["B3"].status == "rejected" and "30.0 s ahead" in by_id["B3"].reason
    assert by_id["B3"].where == "reports[3]"
    assert by_id["B1"].status == "out_of_order" and by_id["B1"].where == "reports[1]"
    assert by_id["B4"].status == "out_of_order"
    with store.read() as tx:
        assert len(tx.batch_reports(result.batch or 0)) == 4  # all but the future one
    latest = {t.key: t.latest for t in desk.board.tracks(now)}
    assert latest[("blue", "B1")].time == now - timedelta(seconds=2)
    # stale tracks age out
    clock.advance(58.5)
    assert {t.key for t in desk.board.tracks(clock.now())} == {("blue", "B2")}
    clock.advance(10)
    assert desk.board.tracks(clock.now()) == []


def test_board_is_rebuilt_from_history(store: SqlStore, clock: ManualClock) -> None:
    desk = TrackDesk(store, clock)
    now = clock.now()
    desk.ingest("blue", "feed", batch(rep("blue", "B1", now - timedelta(seconds=5)),
                                      rep("blue", "B1", now)))
    desk.ingest("blue", "feed", batch(rep("blue", "OLD", now - timedelta(seconds=59.5))))
    clock.advance(1)
    again = TrackDesk(store, clock)
    assert again.load() == 1
    (track,) = again.board.tracks(clock.now())
    assert track.latest.time == now and len(track.trail) == 2


def test_foreign_party_and_oversized_batches_change_nothing(store: SqlStore,
                                                            clock: ManualClock) -> None:
    desk = TrackDesk(store, clock, TrackConfig(max_batch=2))
    now = clock.now()
    with pytest.raises(Forbidden, match="not red"):
        desk.ingest("blue", "feed", batch(rep("red", "R1", now)))
    with pytest.raises(TooLarge):
        desk.ingest("blue", "feed", batch(*[rep("blue", f"B{i}", now) for i in range(3)]))
    with store.read() as tx:
        assert tx.track_batches(0) == []


def test_digest_per_party_in_the_audit_log(store: SqlStore, clock: ManualClock) -> None:
    desk = TrackDesk(store, clock)
    now = clock.now()
    desk.ingest("blue", "feed", batch(rep("blue", "B1", now)))
    desk.ingest("red", "feed", batch(rep("red", "R1", now), rep("red", "R2", now)))
    desk.ingest("blue", "feed", batch(rep("blue", "B1", now + timedelta(seconds=1))))
    made = desk.digest()
    assert [(d.from_batch, d.to_batch, d.reports) for d in made] == [(1, 3, 2), (2, 3, 2)]
    assert desk.digest() == []  # nothing new
    with store.read() as tx:
        records = [json.loads(r.data) for r in tx.audit_records(-1, 100)]
        blue_batches = [b for b in tx.track_batches(0) if b.party == "blue"]
        recomputed = history_digest(batch_digest(tx.batch_reports(b.seq)) for b in blue_batches)
    digests = [r for r in records if r["action"] == "tracks.digest"]
    assert [d["party"] for d in digests] == ["blue", "red"]
    assert digests[0]["tracks"]["digest"] == recomputed
    desk.ingest("red", "feed", batch(rep("red", "R1", now + timedelta(seconds=2))))
    (later,) = desk.digest()
    assert (later.from_batch, later.to_batch) == (4, 4)


def test_need_to_know(store: SqlStore, clock: ManualClock) -> None:
    desk = TrackDesk(store, clock, TrackConfig(near_m=20 * NM,
                                               share_pairs=frozenset({frozenset({"blue",
                                                                                 "civil"})})))
    now = clock.now()
    desk.ingest("blue", "feed", batch(rep("blue", "B1", now, lat=35.0, lon=37.0)))
    desk.ingest("red", "feed", batch(
        rep("red", "NEAR", now, lat=35.1, lon=37.1),  # ~14 km from B1
        rep("red", "FAR", now, lat=38.0, lon=40.0),
        rep("red", "ZONE", now, lat=33.05, lon=30.0),  # just outside blue's zone
        rep("red", "ENC", now, lat=30.0, lon=20.0)))
    desk.ingest("civil", "feed", batch(rep("civil", "C1", now, lat=10.0, lon=10.0)))
    svc = HotlineService(store, clock)
    svc.put_zone(Actor("blue", "duty"), "blue-air", ZoneDraft(
        (vol(box(33.0, 30.0, 5), now - timedelta(minutes=5), 2, 0, 15000),),
        ZoneRole.AIRSPACE))
    desk.set_involved([(("blue", "B1"), ("red", "ENC"))])
    _, views = desk.visible("blue")
    assert {(v.track.latest.aircraft, v.why) for v in views} == {
        ("B1", "own"), ("NEAR", "near"), ("ZONE", "near_zone"), ("ENC", "encounter"),
        ("C1", "shared")}
    _, red_views = desk.visible("red")
    assert {v.track.latest.aircraft for v in red_views} == {"NEAR", "FAR", "ZONE", "ENC", "B1"}
    _, civil_views = desk.visible("civil")
    assert {v.track.latest.aircraft for v in civil_views} == {"C1", "B1"}
