"""Live detection into the relay, on both engines: encounters graded and deduplicated (one
alert per pair that updates its level), closed when cleared and reopened, zone approach turning
into incursion on one alert, events and audit records for every change and none otherwise."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from builders import box, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.domain.altitude import AltitudeReference
from hotline.domain.notice import ZoneRole
from hotline.domain.tracks import ParseResult, TrackReport, make_report
from hotline.domain.units import FT, KT, NM
from hotline.ports import LockScope
from hotline.service import Actor, HotlineService, ZoneDraft
from hotline.tactical.live import EncounterWatch, LiveOptions
from hotline.tactical.profiles import get_profile
from hotline.tracking import TrackDesk
from hotline.watching import TrackWatch

LAT = 35.0
M_PER_DEG = 111_195.0  # mean-sphere metres per degree of latitude


def at_north(party: str, aircraft: str, t: datetime, north_m: float, alt_ft: float,
             trk: float, gs_kt: float = 300.0, lon: float = 37.0) -> TrackReport:
    return make_report(party, aircraft, t, LAT + north_m / M_PER_DEG, lon, alt_ft * FT,
                       AltitudeReference.PRESSURE, gs_kt * KT, trk, 0.0)


def post(desk: TrackDesk, *reports: TrackReport) -> None:
    out = ParseResult()
    for r in reports:
        out.add(r, r.aircraft)
    desk.ingest(reports[0].party, "feed", out)


def audit_actions(store: SqlStore) -> list[str]:
    with store.read() as tx:
        return [json.loads(r.data)["action"] for r in tx.audit_records(-1, 1000)]


def head_on(desk: TrackDesk, now: datetime, gap_m: float) -> None:
    """Blue northbound, red southbound, same level, ``gap_m`` apart, closing at 600 kt."""
    post(desk, at_north("blue", "B1", now, -gap_m / 2, 25000, 0.0))
    post(desk, at_north("red", "R1", now, gap_m / 2, 25000, 180.0))


def test_encounter_levels_dedup_close_and_reopen(store: SqlStore, clock: ManualClock) -> None:
    """A head-on pair flown every 4 s: the well-clear alerter's filtered level climbs 1 -> 2
    -> 3 on ONE alert per party (written only when the level changes); after the aircraft
    turn away the alert is closed, and a new encounter of the same pair reopens it."""
    desk = TrackDesk(store, clock)
    watch = TrackWatch(desk, store, clock, clear_after_s=5)
    closing = 600 * KT
    gap0 = 5 * NM + 180 * closing  # 180 s from a 5 NM loss
    levels: list[int] = []
    for k in range(0, 200, 4):
        head_on(desk, clock.now(), max(gap0 - k * closing, 0.0))
        n_audit = len(audit_actions(store))
        got = watch.run_once()
        with store.read() as tx:
            mine = tx.alerts_for("blue")
        level = mine[0].body["level"] if mine else 0
        if levels and level == levels[-1]:
            assert (got.created, got.updated) == (0, 0)  # nothing written without a change
            assert len(audit_actions(store)) == n_audit
        levels.append(level)
        clock.advance(4)
    changes = [lv for n, lv in enumerate(levels) if n == 0 or lv != levels[n - 1]]
    assert changes == [0, 1, 2, 3], levels
    with store.read() as tx:
        (blue,) = tx.alerts_for("blue")
        (red,) = tx.alerts_for("red")
        events = tx.events_for("blue")
    assert blue.kind.value == "encounter" and blue.severity.value == "urgent"
    assert blue.body["subject"] == {"kind": "track", "id": "B1", "owner": "blue"}
    assert blue.body["with"] == {"kind": "track", "id": "R1", "owner": "red"}
    assert blue.body["profile"] == "live" and 0 <= blue.body["time_to_violation_s"] <= 40
    assert red.body["subject"]["id"] == "R1" and red.body["level"] == 3
    assert [e.body["body"]["level"] for e in events] == [1, 2, 3]
    assert desk.visible("blue")[1][1].why == "encounter"  # need to know follows
    # they turn away and climb apart: the level decays, then the alert closes
    for _ in range(20):
        post(desk, at_north("blue", "B1", clock.now(), -20 * NM, 15000, 180.0))
        post(desk, at_north("red", "R1", clock.now(), 20 * NM, 35000, 0.0))
        watch.run_once()
        clock.advance(4)
    with store.read() as tx:
        closed = tx.get_alert(blue.id)
    assert closed is not None and closed.closed_at is not None
    # they meet again: the same alert is reopened, not a new one
    for _ in range(3):
        head_on(desk, clock.now(), 2 * NM)
        watch.run_once()
        clock.advance(4)
    with store.read() as tx:
        (reopened,) = tx.alerts_for("blue")
    assert reopened.id == blue.id and reopened.closed_at is None
    actions = audit_actions(store)
    assert actions.count("alert.create") == 2 and actions.count("alert.close") == 2
    assert actions.count("alert.reopen") == 2


def test_same_party_and_level_975_ft_apart_raise_nothing(store: SqlStore,
                                                        clock: ManualClock) -> None:
    desk = TrackDesk(store, clock)
    watch = TrackWatch(desk, store, clock)
    now = clock.now()
    post(desk, at_north("blue", "B1", now, 0, 25000, 0.0),
         at_north("blue", "B2", now, 1000, 25000, 180.0))  # same party: not an encounter
    post(desk, at_north("red", "R1", now, 0, 25975, 180.0, lon=37.001))  # 975 ft: quantised
    assert watch.run_once().encounters == 0
    clock.advance(4)
    post(desk, at_north("red", "R1", clock.now(), 0, 25975, 180.0, lon=37.001))
    assert watch.run_once().encounters == 0
    # without the altimetry tolerance the same pair is an encounter
    raw = EncounterWatch(LiveOptions(get_profile("live", altimetry_tolerance_m=0.0)))
    found = []
    for _ in range(2):  # M-of-N: two detections raise the filtered level
        clock.advance(4)
        post(desk, at_north("blue", "B1", clock.now(), 0, 25000, 0.0),
             at_north("blue", "B2", clock.now(), 1000, 25000, 180.0))
        post(desk, at_north("red", "R1", clock.now(), 0, 25975, 180.0, lon=37.001))
        found = raw.step(desk.board.tracks(clock.now()), clock.now()) or []
    assert ((("blue", "B1"), ("red", "R1"))) in {(e.a, e.b) for e in found}
    assert all(e.a[0] != e.b[0] for e in found)
    with store.read() as tx:
        assert tx.alerts_for("blue") == [] and tx.alerts_for("red") == []


def test_zone_approach_then_incursion(store: SqlStore, clock: ManualClock) -> None:
    now = clock.now()
    HotlineService(store, clock).put_zone(Actor("red", "duty"), "red-sam", ZoneDraft(
        (vol(box(LAT, 38.0, 10), now - timedelta(minutes=1), 2, 0, 20000),),
        ZoneRole.ENGAGEMENT, "SAM site"))
    desk = TrackDesk(store, clock)
    watch = TrackWatch(desk, store, clock)
    # blue eastbound at 300 kt, 30 km west of the zone's west edge (~81 km from 38.0E)
    speed = 300 * KT
    west_edge = 38.0 - 10 / (111.32 * math.cos(math.radians(LAT)))
    start_lon = west_edge - 30_000 / (M_PER_DEG * math.cos(math.radians(LAT)))
    post(desk, make_report("blue", "B1", now, LAT, start_lon, 8000.0,
                           AltitudeReference.W84, speed, 90.0, 0.0))
    first = watch.run_once()
    assert (first.zone_events, first.created) == (1, 2)
    with store.read() as tx:
        (mine,) = tx.alerts_for("blue")
        (theirs,) = tx.alerts_for("red")
    assert mine.kind.value == "zone_approach" and mine.severity.value == "warning"
    assert math.isclose(mine.body["time_to_entry_s"], 30_000 / speed, abs_tol=2.0)
    assert mine.body["zone"]["role"] == "engagement" and mine.body["zone"]["id"] == "red-sam"
    assert theirs.body["subject"] == {"kind": "zone", "id": "red-sam", "owner": "red"}
    assert theirs.body["track"]["id"] == "B1"
    # inside the zone now: a new, urgent incursion alert to both; the approach closes
    clock.advance(200)
    post(desk, make_report("blue", "B1", clock.now(), LAT, 38.0, 8000.0,
                           AltitudeReference.W84, speed, 90.0, 0.0))
    got = watch.run_once()  # (the approach was last found 200 s ago: closed now)
    assert (got.created, got.closed) == (2, 2)
    with store.read() as tx:
        approach, incursion = tx.alerts_for("blue")
    assert approach.id == mine.id and approach.closed_at is not None
    assert approach.kind.value == "zone_approach"
    assert incursion.kind.value == "incursion" and incursion.closed_at is None
    assert incursion.severity.value == "urgent" and incursion.body["time_to_entry_s"] == 0.0
    # red's own aircraft in red's zone: nothing
    post(desk, make_report("red", "R9", clock.now(), LAT, 38.0, 8000.0,
                           AltitudeReference.W84, 100.0, 0.0, 0.0))
    assert watch.run_once().zone_events == 1


def test_a_level_rise_after_acknowledgment_asks_for_a_new_one(store: SqlStore,
                                                              clock: ManualClock) -> None:
    """Blue acknowledges the encounter at level 1; when it rises to 2 the acknowledgment no
    longer covers it: blue's alert is re-armed (ack cleared, a new deadline, an event and an
    ``alert.rearm`` record), while red's, never acknowledged, is only updated."""
    desk = TrackDesk(store, clock)
    watch = TrackWatch(desk, store, clock, clear_after_s=5)
    closing = 600 * KT
    gap0 = 5 * NM + 180 * closing
    acked_at: datetime | None = None
    for k in range(0, 200, 4):
        head_on(desk, clock.now(), max(gap0 - k * closing, 0.0))
        watch.run_once()
        with store.read() as tx:
            mine = tx.alerts_for("blue")
        if mine and acked_at is None:
            assert mine[0].body["level"] == 1
            acked_at = clock.now()
            with store.write(LockScope()) as tx:
                tx.ack_alert(mine[0].id, acked_at, "blue-1", {"receipt": "kept"})
        if mine and mine[0].body["level"] == 2:
            break
        clock.advance(4)
    with store.read() as tx:
        (blue,) = tx.alerts_for("blue")
        (red,) = tx.alerts_for("red")
        events = [e.body["body"]["level"] for e in tx.events_for("blue")]
    assert acked_at is not None and blue.body["level"] == 2
    assert blue.ack_at is None and blue.receipt is None  # acknowledge again
    assert blue.deadline_at is not None and blue.deadline_at > clock.now()
    assert blue.reopened == 1 and red.reopened == 0
    assert events == [1, 2]
    actions = audit_actions(store)
    assert actions.count("alert.rearm") == 1 and actions.count("alert.update") == 1
