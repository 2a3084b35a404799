"""Validation of polygon outlines, and the geodesic frames shared with the exact predicates.

Contract
--------
* Vertices are :class:`~hotline.domain.geometry.LatLng` (degrees, WGS84); an edge is the
  shortest path (ellipsoidal geodesic) between consecutive vertices, the last closing to the first.
* :func:`normalise_and_check` drops one repeated closing vertex and returns the vertices in
  counter-clockwise order (interior on the left seen from above; the first vertex is kept
  first), or raises :class:`~hotline.domain.errors.InvalidGeometry` (or
  :class:`~hotline.domain.errors.TooLarge` above ``MAX_VERTICES``) with a hint. An accepted
  polygon is simple (no edge crosses or touches another), has at least 3 vertices, no two
  consecutive vertices within ``MIN_EDGE_M``, no edge longer than ``MAX_EDGE_M``, a positive
  area (mean width ≥ ``MIN_MEAN_WIDTH_M``), and fits in a spherical cap of radius
  ``MAX_POLYGON_RADIUS_M`` - well inside a hemisphere, so every edge is the unique shortest
  path, the interior is the smaller of the two regions and both vertex orders mean the same.
* Frames: :func:`frame_for` gives Karney's ellipsoidal gnomonic projection (PROJ ``gnom``;
  planar metres, scale ≥ 1 everywhere, so planar lengths are never shorter than true ones).
  Geodesics are nearly straight in it; :func:`project_ring` inserts geodesic points into long
  edges so that the projected ring departs from the true geodesic edges by ≤ ``FRAME_TOL_M``
  (planar metres). Points must lie within ``MAX_FRAME_ANGLE_RAD`` of the frame centre.
* Spherical helpers (unit vectors, caps) treat geodetic coordinates as points on a sphere of
  radius ``MEAN_RADIUS_M``; callers bound their error against the ellipsoid themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod, Transformer

from hotline.domain.errors import InvalidGeometry, TooLarge
from hotline.domain.geometry import MAX_VERTICES, LatLng

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_T = TypeVar("_T", bound=np.generic)

#: The WGS84 ellipsoid; pyproj Geod objects are thread-safe and costly to build: share this one.
GEOD: Final = Geod(ellps="WGS84")
#: Mean Earth radius (IUGG), metres: the radius of the sphere used for cheap bounds.
MEAN_RADIUS_M: Final = 6_371_008.8
#: Consecutive vertices closer than this are duplicates.
MIN_EDGE_M: Final = 0.01
#: Longest accepted edge: shorter edges keep the shortest path unique and the frames accurate.
MAX_EDGE_M: Final = 5_000_000.0
#: A polygon must fit in a spherical cap of this radius (about; measured from its centre).
MAX_POLYGON_RADIUS_M: Final = 4_000_000.0
#: Smallest accepted area, and smallest accepted mean width (2 * area / perimeter).
MIN_AREA_M2: Final = 1.0
MIN_MEAN_WIDTH_M: Final = 0.05
#: Bound on the planar gap between a projected geodesic edge and its densified chords.
FRAME_TOL_M: Final = 0.002
#: Points farther than this from a frame's centre cannot be projected reliably.
MAX_FRAME_ANGLE_RAD: Final = math.radians(80.0)
#: Frame centres are snapped to a grid of this step (unit-vector components), so that nearby
#: footprints share cached frames. 1/16 is about 400 km: a stored footprint is then met in one
#: or two frames by most writes near it, so its projection is cached (a miss costs ~0.1 ms);
#: points farther from the centre only mean more densification (see FRAME_TOL_M).
_FRAME_GRID: Final = 16.0
#: Empirical bound of the gnomonic chord deviation: dev <= _DEV_K * L^2 * D^2 / cos^4(theta),
#: for a geodesic of length L whose points are within D (angle theta) of the frame centre.
#: Measured worst case about 2e-24 (tests/domain/test_polygon_checks.py checks the bound).
_DEV_K: Final = 3e-24


def cyclic_next(a: npt.NDArray[_T], axis: int = 0) -> npt.NDArray[_T]:
    """``a`` shifted so that position ``i`` holds item ``i + 1`` along ``axis`` (0 or 1),
    cyclically: ``np.roll(a, -1, axis)``, at a fifth of its cost on small arrays.

    >>> cyclic_next(np.array([1, 2, 3])).tolist(), cyclic_next(np.eye(2, 3), 1).tolist()
    ([2, 3, 1], [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    """
    if axis == 0:
        return np.concatenate((a[1:], a[:1]))
    return np.concatenate((a[:, 1:], a[:, :1]), axis=1)


def unit_vectors(lat: FloatArray, lng: FloatArray) -> FloatArray:
    """Unit vectors (n, 3) of geodetic coordinates placed on a sphere."""
    phi, lam = np.radians(lat), np.radians(lng)
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def angle_between(u: FloatArray, v: FloatArray) -> FloatArray:
    """Angles (radians) between unit vectors, accurate also for tiny angles."""
    chord = np.linalg.norm(u - v, axis=-1)
    return np.asarray(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)), dtype=np.float64)


def to_latlng(xyz: FloatArray) -> tuple[float, float]:
    """Geodetic (lat, lng) in degrees of a unit vector on the sphere."""
    x, y, z = (float(c) for c in xyz)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def cross(u: FloatArray, v: FloatArray) -> FloatArray:
    """Row-wise cross product of (..., 3) arrays (np.cross is slow on small arrays)."""
    u0, u1, u2 = u[..., 0], u[..., 1], u[..., 2]
    v0, v1, v2 = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0], axis=-1)


def _tangent_basis(c: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y, z = c.tolist()
    if abs(z) < 0.9:  # east = (0, 0, 1) x c
        ex, ey, ez = -y, x, 0.0
    else:  # (1, 0, 0) x c
        ex, ey, ez = 0.0, -z, y
    norm = math.sqrt(ex * ex + ey * ey + ez * ez)
    ex, ey, ez = ex / norm, ey / norm, ez / norm
    north = (y * ez - z * ey, z * ex - x * ez, x * ey - y * ex)
    return np.array([ex, ey, ez]), np.array(north)


class _Plane(NamedTuple):
    """Points in the gnomonic projection at a unit vector: coordinates ``u`` (east) and ``w``
    (north), and the projection's ``east`` and ``north`` unit vectors."""

    u: FloatArray
    w: FloatArray
    east: FloatArray
    north: FloatArray


def _gnomonic(xyz: FloatArray, c: FloatArray, min_cos: float = 0.0) -> _Plane | None:
    """The points in the gnomonic projection at unit vector ``c`` (great circles map to
    straight lines); None if a point is not within 90 degrees of it (or, with ``min_cos``,
    if the cosine of its angle from ``c`` is not above that)."""
    dots = xyz @ c
    if float(dots.min()) <= min_cos:
        return None
    east, north = _tangent_basis(c)
    return _Plane((xyz @ east) / dots, (xyz @ north) / dots, east, north)


def ring_contains(xyz: FloatArray, c: FloatArray) -> bool:
    """Whether unit vector ``c`` is inside the ring of great-circle edges through ``xyz``
    (n, 3), all of whose points must be within 90 degrees of it (else False). In the
    gnomonic projection at ``c`` great circles are straight lines, so an even-odd ray test
    from the origin decides it; a point within rounding of an edge may go either way."""
    plane = _gnomonic(xyz, c)
    if plane is None:
        return False
    u, w = plane.u, plane.w
    u2, w2 = cyclic_next(u), cyclic_next(w)
    crosses = (w > 0.0) != (w2 > 0.0)
    if not crosses.any():
        return False
    u, w, u2, w2 = u[crosses], w[crosses], u2[crosses], w2[crosses]
    at = u - w * (u2 - u) / (w2 - w)  # where each crossing edge meets the line w = 0
    return int(np.count_nonzero(at > 0.0)) % 2 == 1


def hull_normals(xyz: FloatArray, c: FloatArray) -> FloatArray | None:
    """Unit normals (k, 3) of the great circles through the edges of the convex hull of the
    points ``xyz`` (n, 3), each oriented so that every point has ``normal . x >= 0`` (up to
    rounding); ``None`` if a point is not within 90 degrees of ``c``. The hull is taken in the
    gnomonic projection at ``c``, where great circles are straight lines (monotone chain)."""
    plane = _gnomonic(xyz, c)
    if plane is None:
        return None
    u, w = plane.u.tolist(), plane.w.tolist()
    order = sorted(range(len(u)), key=lambda i: (u[i], w[i]))

    def turn(o: int, a: int, b: int) -> float:
        return float((u[a] - u[o]) * (w[b] - w[o]) - (w[a] - w[o]) * (u[b] - u[o]))

    lower: list[int] = []
    for i in order:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], i) <= 0.0:
            lower.pop()
        lower.append(i)
    upper: list[int] = []
    for i in reversed(order):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], i) <= 0.0:
            upper.pop()
        upper.append(i)
    ring = lower[:-1] + upper[:-1]  # counter-clockwise in (east, north)
    if len(ring) < 3:
        return None
    nxt = ring[1:] + ring[:1]
    normals = cross(xyz[ring], xyz[nxt])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return np.asarray(normals, dtype=np.float64)


