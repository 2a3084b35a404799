"""Tracks against zones: horizontal distance, incursion, and time to entry (pure, vectorised).

Contract:

* :func:`zone_shapes` prepares each volume of a zone once: its footprint projected into an
  ellipsoidal gnomonic frame centred on it (geodesic edges are straight there, see
  :mod:`hotline.domain.polygon_checks`), its altitude band and time window.
* :func:`distance_m` — horizontal distance (metres, 0 inside) from points to a volume's
  footprint, measured in that frame. The gnomonic scale is >= 1, so the figure is never
  shorter than the true distance and exceeds it by under 0.1 % within 200 km of the zone.
  Points beyond ``reach_m`` of the footprint's bounding cap are reported as ``inf`` unprojected.
* :func:`entries` — for each track, the straight-line prediction (great circle along the
  track, constant ground and vertical speed) sampled every ``step_s`` seconds from the
  report's own time up to ``now + lookahead_s``: ``inside`` now (an *incursion*: inside the
  footprint, within the band and within the window), else the first sampled time inside
  (``time_to_entry_s`` from ``now``, a multiple of ``step_s`` rounded up so it is never late
  by more than one step), else NaN. Altitudes in different references are compared through
  the conservative W84 envelopes of :mod:`hotline.domain.altitude` (never misses an entry;
  may flag one that the day's QNH and a surveyed geoid would clear).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import shapely

from hotline.domain.altitude import (
    DEFAULT_PRESSURE_TOLERANCE_M,
    GEOID_MAX_M,
    GEOID_MIN_M,
    AltitudeReference,
)
from hotline.domain.geometry import Circle
from hotline.domain.notice import Zone
from hotline.domain.polygon_checks import (
    MEAN_RADIUS_M,
    Frame,
    bounding_cap,
    edges_of,
    frame_for,
    project_ring,
    to_latlng,
    unit_vectors,
)
from hotline.domain.volume import Volume4D

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class ZoneShape:
    """One volume of one zone, prepared for point queries."""

    zone_id: str
    owner: str
    role: str
    name: str
    volume: int
    frame: Frame
    geom: shapely.Geometry  # planar footprint in ``frame``
    cap_lat: float
    cap_lon: float
    cap_radius_m: float  # a cap (on the mean sphere) containing the footprint
    lower_m: float
    upper_m: float
    reference: AltitudeReference
    start_s: float  # window, epoch seconds, half-open
    end_s: float


def _shape(zone: Zone, i: int, v: Volume4D) -> ZoneShape:
    fp = v.footprint
    if isinstance(fp, Circle):
        lat, lon = np.array([fp.center.lat]), np.array([fp.center.lng])
        xyz = unit_vectors(lat, lon)
        frame = frame_for(xyz[0])
        x, y = frame.project(lat, lon)
        # gnomonic radial scale is 1/cos^2(angle): widen the planar radius accordingly
        theta = fp.radius_m / MEAN_RADIUS_M + float(np.linalg.norm(xyz[0] - frame.centre))
        geom = shapely.Point(float(x[0]), float(y[0])).buffer(
            fp.radius_m / math.cos(theta) ** 2, quad_segs=32)
        cap_lat, cap_lon, cap_r = fp.center.lat, fp.center.lng, fp.radius_m * 1.01
    else:
        lat = np.array([p.lat for p in fp.vertices])
        lon = np.array([p.lng for p in fp.vertices])
        centre, angle = bounding_cap(unit_vectors(lat, lon))
        frame = frame_for(centre)
        x, y, _ = project_ring(lat, lon, edges_of(lat, lon), frame)
        geom = shapely.Polygon(np.column_stack([x, y]))
        cap_lat, cap_lon = to_latlng(centre)
        cap_r = angle * MEAN_RADIUS_M * 1.01 + 1.0
    shapely.prepare(geom)
    return ZoneShape(zone.id, zone.owner, zone.role.value, zone.name, i, frame, geom,
                     cap_lat, cap_lon, cap_r, v.band.lower_m, v.band.upper_m, v.band.reference,
                     v.window.start.timestamp(), v.window.end.timestamp())


def zone_shapes(zone: Zone) -> list[ZoneShape]:
    return [_shape(zone, i, v) for i, v in enumerate(zone.volumes)]


def great_circle_m(lat1: FloatArray | float, lon1: FloatArray | float,
                   lat2: FloatArray | float, lon2: FloatArray | float) -> FloatArray:
    """Haversine distance on the mean sphere (metres)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * MEAN_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a))),
                      dtype=np.float64)


