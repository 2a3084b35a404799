"""Independent brute-force reference for the tactical CPA model (shares no code with it).

Same model as ``hotline.tactical.cpa`` (documented there), written differently: per pair in
plain Python, an explicit east/north frame at the midpoint's latitude/longitude, the horizontal
distance from the haversine formula, and then *sampling* the relative motion at fine time steps
(loss window = first/last sampled instant in loss) and a ternary search for the closest
approach, instead of closed-form roots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hotline.domain.units import ALTITUDE_EPS_M, DISTANCE_EPS_M

R = 6_371_008.8


@dataclass(frozen=True)
class RefPair:
    tcpa_s: float
    dcpa_m: float
    conflict: bool
    lost: bool
    t_in_s: float  # first sampled instant in loss (nan if none)
    t_last_s: float  # last sampled instant in loss within the lookahead (nan if none)
    ambiguous: bool  # no sampled loss, but within half a step's motion of one: undecidable
    rel_speed_mps: float


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def _east_north(lat: float, lon: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    la, lo = math.radians(lat), math.radians(lon)
    east = (-math.sin(lo), math.cos(lo), 0.0)
    north = (-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la))
    return east, north


def _dot(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(min(1.0, math.sqrt(h)))


def reference_pair(a: dict[str, float], b: dict[str, float], *, hmin: float, vmin: float,
                   lookahead: float, t_ref: float, step: float = 0.01) -> RefPair:
    """``a``/``b``: lat, lon, alt, gs, trk, vs, t (SI, degrees)."""
    ua, ub = _unit(a["lat"], a["lon"]), _unit(b["lat"], b["lon"])
    mid = tuple(x + y for x, y in zip(ua, ub, strict=True))
    norm = math.sqrt(_dot(mid, mid))
    mlat = math.degrees(math.asin(max(-1.0, min(1.0, mid[2] / norm))))
    mlon = math.degrees(math.atan2(mid[1], mid[0]))
    em, nm = _east_north(mlat, mlon)
    chord = tuple(R * (y - x) for x, y in zip(ua, ub, strict=True))
    clen = math.sqrt(_dot(chord, chord))
    dist = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
    k = dist / clen if clen > 0 else 1.0
    rel = np.array([_dot(chord, em) * k, _dot(chord, nm) * k])

    def vel(s: dict[str, float]) -> np.ndarray:
        e, n = _east_north(s["lat"], s["lon"])
        t = math.radians(s["trk"])
        v3 = tuple(s["gs"] * (math.sin(t) * x + math.cos(t) * y) for x, y in zip(e, n, strict=True))
        # parallel transport to the midpoint: rotate about the axis u x m by the angle u..m
        u = _unit(s["lat"], s["lon"])
        mm = tuple(x / norm for x in mid)
        axis = (u[1] * mm[2] - u[2] * mm[1], u[2] * mm[0] - u[0] * mm[2],
                u[0] * mm[1] - u[1] * mm[0])
        sin_t = math.sqrt(_dot(axis, axis))
        cos_t = _dot(u, mm)
        if sin_t > 0:
            k = tuple(x / sin_t for x in axis)
            kxv = (k[1] * v3[2] - k[2] * v3[1], k[2] * v3[0] - k[0] * v3[2],
                   k[0] * v3[1] - k[1] * v3[0])
            kv = _dot(k, v3)
            v3 = tuple(v * cos_t + c * sin_t + kk * kv * (1 - cos_t)  # Rodrigues
                       for v, c, kk in zip(v3, kxv, k, strict=True))
        return np.array([_dot(v3, em), _dot(v3, nm)])

    va, vb = vel(a), vel(b)
    da, db = t_ref - a["t"], t_ref - b["t"]
    rel = rel + vb * db - va * da
    w = vb - va
    z0 = (b["alt"] + b["vs"] * db) - (a["alt"] + a["vs"] * da)
    vz = b["vs"] - a["vs"]

    r0x, r0y, wx, wy = float(rel[0]), float(rel[1]), float(w[0]), float(w[1])

    def hdist(t: float) -> float:
        return math.hypot(r0x + wx * t, r0y + wy * t)

    lo, hi = -1e7, 1e7
    for _ in range(120):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if hdist(m1) <= hdist(m2):
            hi = m2
        else:
            lo = m1
    tcpa = (lo + hi) / 2 if float(w @ w) > 0 else 0.0
    times = np.arange(0.0, lookahead + step / 2, step)
    h = np.hypot(rel[0] + w[0] * times, rel[1] + w[1] * times)
    dz = np.abs(z0 + vz * times)
    hh, vv = hmin - DISTANCE_EPS_M, vmin - ALTITUDE_EPS_M
    loss = (h < hh) & (dz < vv)
    speed = float(np.hypot(*w))
    near = (h < hh + speed * step / 2 + 1e-6) & (dz < vv + abs(vz) * step / 2 + 1e-6)
    idx = np.flatnonzero(loss)
    return RefPair(
        tcpa_s=tcpa, dcpa_m=hdist(tcpa), conflict=bool(len(idx)), lost=bool(loss[0]),
        t_in_s=float(times[idx[0]]) if len(idx) else math.nan,
        t_last_s=float(times[idx[-1]]) if len(idx) else math.nan,
        ambiguous=bool(near.any()) and not len(idx), rel_speed_mps=speed)
