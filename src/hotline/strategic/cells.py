"""Conservative S2 cell coverings: the spatial index of 4D volumes.

Contract:

* **Ids are signed int64**: ``signed = s2_cell_id - 2**63``. The shift keeps S2 order, so in a
  SQL ``BIGINT`` column a cell's descendants are exactly the ids in ``[range_min, range_max]``.
* **Conservative**: the union of ``covering(f, buffer_m)``'s cells contains every point whose
  WGS84 geodesic distance to the footprint ``f`` is at most ``buffer_m`` metres, with a margin
  of ``MARGIN_M + MARGIN_FRACTION * buffer_m`` on top. Polygon edges may be read as ellipsoidal
  geodesics (``domain.geometry``) or as great circles through the vertices: both are covered.
  A circle is every point within ``radius_m`` geodesic distance of its centre.
* **Mixed levels** ``MIN_LEVEL..MAX_LEVEL``: level 13 (~1 km, the InterUSS DSS level) for small
  footprints, coarser cells for large ones, about ``MAX_CELLS`` cells per covering.

Why it is conservative. S2 places (geodetic latitude, longitude) on the unit sphere. The WGS84
line element is ``ds² = M²dφ² + N²cos²φ dλ²`` with both radii of curvature ``M, N >= M_MIN =
a(1 - e²)`` (the meridional radius at the equator, 6,335,439 m), while the sphere's is ``dθ² =
dφ² + cos²φ dλ²``. So ``ds >= M_MIN dθ``: points a geodesic distance ``d`` apart are at most
``d / M_MIN`` radians apart on the sphere. Hence a circle lies in the S2Cap of angle
``(r + widen) / M_MIN`` about its centre (a circumscribed region), and the widened image of a
polygon contains the image of every point within the buffer. A polygon's edges are densified
with geodesic points at most ``DENSIFY_STEP_M`` apart and joined by great circles (S2 edges).
The image of a geodesic of length ``L`` strays from the great-circle chord through its ends by
at most ``e²L²/(8 M_MIN)`` (measured: half of that up to 2000 km, 0.52 of it at 5000 km, the
longest edge ``polygon_checks`` accepts; the tests check it), and the region between a curve
and its chord lies within that distance of the chord. The bound for the longest sub-edge (the
geodesic reading) plus that for the longest original edge (the great-circle reading) is added
to the widening. The S2 loop takes the side smaller than a hemisphere (polygons fit in a
4000 km cap) and is widened with ``S2BufferOperation``, its radius enlarged for its documented
error (distance >= ``(1 - f) r - C``). Float errors are nanometres. ``MARGIN_M`` (10 m) and
``MARGIN_FRACTION`` are safety on top, which the argument does not need.

Pure: no I/O. ``s2geometry``'s S2RegionCoverer is cached per thread.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import s2geometry as s2
from pyproj import Geod

from hotline.domain.errors import InvalidInput
from hotline.domain.geometry import Circle, Footprint, Polygon
from hotline.domain.polygon_checks import unit_vectors
from hotline.domain.units import EARTH_A_M

#: Finest level used: the InterUSS DSS's level 13 (cells ~0.8-1.3 km across).
MAX_LEVEL: Final = 13
#: Coarsest level used: level 4 cells are ~300-700 km across (a country is a few of them).
MIN_LEVEL: Final = 4
#: Target cells per covering (S2RegionCoverer's max_cells; exceeded only below MIN_LEVEL).
MAX_CELLS: Final = 16
#: Fixed widening, metres, on top of the buffer.
MARGIN_M: Final = 10.0
#: Relative widening of the buffer.
MARGIN_FRACTION: Final = 0.005
#: Longest geodesic sub-edge, metres, before a polygon becomes an S2 loop (chord error of a
#: sub-edge <= 0.33 m, a thirtieth of MARGIN_M).
DENSIFY_STEP_M: Final = 50_000.0
#: Level of the advisory-lock keys from :func:`coarse_lock_keys` (cells ~80-160 km across).
LOCK_LEVEL: Final = 6

WGS84_F: Final = 1.0 / 298.257223563
WGS84_E2: Final = WGS84_F * (2.0 - WGS84_F)
#: Smallest radius of curvature of WGS84 (meridional, at the equator), metres.
M_MIN_M: Final = EARTH_A_M * (1.0 - WGS84_E2)

_OFFSET: Final = 1 << 63
_FACE_BITS_SHIFT: Final = 61
_BUFFER_ERROR_FRACTION: Final = 0.02
#: Bound on S2BufferOperation's absolute error (documented as ~10 nm), radians (~6 um).
_BUFFER_ABS_ERROR_RAD: Final = 1e-12

_FloatArray = npt.NDArray[np.float64]
_GEOD: Final = Geod(ellps="WGS84")
_LOCAL = threading.local()


def to_signed(cell_id: int) -> int:
    """An unsigned S2 cell id as the signed int64 Hotline stores."""
    return cell_id - _OFFSET


def to_unsigned(signed_id: int) -> int:
    """A stored signed id back to the S2 cell id."""
    return signed_id + _OFFSET


# --- coverings ------------------------------------------------------------------------------


def covering(f: Footprint, buffer_m: float = 0.0) -> tuple[int, ...]:
    """Sorted distinct signed ids of cells covering ``f`` widened by ``buffer_m`` metres.

    See the module docstring for the guarantee. ``buffer_m`` must be finite and >= 0.
    """
    region = covering_region(f, buffer_m)
    return tuple(c.id() - _OFFSET for c in _coverer().GetCovering(region))


def covering_region(f: Footprint, buffer_m: float = 0.0) -> Any:
    """The region on the S2 unit sphere (an ``S2Cap`` or ``S2Polygon``) that :func:`covering`
    covers: it contains the image of every point within ``buffer_m`` of ``f``."""
    if not (math.isfinite(buffer_m) and buffer_m >= 0.0):
        raise InvalidInput(
            f"buffer {buffer_m} m is not a finite distance >= 0", hint="give a buffer >= 0 m"
        )
    widen_m = buffer_m * (1.0 + MARGIN_FRACTION) + MARGIN_M
    if isinstance(f, Circle):
        centre = s2.S2LatLng.FromDegrees(f.center.lat, f.center.lng).ToPoint()
        return s2.S2Cap(centre, s2.S1Angle.Radians((f.radius_m + widen_m) / M_MIN_M + 1e-12))
    if isinstance(f, Polygon):
        return _widened_polygon(f, widen_m)
    raise InvalidInput(f"not a footprint: {type(f).__name__}", hint="give a Polygon or Circle")


def _coverer() -> Any:
    coverer = getattr(_LOCAL, "coverer", None)
    if coverer is None:
        coverer = s2.S2RegionCoverer()
        coverer.set_min_level(MIN_LEVEL)
        coverer.set_max_level(MAX_LEVEL)
        coverer.set_max_cells(MAX_CELLS)
        _LOCAL.coverer = coverer
    return coverer


def _densified(f: Polygon) -> tuple[_FloatArray, float, float]:
    """Unit vectors (n, 3) of the boundary points with the geodesic points inserted, the
    longest original edge and the longest sub-edge, metres."""
    lats = [v.lat for v in f.vertices]
    lngs = [v.lng for v in f.vertices]
    lat, lng = np.array(lats), np.array(lngs)
    lat1, lng1 = np.array(lats[1:] + lats[:1]), np.array(lngs[1:] + lngs[:1])
    _, _, lengths = _GEOD.inv(lng, lat, lng1, lat1)
    lengths = np.asarray(lengths)
    extra = np.ceil(lengths / DENSIFY_STEP_M).astype(np.int64) - 1
    if extra.max() > 0:
        lat_parts: list[Any] = []
        lng_parts: list[Any] = []
        for i in range(len(lat)):
            lat_parts.append(lat[i : i + 1])
            lng_parts.append(lng[i : i + 1])
            if extra[i] > 0:
                inner = np.array(_GEOD.npts(lng[i], lat[i], lng1[i], lat1[i], int(extra[i])))
                lat_parts.append(inner[:, 1])
                lng_parts.append(inner[:, 0])
        lat, lng = np.concatenate(lat_parts), np.concatenate(lng_parts)
    sub = lengths / np.maximum(extra + 1, 1)
    return unit_vectors(lat, lng), float(lengths.max()), float(sub.max())


def chord_deviation_bound_m(length_m: float) -> float:
    """Bound on how far a geodesic of ``length_m`` strays from its great-circle chord."""
    return WGS84_E2 * length_m * length_m / (8.0 * M_MIN_M)


def _widened_polygon(f: Polygon, widen_m: float) -> Any:
    xyz, longest, longest_sub = _densified(f)
    slack_m = chord_deviation_bound_m(longest) + chord_deviation_bound_m(longest_sub)
    angle = (widen_m + slack_m) / M_MIN_M
    loop = s2.S2Loop([s2.S2Point_FromRaw(x, y, z) for x, y, z in xyz.tolist()])
    if not loop.IsValid():
        # Degenerate on the sphere (e.g. edges meeting after rounding): a cap around every
        # boundary point still contains the polygon, the smaller side of its boundary.
        return _points_cap(xyz, angle)
    loop.Normalize()
    polygon = s2.S2Polygon(loop)  # takes ownership of the loop
    out = s2.S2Polygon()
    options = s2.S2BufferOperationOptions()
    options.set_error_fraction(_BUFFER_ERROR_FRACTION)
    options.set_buffer_radius(
        s2.S1Angle.Radians((angle + _BUFFER_ABS_ERROR_RAD) / (1.0 - _BUFFER_ERROR_FRACTION))
    )
    operation = s2.S2BufferOperation(s2.S2PolygonLayer(out), options)
    operation.AddPolygon(polygon)  # takes ownership of the polygon
    if not operation.Build() or out.is_empty():
        return _points_cap(xyz, angle)
    return out


def _points_cap(xyz: _FloatArray, angle: float) -> Any:
    """An S2Cap containing every point's cap of radius ``angle`` (radians)."""
    mean = xyz.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    centre = mean / norm if norm > 1e-9 else xyz[0]
    chord = np.linalg.norm(xyz - centre, axis=1)
    spread = float(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)).max())
    radius = spread + angle + 1e-12
    if radius >= math.pi:
        return s2.S2Cap.Full()
    return s2.S2Cap(s2.S2Point_FromRaw(*centre.tolist()), s2.S1Angle.Radians(radius))


