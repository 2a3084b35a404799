"""Exact horizontal predicates against an independent brute-force geodesic reference.

The reference (first half of this file) shares no code with ``hotline.strategic.exact``: no
sphere bounds, no gnomonic frame, no vertex-to-edge shortcut. Boundaries are sampled with
``Geod.fwd``; rigorous chord bounds (chord <= geodesic) pick candidate edge pairs; each pair is
minimised by a zooming grid over both edges' arc lengths with ``Geod.inv`` (plus 1-D zooms from
each end). Overlap is decided with shapely on rings densified every <= 100 m in an
azimuthal-equidistant frame built from ``Geod.inv``. Cases: seeded random polygons and circles
(antimeridian, |lat| 75-89, 300-700 km polygons with 300+ km edges, gaps 0-20 km, near contact
down to centimetres, shared edges and vertices).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from hotline.domain.errors import InvalidInput
from hotline.domain.geometry import Circle, Footprint, LatLng, Polygon
from hotline.domain.units import DISTANCE_EPS_M
from hotline.strategic.exact import (
    footprint_area_m2,
    footprint_distance_m,
    footprints_conflict,
    footprints_overlap,
    prepare,
)

# ============================== the independent reference ====================================

G = Geod(ellps="WGS84")
_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
#: Reference states: clearly apart, clearly overlapping (common part > 10 cm thick), or too
#: close to call (the predicates may answer either way; the distance must still be ~0).
APART, OVERLAP, TOUCH = "apart", "overlap", "touch"
CLEAR_M = 0.05


def ecef(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lng)
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    return np.stack(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - _E2) * np.sin(phi)],
        axis=-1,
    )


@dataclass
class Ring:
    lat: np.ndarray
    lng: np.ndarray
    az: np.ndarray  # at vertex i towards vertex i + 1
    length: np.ndarray

    @classmethod
    def of(cls, p: Polygon) -> Ring:
        lat = np.array([v.lat for v in p.vertices])
        lng = np.array([v.lng for v in p.vertices])
        az, _, length = G.inv(lng, lat, np.roll(lng, -1), np.roll(lat, -1))
        return cls(lat, lng, np.asarray(az), np.asarray(length))

    def samples(
        self, spacing: float, ends: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Points every <= spacing along the ring: (lat, lng, edge, spacing of that edge).
        Without ``ends``, each edge's last point (the next edge's first) is left out."""
        n_sub = np.maximum(np.ceil(self.length / spacing), 1).astype(int)
        more = 1 if ends else 0
        edge = np.repeat(np.arange(self.lat.size), n_sub + more)
        k = np.concatenate([np.arange(m + more) for m in n_sub])
        dist = self.length[edge] * k / n_sub[edge]
        lng, lat, _ = G.fwd(self.lng[edge], self.lat[edge], self.az[edge], dist)
        return np.asarray(lat), np.asarray(lng), edge, (self.length / n_sub)[edge]


def _zoom(
    f: Callable[..., np.ndarray], spans: list[float], iters: int = 16, grid: int = 21
) -> float:
    """Minimise f over a box [0, span_i] by a zooming grid (each step keeps +-2 cells)."""
    lo = [0.0] * len(spans)
    hi = list(spans)
    best = math.inf
    for _ in range(iters):
        axes = [np.linspace(a, b, grid) for a, b in zip(lo, hi, strict=True)]
        mesh = np.meshgrid(*axes, indexing="ij")
        values = f(*[m.ravel() for m in mesh]).reshape(mesh[0].shape)
        idx = np.unravel_index(int(np.argmin(values)), values.shape)
        best = min(best, float(values[idx]))
        for d, ax in enumerate(axes):
            step = (ax[-1] - ax[0]) / (grid - 1)
            lo[d] = max(0.0, ax[idx[d]] - 2 * step)
            hi[d] = min(spans[d], ax[idx[d]] + 2 * step)
    return best