def destination(lat: FloatArray, lon: FloatArray, trk_deg: FloatArray,
                dist_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Points ``dist_m`` along the great circle leaving at true track ``trk_deg`` (sphere)."""
    p1, l1, th = np.radians(lat), np.radians(lon), np.radians(trk_deg)
    d = dist_m / MEAN_RADIUS_M
    sp2 = np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(th)
    p2 = np.arcsin(np.clip(sp2, -1.0, 1.0))
    l2 = l1 + np.arctan2(np.sin(th) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * sp2)
    lon2 = (np.degrees(l2) + 540.0) % 360.0 - 180.0
    return np.asarray(np.degrees(p2), dtype=np.float64), np.asarray(lon2, dtype=np.float64)


def distance_m(shape: ZoneShape, lat: FloatArray, lon: FloatArray,
               reach_m: float = 500_000.0) -> FloatArray:
    """Horizontal distance from each point to the footprint (0 inside; see module docs)."""
    out = np.full(lat.shape, np.inf)
    near = great_circle_m(lat, lon, shape.cap_lat, shape.cap_lon) <= shape.cap_radius_m + reach_m
    if near.any():
        x, y = shape.frame.project(lat[near], lon[near])
        out[near] = shapely.distance(shape.geom, shapely.points(x, y))
    return out


def _offsets(ref: AltitudeReference, tol: float) -> tuple[float, float]:
    """Envelope offsets (lo, hi) taking an altitude in ``ref`` to W84."""
    if ref is AltitudeReference.W84:
        return 0.0, 0.0
    if ref is AltitudeReference.AMSL:
        return GEOID_MIN_M, GEOID_MAX_M
    return GEOID_MIN_M - tol, GEOID_MAX_M + tol


@dataclass(frozen=True, slots=True)
class Entries:
    """Per track: inside the zone volume now, and time to entry (s from now; NaN: none)."""

    inside: BoolArray
    time_to_entry_s: FloatArray


def entries(shape: ZoneShape, lat: FloatArray, lon: FloatArray, alt_m: FloatArray,
            refs: list[AltitudeReference], gs_mps: FloatArray, trk_deg: FloatArray,
            vs_mps: FloatArray, t_s: FloatArray, now: datetime, lookahead_s: float,
            step_s: float = 1.0,
            pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M) -> Entries:
    """See the module docstring. Arrays are per track; ``t_s`` the reports' epoch seconds."""
    n = lat.size
    now_s = now.timestamp()
    inside = np.zeros(n, dtype=bool)
    tte = np.full(n, np.nan)
    if n == 0:
        return Entries(inside, tte)
    # tracks that cannot reach the cap within the lookahead are out
    reach = gs_mps * (now_s - t_s + lookahead_s) + 1.0
    cand = np.flatnonzero(great_circle_m(lat, lon, shape.cap_lat, shape.cap_lon)
                          <= shape.cap_radius_m + reach)
    if cand.size == 0:
        return Entries(inside, tte)
    z_lo = np.empty(cand.size)
    z_hi = np.empty(cand.size)
    band_lo, band_hi = shape.lower_m, shape.upper_m
    b_off = _offsets(shape.reference, pressure_tolerance_m)
    for j, i in enumerate(cand):
        if refs[i] is shape.reference:
            z_lo[j], z_hi[j] = band_lo, band_hi
        else:  # compare the two W84 envelopes: widen the band by both sides' uncertainty
            t_off = _offsets(refs[i], pressure_tolerance_m)
            z_lo[j] = band_lo + b_off[0] - t_off[1]
            z_hi[j] = band_hi + b_off[1] - t_off[0]
    k = np.arange(0.0, lookahead_s + step_s / 2, step_s)  # offsets from now
    dt = (now_s - t_s[cand])[:, None] + k[None, :]  # seconds since each report
    dt = np.maximum(dt, 0.0)
    plat, plon = destination(np.repeat(lat[cand], k.size), np.repeat(lon[cand], k.size),
                             np.repeat(trk_deg[cand], k.size), (gs_mps[cand, None] * dt).ravel())
    palt = alt_m[cand, None] + vs_mps[cand, None] * dt
    x, y = shape.frame.project(plat, plon)
    horiz = shapely.contains_xy(shape.geom, x, y).reshape(cand.size, k.size)
    when = now_s + k
    hit = (horiz & (palt >= z_lo[:, None]) & (palt <= z_hi[:, None])
           & (when >= shape.start_s)[None, :] & (when < shape.end_s)[None, :])
    inside[cand] = hit[:, 0]
    first = np.argmax(hit, axis=1)
    found = hit.any(axis=1) & ~hit[:, 0]
    tte[cand[found]] = k[first[found]]
    return Entries(inside, tte)