# --- cell id arithmetic (on unsigned ids) ---------------------------------------------------


def _check(cell_id: int) -> int:
    lsb = cell_id & -cell_id
    bad_lsb = lsb > 1 << 60 or lsb.bit_length() % 2 == 0
    if not (0 < cell_id < 1 << 64) or (cell_id >> _FACE_BITS_SHIFT) > 5 or bad_lsb:
        raise InvalidInput(
            f"{cell_id - _OFFSET} is not a signed S2 cell id", hint="pass ids from covering()"
        )
    return cell_id


def cell_level(signed_id: int) -> int:
    """The S2 level (0 = face .. 30 = leaf) of a signed id."""
    u = _check(signed_id + _OFFSET)
    return 30 - ((u & -u).bit_length() - 1) // 2


def _parent(u: int, level: int) -> int:
    lsb = 1 << (2 * (30 - level))
    return (u & -lsb) | lsb


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CellQuery:
    """What to look up to find stored cells that intersect a query covering.

    A stored cell ``s`` intersects a query cell ``q`` iff ``s`` is ``q``, a descendant of ``q``
    or an ancestor of ``q``. ``ranges`` are inclusive signed-id ranges (merged; each holds the
    query cells' descendants and possibly ids of their common ancestors, which intersect too);
    ``ancestors`` are the signed ids of every proper ancestor of a query cell (down to level
    0), minus those already inside a range. Sorted. A stored id matches iff it lies in a range
    or equals an ancestor.
    """

    ranges: tuple[tuple[int, int], ...]
    ancestors: tuple[int, ...]