def _edge_edge(a: Ring, i: int, b: Ring, j: int) -> float:
    def f(s: np.ndarray, t: np.ndarray) -> np.ndarray:
        xl, xt, _ = G.fwd(
            np.full(s.size, a.lng[i]), np.full(s.size, a.lat[i]), np.full(s.size, a.az[i]), s
        )
        yl, yt, _ = G.fwd(
            np.full(t.size, b.lng[j]), np.full(t.size, b.lat[j]), np.full(t.size, b.az[j]), t
        )
        return np.asarray(G.inv(xl, xt, yl, yt)[2])

    return _zoom(f, [float(a.length[i]), float(b.length[j])])


def _point_edge(lat: float, lng: float, b: Ring, j: int) -> float:
    def f(t: np.ndarray) -> np.ndarray:
        yl, yt, _ = G.fwd(
            np.full(t.size, b.lng[j]), np.full(t.size, b.lat[j]), np.full(t.size, b.az[j]), t
        )
        return np.asarray(G.inv(np.full(t.size, lng), np.full(t.size, lat), yl, yt)[2])

    return _zoom(f, [float(b.length[j])], iters=30)


def _spacing(r: Ring) -> float:
    return max(float(r.length.sum()) / 400.0, 5.0)


def boundary_distance(a: Ring, b: Ring) -> float:
    """Min geodesic distance between the two rings (as curves)."""
    alat, alng, aedge, ah = a.samples(_spacing(a))
    blat, blng, bedge, bh = b.samples(_spacing(b))
    pa, pb = ecef(alat, alng), ecef(blat, blng)
    chord = np.sqrt(
        np.maximum((pa**2).sum(1)[:, None] + (pb**2).sum(1)[None, :] - 2 * pa @ pb.T, 0.0)
    )
    i, j = np.unravel_index(int(np.argmin(chord)), chord.shape)
    upper = float(G.inv(alng[i], alat[i], blng[j], blat[j])[2])
    lower = chord - (ah[:, None] + bh[None, :]) / 2 - 1e-3 * (1 + chord * 1e-6)
    pairs = {
        (int(aedge[p]), int(bedge[q])) for p, q in zip(*np.nonzero(lower <= upper), strict=True)
    }
    found = [upper]
    for e, f in pairs:
        found.append(_edge_edge(a, e, b, f))
        ends_a = [(a.lat[k % a.lat.size], a.lng[k % a.lat.size]) for k in (e, e + 1)]
        ends_b = [(b.lat[k % b.lat.size], b.lng[k % b.lat.size]) for k in (f, f + 1)]
        found += [_point_edge(lat, lng, b, f) for lat, lng in ends_a]
        found += [_point_edge(lat, lng, a, e) for lat, lng in ends_b]
    return min(found)


def point_distance(lat: float, lng: float, b: Ring) -> float:
    """Min geodesic distance from a point to the ring."""
    blat, blng, bedge, bh = b.samples(_spacing(b))
    p, pb = ecef(np.array([lat]), np.array([lng])), ecef(blat, blng)
    chord = np.linalg.norm(pb - p, axis=1)
    k = int(np.argmin(chord))
    upper = float(G.inv(lng, lat, blng[k], blat[k])[2])
    lower = chord - bh / 2 - 1e-3
    edges = {int(e) for e in bedge[lower <= upper]}
    return min([upper] + [_point_edge(lat, lng, b, e) for e in edges])


def aeqd(r: Ring, lat0: float, lng0: float, spacing: float = 100.0) -> shapely.Polygon:
    """The ring densified every <= spacing metres, in an azimuthal equidistant frame."""
    spacing = max(spacing, float(r.length.sum()) / 50_000)
    lat, lng, _, _ = r.samples(spacing, ends=False)
    az, _, d = G.inv(np.full(lat.size, lng0), np.full(lat.size, lat0), lng, lat)
    az = np.radians(np.asarray(az))
    return shapely.Polygon(np.column_stack([d * np.sin(az), d * np.cos(az)]))


