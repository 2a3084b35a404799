"""The live board's invariants (hypothesis): whatever the order reports arrive in, each track's
state is its newest non-stale report, out-of-order reports never change it, the trail is time
ordered and bounded, and stale tracks are gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hotline.domain.altitude import AltitudeReference
from hotline.domain.tracks import TrackReport, make_report
from hotline.tactical.board import TrackBoard

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def rep(aircraft: str, dt: int) -> TrackReport:
    return make_report("blue", aircraft, NOW - timedelta(seconds=dt), 35.0, 37.0 + dt / 1000,
                       1000.0, AltitudeReference.W84, 100.0, 0.0, 0.0)


reports = st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 120)),
                   max_size=40)


@given(reports)
def test_state_is_the_newest_fresh_report_in_any_order(items: list[tuple[str, int]]) -> None:
    board = TrackBoard(stale_after_s=60, trail_points=5)
    rs = [rep(a, dt) for a, dt in items]
    applied = board.apply(rs, NOW)
    assert sorted(applied.accepted + applied.out_of_order) == list(range(len(rs)))
    tracks = {t.key[1]: t for t in board.tracks(NOW)}
    for aircraft in "ABC":
        fresh = [dt for a, dt in items if a == aircraft and dt <= 60]
        if not fresh:
            assert aircraft not in tracks
            continue
        t = tracks[aircraft]
        assert t.latest.time == NOW - timedelta(seconds=min(fresh))
        times = [p.time for p in t.trail]
        assert times == sorted(set(times)) and len(times) <= 5 and times[-1] == t.latest.time
    # replaying everything again changes nothing: all out of order now
    again = board.apply(rs, NOW)
    assert again.accepted == ()
    assert {t.key[1]: t.latest for t in board.tracks(NOW)} == {
        k: v.latest for k, v in tracks.items()}


def test_stale_tracks_age_out() -> None:
    board = TrackBoard(stale_after_s=60)
    board.apply([rep("A", 10), rep("B", 50)], NOW)
    later = NOW + timedelta(seconds=15)
    assert [t.key[1] for t in board.tracks(later)] == ["A"]
    assert board.prune(later) == [("blue", "B")] and len(board) == 1
    assert len(board.arrays(later)) == 1
