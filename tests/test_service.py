"""Use cases through the service layer on a real SQLite store: conflicts, lead time,
versions, ownership, need to know, and bad input that changes nothing."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest

from builders import box, circle, vol
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from hotline.domain.notice import Kind, ZoneRole
from hotline.domain.units import FL, FT
from hotline.domain.volume import TimeWindow
from hotline.service import Actor, HotlineService, Limits, NoticeDraft, ServiceConfig, ZoneDraft
from hotline.strategic.policy import LeadTimePolicy, SeparationPolicy

BLUE, RED, CIVIL = Actor("blue", "blue-1"), Actor("red", "red-1"), Actor("civil", "atc-1")


@pytest.fixture
def sqlite(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "h.db")


def make(store: SqliteStore, clock: ManualClock, **config: object) -> HotlineService:
    return HotlineService(store, clock, ServiceConfig(**config))  # type: ignore[arg-type]


def test_both_sides_learn_of_a_conflict(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    first = svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 2),)))
    assert first.conflicts == ()
    second = svc.put_notice(RED, "r", NoticeDraft((vol(box(35.1, 37.1, 10), t + timedelta(
        hours=1), 2, lo=500, hi=3000),)))
    (c,) = second.conflicts
    assert (c.other.id, c.other.owner) == ("b", "blue")
    (o,) = c.overlaps
    assert o.window.start == t + timedelta(hours=1) and o.window.end == t + timedelta(hours=2)
    assert (o.vertical.lower_m, o.vertical.upper_m) == (500, 1000)
    view = svc.get(BLUE, Kind.NOTICE, "b")  # the party that filed first learns too
    assert [x.other.id for x in view.conflicts] == ["r"]


def test_own_declarations_never_conflict(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b1", NoticeDraft((vol(box(35, 37, 10), t),)))
    assert svc.put_notice(BLUE, "b2", NoticeDraft((vol(box(35, 37, 10), t),))).conflicts == ()


@pytest.mark.parametrize(
    ("dt_h", "lo", "hi", "buffers", "conflict"),
    [
        (1.0, 0, 1000, {}, False),  # windows touch at the hand-over: no conflict
        (0.999, 0, 1000, {}, True),
        (0, 1000, 2000, {}, False),  # bands touch: stacked blocks are normal
        (0, 999, 2000, {}, True),
        (0, 1000 + 1000 * FT, 3000, {"vertical_buffer_m": 1000 * FT}, False),  # exactly 1000 ft
        (0, 1000 + 999 * FT, 3000, {"vertical_buffer_m": 1000 * FT}, True),
    ],
)
def test_time_and_altitude_boundaries(
    sqlite: SqliteStore, clock: ManualClock, dt_h: float, lo: float, hi: float,
    buffers: dict[str, float], conflict: bool,
) -> None:
    svc = make(sqlite, clock, separation=SeparationPolicy(**buffers))
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 10), t, 1, 0, 1000),)))
    got = svc.put_notice(RED, "r", NoticeDraft((vol(box(35, 37, 10), t + timedelta(hours=dt_h),
                                                    1, lo, hi),)))
    assert bool(got.conflicts) is conflict


def test_horizontal_buffer(sqlite: SqliteStore, clock: ManualClock) -> None:
    t = clock.now() + timedelta(hours=1)
    svc = make(sqlite, clock, separation=SeparationPolicy(horizontal_buffer_m=5000))
    svc.put_notice(BLUE, "b", NoticeDraft((vol(circle(35, 37, 1000), t),)))
    # centres 6.5 km apart, radii 1 km: 4.5 km gap < 5 km buffer
    near = svc.put_notice(RED, "r", NoticeDraft((vol(circle(35, 37 + 6.5 / 91.3, 1000), t),)))
    assert near.conflicts and 4400 < near.conflicts[0].overlaps[0].distance_m < 4600
    far = svc.put_notice(RED, "r2", NoticeDraft((vol(circle(35, 37 + 8 / 91.3, 1000), t),)))
    assert far.conflicts == ()


def test_mixed_references_compare_through_a_conservative_envelope(
    sqlite: SqliteStore, clock: ManualClock
) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "fl", NoticeDraft((vol(box(35, 37, 10), t, lo=250 * FL, hi=260 * FL,
                                                ref=AltitudeReference.PRESSURE),)))
    # FL270-280 against FL250-260: same reference, exact, separated
    same = svc.put_notice(RED, "fl2", NoticeDraft((vol(box(35, 37, 10), t, lo=270 * FL,
                                                       hi=280 * FL,
                                                       ref=AltitudeReference.PRESSURE),)))
    assert same.conflicts == ()
    # 8,000 m W84 is 75 m above FL260 (7,925 m): inside the stated tolerance, so a conflict
    w84 = svc.put_notice(RED, "w84", NoticeDraft((vol(box(35, 37, 10), t, lo=8000, hi=9000),)))
    assert [c.other.id for c in w84.conflicts] == ["fl"]
    assert w84.conflicts[0].overlaps[0].vertical.reference is AltitudeReference.W84


def test_zone_conflicts_with_notices_both_ways(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 5), t),)))
    z = svc.put_zone(RED, "sam", ZoneDraft((vol(circle(35, 37, 20_000), t, 24),),
                                           ZoneRole.ENGAGEMENT))
    assert [c.other.id for c in z.conflicts] == ["b"]
    later = svc.put_notice(CIVIL, "c", NoticeDraft((vol(box(35.05, 37, 2), t),)))
    assert sorted(c.other.id for c in later.conflicts) == ["b", "sam"]
    other_zone = svc.put_zone(BLUE, "air", ZoneDraft((vol(circle(35, 37, 30_000), t, 24),)))
    assert sorted(c.other.id for c in other_zone.conflicts) == ["c"]  # zones vs zones: none


def test_lead_time_default_and_pair_override(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock,
               lead_time=LeadTimePolicy(900, {frozenset({"blue", "red"}): 3600}))
    svc.put_notice(RED, "r", NoticeDraft((vol(box(35, 37, 5), clock.now() + timedelta(
        minutes=20), 2),)))
    late = svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 5), clock.now() + timedelta(
        minutes=30), 1),)))
    assert late.declaration.lead_time.measured_s == 1800
    assert not late.declaration.lead_time.late  # 30 min >= 15 min default
    (c,) = late.conflicts
    assert c.lead_time.required_s == 3600 and c.lead_time.late  # but blue-red agreed 1 h
    early = svc.put_notice(CIVIL, "c", NoticeDraft((vol(box(35, 37, 5), clock.now() + timedelta(
        minutes=5), 1),)))
    assert early.declaration.lead_time.late and early.declaration.lead_time.measured_s == 300


def test_versions_and_ownership(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    draft = NoticeDraft((vol(box(35, 37, 5), t),))
    svc.put_notice(BLUE, "b", draft)
    with pytest.raises(Conflict, match="already exists at version 1"):
        svc.put_notice(BLUE, "b", draft)
    with pytest.raises(NotFound):
        svc.put_notice(BLUE, "new", draft, expected_version=3)
    v2 = svc.put_notice(BLUE, "b", NoticeDraft(draft.volumes, purpose="moved"), 1)
    assert v2.declaration.version == 2 and not v2.created
    assert v2.declaration.filed_at == v2.declaration.created_at  # volumes unchanged: no refile
    with pytest.raises(Conflict, match="is at version 2, not 1"):
        svc.put_notice(BLUE, "b", draft, 1)
    with pytest.raises(Forbidden):
        svc.put_notice(RED, "b", draft, 2)
    with pytest.raises(Forbidden):
        svc.delete(RED, Kind.NOTICE, "b")
    svc.delete(BLUE, Kind.NOTICE, "b", 2)
    with pytest.raises(NotFound):
        svc.get(BLUE, Kind.NOTICE, "b")


def test_need_to_know(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "b", NoticeDraft((vol(box(35, 37, 5), t),), purpose="secret"))
    svc.put_notice(RED, "r", NoticeDraft((vol(box(35, 37, 5), t),)))
    svc.put_notice(CIVIL, "c", NoticeDraft((vol(box(20, 37, 5), t),)))
    assert svc.get(RED, Kind.NOTICE, "b").full  # they conflict: details
    civil_view = svc.get(CIVIL, Kind.NOTICE, "b")
    assert not civil_view.full and civil_view.conflicts == ()  # no conflict: reserved only
    red_view = svc.get(RED, Kind.NOTICE, "b")
    assert {c.other.owner for c in red_view.conflicts} == {"red"}


def test_bad_input_changes_nothing(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock, limits=Limits(max_area_m2=10_000e6, max_volumes=2))
    t = clock.now() + timedelta(hours=1)
    good = vol(box(35, 37, 5), t)
    svc.put_notice(BLUE, "b", NoticeDraft((good,)))
    cases = [
        (InvalidInput, NoticeDraft((vol(box(35, 37, 5), clock.now() - timedelta(hours=2)),))),
        (TooLarge, NoticeDraft((vol(box(35, 37, 80), t),))),  # 25,600 km² > 10,000 km²
        (TooLarge, NoticeDraft((good, good, good))),
        (InvalidInput, NoticeDraft((good,), priority=101)),
    ]
    for error, draft in cases:
        with pytest.raises(error):
            svc.put_notice(BLUE, "b", draft, 1)
        with pytest.raises(error):
            svc.put_notice(BLUE, "fresh", draft)
    assert svc.get(BLUE, Kind.NOTICE, "b").declaration.version == 1
    with pytest.raises(NotFound):
        svc.get(BLUE, Kind.NOTICE, "fresh")
    with pytest.raises(InvalidInput, match="not a valid identifier"):
        svc.put_notice(BLUE, "../etc", NoticeDraft((good,)))


def test_list_by_area_and_time(sqlite: SqliteStore, clock: ManualClock) -> None:
    svc = make(sqlite, clock)
    t = clock.now() + timedelta(hours=1)
    svc.put_notice(BLUE, "north", NoticeDraft((vol(box(40, 10, 5), t),)))
    svc.put_notice(BLUE, "south", NoticeDraft((vol(box(30, 10, 5), t),)))
    svc.put_notice(RED, "later", NoticeDraft((vol(box(40, 10, 5), t + timedelta(days=2)),)))
    area = vol(box(40, 10, 50), t, 2, -1000, 100_000)
    assert [v.declaration.id for v in svc.list(BLUE, Kind.NOTICE, area=area)] == ["north"]
    assert [v.declaration.id for v in svc.list(BLUE, Kind.NOTICE, mine_only=True)] == [
        "north", "south"]
    soon = TimeWindow(t + timedelta(days=1), t + timedelta(days=3))
    assert [v.declaration.id for v in svc.list(BLUE, Kind.NOTICE, window=soon)] == ["later"]


def _rows_of(store: SqlStore, table: str, id: str) -> int:
    """Rows of ``table`` naming ``id`` (as subject or other), read with a connection of
    its own."""
    where = "id = ?" if table == "cells" else "id = ? OR other_id = ?"
    args = (id,) if table == "cells" else (id, id)
    if isinstance(store, SqliteStore):
        import sqlite3

        with contextlib.closing(sqlite3.connect(store.path)) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}",
                                    args).fetchone()[0])
    import psycopg

    with psycopg.connect(store.dsn) as conn:  # type: ignore[attr-defined]
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where.replace('?', '%s')}",
                                args).fetchone()[0])  # type: ignore[index]


def test_moving_withdrawing_and_refiling_leave_no_stale_rows(store: SqlStore,
                                                            clock: ManualClock) -> None:
    """An amendment replaces the index and conflict rows of the version before; a withdrawal
    deletes them, so filing the same id again (which skips the replacing) starts clean."""
    svc = HotlineService(store, clock)
    start = clock.now() + timedelta(hours=1)
    here, there = vol(box(30, 10, 5), start), vol(box(40, 20, 5), start)
    svc.put_notice(RED, "r", NoticeDraft((here,)))
    svc.put_notice(BLUE, "n", NoticeDraft((here,)))
    svc.put_notice(BLUE, "m", NoticeDraft((there,)))  # (own: no conflict) to count cells
    cells_here, cells_there = _rows_of(store, "cells", "n"), _rows_of(store, "cells", "m")
    assert cells_here > 0 and _rows_of(store, "conflicts", "n") == 1  # one row per pair
    svc.put_notice(BLUE, "n", NoticeDraft((there,)), 1)  # moved away: no conflict left
    assert _rows_of(store, "conflicts", "n") == 0
    assert svc.get(RED, Kind.NOTICE, "r").conflicts == ()
    assert _rows_of(store, "cells", "n") == cells_there  # only there
    svc.delete(BLUE, Kind.NOTICE, "n")
    assert _rows_of(store, "cells", "n") == 0
    res = svc.put_notice(BLUE, "n", NoticeDraft((here,)))  # filed anew, back here
    assert [c.other.id for c in res.conflicts] == ["r"]
    assert _rows_of(store, "cells", "n") == cells_here
    assert _rows_of(store, "conflicts", "n") == 1
    assert [c.other.id for c in svc.get(RED, Kind.NOTICE, "r").conflicts] == ["n"]