def reference(a: Footprint, b: Footprint) -> tuple[float, str]:
    """(distance in metres, APART / OVERLAP / TOUCH) by brute force."""
    if isinstance(a, Circle) and isinstance(b, Circle):
        s = float(G.inv(a.center.lng, a.center.lat, b.center.lng, b.center.lat)[2])
        gap = s - a.radius_m - b.radius_m
        return max(gap, 0.0), (APART if gap > CLEAR_M else OVERLAP if gap < -CLEAR_M else TOUCH)
    if isinstance(a, Circle) or isinstance(b, Circle):
        c, p = (a, b) if isinstance(a, Circle) else (b, a)
        assert isinstance(c, Circle) and isinstance(p, Polygon)
        ring = Ring.of(p)
        dc = point_distance(c.center.lat, c.center.lng, ring)
        inside = aeqd(ring, c.center.lat, c.center.lng).contains(shapely.Point(0.0, 0.0))
        if inside:
            return 0.0, (OVERLAP if dc + c.radius_m > CLEAR_M else TOUCH)
        gap = dc - c.radius_m
        return max(gap, 0.0), (APART if gap > CLEAR_M else OVERLAP if gap < -CLEAR_M else TOUCH)
    assert isinstance(a, Polygon) and isinstance(b, Polygon)
    ra, rb = Ring.of(a), Ring.of(b)
    az, _, d = G.inv(ra.lng[0], ra.lat[0], rb.lng[0], rb.lat[0])
    lng0, lat0, _ = G.fwd(ra.lng[0], ra.lat[0], az, d / 2)
    pa, pb = aeqd(ra, lat0, lng0), aeqd(rb, lat0, lng0)
    if pa.intersects(pb):
        inter = shapely.intersection(pa, pb, grid_size=1e-4)
        if not inter.buffer(-CLEAR_M).is_empty:
            return 0.0, OVERLAP
        return 0.0, TOUCH
    dist = boundary_distance(ra, rb)
    return dist, (APART if dist > CLEAR_M else TOUCH)


# ============================== case generators ==============================================


def _ll(lat: float, lng: float) -> LatLng:
    return LatLng(float(lat), float(lng))


def star(
    rng: np.random.Generator, lat: float, lng: float, radius: float, n: int, regular: bool = False
) -> Polygon:
    """A star-shaped polygon around (lat, lng): sorted azimuths, gaps < 150 degrees."""
    while True:
        if regular:
            az = np.arange(n) * 360.0 / n + rng.uniform(0, 360)
        else:
            az = np.sort(rng.uniform(0, 360, n))
        if np.diff(np.concatenate([az, [az[0] + 360]])).max() < 150:
            break
    r = radius * (np.ones(n) if regular else rng.uniform(0.5, 1.0, n))
    lo, la, _ = G.fwd(np.full(n, lng), np.full(n, lat), az, r)
    return Polygon(tuple(_ll(a, b) for a, b in zip(la, lo, strict=True)))


KINDS = ("antimeridian", "polar", "mid")
SIZES = ("long", "small")


def _centre(rng: np.random.Generator, kind: str) -> tuple[float, float]:
    if kind == "antimeridian":
        return rng.uniform(-60, 60), float(rng.choice([-1, 1])) * rng.uniform(179.0, 180.0)
    if kind == "polar":
        return float(rng.choice([-1, 1])) * rng.uniform(75, 89), rng.uniform(-180, 180)
    return rng.uniform(-70, 70), rng.uniform(-180, 180)


def _size(rng: np.random.Generator, size: str) -> tuple[float, int]:
    if size == "long":  # 3-6 vertices at 150-700 km: edges of 300+ km
        return rng.uniform(300e3, 700e3), int(rng.integers(3, 7))
    return rng.uniform(1e3, 60e3), int(rng.integers(3, 21))


