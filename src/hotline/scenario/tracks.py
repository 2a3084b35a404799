"""Position reports generated from a scenario aircraft's route, and the ground truth they imply.

Contract: pure code (numpy, pyproj's WGS84 geodesics). An aircraft starts at its first waypoint
at ``start_s`` and flies each leg along the geodesic at the leg's ground speed (that of the
waypoint ending it), its altitude changing linearly over the leg; it disappears at the last
waypoint. :func:`sample` gives its state at given scenario times (SI: metres, m/s, degrees;
``t_s`` seconds from the scenario start) on the common grid ``k * every`` so that every
aircraft reports at the same instants. Ground truth, at 1 s resolution:
:func:`first_loss` is the first second at which two aircraft are strictly closer than the
horizontal *and* vertical minima; :func:`first_entry` the first second an aircraft is inside a
volume (footprint, band, window). Altitudes are compared as given (same reference assumed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import Geod
from shapely import Point, Polygon

from hotline.domain.units import FT, KT, NM
from hotline.scenario.model import Aircraft, VolumeSpec

_GEOD = Geod(ellps="WGS84")
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Flight:
    """An aircraft's route as cumulative times: leg ``i`` runs from waypoint i to i+1."""

    aircraft: Aircraft
    t_s: F64  # time at each waypoint, scenario seconds
    az_deg: F64  # forward azimuth at the start of each leg
    dist_m: F64  # length of each leg

    @property
    def end_s(self) -> float:
        return float(self.t_s[-1])


@dataclass(frozen=True, slots=True)
class States:
    """Equal-length arrays: one aircraft's state at times ``t_s``."""

    aircraft: Aircraft
    t_s: F64
    lat: F64
    lon: F64
    alt_m: F64
    gs_mps: F64
    trk_deg: F64
    vs_mps: F64

    def __len__(self) -> int:
        return len(self.t_s)


def plan(a: Aircraft) -> Flight:
    """The flight's timing along its route."""
    lats = np.array([w.lat for w in a.route])
    lons = np.array([w.lon for w in a.route])
    az, _, dist = _GEOD.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    speeds = np.array([w.gs_kt * KT for w in a.route[1:]])
    t = a.start_s + np.concatenate([[0.0], np.cumsum(np.asarray(dist) / speeds)])
    return Flight(a, t, np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64))


def states_at(f: Flight, times: F64) -> States:
    """The aircraft's state at each of ``times`` (those outside its flight are dropped)."""
    a = f.aircraft
    t = times[(times >= f.t_s[0]) & (times <= f.t_s[-1])]
    leg = np.clip(np.searchsorted(f.t_s, t, side="right") - 1, 0, len(f.dist_m) - 1)
    dur = f.t_s[leg + 1] - f.t_s[leg]
    frac = np.where(dur > 0, (t - f.t_s[leg]) / np.where(dur > 0, dur, 1.0), 0.0)
    lat0 = np.array([w.lat for w in a.route])[leg]
    lon0 = np.array([w.lon for w in a.route])[leg]
    alts = np.array([w.alt_ft * FT for w in a.route])
    lon, lat, back = _GEOD.fwd(lon0, lat0, f.az_deg[leg], f.dist_m[leg] * frac)
    lon, lat, back = (np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (lon, lat, back))
    alt = alts[leg] + (alts[leg + 1] - alts[leg]) * frac
    gs = np.where(dur > 0, f.dist_m[leg] / np.where(dur > 0, dur, 1.0), 0.0)
    vs = np.where(dur > 0, (alts[leg + 1] - alts[leg]) / np.where(dur > 0, dur, 1.0), 0.0)
    trk = (back + 180.0) % 360.0
    return States(a, t, lat, lon, alt, gs, trk, vs)


def grid(every_s: float, until_s: float) -> F64:
    """The report instants ``0, every, 2*every, ... <= until``."""
    return np.arange(0.0, until_s + 1e-9, every_s)


def sample(aircraft: Sequence[Aircraft], every_s: float, until_s: float) -> list[States]:
    """Every aircraft's reports on the common grid, up to ``until_s``."""
    times = grid(every_s, until_s)
    return [states_at(plan(a), times) for a in aircraft]


# ---------------------------------------------------------------------------- ground truth
def _fine(a: Aircraft, until_s: float) -> States:
    return states_at(plan(a), grid(1.0, until_s))


def first_loss(a: Aircraft, b: Aircraft, until_s: float, horizontal_m: float = 5 * NM,
               vertical_m: float = 1000 * FT) -> float | None:
    """The first whole second both fly and are strictly closer than both minima (None:
    never)."""
    sa, sb = _fine(a, until_s), _fine(b, until_s)
    common, ia, ib = np.intersect1d(sa.t_s, sb.t_s, return_indices=True)
    if not len(common):
        return None
    _, _, d = _GEOD.inv(sa.lon[ia], sa.lat[ia], sb.lon[ib], sb.lat[ib])
    lost = (np.asarray(d) < horizontal_m) & (np.abs(sa.alt_m[ia] - sb.alt_m[ib]) < vertical_m)
    hit = np.flatnonzero(lost)
    return float(common[hit[0]]) if len(hit) else None


def inside(v: VolumeSpec, s: States) -> npt.NDArray[np.bool_]:
    """Per state: inside the volume's footprint, band and window."""
    alt_ok = (s.alt_m >= v.alt_lo_ft * FT) & (s.alt_m <= v.alt_hi_ft * FT)
    win_ok = (s.t_s >= v.start_s) & (s.t_s <= v.end_s)
    if v.circle is not None:
        c = v.circle
        _, _, d = _GEOD.inv(np.full(len(s), c.center.lon), np.full(len(s), c.center.lat),
                            s.lon, s.lat)
        area_ok = np.asarray(d) <= c.radius_nm * NM
    else:
        assert v.polygon is not None
        poly = Polygon([(p.lon, p.lat) for p in v.polygon])
        area_ok = np.array([poly.contains(Point(x, y)) for x, y in zip(s.lon, s.lat,
                                                                       strict=True)],
                           dtype=bool)
    result: npt.NDArray[np.bool_] = alt_ok & win_ok & area_ok
    return result


def first_entry(a: Aircraft, volumes: Sequence[VolumeSpec], until_s: float) -> float | None:
    """The first whole second the aircraft is inside any of the volumes (None: never)."""
    s = _fine(a, until_s)
    best = math.inf
    for v in volumes:
        hit = np.flatnonzero(inside(v, s))
        if len(hit):
            best = min(best, float(s.t_s[hit[0]]))
    return None if best == math.inf else best