def query_for(cells: Iterable[int], min_level: int = 0) -> CellQuery:
    """The :class:`CellQuery` for a covering (signed ids).

    Ancestors go down to ``min_level`` (default 0, so stored coverings made with any
    ``MIN_LEVEL`` are found; the few extra ids cost nothing).
    """
    units = sorted({_check(c + _OFFSET) for c in cells})
    spans = sorted((u - ((u & -u) - 1), u + ((u & -u) - 1)) for u in units)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        # Range ends are leaf ids, which are odd. If this range starts at the leaf after the
        # last one (hi + 2), the id between, hi + 1, is no cell or a cell holding both leaves:
        # a proper ancestor of a query cell, which intersects anyway. Merging stays exact.
        if merged and lo <= merged[-1][1] + 2:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    los = [lo for lo, _ in merged]
    ancestors: set[int] = set()
    seen: set[int] = set()
    for u in units:
        # From the parent up: neighbouring query cells share their coarser ancestors, so the
        # walk stops at the first one already seen (its own ancestors were seen with it).
        level = 30 - ((u & -u).bit_length() - 1) // 2
        for k in range(level - 1, min_level - 1, -1):
            p = _parent(u, k)
            if p in seen:
                break
            seen.add(p)
            i = bisect_right(los, p) - 1
            if i < 0 or p > merged[i][1]:
                ancestors.add(p)
    return CellQuery(
        ranges=tuple((lo - _OFFSET, hi - _OFFSET) for lo, hi in merged),
        ancestors=tuple(sorted(a - _OFFSET for a in ancestors)),
    )


def cells_intersect(stored: Iterable[int], query: CellQuery) -> bool:
    """Whether any stored signed id matches ``query`` (the store's lookup, in Python)."""
    ancestors = set(query.ancestors)
    los = [lo for lo, _ in query.ranges]
    for s in stored:
        if s in ancestors:
            return True
        i = bisect_right(los, s) - 1
        if i >= 0 and s <= query.ranges[i][1]:
            return True
    return False


def coarse_lock_keys(cells: Iterable[int], level: int = LOCK_LEVEL) -> tuple[int, ...] | None:
    """Sorted distinct signed ids of the cells' level-``level`` ancestors (advisory locks).

    ``None`` when a cell is coarser than ``level``: the caller then takes a global lock.
    """
    keys: set[int] = set()
    for c in cells:
        if cell_level(c) < level:
            return None
        keys.add(_parent(c + _OFFSET, level) - _OFFSET)
    return tuple(sorted(keys))