def random_pair(rng: np.random.Generator, kind: str, size: str) -> tuple[Footprint, Footprint]:
    """Two footprints whose caps overlap or are up to ~20 km apart."""
    lat, lng = _centre(rng, kind)
    (ra, na), (rb, nb) = _size(rng, size), _size(rng, size)
    a: Footprint = star(rng, lat, lng, ra, na)
    sep = (ra + rb) * rng.uniform(0.6, 1.1) + rng.uniform(0, 20e3)
    lo, la, _ = G.fwd(lng, lat, rng.uniform(0, 360), sep)
    b: Footprint
    b = Circle(_ll(la, lo), rb) if rng.random() < 0.3 else star(rng, la, lo, rb, nb)
    if rng.random() < 0.1:
        a = Circle(_ll(lat, lng), ra)
    return a, b


GAPS = (-50.0, -0.5, 0.0, 0.03, 0.3, 1.0, 3.0, 20.0, 300.0, 5000.0, 19000.0)


def near_contact(
    rng: np.random.Generator, kind: str, size: str, gap: float
) -> tuple[Footprint, Footprint]:
    """Polygon A, and B whose nearest vertex (or circle) is ``gap`` outside A's boundary at a
    random edge point or vertex (inside if negative). The true distance comes from the reference."""
    lat, lng = _centre(rng, kind)
    (ra, na), (rb, nb) = _size(rng, size), _size(rng, size)
    a = star(rng, lat, lng, ra, na)
    i = int(rng.integers(len(a.vertices)))
    v, w = a.vertices[i], a.vertices[(i + 1) % len(a.vertices)]
    if rng.random() < 0.3:  # at a vertex, outward = away from A's centre
        x_lat, x_lng = v.lat, v.lng
        out = float(G.inv(lng, lat, v.lng, v.lat)[1]) + 180.0
    else:  # at an edge point, outward = right of the (counter-clockwise) edge
        az, _, length = G.inv(v.lng, v.lat, w.lng, w.lat)
        x_lng, x_lat, back = G.fwd(v.lng, v.lat, az, length * rng.uniform(0.2, 0.8))
        out = float(back) + 270.0
    y_lng, y_lat, back = G.fwd(x_lng, x_lat, out if gap >= 0 else out + 180.0, abs(gap))
    onward = float(G.fwd(x_lng, x_lat, out, 1.0)[2]) + 180 if gap == 0 else float(back) + 180
    if gap < 0:
        onward += 180.0
    z_lng, z_lat, z_back = G.fwd(y_lng, y_lat, onward, rb)
    if rng.random() < 0.3:
        return a, Circle(_ll(z_lat, z_lng), rb)
    while True:
        az = np.sort(float(z_back) + rng.uniform(40, 320, nb - 1))
        every = np.concatenate([[float(z_back)], az])
        if np.diff(np.concatenate([every, [every[0] + 360]])).max() < 150:
            break
    lo, la, _ = G.fwd(
        np.full(nb - 1, z_lng), np.full(nb - 1, z_lat), az, rb * rng.uniform(0.5, 1.0, nb - 1)
    )
    return a, Polygon((_ll(y_lat, y_lng), *(_ll(p, q) for p, q in zip(la, lo, strict=True))))


def touching(rng: np.random.Generator, kind: str, size: str) -> Iterator[tuple[Polygon, Polygon]]:
    """A convex polygon and two outside neighbours: one sharing an edge, one a vertex."""
    lat, lng = _centre(rng, kind)
    radius, n = _size(rng, size)
    a = star(rng, lat, lng, radius, max(n, 4), regular=True)
    m = len(a.vertices)
    i = int(rng.integers(m))
    v, w = a.vertices[i], a.vertices[(i + 1) % m]
    edge = float(G.inv(v.lng, v.lat, w.lng, w.lat)[2])

    def out(p: LatLng, turn: float, dist: float) -> LatLng:
        az = float(G.inv(lng, lat, p.lng, p.lat)[1]) + 180.0 + turn
        lo, la, _ = G.fwd(p.lng, p.lat, az, dist)
        return _ll(la, lo)

    h = edge * rng.uniform(0.2, 0.6)
    yield a, Polygon((w, v, out(v, 0.0, h), out(w, 0.0, h)))
    yield a, Polygon((v, out(v, -20.0, h), out(v, 20.0, h)))