def bounding_cap(xyz: FloatArray) -> tuple[FloatArray, float]:
    """A (not necessarily smallest) spherical cap containing the points: (centre, angle)."""
    mean = xyz.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    centre: FloatArray = mean / norm if norm > 1e-9 else xyz[0].copy()
    for _ in range(3):  # move to the middle of the points' bounding box in a central projection
        plane = _gnomonic(xyz, centre, min_cos=0.1)
        if plane is None:
            break
        u, w, east, north = plane
        shift = 0.5 * (u.min() + u.max()) * east + 0.5 * (w.min() + w.max()) * north
        centre = centre + shift
        centre /= np.linalg.norm(centre)
    return centre, float(angle_between(xyz, centre).max())


@dataclass(frozen=True, slots=True)
class Frame:
    """An ellipsoidal gnomonic projection centred at ``centre`` (unit vector)."""

    key: tuple[int, int, int]
    centre: FloatArray
    lat0: float
    lng0: float
    transformer: Transformer

    def project(self, lat: FloatArray, lng: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Planar (x east, y north) metres of the points."""
        x, y = self.transformer.transform(lng, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


@lru_cache(maxsize=1024)
def _frame(key: tuple[int, int, int]) -> Frame:
    centre = np.array(key, dtype=np.float64)
    centre /= np.linalg.norm(centre)
    lat0, lng0 = to_latlng(centre)
    transformer = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=gnom +ellps=WGS84 +lat_0={lat0!r} +lon_0={lng0!r}"
    )
    return Frame(key, centre, lat0, lng0, transformer)


def frame_for(centre: FloatArray) -> Frame:
    """The cached gnomonic frame whose centre is the grid point nearest ``centre``."""
    q = np.rint(np.asarray(centre) * _FRAME_GRID)
    if not q.any():
        q[2] = 1.0
    return _frame((int(q[0]), int(q[1]), int(q[2])))


@dataclass(frozen=True, slots=True)
class Edges:
    """The geodesic edges of a ring, each parametrised from its canonical end.

    Edge ``i`` joins vertex ``i`` to vertex ``i + 1`` (cyclic). Its canonical start is the
    lexicographically smaller (lat, lng) end, so a shared edge is computed bit for bit the same
    in both polygons; ``flipped[i]`` says the canonical start is vertex ``i + 1``.
    """

    lat0: FloatArray
    lng0: FloatArray
    az: FloatArray  # degrees, at the canonical start
    length: FloatArray  # metres
    flipped: BoolArray


def edges_of(lat: FloatArray, lng: FloatArray) -> Edges:
    """The edges of the closed ring through the vertices."""
    lat1, lng1 = cyclic_next(lat), cyclic_next(lng)
    flipped = (lat1 < lat) | ((lat1 == lat) & (lng1 < lng))
    s_lat, s_lng = np.where(flipped, lat1, lat), np.where(flipped, lng1, lng)
    e_lat, e_lng = np.where(flipped, lat, lat1), np.where(flipped, lng, lng1)
    az, _, length = GEOD.inv(s_lng, s_lat, e_lng, e_lat)
    return Edges(s_lat, s_lng, np.asarray(az), np.asarray(length), flipped)


def project_ring(
    lat: FloatArray, lng: FloatArray, edges: Edges, frame: Frame
) -> tuple[FloatArray, FloatArray, IntArray]:
    """The ring projected into ``frame``, long edges densified: (x, y, edge of each segment).

    The ring is open (the closing point is not repeated); segment ``j`` joins point ``j`` to
    point ``j + 1`` and lies on edge ``edge[j]``. Raises InvalidGeometry if a vertex is too far
    from the frame's centre.
    """
    theta = angle_between(unit_vectors(lat, lng), frame.centre)
    theta_edge = np.maximum(theta, cyclic_next(theta)) * 1.01 + 2e-4
    if float(theta_edge.max()) > MAX_FRAME_ANGLE_RAD:
        raise InvalidGeometry(
            "footprint is too large to project", hint="split it into smaller footprints"
        )
    reach = MEAN_RADIUS_M * theta_edge
    step = np.cos(theta_edge) ** 2 * math.sqrt(FRAME_TOL_M / _DEV_K) / reach
    n_sub = np.maximum(np.ceil(edges.length / step), 1.0).astype(np.int64)
    extra = n_sub - 1
    n = lat.size
    total = int(extra.sum())
    if total == 0:
        px, py = frame.project(lat, lng)
        return px, py, np.arange(n, dtype=np.int64)
    edge_of_point = np.repeat(np.arange(n, dtype=np.int64), extra + 1)
    start = np.concatenate([[0], np.cumsum(extra + 1)[:-1]])
    out_lat = np.empty(n + total)
    out_lng = np.empty(n + total)
    out_lat[start], out_lng[start] = lat, lng
    inner = np.ones(n + total, dtype=bool)
    inner[start] = False
    e = edge_of_point[inner]
    k = np.arange(n + total) - start[edge_of_point]
    k = k[inner]
    k = np.where(edges.flipped[e], n_sub[e] - k, k)  # integer steps from the canonical start
    d_lng, d_lat, _ = GEOD.fwd(
        edges.lng0[e], edges.lat0[e], edges.az[e], edges.length[e] * k / n_sub[e]
    )
    out_lat[inner], out_lng[inner] = d_lat, d_lng
    px, py = frame.project(out_lat, out_lng)
    return px, py, edge_of_point


def _same_point(a: LatLng, b: LatLng) -> bool:
    if a.lat != b.lat:
        return False
    return a.lng == b.lng or abs(a.lat) == 90.0 or abs(a.lng) == abs(b.lng) == 180.0


def _edge_name(i: int, n: int) -> str:
    return f"edge {i} (v{i}→v{(i + 1) % n})"


def _crossing_edges(
    px: FloatArray, py: FloatArray, seg_edge: IntArray, where: tuple[float, float], n: int
) -> tuple[int, int] | None:
    """The two original edges nearest the planar point ``where``, preferring non-adjacent ones."""
    x0, y0 = where
    x1, y1 = cyclic_next(px), cyclic_next(py)
    dx, dy = x1 - px, y1 - py
    len2 = np.maximum(dx * dx + dy * dy, 1e-300)
    t = np.clip(((x0 - px) * dx + (y0 - py) * dy) / len2, 0.0, 1.0)
    dist = np.hypot(px + t * dx - x0, py + t * dy - y0)
    best: dict[int, float] = {}
    for j in np.argsort(dist)[:64]:
        edge = int(seg_edge[j])
        best.setdefault(edge, float(dist[j]))
    ranked = sorted(best, key=best.__getitem__)
    if len(ranked) < 2:
        return None
    tol = max(1e-6, 1e-9 * math.hypot(x0, y0)) + best[ranked[0]]
    close = [e for e in ranked if best[e] <= tol * 10] or ranked[:2]
    for i, a in enumerate(close):
        for b in close[i + 1 :]:
            if (a - b) % n not in (1, n - 1):
                return min(a, b), max(a, b)
    a, b = ranked[0], ranked[1]
    return min(a, b), max(a, b)


def normalise_and_check(vertices: Sequence[LatLng]) -> tuple[LatLng, ...]:
    """Validate a polygon outline; return it without closing vertex, counter-clockwise."""
    verts = tuple(vertices)
    if len(verts) > MAX_VERTICES + 1:
        raise TooLarge(
            f"polygon has {len(verts)} vertices, more than {MAX_VERTICES}",
            hint="simplify the outline or split it into several polygons",
        )
    if len(verts) >= 2 and _same_point(verts[0], verts[-1]):
        verts = verts[:-1]
    n = len(verts)
    if n > MAX_VERTICES:
        raise TooLarge(
            f"polygon has {n} vertices, more than {MAX_VERTICES}",
            hint="simplify the outline or split it into several polygons",
        )
    if n < 3:
        raise InvalidGeometry(
            f"polygon has {n} distinct vertices, fewer than 3",
            hint="give at least 3 distinct vertices in order around the outline",
        )
    lat = np.fromiter((v.lat for v in verts), dtype=np.float64, count=n)
    lng = np.fromiter((v.lng for v in verts), dtype=np.float64, count=n)
    edges = edges_of(lat, lng)
    short = np.flatnonzero(edges.length < MIN_EDGE_M)
    if short.size:
        i = int(short[0])
        raise InvalidGeometry(
            f"vertices v{i} and v{(i + 1) % n} are the same point",
            hint="remove repeated consecutive vertices (only the closing vertex may repeat)",
        )
    long = np.flatnonzero(edges.length > MAX_EDGE_M)
    if long.size:
        i = int(long[0])
        raise InvalidGeometry(
            f"{_edge_name(i, n)} is {edges.length[i] / 1000:.0f} km long, more than "
            f"{MAX_EDGE_M / 1000:.0f} km",
            hint="add intermediate vertices: each edge is the shortest path between its ends",
        )
    centre, radius = bounding_cap(unit_vectors(lat, lng))
    if radius * MEAN_RADIUS_M > MAX_POLYGON_RADIUS_M:
        raise InvalidGeometry(
            f"polygon spans about {2 * radius * MEAN_RADIUS_M / 1000:.0f} km; it must fit in "
            f"a circle of radius {MAX_POLYGON_RADIUS_M / 1000:.0f} km",
            hint="split very large areas into several polygons",
        )
    px, py, seg_edge = project_ring(lat, lng, edges, frame_for(centre))
    _check_not_collinear(px, py)
    ring = shapely.Polygon(np.column_stack([px, py]))
    reason = shapely.is_valid_reason(ring)
    if reason != "Valid Geometry":
        raise _invalid_ring(reason, px, py, seg_edge, n)
    area, perimeter = GEOD.polygon_area_perimeter(lng, lat)
    if abs(area) < MIN_AREA_M2 or 2.0 * abs(area) / perimeter < MIN_MEAN_WIDTH_M:
        raise InvalidGeometry(
            f"polygon is degenerate: area {abs(area):.3g} m² for a perimeter of {perimeter:.3g} m",
            hint="give an outline that encloses an area; check the vertices are not all in line",
        )
    if area < 0.0:
        return (verts[0], *reversed(verts[1:]))
    return verts


def _check_not_collinear(px: FloatArray, py: FloatArray) -> None:
    """Raise if all points lie (within MIN_MEAN_WIDTH_M) on one straight line: one geodesic."""
    x, y = px - px.mean(), py - py.mean()
    # The points' principal axis (the line through their mean that fits them best) has angle
    # t with tan(2t) = 2 sxy / (sxx - syy); they are in line if none is MIN_MEAN_WIDTH_M off it.
    # (The closed form of the smallest singular vector: an SVD cost ~5x more here.)
    t = 0.5 * math.atan2(2.0 * float(x @ y), float(x @ x) - float(y @ y))
    if float(np.abs(y * math.cos(t) - x * math.sin(t)).max()) < MIN_MEAN_WIDTH_M:
        raise InvalidGeometry(
            "polygon is degenerate: all vertices lie on one line (zero area)",
            hint="give an outline that encloses an area",
        )


def _invalid_ring(
    reason: str, px: FloatArray, py: FloatArray, seg_edge: IntArray, n: int
) -> InvalidGeometry:
    hint = "list the vertices in order around the outline so that no edges cross or touch"
    where: tuple[float, float] | None = None
    if "[" in reason:
        try:
            xs, ys = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
            where = (float(xs), float(ys))
        except ValueError:
            where = None
    pair = _crossing_edges(px, py, seg_edge, where, n) if where is not None else None
    if pair is not None:
        a, b = pair
        return InvalidGeometry(
            f"polygon crosses itself: {_edge_name(a, n)} crosses {_edge_name(b, n)}", hint=hint
        )
    return InvalidGeometry(f"polygon is not simple ({reason})", hint=hint)
