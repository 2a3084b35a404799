"""The index never misses, end to end: conflicts found through the S2 index and the store
equal those of a brute-force exact check over all pairs.

Hypothesis builds small crowded scenes on a grid so that edges are shared exactly, windows
touch at hand-overs (and cross the index's time buckets, or are long enough to be stored as
"long") and bands touch at their limits; buffers vary. The comparison covers
every pair, in both directions, after all writes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from builders import vol
from conftest import NOW
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.domain.geometry import Circle, LatLng, Polygon
from hotline.domain.notice import Kind
from hotline.domain.volume import Volume4D
from hotline.service import (
    CONFLICTS_WITH,
    Actor,
    HotlineService,
    NoticeDraft,
    ServiceConfig,
    ZoneDraft,
)
from hotline.strategic.conflicts import overlaps
from hotline.strategic.policy import SeparationPolicy

STEP = 0.05  # grid step in degrees (~5 km): grid boxes share edges exactly


def wrap(lng: float) -> float:
    return round((lng + 180.0) % 360.0 - 180.0, 9)


def grid_box(i: int, j: int, w: int, h: int, lat0: float, lng0: float) -> Polygon:
    a, b = lat0 + i * STEP, lng0 + j * STEP
    c, d = a + h * STEP, b + w * STEP
    b, d = wrap(b), wrap(d)
    return Polygon((LatLng(a, b), LatLng(a, d), LatLng(c, d), LatLng(c, b)))


@st.composite
def volumes(draw: st.DrawFn, lat0: float, lng0: float) -> Volume4D:
    if draw(st.booleans()):
        fp: Polygon | Circle = grid_box(draw(st.integers(0, 4)), draw(st.integers(0, 4)),
                                        draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                                        lat0, lng0)
    else:
        centre = LatLng(lat0 + draw(st.integers(0, 8)) * STEP / 2,
                        wrap(lng0 + draw(st.integers(0, 8)) * STEP / 2))
        fp = Circle(centre, draw(st.sampled_from([500.0, 2000.0, 2780.0, 5560.0])))
    # Starts up to 8 h out and windows up to 49 h: windows cross the index's 6-hour time
    # buckets (NOW is 12:00 UTC, a boundary is at 18:00) and the longest are stored as "long".
    start = NOW + timedelta(minutes=30 * draw(st.integers(1, 16)))
    hours = draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 6.0, 12.0, 49.0]))
    lo = 100.0 * draw(st.integers(0, 10))
    hi = lo + 100.0 * draw(st.integers(1, 10))
    return vol(fp, start, hours, lo, hi)


@st.composite
def scenes(draw: st.DrawFn) -> tuple[float, list[tuple[str, Kind, list[Volume4D]]]]:
    lat0, lng0 = draw(st.sampled_from([(47.0, 8.0), (78.0, 15.0), (-33.9, 179.9)]))
    buffer = draw(st.sampled_from([0.0, 1.0, 500.0, 1852.0]))
    items = []
    for _ in range(draw(st.integers(2, 7))):
        party = draw(st.sampled_from(["blue", "red", "civil"]))
        kind = draw(st.sampled_from([Kind.NOTICE, Kind.NOTICE, Kind.ZONE]))
        items.append((party, kind, draw(st.lists(volumes(lat0, lng0), min_size=1, max_size=2))))
    return buffer, items


def _check(store: SqlStore, scene: tuple[float, list[tuple[str, Kind, list[Volume4D]]]],
           vbuf: float) -> None:
    buffer, items = scene
    policy = SeparationPolicy(horizontal_buffer_m=buffer, vertical_buffer_m=vbuf)
    svc = HotlineService(store, ManualClock(NOW), ServiceConfig(separation=policy))
    for n, (party, kind, vols) in enumerate(items):
        actor = Actor(party, party)
        if kind is Kind.NOTICE:
            svc.put_notice(actor, f"d{n}", NoticeDraft(tuple(vols)))
        else:
            svc.put_zone(actor, f"d{n}", ZoneDraft(tuple(vols)))
    expected: set[tuple[str, str]] = set()
    for a, (pa, ka, va) in enumerate(items):
        for b, (pb, kb, vb) in enumerate(items):
            if pa != pb and kb in CONFLICTS_WITH[ka] and overlaps(va, vb, policy):
                expected.add((f"d{a}", f"d{b}"))
    found: set[tuple[str, str]] = set()
    for n, (party, kind, _) in enumerate(items):
        view = svc.get(Actor(party, party), kind, f"d{n}")
        found |= {(f"d{n}", c.other.id) for c in view.conflicts}
    event(f"pairs in conflict: {min(len(expected), 5)}{'+' if len(expected) > 4 else ''}")
    assert found == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes(), st.sampled_from([0.0, 100.0]))
def test_index_plus_exact_equals_exact_on_all_pairs(
    scene: tuple[float, list[tuple[str, Kind, list[Volume4D]]]], vbuf: float
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "h.db")
        try:
            _check(store, scene, vbuf)
        finally:
            store.close()


@pytest.fixture(scope="module")
def pg_store(pg_dsn: str) -> Iterator[SqlStore]:
    from conftest import _reset_pg
    from hotline.adapters.storage.postgres import PostgresStore

    _reset_pg(pg_dsn)
    store = PostgresStore(pg_dsn)
    try:
        yield store
    finally:
        store.close()


@pytest.mark.postgres
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene=scenes(), vbuf=st.sampled_from([0.0, 100.0]))
def test_index_plus_exact_equals_exact_on_all_pairs_postgresql(
    pg_store: SqlStore, scene: tuple[float, list[tuple[str, Kind, list[Volume4D]]]],
    vbuf: float,
) -> None:
    """The same on PostgreSQL, whose candidate query is its own statement (arrays and a
    LATERAL join). Every table but the migrations' is emptied before each scene."""
    import psycopg

    with psycopg.connect(pg_store.dsn, autocommit=True) as conn:  # type: ignore[attr-defined]
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'schema_migrations'").fetchall()]
        conn.execute(f"TRUNCATE {', '.join(tables)}")
    _check(pg_store, scene, vbuf)