@dataclass(frozen=True)
class Case:
    label: str
    a: Footprint
    b: Footprint


def cases(kind: str, size: str) -> list[Case]:
    seed = 1000 * KINDS.index(kind) + 10 * SIZES.index(size)
    rng = np.random.default_rng(seed)
    out = [Case(f"random {k}", *random_pair(rng, kind, size)) for k in range(24)]
    out += [Case(f"gap {g}", *near_contact(rng, kind, size, g)) for g in GAPS for _ in range(2)]
    for k in range(3):
        out += [Case(f"touching {k}", a, b) for a, b in touching(rng, kind, size)]
    return out


# ============================== acceptance: agreement with the reference ====================

TOLERANCE_M = 1.0
WORST: dict[str, float] = {}


def _check(case: Case) -> list[str]:
    a, b = case.a, case.b
    d_ref, state = reference(a, b)
    d = footprint_distance_m(a, b)
    overlap = footprints_overlap(a, b)
    problems = []
    if not abs(d - d_ref) <= TOLERANCE_M:
        problems.append(f"distance {d} vs reference {d_ref}")
    if state == OVERLAP and not (overlap and footprints_conflict(a, b, 0.0)):
        problems.append("reference overlaps, exact check does not")
    if state == APART and (overlap or footprints_conflict(a, b, 0.0)):
        problems.append("reference is apart, exact check overlaps")
    if not footprints_conflict(a, b, d_ref + TOLERANCE_M):
        problems.append(f"no conflict with buffer {d_ref + TOLERANCE_M}")
    if state == APART and d_ref > TOLERANCE_M and footprints_conflict(a, b, d_ref - TOLERANCE_M):
        problems.append(f"conflict with buffer {d_ref - TOLERANCE_M}")
    WORST[case.label] = max(WORST.get(case.label, 0.0), abs(d - d_ref))
    return [f"{case.label}: {p}\n  a={a}\n  b={b}" for p in problems]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_agrees_with_independent_reference(kind: str, size: str) -> None:
    checked = cases(kind, size)
    problems = [p for case in checked for p in _check(case)]
    assert not problems, "\n".join(problems)
    distances = [footprint_distance_m(c.a, c.b) for c in checked]
    assert sum(0.0 < d <= 20e3 for d in distances) >= 15  # the interesting band is covered
    assert sum(d == 0.0 for d in distances) >= 10


def test_touching_polygons_have_zero_distance_and_conflict_only_with_a_buffer() -> None:
    rng = np.random.default_rng(7)
    for kind in KINDS:
        for size in SIZES:
            for a, b in touching(rng, kind, size):
                assert reference(a, b) == (0.0, TOUCH)
                assert footprint_distance_m(a, b) == 0.0
                assert not footprints_overlap(a, b)
                assert not footprints_conflict(a, b, 0.0)
                assert footprints_conflict(a, b, 1.0)
                assert footprints_conflict(b, a, 1.0)


def test_the_tolerance_has_teeth() -> None:
    """Plausible shortcuts miss by more than the 1 m tolerance, so the acceptance test can fail:
    a sphere (haversine) distance and a planar distance in one gnomonic frame."""
    rng = np.random.default_rng(3)
    a, b = near_contact(rng, "mid", "long", 19000.0)
    while not isinstance(b, Polygon):
        a, b = near_contact(rng, "mid", "long", 19000.0)
    d_ref, _ = reference(a, b)
    va, vb = prepare(a), prepare(b)
    chord = np.linalg.norm(va.xyz[:, None, :] - vb.xyz[None, :, :], axis=2).min()
    sphere = 2 * math.asin(chord / 2) * 6_371_008.8
    assert abs(sphere - d_ref) > 10 * TOLERANCE_M
    from hotline.domain.polygon_checks import edges_of, frame_for, project_ring

    assert isinstance(a, Polygon)
    frame = frame_for(va.cap_centre)
    planar = [
        shapely.Polygon(
            np.column_stack(project_ring(p.lat, p.lng, edges_of(p.lat, p.lng), frame)[:2])
        )
        for p in (va, vb)
    ]
    assert abs(planar[0].distance(planar[1]) - d_ref) > 10 * TOLERANCE_M


