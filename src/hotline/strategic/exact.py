"""Exact horizontal predicates between footprints on the WGS84 ellipsoid.

Contract
--------
* Footprints are :class:`~hotline.domain.geometry.Polygon` (geodesic edges, validated by
  :mod:`hotline.domain.polygon_checks`) or :class:`~hotline.domain.geometry.Circle` (geodesic
  radius). Lengths are metres, areas square metres, coordinates degrees. Pure functions: no I/O.
* :func:`footprint_distance_m` is the geodesic distance between the two closed regions
  (0.0 when they touch or overlap), accurate to a few millimetres (gaps under ~2 mm may read as
  0); the tests compare it with an independent brute-force reference built from ``pyproj.Geod``.
* :func:`footprints_overlap` is true iff the interiors overlap by more than
  ``OVERLAP_DEPTH_M`` (about 1 cm; e.g. two circles overlap iff r1 + r2 - d > 1 cm). Footprints
  sharing only an edge or a vertex do not overlap.
* :func:`footprints_conflict` ``(a, b, buffer_m)`` is
  ``overlap or (buffer_m > 0 and distance < buffer_m - DISTANCE_EPS_M)``.
* Every predicate is symmetric: the pair is put in a canonical order before any work.
* Each function accepts a footprint or its :func:`prepare` result (cached per footprint; passing
  the prepared value saves re-hashing the vertices on every call).

Method: cheap bounds on a sphere first (caps, then vertex-to-edge distances, with bounded
ellipsoid/sphere ratios), exact work only for the few pairs the bounds cannot settle.
Intersection and containment are decided in an ellipsoidal gnomonic frame centred on the pair,
where geodesics are straight lines (to ``FRAME_TOL_M`` after densification); distances are
refined on the ellipsoid with ``Geod.fwd``/``Geod.inv`` (a foot-of-perpendicular iteration).
Polygons meet at a vertex of one and an edge of the other unless their edges cross, so disjoint
polygons need only vertex-to-edge distances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Final

import numpy as np
import shapely

from hotline.domain.errors import InvalidInput
from hotline.domain.geometry import Circle, Footprint, Polygon
from hotline.domain.polygon_checks import (
    GEOD,
    MEAN_RADIUS_M,
    Edges,
    FloatArray,
    IntArray,
    angle_between,
    bounding_cap,
    cross,
    cyclic_next,
    edges_of,
    frame_for,
    hull_normals,
    project_ring,
    ring_contains,
    unit_vectors,
)
from hotline.domain.units import DISTANCE_EPS_M

__all__ = [
    "OVERLAP_DEPTH_M",
    "PreparedFootprint",
    "footprint_area_m2",
    "footprint_distance_m",
    "footprints_conflict",
    "footprints_overlap",
    "prepare",
]

#: Interiors must overlap by more than this (a common part thicker than this) to count.
OVERLAP_DEPTH_M: Final = 0.01
#: Geodesic length on WGS84 / length of the same coordinates on the MEAN_RADIUS_M sphere lies in
#: [0.9944, 1.0045] (meridian and prime-vertical radii over the mean radius); with margin:
_LO: Final = 0.993
_HI: Final = 1.007
#: Absolute slack for rounding in the sphere formulas (metres).
_SLACK_M: Final = 0.25
#: A geodesic of length L strays at most 7e-11 L^2 m from the great circle through its ends
#: (coordinates on the sphere); with margin:
_ARC_DEV_PER_M2: Final = 1e-10
_REFINE_TOL_M: Final = 1e-4
_REFINE_MAX_ITER: Final = 8


@dataclass(frozen=True, slots=True, eq=False)
class PreparedFootprint:
    """Per-footprint data reused across checks (build with :func:`prepare`, which caches)."""

    footprint: Footprint
    key: tuple[float, ...]  # canonical order of a pair
    radius_m: float  # circle radius; 0.0 for a polygon
    lat: FloatArray  # vertices, or the circle's centre
    lng: FloatArray
    xyz: FloatArray  # unit vectors of lat/lng on the sphere, (n, 3)
    cap_centre: FloatArray  # a spherical cap containing the whole footprint
    cap_angle: float
    edges: Edges | None = None
    normal: FloatArray | None = None  # great-circle poles of the edges, (n, 3)
    tangent: FloatArray | None = None  # unit tangent at each edge start, towards its end
    back: FloatArray | None = None  # minus the unit tangent at each edge end
    arc_angle: FloatArray | None = None
    arc_slack_m: FloatArray | None = None  # sphere/geodesic deviation bound per edge
    planar: dict[tuple[int, int, int], shapely.Polygon] = field(default_factory=dict)
    #: a polygon of at most CONVEX_CHECK_MAX vertices every one of which is on the inner side
    #: of every edge's great circle (see :func:`_overlap`)
    convex: bool = False
    #: radius (m) of a geodesic disc about ``cap_centre`` that lies inside the footprint: the
    #: circle's own radius, for a polygon its clearance from the edges (0.0 if the centre is
    #: outside or too close to an edge); see :func:`_surely_overlap`
    inner_m: float = 0.0
    #: a polygon's convex hull as great-circle normals (k, 3), the polygon on their inner
    #: sides to within ``hull_slack`` (radians); None for circles; see :func:`_surely_apart`
    hull: FloatArray | None = None
    hull_slack: float = 0.0

    @property
    def is_circle(self) -> bool:
        return self.edges is None


#: Prepared footprints kept (LRU). Preparing costs ~0.2-0.7 ms and a check of a prepared pair
#: ~20-80 us, so a write meeting 20 stored notices is 4x faster when theirs are kept. Sized for
#: ~100k active notices (2.5 volumes each); about 3-4 KB each, so up to ~1 GB when full.
PREPARED_CACHE_SIZE: Final = 262_144
#: Polygons up to this many vertices are tested for convexity when prepared (O(n^2)).
CONVEX_CHECK_MAX: Final = 64
#: Two convex footprints overlap deeply enough if their planar intersection's area over its
#: perimeter exceeds this (m): a convex set's inradius is at least area / perimeter, so it
#: then holds a disc 100x wider than OVERLAP_DEPTH_M (far beyond the mm by which geodesic
#: edges bend away from the great circles the convexity test uses).
CONVEX_ACCEPT_M: Final = 1.0
#: Two footprints overlap deeply enough if discs inside them overlap by more than this (m):
#: their common part then holds a disc 50x wider than OVERLAP_DEPTH_M.
INNER_ACCEPT_M: Final = 1.0
#: Rounding allowance (radians, ~6 mm) on top of the hull slacks of :func:`_surely_apart`.
_HULL_EPS: Final = 1e-9


@lru_cache(maxsize=PREPARED_CACHE_SIZE)
def prepare(footprint: Footprint) -> PreparedFootprint:
    """Precompute what the predicates need for ``footprint`` (cached on the frozen value)."""
    if isinstance(footprint, Circle):
        c = footprint.center
        lat, lng = np.array([c.lat]), np.array([c.lng])
        xyz = unit_vectors(lat, lng)
        cap = footprint.radius_m / (_LO * MEAN_RADIUS_M) + 1e-9
        key = (0.0, c.lat, c.lng, footprint.radius_m)
        return PreparedFootprint(footprint, key, footprint.radius_m, lat, lng, xyz, xyz[0], cap,
                                 inner_m=footprint.radius_m)
    lat = np.array([v.lat for v in footprint.vertices])
    lng = np.array([v.lng for v in footprint.vertices])
    xyz = unit_vectors(lat, lng)
    nxt = cyclic_next(xyz)
    normal = cross(xyz, nxt)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    edges = edges_of(lat, lng)
    slack = _ARC_DEV_PER_M2 * edges.length**2 + 1e-3
    centre, angle = bounding_cap(xyz)
    cap = angle + float(slack.max()) / MEAN_RADIUS_M + 1e-9
    key = (1.0, *np.column_stack([lat, lng]).ravel().tolist())
    # The ring is counter-clockwise (domain.polygon_checks), so the inside of edge i is where
    # normal[i] . x > 0: convex if no vertex is on the outer side of any edge.
    convex = len(lat) <= CONVEX_CHECK_MAX and bool((normal @ xyz.T >= -1e-12).all())
    prepared = PreparedFootprint(
        footprint,
        key,
        0.0,
        lat,
        lng,
        xyz,
        centre,
        cap,
        edges=edges,
        normal=normal,
        tangent=cross(normal, xyz),
        back=cross(nxt, normal),
        arc_angle=angle_between(xyz, nxt),
        arc_slack_m=slack,
        convex=convex,
        hull=hull_normals(xyz, centre),
        hull_slack=float(slack.max()) / MEAN_RADIUS_M + _HULL_EPS,
    )
    # (Its planar ring in a pair's frame is made when a check first needs it, and kept: the
    # inner disc and the bounds settle most pairs without one.)
    return replace(prepared, inner_m=_inner_m(prepared))


def _inner_m(p: PreparedFootprint) -> float:
    """Radius (m) of a geodesic disc about ``p.cap_centre`` inside polygon ``p`` (0.0 if none).

    The centre's sphere distance to the great-circle arcs, less the arcs' deviation from the
    geodesic edges, bounds its sphere distance to the boundary; geodesic lengths are at least
    ``_LO`` times sphere lengths. Inside or not is asked of the great-circle ring
    (:func:`~hotline.domain.polygon_checks.ring_contains`): a centre that close to an edge
    that rounding could decide it gets a radius <= 0 anyway."""
    assert p.arc_slack_m is not None and p.normal is not None
    if p.convex:  # inside iff on the inner side of every edge's great circle; the distance
        # to the nearest of those circles is at most that to the boundary
        sine = float((p.normal @ p.cap_centre).min())
        if sine <= 0.0:
            return 0.0
        sphere_m = MEAN_RADIUS_M * math.asin(min(sine, 1.0))
    else:
        sphere_m = float(_sphere_point_edges(p.cap_centre[None, :], p)[0].min())
    radius = _LO * (sphere_m - float(p.arc_slack_m.max())) - _SLACK_M
    if radius <= 0.0:
        return 0.0
    return radius if p.convex or ring_contains(p.xyz, p.cap_centre) else 0.0


def _prep(f: Footprint | PreparedFootprint) -> PreparedFootprint:
    return f if isinstance(f, PreparedFootprint) else prepare(f)


def _ordered(
    a: Footprint | PreparedFootprint, b: Footprint | PreparedFootprint
) -> tuple[PreparedFootprint, PreparedFootprint]:
    pa, pb = _prep(a), _prep(b)
    return (pb, pa) if pb.key < pa.key else (pa, pb)


# --- distances on the sphere (bounds) and on the ellipsoid (exact) ----------------------------


def _sphere_point_edges(p: FloatArray, poly: PreparedFootprint) -> tuple[FloatArray, FloatArray]:
    """Sphere distances (metres) from points ``p`` (m, 3) to the polygon's edges (m, n), and the
    fraction along each edge (from its first vertex) of the nearest point."""
    assert poly.normal is not None and poly.tangent is not None and poly.back is not None
    assert poly.arc_angle is not None
    s = p @ poly.normal.T
    a = p @ poly.tangent.T
    inside = (a >= 0.0) & (p @ poly.back.T >= 0.0)
    cu = p @ poly.xyz.T
    cv = cyclic_next(cu, axis=1)
    du = 2.0 * np.arcsin(np.minimum(np.sqrt(np.maximum(2.0 - 2.0 * cu, 0.0)) / 2.0, 1.0))
    dv = 2.0 * np.arcsin(np.minimum(np.sqrt(np.maximum(2.0 - 2.0 * cv, 0.0)) / 2.0, 1.0))
    d_in = np.arcsin(np.minimum(np.abs(s), 1.0))
    frac_in = np.clip(np.arctan2(a, cu) / poly.arc_angle, 0.0, 1.0)
    dist = np.where(inside, d_in, np.minimum(du, dv))
    frac = np.where(inside, frac_in, np.where(du <= dv, 0.0, 1.0))
    return dist * MEAN_RADIUS_M, frac


def _refine_one(plat: float, plng: float, lat0: float, lng0: float, az: float, length: float,
                t: float) -> float:  # fmt: skip
    """Exact geodesic distance from a point to the geodesic segment that leaves (lat0, lng0) at
    azimuth ``az`` for ``length`` metres, searching from ``t`` metres along it.

    Iterates on the foot of the perpendicular: with D the distance to the point and B the
    angle at the current edge point between the edge and the point, the spherical right
    triangle puts the foot atan2(sin D cos B, cos D) further along; clamped to the segment."""
    dist = math.inf
    for _ in range(_REFINE_MAX_ITER):
        x_lng, x_lat, back = GEOD.fwd(lng0, lat0, az, t)
        az_xp, _, dist = GEOD.inv(x_lng, x_lat, plng, plat)
        bearing = math.radians(az_xp - back - 180.0)
        c = dist / MEAN_RADIUS_M
        step = MEAN_RADIUS_M * math.atan2(math.sin(c) * math.cos(bearing), math.cos(c))
        t_new = min(max(t + step, 0.0), length)
        if abs(t_new - t) < _REFINE_TOL_M:
            return float(dist)
        t = t_new
    x_lng, x_lat, _ = GEOD.fwd(lng0, lat0, az, t)
    return float(min(dist, GEOD.inv(x_lng, x_lat, plng, plat)[2]))


def _refine(
    plat: FloatArray, plng: FloatArray, e: Edges, idx: IntArray, frac: FloatArray
) -> FloatArray:
    """Vectorised :func:`_refine_one` from points to edges ``idx`` of ``e``, starting at
    ``frac`` along each edge (from its first vertex)."""
    lat0, lng0, az, length = e.lat0[idx], e.lng0[idx], e.az[idx], e.length[idx]
    t = length * np.where(e.flipped[idx], 1.0 - frac, frac)
    if t.size <= 6:  # pyproj's per-call overhead dominates: scalar calls are faster
        return np.array([
            _refine_one(*args)
            for args in zip(plat.tolist(), plng.tolist(), lat0.tolist(), lng0.tolist(),
                            az.tolist(), length.tolist(), t.tolist(), strict=True)
        ])  # fmt: skip
    dist: FloatArray = np.full(t.shape, np.inf)
    for _ in range(_REFINE_MAX_ITER):
        x_lng, x_lat, back = GEOD.fwd(lng0, lat0, az, t)
        az_xp, _, raw = GEOD.inv(x_lng, x_lat, plng, plat)
        dist = np.asarray(raw, dtype=np.float64)
        bearing = np.radians(np.asarray(az_xp) - np.asarray(back) - 180.0)
        c = dist / MEAN_RADIUS_M
        step = MEAN_RADIUS_M * np.arctan2(np.sin(c) * np.cos(bearing), np.cos(c))
        t_new = np.clip(t + step, 0.0, length)
        if float(np.abs(t_new - t).max()) < _REFINE_TOL_M:
            return dist
        t = t_new
    x_lng, x_lat, _ = GEOD.fwd(lng0, lat0, az, t)
    return np.minimum(dist, np.asarray(GEOD.inv(x_lng, x_lat, plng, plat)[2], dtype=np.float64))


def _points_to_edges(
    groups: list[tuple[PreparedFootprint, PreparedFootprint]], upto: float, exact: bool
) -> float:
    """Min geodesic distance from the vertices (or centre) of each ``src`` to the edges of its
    ``poly``, over all ``(src, poly)`` groups. The result is below ``upto`` iff the true
    minimum is; if ``exact`` it is also exact (to ~1e-4 m) when below ``upto``."""
    parts = []
    for src, poly in groups:
        assert poly.arc_slack_m is not None
        d, frac = _sphere_point_edges(src.xyz, poly)
        slack = poly.arc_slack_m[None, :] + _SLACK_M
        parts.append((src, poly, _LO * np.maximum(d - slack, 0.0), _HI * (d + slack), frac))
    lowest = min(float(lo.min()) for _, _, lo, _, _ in parts)
    if lowest >= upto:
        return lowest
    # Refine the most promising pair first: its exact distance tightens the cut for the rest.
    best = min(range(len(parts)), key=lambda k: float(parts[k][3].min()))
    src, poly, _, up, frac = parts[best]
    if not exact and float(up.min()) < upto:
        return float(up.min())
    i, j = np.unravel_index(int(np.argmin(up)), up.shape)
    assert poly.edges is not None
    cut = float(_refine(src.lat[[i]], src.lng[[i]], poly.edges, np.array([j]), frac[i, [j]])[0])
    if not exact and cut < upto:
        return cut
    for src, poly, lo, _, frac in parts:
        ii, jj = np.nonzero(lo <= cut)
        if ii.size:
            assert poly.edges is not None
            cut = min(cut, float(_refine(src.lat[ii], src.lng[ii], poly.edges, jj,
                                         frac[ii, jj]).min()))  # fmt: skip
    return cut


# --- relations --------------------------------------------------------------------------------


def _angle(u: FloatArray, v: FloatArray) -> float:
    """Angle (radians) between two unit 3-vectors; plain floats beat numpy at this size."""
    u0, u1, u2 = u.tolist()
    v0, v1, v2 = v.tolist()
    chord = math.sqrt((u0 - v0) ** 2 + (u1 - v1) ** 2 + (u2 - v2) ** 2)
    return 2.0 * math.asin(min(chord / 2.0, 1.0))


def _caps_gap_m(a: PreparedFootprint, b: PreparedFootprint) -> tuple[float, float]:
    """(angle between the caps' centres, a lower bound of the distance: < 0 if caps overlap)."""
    between = _angle(a.cap_centre, b.cap_centre)
    return between, _LO * MEAN_RADIUS_M * (between - a.cap_angle - b.cap_angle)


def _pair_frame_centre(a: PreparedFootprint, b: PreparedFootprint, between: float) -> FloatArray:
    """Centre of a cap containing both footprints' caps."""
    if between + b.cap_angle <= a.cap_angle or between < 1e-12:
        return a.cap_centre
    if between + a.cap_angle <= b.cap_angle:
        return b.cap_centre
    towards = (between + b.cap_angle - a.cap_angle) / 2.0
    u, v = a.cap_centre, b.cap_centre
    w = (math.sin(between - towards) * u + math.sin(towards) * v) / math.sin(between)
    return np.asarray(w / np.linalg.norm(w), dtype=np.float64)


def _planar(p: PreparedFootprint, centre: FloatArray) -> shapely.Polygon:
    frame = frame_for(centre)
    poly = p.planar.get(frame.key)
    if poly is None:
        assert p.edges is not None
        x, y, _ = project_ring(p.lat, p.lng, p.edges, frame)
        poly = shapely.Polygon(np.column_stack([x, y]))
        if len(p.planar) >= 16:
            p.planar.clear()
        p.planar[frame.key] = poly
    return poly


def _centre_inside(circle: PreparedFootprint, poly: PreparedFootprint) -> bool:
    if _angle(circle.cap_centre, poly.cap_centre) > poly.cap_angle:
        return False
    x, y = frame_for(poly.cap_centre).project(circle.lat, circle.lng)
    return bool(shapely.contains_xy(_planar(poly, poly.cap_centre), x[0], y[0]))


def _split(
    a: PreparedFootprint, b: PreparedFootprint
) -> tuple[PreparedFootprint, PreparedFootprint]:
    return (a, b) if a.is_circle else (b, a)


def _distance(a: PreparedFootprint, b: PreparedFootprint, upto: float, exact: bool) -> float:
    """Distance between the footprints, on the right side of ``upto``; exact below ``upto`` if
    ``exact``."""
    between, lower = _caps_gap_m(a, b)
    if lower >= upto:
        return lower
    if a.is_circle and b.is_circle:
        _, _, s = GEOD.inv(a.lng[0], a.lat[0], b.lng[0], b.lat[0])
        return max(0.0, float(s) - a.radius_m - b.radius_m)
    if a.is_circle or b.is_circle:
        circle, poly = _split(a, b)
        r = circle.radius_m
        if exact and _centre_inside(circle, poly):
            return 0.0
        d = max(0.0, _points_to_edges([(circle, poly)], upto + r, exact) - r)
        # Not exact: a centre inside is at distance 0, which only matters if d says "far".
        return 0.0 if d >= upto and not exact and _centre_inside(circle, poly) else d
    if lower <= 0.0:
        centre = _pair_frame_centre(a, b, between)
        if shapely.intersects(_planar(a, centre), _planar(b, centre)):
            return 0.0
    return _points_to_edges([(a, b), (b, a)], upto, exact)


def _surely_overlap(a: PreparedFootprint, b: PreparedFootprint) -> bool:
    """Whether the footprints' inner discs (:attr:`PreparedFootprint.inner_m`) overlap by more
    than INNER_ACCEPT_M: then so do the footprints (the lens of two geodesic discs whose
    radii exceed their centres' distance by ``t`` holds a disc of radius ``t / 2``). The
    centres' geodesic distance is at most ``_HI`` times their sphere distance."""
    if a.inner_m <= 0.0 or b.inner_m <= 0.0:
        return False
    apart_m = _HI * MEAN_RADIUS_M * _angle(a.cap_centre, b.cap_centre) + _SLACK_M
    return a.inner_m + b.inner_m - apart_m > INNER_ACCEPT_M


def _surely_apart(a: PreparedFootprint, b: PreparedFootprint) -> bool:
    """Whether a great circle through an edge of one polygon's convex hull has the other
    polygon wholly on its outer side: then they are disjoint. A polygon lies on the inner
    side of each of its hull circles to within its ``hull_slack`` (its geodesic edges stray
    from the great-circle arcs by less); the other's vertices beyond both slacks put its
    great-circle arcs, and so its edges and the smaller region they bound, outside."""
    if a.hull is None or b.hull is None:
        return False
    gap = math.sin(a.hull_slack + b.hull_slack)
    return (float((a.hull @ b.xyz.T).max(axis=1).min()) < -gap
            or float((b.hull @ a.xyz.T).max(axis=1).min()) < -gap)


def _overlap(a: PreparedFootprint, b: PreparedFootprint) -> bool:
    """Whether the interiors overlap by more than OVERLAP_DEPTH_M."""
    between, lower = _caps_gap_m(a, b)
    if lower > 0.0:
        return False
    if _surely_overlap(a, b):  # most overlapping pairs: no exact work
        return True
    if a.is_circle and b.is_circle:
        _, _, s = GEOD.inv(a.lng[0], a.lat[0], b.lng[0], b.lat[0])
        return a.radius_m + b.radius_m - float(s) > OVERLAP_DEPTH_M
    if a.is_circle or b.is_circle:
        circle, poly = _split(a, b)
        depth = circle.radius_m - OVERLAP_DEPTH_M
        if _points_to_edges([(circle, poly)], depth, exact=False) < depth:
            return True
        return _centre_inside(circle, poly)
    if _surely_apart(a, b):  # most disjoint pairs whose caps meet: no exact work
        return False
    centre = _pair_frame_centre(a, b, between)
    pa, pb = _planar(a, centre), _planar(b, centre)
    if a.convex and b.convex:  # then so is the intersection: its inradius >= area/perimeter
        inter = shapely.intersection(pa, pb)
        if shapely.is_empty(inter):
            return False
        if float(shapely.area(inter)) > CONVEX_ACCEPT_M * float(shapely.length(inter)):
            return True
    else:
        if not shapely.relate_pattern(pa, pb, "T********"):  # interiors do not meet at all
            return False
        inter = shapely.intersection(pa, pb)
    return not shapely.is_empty(shapely.buffer(inter, -OVERLAP_DEPTH_M / 2.0, quad_segs=2))


# --- public predicates ------------------------------------------------------------------------

AnyFootprint = Footprint | PreparedFootprint


def footprint_distance_m(a: AnyFootprint, b: AnyFootprint) -> float:
    """Geodesic distance (m) between two closed footprints; 0.0 if they touch or overlap."""
    return _distance(*_ordered(a, b), math.inf, exact=True)


def footprints_overlap(a: AnyFootprint, b: AnyFootprint) -> bool:
    """True iff the interiors overlap by more than ``OVERLAP_DEPTH_M``."""
    return _overlap(*_ordered(a, b))


def footprints_conflict(a: AnyFootprint, b: AnyFootprint, buffer_m: float) -> bool:
    """True iff the interiors overlap, or ``buffer_m > 0`` and the footprints are closer than
    ``buffer_m - DISTANCE_EPS_M`` (so with a zero buffer, touching is not a conflict)."""
    if not buffer_m >= 0.0:
        raise InvalidInput(f"buffer {buffer_m} m is negative", hint="give a buffer >= 0 m")
    pa, pb = _ordered(a, b)
    limit = buffer_m - DISTANCE_EPS_M
    if limit > 0.0:  # overlapping footprints are at distance 0 < limit
        return _distance(pa, pb, limit, exact=False) < limit
    return _overlap(pa, pb)


#: Largest radius of curvature of WGS84 (polar), metres, with a little to spare.
_R_MAX_M: Final = 6_400_000.0


def footprint_area_bound_m2(f: AnyFootprint) -> float:
    """A cheap upper bound of :func:`footprint_area_m2` (for limit checks): the area of a
    spherical cap around the footprint on a sphere larger than the ellipsoid, or pi r^2 for a
    circle (geodesic discs on a positively curved surface are no larger)."""
    p = prepare(f.footprint if isinstance(f, PreparedFootprint) else f)
    if p.is_circle:  # (1 + 1e-6): room for the rounding of the numerical exact area
        return math.pi * p.radius_m**2 * (1.0 + 1e-6)
    angle = min(p.cap_angle * 1.01, math.pi)
    return 2.0 * math.pi * _R_MAX_M**2 * (1.0 - math.cos(angle))


def footprint_area_m2(f: AnyFootprint) -> float:
    """Geodesic area (m²) of the footprint on the WGS84 ellipsoid."""
    fp = f.footprint if isinstance(f, PreparedFootprint) else f
    if isinstance(fp, Polygon):
        lat = [v.lat for v in fp.vertices]
        lng = [v.lng for v in fp.vertices]
        return abs(float(GEOD.polygon_area_perimeter(lng, lat)[0]))
    return _circle_area_m2(fp.center.lat, fp.center.lng, fp.radius_m)


@lru_cache(maxsize=1024)
def _circle_area_m2(lat: float, lng: float, radius_m: float) -> float:
    def inscribed(n: int) -> float:
        az = np.arange(n) * (360.0 / n)
        x, y, _ = GEOD.fwd(np.full(n, lng), np.full(n, lat), az, np.full(n, radius_m))
        return abs(float(GEOD.polygon_area_perimeter(x, y)[0]))

    # The inscribed n-gon falls short by O(n^-2): Richardson extrapolation removes that term.
    coarse, fine = inscribed(256), inscribed(512)
    return fine + (fine - coarse) / 3.0
