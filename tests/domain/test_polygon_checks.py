"""Polygon validation: every rejection names the problem and says how to fix it; accepted
polygons come back without a closing vertex, counter-clockwise, the first vertex first."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from pyproj import Geod

from hotline.domain.errors import InvalidGeometry, TooLarge
from hotline.domain.geometry import MAX_VERTICES, LatLng, Polygon
from hotline.domain.polygon_checks import (
    FRAME_TOL_M,
    MEAN_RADIUS_M,
    angle_between,
    edges_of,
    frame_for,
    normalise_and_check,
    project_ring,
    unit_vectors,
)

G = Geod(ellps="WGS84")


def poly(*coords: tuple[float, float]) -> Polygon:
    return Polygon(tuple(LatLng(lat, lng) for lat, lng in coords))


def signed_area(p: Polygon) -> float:
    lat, lng = [v.lat for v in p.vertices], [v.lng for v in p.vertices]
    return float(G.polygon_area_perimeter(lng, lat)[0])


def rejected(*coords: tuple[float, float]) -> InvalidGeometry:
    with pytest.raises(InvalidGeometry) as info:
        poly(*coords)
    assert info.value.hint, "every rejection says how to fix it"
    return info.value


SQUARE_CCW = ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0))


def test_both_orders_accepted_and_normalised_to_counter_clockwise() -> None:
    ccw = poly(*SQUARE_CCW)
    cw = poly(SQUARE_CCW[0], *reversed(SQUARE_CCW[1:]))
    assert ccw.vertices == cw.vertices
    assert ccw.vertices[0] == LatLng(0.0, 0.0)
    assert signed_area(ccw) > 0


def test_closing_vertex_is_dropped() -> None:
    assert poly(*SQUARE_CCW, SQUARE_CCW[0]).vertices == poly(*SQUARE_CCW).vertices
    assert len(poly((0, 0), (0, 1), (1, 1), (0, 0)).vertices) == 3


@pytest.mark.parametrize(
    "coords",
    [
        ((10.0, 179.5), (10.0, -179.5), (11.0, -179.5), (11.0, 179.5)),  # antimeridian
        ((89.0, 0.0), (89.0, 120.0), (89.0, -120.0)),  # around the north pole
        ((-85.0, 10.0), (-85.0, 130.0), (-85.0, -110.0)),  # around the south pole
        ((-89.9, 0.0), (-89.9, 180.0), (-89.8, 90.0)),
    ],
)
def test_antimeridian_and_polar_polygons(coords: tuple[tuple[float, float], ...]) -> None:
    p = poly(*coords)
    reverse = poly(coords[0], *reversed(coords[1:]))
    assert p.vertices == reverse.vertices and signed_area(p) > 0
    assert abs(signed_area(p)) < 2e12  # the small region, not the rest of the Earth


def test_bowtie_names_the_crossing_edges() -> None:
    error = rejected((0, 0), (1, 1), (0, 1), (1, 0))
    assert "edge 0 (v0→v1) crosses edge 2 (v2→v3)" in error.detail


def test_self_intersection_far_along_the_ring() -> None:
    # An octagon with vertices 3 and 5 swapped: only v2→v3 and v5→v6 cross.
    octagon = _ring(8)
    octagon[3], octagon[5] = octagon[5], octagon[3]
    error = rejected(*octagon)
    assert "edge 2 (v2→v3) crosses edge 5 (v5→v6)" in error.detail


def test_ring_touching_itself_at_a_vertex() -> None:
    error = rejected((0, 0), (0, 2), (1, 1), (2, 2), (2, 0), (1, 1))
    assert "crosses" in error.detail


def test_collinear_vertices_are_degenerate() -> None:
    assert "one line" in rejected((0, 0), (0, 1), (0, 2)).detail
    # Three points on one geodesic (not a parallel of latitude).
    lo, la, _ = G.fwd(0.0, 40.0, 70.0, 200_000.0)
    lo2, la2, _ = G.fwd(0.0, 40.0, 70.0, 450_000.0)
    assert "one line" in rejected((40.0, 0.0), (la, lo), (la2, lo2)).detail


def test_near_zero_area_sliver_is_degenerate() -> None:
    lo, la, _ = G.fwd(0.0, 40.0, 70.0, 200_000.0)
    mid_lo, mid_la, back = G.fwd(0.0, 40.0, 70.0, 100_000.0)
    off_lo, off_la, _ = G.fwd(mid_lo, mid_la, back + 90, 0.04)  # 4 cm off the line
    error = rejected((40.0, 0.0), (off_la, off_lo), (la, lo))
    assert "degenerate" in error.detail


def test_duplicate_consecutive_vertices() -> None:
    assert "v1 and v2" in rejected((0, 0), (0, 1), (0, 1), (1, 1)).detail
    assert "v3 and v0" in rejected((0, 0), (0, 1), (1, 1), (0, 0), (0, 0)).detail
    # The same point written two ways counts as a duplicate too.
    assert "same point" in rejected((0, 180.0), (0, -180.0), (1, 179.0)).detail


def test_too_few_vertices() -> None:
    assert "fewer than 3" in rejected((0, 0), (1, 1)).detail
    assert "fewer than 3" in rejected((0, 0), (1, 1), (0, 0)).detail


def _ring(n: int, radius_m: float = 50_000.0) -> list[tuple[float, float]]:
    az = np.arange(n) * 360.0 / n
    lo, la, _ = G.fwd(np.full(n, 5.0), np.full(n, 45.0), az, np.full(n, radius_m))
    return list(zip(la.tolist(), lo.tolist(), strict=True))


def test_vertex_limit() -> None:
    with pytest.raises(TooLarge) as info:
        poly(*_ring(MAX_VERTICES + 1))
    assert info.value.hint
    ring = _ring(MAX_VERTICES)
    started = time.perf_counter()
    assert len(poly(*ring, ring[0]).vertices) == MAX_VERTICES
    assert time.perf_counter() - started < 5.0  # O(n log n); O(n^2) would take minutes


def test_self_intersection_found_among_10000_vertices() -> None:
    ring = _ring(MAX_VERTICES)
    ring[5000], ring[5001] = ring[5001], ring[5000]
    started = time.perf_counter()
    error = rejected(*ring)
    assert time.perf_counter() - started < 5.0  # O(n log n); O(n^2) would take minutes
    assert "edge 4999 (v4999→v5000) crosses edge 5001 (v5001→v5002)" in error.detail


def test_edges_too_long_and_polygons_too_large() -> None:
    assert "km long" in rejected((0, 0), (0, 60), (10, 30)).detail
    assert "must fit" in rejected(*_ring(12, radius_m=4_500_000.0)).detail
    poly(*_ring(12, radius_m=3_500_000.0))
    poly((0, 0), (0, 40), (40, 40), (40, 0))  # large but fine


def test_normalise_is_idempotent() -> None:
    p = poly(*SQUARE_CCW)
    assert normalise_and_check(p.vertices) == p.vertices


def test_frame_tolerance_bound_holds_for_long_edges() -> None:
    """Densified projected edges stay within FRAME_TOL_M (planar) of the true geodesics."""
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(60):
        lat0, lng0 = rng.uniform(-89, 89), rng.uniform(-180, 180)
        frame = frame_for(unit_vectors(np.array([lat0]), np.array([lng0]))[0])
        reach = rng.uniform(0, 7_500_000)
        p_lng, p_lat, _ = G.fwd(frame.lng0, frame.lat0, rng.uniform(0, 360), reach)
        q_lng, q_lat, _ = G.fwd(p_lng, p_lat, rng.uniform(0, 360), rng.uniform(1e5, 5e6))
        lat, lng = np.array([p_lat, q_lat]), np.array([p_lng, q_lng])
        theta = angle_between(unit_vectors(lat, lng), frame.centre).max()
        if theta * MEAN_RADIUS_M > 7_800_000:
            continue
        x, y, _ = project_ring(lat, lng, edges_of(lat, lng), frame)
        chain = shapely.LineString(np.column_stack([x, y]))
        true = np.array(G.npts(p_lng, p_lat, q_lng, q_lat, 200))
        tx, ty = frame.project(true[:, 1], true[:, 0])
        gap = shapely.distance(chain, shapely.points(tx, ty)).max()
        worst = max(worst, float(gap))
    assert worst <= FRAME_TOL_M
    assert worst > FRAME_TOL_M / 100  # the cases do exercise the bound