# ============================== circles, areas, properties ===================================


def test_circles_touching_at_the_sum_of_radii() -> None:
    c1 = LatLng(89.5, 179.9)
    lo, la, _ = G.fwd(c1.lng, c1.lat, 33.0, 10_000.0)
    for r1 in (1.0, 4000.0, 9000.0):
        a, b = Circle(c1, r1), Circle(_ll(la, lo), 10_000.0 - r1)
        assert footprint_distance_m(a, b) == pytest.approx(0.0, abs=1e-6)
        assert not footprints_overlap(a, b) and not footprints_conflict(a, b, 0.0)
        assert footprints_conflict(a, b, 1.0)
        assert footprints_overlap(a, Circle(_ll(la, lo), 10_000.02 - r1))
        far = Circle(_ll(la, lo), 9_990.0 - r1)
        assert footprint_distance_m(a, far) == pytest.approx(10.0, abs=1e-6)
        assert footprints_conflict(a, far, 10.01) and not footprints_conflict(a, far, 10.0)


def test_circle_inside_polygon_and_polygon_inside_circle() -> None:
    square = Polygon((_ll(0, 0), _ll(0, 1), _ll(1, 1), _ll(1, 0)))
    inner = Circle(_ll(0.5, 0.5), 10.0)
    outer = Circle(_ll(0.5, 0.5), 200_000.0)
    for c in (inner, outer):
        assert footprint_distance_m(square, c) == 0.0
        assert footprints_overlap(square, c) and footprints_conflict(c, square, 0.0)


def test_areas() -> None:
    square = Polygon((_ll(0, 0), _ll(0, 1), _ll(1, 1), _ll(1, 0)))
    lat, lng = [v.lat for v in square.vertices], [v.lng for v in square.vertices]
    assert footprint_area_m2(square) == pytest.approx(abs(G.polygon_area_perimeter(lng, lat)[0]))
    for lat0, r in ((0.0, 1000.0), (60.0, 50_000.0), (89.9, 1_500_000.0)):
        n = 100_000
        lo, la, _ = G.fwd(np.full(n, 10.0), np.full(n, lat0), np.arange(n) * 360 / n, np.full(n, r))
        dense = abs(G.polygon_area_perimeter(lo, la)[0])
        assert footprint_area_m2(Circle(_ll(lat0, 10.0), r)) == pytest.approx(dense, rel=1e-8)


def test_negative_buffer_is_rejected() -> None:
    square = Polygon((_ll(0, 0), _ll(0, 1), _ll(1, 1)))
    with pytest.raises(InvalidInput):
        footprints_conflict(square, square, -1.0)


@st.composite
def footprints(draw: st.DrawFn, lat: float, lng: float) -> Footprint:
    """A star polygon or a circle within ~30 km of (lat, lng)."""
    az = draw(st.floats(0, 360))
    dist = draw(st.floats(0, 30_000))
    lo, la, _ = G.fwd(lng, lat, az, dist)
    radius = draw(st.floats(50.0, 20_000.0))
    if draw(st.booleans()):
        return Circle(_ll(la, lo), radius)
    n = draw(st.integers(3, 9))
    jitter = draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n))
    scale = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    azs = np.arange(n) * 360.0 / n + np.array(jitter) * 360.0 / (5 * n) + az
    vlo, vla, _ = G.fwd(np.full(n, lo), np.full(n, la), azs, radius * np.array(scale))
    return Polygon(tuple(_ll(p, q) for p, q in zip(vla, vlo, strict=True)))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Footprint, Footprint]:
    lat = draw(st.one_of(st.floats(-89.0, 89.0), st.floats(75.0, 89.0)))
    lng = draw(st.one_of(st.floats(-180.0, 180.0), st.floats(179.8, 180.0)))
    return draw(footprints(lat, lng)), draw(footprints(lat, lng))


