"""The S2 cell index: conservative coverings, mixed-level queries, advisory-lock keys.

The acceptance property: whenever two footprints conflict, the index finds the pair. Footprints
are random polygons (3-12 vertices, either orientation) and circles, 100 m to 600 km across,
anywhere, near the antimeridian and at or around the poles; pairs are near each other, share an
edge, or sit just under or over the buffer apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
import s2geometry as s2
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Proj

from hotline.domain.errors import InvalidGeometry, InvalidInput
from hotline.domain.geometry import Circle, Footprint, LatLng, Polygon
from hotline.strategic import cells
from hotline.strategic.cells import (
    cells_intersect,
    coarse_lock_keys,
    covering,
    query_for,
    to_signed,
    to_unsigned,
)
from hotline.strategic.exact import footprints_conflict

GEOD = Geod(ellps="WGS84")
BUFFERS = (0.0, 1.0, 500.0, 1852.0, 5000.0)
Spec = tuple[Footprint, tuple[float, float], float]  # footprint, centre (lat, lng), radius m
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                         HealthCheck.too_slow])


def fwd(lat: float, lng: float, az: float, dist: float) -> tuple[float, float]:
    lng2, lat2, _ = GEOD.fwd(lng, lat, az, dist)
    return float(lat2), float(lng2)


# --- strategies -----------------------------------------------------------------------------


@st.composite
def centres(draw: st.DrawFn) -> tuple[float, float]:
    where = draw(st.sampled_from(("anywhere", "anywhere", "antimeridian", "polar", "pole")))
    sign = draw(st.sampled_from((-1.0, 1.0)))
    if where == "antimeridian":
        return draw(st.floats(-75.0, 75.0)), sign * draw(st.floats(179.0, 180.0))
    if where == "polar":
        return sign * draw(st.floats(75.0, 89.9)), draw(st.floats(-180.0, 180.0))
    if where == "pole":
        return sign * draw(st.floats(89.99, 90.0)), draw(st.floats(-180.0, 180.0))
    return math.degrees(math.asin(draw(st.floats(-0.999, 0.999)))), draw(st.floats(-180.0, 180.0))


def radii(small: bool = False) -> st.SearchStrategy[float]:
    """Footprint radius, metres: log-uniform 50 m - 25 km, sometimes up to 300 km."""
    log_r = st.floats(math.log(50.0), math.log(25_000.0))
    if not small:
        log_r = st.one_of(log_r, log_r, log_r, st.floats(math.log(25_000.0), math.log(300_000.0)))
    return log_r.map(math.exp)


@st.composite
def footprints(draw: st.DrawFn, centre: tuple[float, float] | None = None,
               radius: float | None = None) -> Spec:
    lat, lng = centre if centre is not None else draw(centres())
    r = radius if radius is not None else draw(radii())
    if draw(st.booleans()):
        return Circle(LatLng(lat, lng), r), (lat, lng), r
    n = draw(st.integers(3, 12))
    jitter = draw(st.lists(st.floats(-0.2, 0.2), min_size=n, max_size=n))
    scale = draw(st.lists(st.floats(0.4, 1.0), min_size=n, max_size=n))
    vertices = [LatLng(*fwd(lat, lng, (i + j) * 360.0 / n, r * k))
                for i, (j, k) in enumerate(zip(jitter, scale, strict=True))]
    if draw(st.booleans()):
        vertices.reverse()
    try:
        return Polygon(tuple(vertices)), (lat, lng), r
    except InvalidGeometry:
        assume(False)
        raise


def edge_mid_and_outward(p: LatLng, q: LatLng, centre: tuple[float, float]) -> tuple[
        float, float, float, float]:
    """Geodesic midpoint of edge pq, the outward normal azimuth there and the edge length."""
    az, _, length = GEOD.inv(p.lng, p.lat, q.lng, q.lat)
    lng_m, lat_m, back = GEOD.fwd(p.lng, p.lat, az, length / 2)
    along = back + 180.0
    probe = min(1.0, length / 100)

    def from_centre(az_out: float) -> float:
        lat, lng = fwd(lat_m, lng_m, az_out, probe)
        return float(GEOD.inv(centre[1], centre[0], lng, lat)[2])

    best = max((along + 90.0, along - 90.0), key=from_centre)
    return float(lat_m), float(lng_m), best, float(length)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Footprint, Footprint, float]:
    buffer_m = draw(st.sampled_from(BUFFERS))
    a, centre, r = draw(footprints())
    how = draw(st.sampled_from(("near", "near", "shared_edge", "threshold", "threshold")))
    if how == "shared_edge" and isinstance(a, Polygon):
        i = draw(st.integers(0, len(a.vertices) - 1))
        p, q = a.vertices[i], a.vertices[(i + 1) % len(a.vertices)]
        lat, lng, out, length = edge_mid_and_outward(p, q, centre)
        apex = LatLng(*fwd(lat, lng, out, length * draw(st.floats(0.2, 2.0))))
        try:
            return a, Polygon((q, p, apex)), buffer_m
        except InvalidGeometry:
            assume(False)
    if how == "threshold":
        if isinstance(a, Circle):
            out = draw(st.floats(0.0, 360.0))
            lat, lng = fwd(*centre, out, r)
        else:
            i = draw(st.integers(0, len(a.vertices) - 1))
            p, q = a.vertices[i], a.vertices[(i + 1) % len(a.vertices)]
            lat, lng, out, _ = edge_mid_and_outward(p, q, centre)
        gap = buffer_m + draw(st.sampled_from((-1.0, -0.05, 0.05, 1.0)))
        rb = draw(radii(small=True))
        if draw(st.booleans()):
            return a, Circle(LatLng(*fwd(lat, lng, out, gap + rb)), rb), buffer_m
        tip = fwd(lat, lng, out, gap)
        left, right = (LatLng(*fwd(*tip, out + s * 30.0, rb)) for s in (-1, 1))
        return a, Polygon((LatLng(*tip), left, right)), buffer_m
    az = draw(st.floats(0.0, 360.0))
    rb = draw(radii())
    dist = draw(st.floats(0.0, 1.3 * (r + rb) + buffer_m))
    b, _, _ = draw(footprints(centre=fwd(*centre, az, dist), radius=rb))
    return a, b, buffer_m


# --- sampling, independent of S2 ---------------------------------------------------


def boundary(f: Footprint, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary samples (lat, lng) at most ``step_m`` apart, each with its outward-ish normal
    azimuth (either side for polygons: the caller moves both ways). Edge midpoints included."""
    if isinstance(f, Circle):
        k = max(16, math.ceil(2 * math.pi * f.radius_m / step_m))
        az = np.linspace(0.0, 360.0, k, endpoint=False)
        lng, lat, _ = GEOD.fwd(np.full(k, f.center.lng), np.full(k, f.center.lat), az,
                               np.full(k, f.radius_m))
        return np.asarray(lat), np.asarray(lng), az
    lats: list[float] = []
    lngs: list[float] = []
    normals: list[float] = []
    vs = f.vertices
    for p, q in zip(vs, vs[1:] + vs[:1], strict=True):
        az, _, length = GEOD.inv(p.lng, p.lat, q.lng, q.lat)
        inner = 2 * math.ceil(length / step_m / 2) + 1  # odd: the midpoint is a sample
        pts = [(p.lng, p.lat), *GEOD.npts(p.lng, p.lat, q.lng, q.lat, inner)]
        for lng, lat in pts:
            az_here, _, _ = GEOD.inv(lng, lat, q.lng, q.lat)
            lats.append(lat)
            lngs.append(lng)
            normals.append(az_here + 90.0)
    return np.array(lats), np.array(lngs), np.array(normals)


