"""Well-clear violation intervals for straight-line projection, vectorised over pairs.

Contract: SI inside. A pair is given by its *relative* state (aircraft a minus aircraft b):
horizontal position ``(sx, sy)`` and velocity ``(vx, vy)`` in a local east/north plane
(metres, m/s), vertical separation ``sz`` (m) and vertical speed ``vz`` (m/s, positive up).
Every function accepts equal-length numpy arrays and is symmetric in the two aircraft (it
depends on ``|s|``, ``s.v``, ``|v|``, ``|sz|``, ``sz*vz`` only) and free of I/O and clocks.

The volume is DAIDALUS's ``WCV_TAUMOD`` as RTCA DO-365 defines well clear:

- horizontal: ``|s| <= DTHR``, or the pair is converging (``s.v < 0``), its horizontal
  miss distance ``dcpa <= DTHR`` and its *modified tau*
  ``taumod = (DTHR**2 - |s|**2) / (s.v)`` is at most ``TTHR``;
- vertical (``WCV_TCOA``): ``|sz| <= ZTHR``, or converging vertically with time to
  co-altitude ``-sz/vz`` at most ``TCOA``;
- the pair violates well clear when both hold.

For a straight-line projection each part holds on one time interval, so the violation is
the interval ``[t_in, t_out]`` (absolute seconds from now, clipped to ``[0, horizon]``):
horizontally from the earlier root of ``|s(t)|**2 + TTHR*(s(t).v) - DTHR**2 = 0`` (where
taumod reaches TTHR) to the exit from the DTHR circle; vertically from entry into
``max(ZTHR, |vz|*TCOA)`` to exit from ZTHR. As in DAIDALUS (``LossData.conflict``), a pair
is in conflict within a window when the interval has positive length there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hotline.tactical.profiles import Thresholds

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Relative horizontal speeds (m/s) below this count as zero (DAIDALUS ``almost_equals``).
SPEED_EPS: Final = 1e-9
#: Violation intervals shorter than this (s) are not conflicts (DAIDALUS ``almost_less``).
TIME_EPS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class RelativeStates:
    """Relative states of pairs (a minus b), equal-length float arrays, SI."""

    sx: FloatArray
    sy: FloatArray
    sz: FloatArray
    vx: FloatArray
    vy: FloatArray
    vz: FloatArray

    def __len__(self) -> int:
        return int(self.sx.shape[0])

    def swapped(self) -> RelativeStates:
        """The same pairs seen from the other aircraft (b minus a)."""
        return RelativeStates(-self.sx, -self.sy, -self.sz, -self.vx, -self.vy, -self.vz)

    def advanced(self, dt: float) -> RelativeStates:
        """The pairs ``dt`` seconds later on their straight lines."""
        return RelativeStates(self.sx + dt * self.vx, self.sy + dt * self.vy,
                              self.sz + dt * self.vz, self.vx, self.vy, self.vz)


@dataclass(frozen=True, slots=True)
class Intervals:
    """Violation intervals, seconds from now; ``conflict`` where ``t_out - t_in > TIME_EPS``.

    Where there is no conflict ``t_in`` is ``+inf`` and ``t_out`` is ``-inf``.
    """

    t_in: FloatArray
    t_out: FloatArray

    @property
    def conflict(self) -> BoolArray:
        return np.asarray(self.t_out - self.t_in > TIME_EPS, dtype=np.bool_)

    def within(self, window_s: float) -> BoolArray:
        """Conflict within ``[0, window_s]``: the interval meets it with positive length."""
        return np.asarray(np.minimum(self.t_out, window_s) - self.t_in > TIME_EPS,
                          dtype=np.bool_)


def horizontal_interval(rel: RelativeStates, dthr_m: float,
                        tthr_s: float) -> tuple[FloatArray, FloatArray]:
    """Absolute horizontal violation interval ``(h_in, h_out)``, unclipped.

    Empty intervals have ``h_in = +inf``, ``h_out = -inf``; a pair inside DTHR with no
    relative horizontal speed is in violation for ever (``-inf, +inf``).
    """
    sqs = rel.sx * rel.sx + rel.sy * rel.sy
    sdotv = rel.sx * rel.vx + rel.sy * rel.vy
    a = rel.vx * rel.vx + rel.vy * rel.vy
    det = rel.sx * rel.vy - rel.sy * rel.vx
    d2 = dthr_m * dthr_m
    h_in = np.full_like(sqs, np.inf)
    h_out = np.full_like(sqs, -np.inf)
    still = a < SPEED_EPS * SPEED_EPS
    inside_still = still & (sqs <= d2)
    h_in[inside_still] = -np.inf
    h_out[inside_still] = np.inf
    delta = d2 * a - det * det  # >= 0 iff the miss distance dcpa <= DTHR
    moving = ~still & (delta >= 0)
    with np.errstate(all="ignore"):
        root = np.sqrt(np.where(moving, delta, 0.0))
        safe_a = np.where(moving, a, 1.0)
        c_in = (-sdotv - root) / safe_a
        c_out = (-sdotv + root) / safe_a
        b = 2.0 * sdotv + tthr_s * a
        c = sqs + tthr_s * sdotv - d2
        disc = np.maximum(b * b - 4.0 * a * c, 0.0)
        tau_in = (-b - np.sqrt(disc)) / (2.0 * safe_a)
    h_in = np.where(moving, np.minimum(tau_in, c_in), h_in)
    h_out = np.where(moving, c_out, h_out)
    return h_in, h_out


def vertical_interval(rel: RelativeStates, zthr_m: float,
                      tcoa_s: float) -> tuple[FloatArray, FloatArray]:
    """Absolute vertical violation interval ``(z_in, z_out)``, unclipped (see module)."""
    sz, vz = rel.sz, rel.vz
    level = np.abs(vz) < SPEED_EPS
    inside = np.abs(sz) <= zthr_m
    with np.errstate(all="ignore"):
        safe_vz = np.where(level, 1.0, vz)
        sign = np.sign(safe_vz)
        act_h = np.maximum(zthr_m, np.abs(vz) * tcoa_s)
        z_in = (-sign * act_h - sz) / safe_vz
        z_out = (sign * zthr_m - sz) / safe_vz
    z_in = np.where(level, np.where(inside, -np.inf, np.inf), z_in)
    z_out = np.where(level, np.where(inside, np.inf, -np.inf), z_out)
    return z_in, z_out


def violation_intervals(rel: RelativeStates, thresholds: Thresholds, horizon_s: float,
                        altimetry_tolerance_m: float = 0.0) -> Intervals:
    """Well-clear violation intervals of ``rel`` within ``[0, horizon_s]``.

    ``altimetry_tolerance_m`` is subtracted from ZTHR (see :mod:`hotline.tactical.profiles`).
    """
    h_in, h_out = horizontal_interval(rel, thresholds.effective_d(), thresholds.tthr_s)
    z_in, z_out = vertical_interval(rel, thresholds.effective_z(altimetry_tolerance_m),
                                    thresholds.tcoa_s)
    t_in = np.maximum(np.maximum(h_in, z_in), 0.0)
    t_out = np.minimum(np.minimum(h_out, z_out), horizon_s)
    hit = t_out - t_in > TIME_EPS
    return Intervals(np.where(hit, t_in, np.inf), np.where(hit, t_out, -np.inf))


def in_violation(rel: RelativeStates, thresholds: Thresholds,
                 altimetry_tolerance_m: float = 0.0) -> BoolArray:
    """Pointwise test at time 0 (DAIDALUS ``violation``): horizontal and vertical WCV hold."""
    d = thresholds.effective_d()
    z = thresholds.effective_z(altimetry_tolerance_m)
    sqs = rel.sx * rel.sx + rel.sy * rel.sy
    sdotv = rel.sx * rel.vx + rel.sy * rel.vy
    a = rel.vx * rel.vx + rel.vy * rel.vy
    det = rel.sx * rel.vy - rel.sy * rel.vx
    dcpa_ok = (d * d * a - det * det >= 0) | (a < SPEED_EPS * SPEED_EPS)
    with np.errstate(all="ignore"):
        taumod = np.where(sdotv < 0, (d * d - sqs) / np.where(sdotv < 0, sdotv, -1.0), -1.0)
    horizontal = (sqs <= d * d) | (dcpa_ok & (taumod >= 0) & (taumod <= thresholds.tthr_s))
    sz, vz = rel.sz, rel.vz
    with np.errstate(all="ignore"):
        tcoa = np.where(vz != 0, -sz / np.where(vz != 0, vz, 1.0), np.inf)
    vertical = (np.abs(sz) <= z) | ((vz != 0) & (sz * vz <= 0) & (tcoa <= thresholds.tcoa_s))
    return np.asarray(horizontal & vertical, dtype=np.bool_)