@settings(max_examples=150, deadline=None)
@given(pairs(), st.sampled_from([0.0, 0.0005, 0.5, 100.0, 5000.0]))
def test_symmetric_and_consistent(pair: tuple[Footprint, Footprint], buffer: float) -> None:
    a, b = pair
    d = footprint_distance_m(a, b)
    assert d == footprint_distance_m(b, a) and d >= 0.0
    overlap = footprints_overlap(a, b)
    assert overlap == footprints_overlap(b, a)
    if overlap:
        assert d == 0.0
    conflict = footprints_conflict(a, b, buffer)
    assert conflict == footprints_conflict(b, a, buffer)
    assert conflict == (overlap or (buffer > 0 and d < buffer - DISTANCE_EPS_M))
    assert not conflict or footprints_conflict(a, b, buffer + 1000.0)  # monotone in the buffer


def test_far_apart_footprints() -> None:
    """Far pairs (no shared frame) still get exact distances."""
    a = Polygon((_ll(0, 0), _ll(0, 1), _ll(1, 1)))
    b = Circle(_ll(-40.0, 150.0), 1000.0)
    d_ref, state = reference(a, b)
    assert state == APART
    assert footprint_distance_m(a, b) == pytest.approx(d_ref, abs=TOLERANCE_M)
    assert not footprints_conflict(a, b, 1e6)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_convex_shortcut_agrees_with_the_general_overlap_test(kind: str, size: str) -> None:
    """Two convex polygons overlap if their planar intersection's area over its perimeter
    exceeds CONVEX_ACCEPT_M (``_overlap``'s shortcut); on every pair of the reference cases,
    and on overlaps a few cm to a few m deep, it must say what the general test (relate,
    intersect, erode by half the depth) says."""
    from dataclasses import replace

    from hotline.strategic.exact import prepare

    rng = np.random.default_rng(7 + 10 * KINDS.index(kind) + SIZES.index(size))
    pairs = [(c.a, c.b) for c in cases(kind, size)]
    pairs += [near_contact(rng, kind, size, g) for g in (-0.02, -0.2, -2.0, -8.0)
              for _ in range(4)]
    shortcut = 0
    for a, b in pairs:
        if not (isinstance(a, Polygon) and isinstance(b, Polygon)):
            continue
        pa, pb = prepare(a), prepare(b)
        if not (pa.convex and pb.convex):
            continue
        shortcut += 1
        general = footprints_overlap(replace(pa, convex=False, planar={}),
                                     replace(pb, convex=False, planar={}))
        assert footprints_overlap(pa, pb) == general, (a, b)
    assert shortcut >= 5  # the shortcut was taken often enough to mean something


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_inner_disc_shortcut_agrees_with_the_exact_overlap_test(kind: str, size: str) -> None:
    """Two footprints overlap if discs inside them overlap by more than INNER_ACCEPT_M
    (``_surely_overlap``); on every pair of the reference cases, on overlaps a few cm to a few
    m deep and on concentric pairs (which it must accept), it must say what the exact test
    without it says."""
    from dataclasses import replace

    from hotline.strategic.exact import _ordered, _surely_overlap

    rng = np.random.default_rng(17 + 10 * KINDS.index(kind) + SIZES.index(size))
    pairs = [(c.a, c.b) for c in cases(kind, size)]
    pairs += [near_contact(rng, kind, size, g) for g in (-0.02, -0.2, -2.0, -8.0)
              for _ in range(4)]
    # and each footprint with a circle about its inner disc's centre, half as wide as the
    # disc, 0-3 disc radii off (inside, across the edge, outside)
    for a, _ in pairs[:12]:
        pa = prepare(a)
        assert pa.inner_m > 0.0, a
        x, y, z = pa.cap_centre.tolist()
        lat, lng = math.degrees(math.asin(z)), math.degrees(math.atan2(y, x))
        for off in (0.0, 0.7, 1.5, 3.0):
            lo, la, _ = G.fwd(lng, lat, float(rng.uniform(0, 360)), off * pa.inner_m)
            pairs.append((a, Circle(_ll(la, lo), 0.5 * pa.inner_m)))
    taken = 0
    for a, b in pairs:
        pa, pb = prepare(a), prepare(b)
        if _surely_overlap(*_ordered(pa, pb)):
            taken += 1
        exact = footprints_overlap(replace(pa, inner_m=0.0), replace(pb, inner_m=0.0))
        assert footprints_overlap(pa, pb) == exact, (a, b)
    assert taken >= 12  # the shortcut was taken often enough to mean something


