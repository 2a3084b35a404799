"""Closest point of approach and predicted loss of separation for pairs of aircraft (vectorised).

Model (state-based, as BlueSky's ``StateBased`` detector: straight lines at constant velocity,
flat earth per pair). Every state is first moved to the common reference time ``t_ref``
(default: the latest ``t_s`` in the snapshot) along its velocity. For a pair (i, j):

* positions are points on a sphere of radius :data:`EARTH_RADIUS_M` (the WGS84 mean radius);
  ``m`` is the unit vector midway between them, and the pair is solved in the tangent plane at
  ``m`` (the chord between the two points lies in that plane; it is scaled to the great-circle
  length, so at ``t_ref`` the horizontal distance is the great-circle distance);
* each aircraft's horizontal velocity is ``gs * (sin trk * east + cos trk * north)`` in its own
  local frame, a 3-D tangent vector, carried to the plane at ``m`` by parallel transport along
  the great circle (speed preserved; the frames differ by the meridian convergence, which a
  shared flat frame would ignore); vertical is ``alt_m`` and ``vs_mps``. Everything is
  symmetric in i and j.

Results are relative to ``t_ref``, in seconds and metres:

* ``tcpa_s`` time of horizontal closest approach (negative when diverging; 0 when the relative
  velocity is zero), ``dcpa_m`` horizontal distance then (as BlueSky's tcpa/dcpa);
* a loss of separation is horizontal distance *strictly* below ``horizontal_m`` **and** vertical
  distance strictly below ``vertical_m``; both limits are lowered by the epsilons of
  :mod:`hotline.domain.units`, so aircraft exactly 1000 ft or 5 NM apart in the input's units do
  not lose separation. The loss window is the intersection of the horizontal and vertical loss
  intervals; ``conflict`` says whether it meets ``[0, lookahead_s]``; ``t_in_s`` is its start
  (0 when separation is already lost, ``lost``), ``t_out_s`` its end, which may lie beyond the
  lookahead and is ``inf`` when separation is never regained. Both are NaN for non-conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from hotline.domain.errors import InvalidInput
from hotline.domain.units import ALTITUDE_EPS_M, DISTANCE_EPS_M, FT, NM
from hotline.tactical.states import FloatArray, TrafficState

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Radius of the sphere the horizontal model uses (WGS84 mean radius R1), metres.
EARTH_RADIUS_M: Final = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Separation:
    """Minima and lookahead of a probe (SI). Defaults: 5 NM, 1000 ft, 300 s."""

    horizontal_m: float = 5 * NM
    vertical_m: float = 1000 * FT
    lookahead_s: float = 300.0

    def __post_init__(self) -> None:
        for name in ("horizontal_m", "vertical_m", "lookahead_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InvalidInput(f"{name} must be a positive number, not {value}",
                                   hint="minima are metres, the lookahead seconds")

    @property
    def horizontal_eff_m(self) -> float:
        """The horizontal limit actually compared against (strictly below is a loss)."""
        return self.horizontal_m - DISTANCE_EPS_M

    @property
    def vertical_eff_m(self) -> float:
        """The vertical limit actually compared against (strictly below is a loss)."""
        return self.vertical_m - ALTITUDE_EPS_M


@dataclass(frozen=True, slots=True)
class Kinematics:
    """Per-aircraft vectors at the reference time: unit position ``u`` (N x 3, on the sphere),
    horizontal velocity ``v`` (N x 3, m/s, tangent at ``u``), ``dt_s`` (``t_ref - t_s``),
    ``alt_m`` and ``vs_mps`` moved to ``t_ref``."""

    t_ref: float
    u: FloatArray
    v: FloatArray
    dt_s: FloatArray
    alt_m: FloatArray
    vs_mps: FloatArray
    gs_mps: FloatArray


def kinematics(state: TrafficState, t_ref: float | None = None) -> Kinematics:
    """Unit vectors and 3-D velocities for every aircraft; ``t_ref`` defaults to the latest
    ``t_s`` (and may not precede it: states are extrapolated forward only)."""
    latest = float(state.t_s.max()) if len(state) else 0.0
    t = latest if t_ref is None else float(t_ref)
    if t < latest:
        raise InvalidInput(f"reference time {t} precedes the latest state ({latest})",
                           hint="probe from the latest state's time or later")
    lat = np.radians(state.lat_deg)
    lon = np.radians(state.lon_deg)
    clat, slat, clon, slon = np.cos(lat), np.sin(lat), np.cos(lon), np.sin(lon)
    u = np.stack([clat * clon, clat * slon, slat], axis=1)
    east = np.stack([-slon, clon, np.zeros_like(lon)], axis=1)
    north = np.stack([-slat * clon, -slat * slon, clat], axis=1)
    trk = np.radians(state.trk_deg)
    v = (state.gs_mps * np.sin(trk))[:, None] * east + (state.gs_mps * np.cos(trk))[:, None] * north
    dt = t - state.t_s
    return Kinematics(t_ref=t, u=u, v=v, dt_s=dt, alt_m=state.alt_m + state.vs_mps * dt,
                      vs_mps=state.vs_mps, gs_mps=state.gs_mps)


@dataclass(frozen=True, slots=True)
class PairCpa:
    """CPA and loss window for pairs ``(i[k], j[k])`` (see the module docstring)."""

    i: IntArray
    j: IntArray
    tcpa_s: FloatArray
    dcpa_m: FloatArray
    t_in_s: FloatArray
    t_out_s: FloatArray
    lost: BoolArray
    conflict: BoolArray

    def __len__(self) -> int:
        return len(self.i)

    def select(self, mask: BoolArray | IntArray) -> PairCpa:
        """The pairs at ``mask`` (boolean mask or index array)."""
        return PairCpa(self.i[mask], self.j[mask], self.tcpa_s[mask], self.dcpa_m[mask],
                       self.t_in_s[mask], self.t_out_s[mask], self.lost[mask],
                       self.conflict[mask])


def pair_cpa(kin: Kinematics, i: npt.ArrayLike, j: npt.ArrayLike,
             sep: Separation = Separation()) -> PairCpa:
    """CPA, loss window and conflict flag for each pair ``(i[k], j[k])`` of ``kin``."""
    ia = np.asarray(i, dtype=np.intp).reshape(-1)
    ja = np.asarray(j, dtype=np.intp).reshape(-1)
    ui, uj = kin.u[ia], kin.u[ja]
    chord = (uj - ui) * EARTH_RADIUS_M
    clen = np.sqrt(np.einsum("ij,ij->i", chord, chord))
    arc = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(clen / (2 * EARTH_RADIUS_M), 1.0))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        scale = np.where(clen > 0, arc / clen, 1.0)
    mid = ui + uj
    mlen = np.sqrt(np.einsum("ij,ij->i", mid, mid))
    mid = np.where((mlen > 1e-9)[:, None], mid / np.maximum(mlen, 1e-300)[:, None], ui)

    vi = _transport(kin.v[ia], ui, mid)
    vj = _transport(kin.v[ja], uj, mid)
    r0 = chord * scale[:, None] + vj * kin.dt_s[ja, None] - vi * kin.dt_s[ia, None]
    w = vj - vi
    a = np.einsum("ij,ij->i", w, w)
    b = np.einsum("ij,ij->i", r0, w)
    rr = np.einsum("ij,ij->i", r0, r0)
    moving = a > 0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        tcpa = np.where(moving, -b / np.where(moving, a, 1.0), 0.0)
    at_cpa = r0 + w * tcpa[:, None]
    dcpa = np.sqrt(np.einsum("ij,ij->i", at_cpa, at_cpa))

    h = sep.horizontal_eff_m
    c0 = rr - h * h
    h_in, h_out = _quadratic_below_zero(a, b, c0)
    dz = kin.alt_m[ja] - kin.alt_m[ia]
    dvz = kin.vs_mps[ja] - kin.vs_mps[ia]
    v_in, v_out = _linear_within(dz, dvz, sep.vertical_eff_m)
    start = np.maximum(h_in, v_in)
    end = np.minimum(h_out, v_out)
    lost = (c0 < 0) & (np.abs(dz) < sep.vertical_eff_m)
    t_in = np.where(lost, 0.0, np.maximum(start, 0.0))
    conflict = lost | ((start < end) & (t_in < np.minimum(end, sep.lookahead_s)))
    nan = np.full(len(ia), np.nan)
    return PairCpa(i=ia, j=ja, tcpa_s=tcpa, dcpa_m=dcpa,
                   t_in_s=np.where(conflict, t_in, nan), t_out_s=np.where(conflict, end, nan),
                   lost=lost, conflict=conflict)


def vertical_may_conflict(kin: Kinematics, i: IntArray, j: IntArray,
                          sep: Separation = Separation()) -> BoolArray:
    """A cheap necessary condition for ``pair_cpa(...).conflict``: the vertical loss interval
    meets ``[0, lookahead)`` (computed exactly as :func:`pair_cpa` does)."""
    dz = kin.alt_m[j] - kin.alt_m[i]
    v_in, v_out = _linear_within(dz, kin.vs_mps[j] - kin.vs_mps[i], sep.vertical_eff_m)
    out: BoolArray = np.maximum(v_in, 0.0) < np.minimum(v_out, sep.lookahead_s)
    return out


def _transport(v: FloatArray, u: FloatArray, m: FloatArray) -> FloatArray:
    """Parallel-transport tangent vectors ``v`` at unit points ``u`` to the tangent plane at
    ``m`` along the great circle (the rotation taking ``u`` to ``m``): length is preserved."""
    vm = np.einsum("ij,ij->i", v, m)
    um = np.einsum("ij,ij->i", u, m)
    k = vm / np.maximum(1.0 + um, 1e-12)
    out: FloatArray = v - k[:, None] * (u + m)
    return out


def _quadratic_below_zero(a: FloatArray, b: FloatArray, c: FloatArray
                          ) -> tuple[FloatArray, FloatArray]:
    """The open interval where ``a t^2 + 2 b t + c < 0`` (a >= 0): ``(-inf, inf)`` when it
    holds for all t, ``(inf, -inf)`` (empty) when for none."""
    inf = np.full(len(a), np.inf)
    disc = b * b - a * c
    has = (a > 0) & (disc > 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        root = np.sqrt(np.where(has, disc, 0.0))
        q = -(b + np.copysign(root, b))  # numerically stable roots: q / a and c / q
        t1 = q / np.where(has, a, 1.0)
        t2 = c / np.where(q != 0, q, 1.0)
    lo = np.where(has, np.minimum(t1, t2), inf)
    hi = np.where(has, np.maximum(t1, t2), -inf)
    always = (a == 0) & (c < 0)
    return np.where(always, -inf, lo), np.where(always, inf, hi)


def _linear_within(dz: FloatArray, dvz: FloatArray, limit: float
                   ) -> tuple[FloatArray, FloatArray]:
    """The open interval where ``|dz + dvz t| < limit``; all t or none when ``dvz == 0``."""
    inf = np.full(len(dz), np.inf)
    moving = dvz != 0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        step = np.where(moving, dvz, 1.0)
        t1 = (-limit - dz) / step
        t2 = (limit - dz) / step
    inside = np.abs(dz) < limit
    lo = np.where(moving, np.minimum(t1, t2), np.where(inside, -inf, inf))
    hi = np.where(moving, np.maximum(t1, t2), np.where(inside, inf, -inf))
    return lo, hi