def in_cells(lats: np.ndarray, lngs: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """Whether each point's S2 leaf cell lies in one of the (signed) cells."""
    spans = [s2.S2CellId(to_unsigned(c)) for c in ids]
    lo = np.array([c.range_min().id() for c in spans], dtype=np.uint64)
    hi = np.array([c.range_max().id() for c in spans], dtype=np.uint64)
    leaves = np.array([s2.S2CellId(s2.S2LatLng.FromDegrees(float(a), float(b))).id()
                       for a, b in zip(lats, lngs, strict=True)], dtype=np.uint64)
    return np.asarray(((leaves[:, None] >= lo) & (leaves[:, None] <= hi)).any(axis=1))


def _inside(f: Footprint, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    if isinstance(f, Circle):
        n = len(lats)
        _, _, d = GEOD.inv(np.full(n, f.center.lng), np.full(n, f.center.lat), lngs, lats)
        return np.asarray(d <= f.radius_m)
    blat, blng, _ = boundary(f, max(5.0, _size(f) / 500))
    proj = Proj(proj="aeqd", lat_0=float(blat.mean()), lon_0=f.vertices[0].lng, ellps="WGS84")
    bx, by = proj(blng, blat)
    px, py = proj(lngs, lats)
    x0, y0, x1, y1 = bx, by, np.roll(bx, -1), np.roll(by, -1)
    px, py = np.asarray(px)[:, None], np.asarray(py)[:, None]
    crosses = ((y0 > py) != (y1 > py)) & (px < x0 + (py - y0) * (x1 - x0) / (y1 - y0 + 1e-300))
    return np.asarray(crosses.sum(axis=1) % 2 == 1)


def _size(f: Footprint) -> float:
    if isinstance(f, Circle):
        return 2 * math.pi * f.radius_m
    vs = f.vertices
    return float(sum(GEOD.inv(p.lng, p.lat, q.lng, q.lat)[2]
                     for p, q in zip(vs, vs[1:] + vs[:1], strict=True)))


def _unit(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


# --- the acceptance property -----------------------------------------------------------------


@settings(SETTINGS, max_examples=1000)
@given(pairs())
def test_index_never_misses_a_conflict(pair: tuple[Footprint, Footprint, float]) -> None:
    a, b, buffer_m = pair
    conflict = footprints_conflict(a, b, buffer_m)
    event(f"conflict: {conflict}")
    if conflict:
        assert cells_intersect(covering(a), query_for(covering(b, buffer_m))), (a, b, buffer_m)


@settings(SETTINGS, max_examples=400)
@given(footprints(), st.sampled_from(BUFFERS))
# Worst case of the metre-to-angle bound: north-south at the equator, where the meridional
# radius is smallest (there a 1% shortfall in the buffer is caught).
@example((Circle(LatLng(0.0, 0.0), 50.0), (0.0, 0.0), 50.0), 5_000.0)
@example((Circle(LatLng(0.0, 179.9), 5_000.0), (0.0, 179.9), 5_000.0), 1_852.0)
def test_covering_contains_every_point_within_the_buffer(spec: Spec, buffer_m: float) -> None:
    f, centre, _ = spec
    ids = covering(f, buffer_m)
    lat, lng, normal = boundary(f, max(1.0, _size(f) / 300))
    n = len(lat)
    points_lat, points_lng = [lat, np.array([centre[0]])], [lng, np.array([centre[1]])]
    for az in (normal, normal + 180.0, np.random.default_rng(0).uniform(0.0, 360.0, n)):
        if buffer_m > 0:  # within the buffer: every direction, both normals (one is outward)
            lng2, lat2, _ = GEOD.fwd(lng, lat, az, np.full(n, buffer_m))
            points_lat.append(np.asarray(lat2))
            points_lng.append(np.asarray(lng2))
    # Inside: halfway from the centre to each boundary sample (kept only if inside).
    az_in, _, dist_in = GEOD.inv(np.full(n, centre[1]), np.full(n, centre[0]), lng, lat)
    lng2, lat2, _ = GEOD.fwd(np.full(n, centre[1]), np.full(n, centre[0]), az_in, dist_in / 2)
    inner = _inside(f, np.asarray(lat2), np.asarray(lng2))
    assert inner.mean() > 0.5
    lats = np.concatenate([*points_lat, np.asarray(lat2)[inner]])
    lngs = np.concatenate([*points_lng, np.asarray(lng2)[inner]])
    region = cells.covering_region(f, buffer_m)
    hit = np.array([region.Contains(s2.S2LatLng.FromDegrees(float(a), float(b)).ToPoint())
                    for a, b in zip(lats, lngs, strict=True)])
    assert hit.all(), list(zip(lats[~hit], lngs[~hit], strict=True))[:5]
    hit = in_cells(lats, lngs, ids)
    assert hit.all(), list(zip(lats[~hit], lngs[~hit], strict=True))[:5]


@settings(max_examples=200, deadline=None)
@given(st.floats(-89.0, 89.0), st.floats(0.0, 180.0), st.floats(1_000.0, 5_000_000.0))
def test_geodesic_stays_within_the_chord_bound(lat: float, az: float, length: float) -> None:
    """The widening's premise: a geodesic's image on the S2 sphere strays from the great-circle
    chord through its ends by less than ``chord_deviation_bound_m``."""
    lat2, lng2 = fwd(lat, 0.0, az, length)
    pts = np.array(GEOD.npts(0.0, lat, lng2, lat2, 63))
    normal = np.cross(_unit(np.array(lat), np.array(0.0)), _unit(np.array(lat2), np.array(lng2)))
    assume(np.linalg.norm(normal) > 1e-9)
    off = np.abs(_unit(pts[:, 1], pts[:, 0]) @ (normal / np.linalg.norm(normal)))
    assert float(np.arcsin(off).max()) * cells.M_MIN_M <= cells.chord_deviation_bound_m(length)


# --- levels, counts, speed --------------------------------------------------------------------


def levels(ids: Sequence[int]) -> set[int]:
    return {s2.S2CellId(to_unsigned(c)).level() for c in ids}


@pytest.mark.parametrize(("lat", "lng"), [(48.1, 11.5), (0.0, 0.0), (-33.9, 151.2), (64.1, -21.9),
                                          (35.0, 179.999)])
@pytest.mark.parametrize("radius_m", [500.0, 1000.0])
def test_a_one_km_circle_gets_level_13_cells(lat: float, lng: float, radius_m: float) -> None:
    ids = covering(Circle(LatLng(lat, lng), radius_m))
    # Level 12 appears only where all four level-13 children were needed (S2 normalises).
    assert levels(ids) <= {12, 13}
    assert sum(4 ** (13 - cells.cell_level(c)) for c in ids) <= 16


def square(lat: float, lng: float, half_m: float) -> Polygon:
    return Polygon(tuple(LatLng(*fwd(lat, lng, az, half_m * math.sqrt(2))) for az in
                         (45.0, 135.0, 225.0, 315.0)))


@pytest.mark.parametrize(("lat", "lng"), [(47.0, 2.5), (52.0, 19.0), (-25.0, 134.0), (65.0, 179.0)])
def test_a_country_sized_polygon_gets_few_mixed_level_cells(lat: float, lng: float) -> None:
    f = square(lat, lng, 225_000.0)  # ~450 km x 450 km, ~200,000 km²
    ids = covering(f, 5_000.0)
    assert len(ids) <= cells.MAX_CELLS
    assert len(levels(ids)) >= 2 and min(levels(ids)) <= 7 and max(levels(ids)) <= cells.MAX_LEVEL
    area = sum(s2.S2Cell(s2.S2CellId(to_unsigned(c))).ExactArea() for c in ids) * 6_371_000.0**2
    assert area < 3 * (460_000.0**2)


def test_a_small_polygon_covering_is_tight() -> None:
    """The index's selectivity: a 50 km polygon buffered by 1 NM is covered by at most 16
    cells whose area is under 4x the polygon's (measured 2.6x), so candidate queries stay
    small. (Its speed is the strategic benchmark's business, not a timed test's.)"""
    from hotline.strategic.cells import to_unsigned
    from hotline.strategic.exact import footprint_area_m2

    f = Polygon(tuple(LatLng(*fwd(48.1, 11.5, 18.0 * i, 25_000.0 * (1.0 if i % 2 else 0.7)))
                      for i in range(20)))
    cells_ = covering(f, 1852.0)
    assert len(cells_) <= 16
    radius = 6_371_008.8
    area = sum(s2.S2Cell(s2.S2CellId(to_unsigned(c))).ExactArea() for c in cells_) * radius**2
    assert area < 4.0 * footprint_area_m2(f)


# --- ids, queries, locks ----------------------------------------------------------------------


@given(st.integers(0, 5), st.integers(0, (1 << 61) - 1), st.integers(0, 30))
def test_ids_round_trip_and_keep_s2_order(face: int, pos: int, level: int) -> None:
    cell = s2.S2CellId.FromFacePosLevel(face, pos, level)
    signed = to_signed(cell.id())
    assert -(1 << 63) <= signed < (1 << 63) and to_unsigned(signed) == cell.id()
    assert cells.cell_level(signed) == level
    lo, hi = to_signed(cell.range_min().id()), to_signed(cell.range_max().id())
    assert lo <= signed <= hi and (lo < signed < hi or level == 30)


def near_cells() -> st.SearchStrategy[int]:
    """Signed ids of cells of any level around one spot, so that they often intersect."""
    return st.builds(
        lambda lat, lng, level: to_signed(
            s2.S2CellId(s2.S2LatLng.FromDegrees(lat, lng)).parent(level).id()),
        st.floats(10.0, 10.6), st.floats(20.0, 20.6), st.integers(0, 16))


@given(st.lists(near_cells(), min_size=1, max_size=8), st.lists(near_cells(), min_size=1,
                                                                max_size=12))
def test_query_finds_exactly_the_intersecting_cells(stored: list[int], query: list[int]) -> None:
    q = query_for(query)
    for s in stored:
        expected = any(s2.S2CellId(to_unsigned(s)).intersects(s2.S2CellId(to_unsigned(c)))
                       for c in query)
        assert cells_intersect([s], q) == expected
    flat = [x for r in q.ranges for x in r]
    assert flat == sorted(flat)
    assert all(b[0] > a[1] + 2 for a, b in zip(q.ranges, q.ranges[1:], strict=False))
    assert list(q.ancestors) == sorted(set(q.ancestors))
    assert not any(lo <= a <= hi for a in q.ancestors for lo, hi in q.ranges)


def test_ranges_merge() -> None:
    parent = s2.S2CellId(s2.S2LatLng.FromDegrees(48.1, 11.5)).parent(10)
    children = [to_signed(parent.child(k).id()) for k in range(4)]
    q = query_for(children[::-1] + children[:1])
    assert q.ranges == ((to_signed(parent.range_min().id()), to_signed(parent.range_max().id())),)
    assert q.ancestors == tuple(sorted(to_signed(parent.parent(k).id()) for k in range(10)))
    apart = query_for([children[0], children[2]])
    assert len(apart.ranges) == 2 and to_signed(parent.id()) in apart.ancestors


def test_lock_keys_are_the_level_6_ancestors() -> None:
    ids = covering(Circle(LatLng(48.1, 11.5), 20_000.0), 1852.0)
    keys = coarse_lock_keys(ids)
    assert keys is not None and keys == tuple(sorted(set(keys)))
    key_cells = [s2.S2CellId(to_unsigned(k)) for k in keys]
    assert all(k.level() == 6 for k in key_cells)
    assert all(any(k.contains(s2.S2CellId(to_unsigned(c))) for k in key_cells) for c in ids)
    assert coarse_lock_keys(ids, level=3) is not None
    assert coarse_lock_keys([*ids, to_signed(key_cells[0].parent(5).id())]) is None
    assert coarse_lock_keys([]) == ()


@pytest.mark.parametrize("bad", [0, 1 << 62, -(1 << 63), (1 << 63) - 1])
def test_ids_that_are_not_cells_are_refused(bad: int) -> None:
    with pytest.raises(InvalidInput):
        query_for([bad])


@pytest.mark.parametrize("buffer_m", [-1.0, math.nan, math.inf])
def test_a_bad_buffer_is_refused(buffer_m: float) -> None:
    with pytest.raises(InvalidInput):
        covering(Circle(LatLng(0.0, 0.0), 100.0), buffer_m)


def test_a_loop_s2_rejects_falls_back_to_a_cap_around_it() -> None:
    # A bow tie, built bypassing validation: not a valid S2 loop, yet covered conservatively.
    corners = (LatLng(0.0, 0.0), LatLng(0.1, 0.1), LatLng(0.1, 0.0), LatLng(0.0, 0.1))
    bow_tie = object.__new__(Polygon)
    object.__setattr__(bow_tie, "vertices", corners)
    assert isinstance(cells.covering_region(bow_tie), s2.S2Cap)
    lat, lng, _ = boundary(bow_tie, 100.0)
    assert in_cells(lat, lng, covering(bow_tie, 500.0)).all()