@settings(max_examples=100, deadline=None)
@given(pairs())
def test_inner_disc_lies_inside_the_polygon(pair: tuple[Footprint, Footprint]) -> None:
    """A polygon's inner disc is inside it, by the independent reference: its centre is
    inside the ring and at least the disc's radius from it."""
    for f in pair:
        p = prepare(f)
        if not isinstance(f, Polygon) or p.inner_m <= 0.0:
            continue
        x, y, z = p.cap_centre.tolist()
        lat, lng = math.degrees(math.asin(z)), math.degrees(math.atan2(y, x))
        ring = Ring.of(f)
        assert aeqd(ring, lat, lng).contains(shapely.Point(0.0, 0.0)), f
        assert point_distance(lat, lng, ring) >= p.inner_m - 1e-3, f


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_hull_shortcut_agrees_with_the_exact_overlap_test(kind: str, size: str) -> None:
    """Two polygons are disjoint if a great circle through an edge of one's convex hull has
    the other beyond it (``_surely_apart``); on every pair of the reference cases and on
    gaps and overlaps from 2 cm to 8 m it must say what the exact test without it says, and
    never call apart a pair the independent reference sees overlapping."""
    from dataclasses import replace

    from hotline.strategic.exact import _ordered, _surely_apart

    rng = np.random.default_rng(23 + 10 * KINDS.index(kind) + SIZES.index(size))
    pairs = [(c.a, c.b) for c in cases(kind, size)]
    pairs += [near_contact(rng, kind, size, g) for g in (-8.0, -0.02, 0.02, 8.0)
              for _ in range(4)]
    taken = 0
    for a, b in pairs:
        pa, pb = prepare(a), prepare(b)
        if _surely_apart(*_ordered(pa, pb)):
            taken += 1
            assert reference(a, b)[1] != OVERLAP, (a, b)
        exact = footprints_overlap(replace(pa, hull=None, planar={}),
                                   replace(pb, hull=None, planar={}))
        assert footprints_overlap(pa, pb) == exact, (a, b)
    assert taken >= 3  # the shortcut was taken often enough to mean something


@settings(max_examples=100, deadline=None)
@given(pairs())
def test_polygon_is_inside_its_hull_circles(pair: tuple[Footprint, Footprint]) -> None:
    """Every point of a polygon's geodesic boundary (sampled every <= 100 m by the
    reference) is on the inner side of each of its hull circles, to within its slack."""
    for f in pair:
        p = prepare(f)
        if not isinstance(f, Polygon):
            assert p.hull is None
            continue
        assert p.hull is not None
        lat, lng, _, _ = Ring.of(f).samples(100.0)
        phi, lam = np.radians(lat), np.radians(lng)
        pts = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)
        assert float((p.hull @ pts.T).min()) >= -math.sin(p.hull_slack), f
