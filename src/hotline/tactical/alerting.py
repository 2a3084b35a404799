"""DO-365 / DAIDALUS well-clear alerting over a stream of traffic snapshots.

Contract: pure (no clock, no I/O). An :class:`Alerter` is built from an
:class:`~hotline.tactical.profiles.AlertingProfile`; :meth:`Alerter.step` takes the time ``t``
(float seconds on the caller's time line, strictly increasing from call to call) and a
snapshot of the aircraft present then (:class:`~hotline.tactical.states.TrafficState`, whose
``t_s`` says when each state was measured, ``<= t``; states are extrapolated to ``t`` on
straight lines). It returns one
:class:`PairAlert` per pair whose raw or filtered alert level is above 0, sorted by ids.

Per step, vectorised over candidate pairs (numpy): pairs that cannot violate any level's
volume within the lookahead are pruned by the probe's conservative grid
(:meth:`Alerter.candidate_pairs`); for the rest the violation interval of each level's
volume is computed analytically (:mod:`hotline.tactical.wellclear`) and the *raw* level is
the most severe level whose volume is violated within ``min(lookahead, alerting time)``.
The *filtered* level comes from a per-pair :class:`~hotline.tactical.hysteresis.PairFilter`
(M-of-N, hysteresis, persistence). The reported time to violation is the entry time into
the corrective level's volume within the lookahead (0 when already in violation), as
DAIDALUS's ``timeToCorrectiveVolume``.

Pairs: by default only aircraft of different parties form pairs (an empty party counts as
unknown, so it pairs with everyone); ``same_party=True`` pairs everyone. Each pair is named
with the smaller id first, so results do not depend on the order of the snapshot.

Horizontal geometry: each pair is solved in a local east/north plane at the pair's mid
latitude on a sphere of radius :data:`EARTH_RADIUS_M` (equirectangular per pair; errors are
below 0.1 % of the separation for aircraft within 100 km of each other, far beyond any
alerting volume).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from hotline.domain.errors import InvalidInput
from hotline.domain.units import FT, NM
from hotline.tactical.cpa import EARTH_RADIUS_M, Separation, kinematics
from hotline.tactical.hysteresis import PairFilter
from hotline.tactical.probe import candidate_chunks
from hotline.tactical.profiles import AlertingProfile, Thresholds
from hotline.tactical.states import TrafficState
from hotline.tactical.wellclear import FloatArray, Intervals, RelativeStates, violation_intervals

IntArray = NDArray[np.intp]

#: Slack added to the pruning minima, metres (the probe's pair plane and ours differ by far less).
_SLACK_M: Final = 100.0
#: Relative difference allowed between the probe's pair geometry and the per-pair plane here.
_PLANE_ERROR: Final = 1e-3


@dataclass(frozen=True, slots=True)
class PairAlert:
    """Alert state of one pair at time ``t`` (``a < b``).

    ``level`` is the filtered alert level (0 none, 1 preventive, 2 corrective, 3 warning for
    the shipped profiles), ``raw_level`` the level detected at this step before filtering,
    ``time_to_violation_s`` the time until the pair enters the corrective volume (0 when in
    it; None when it does not within the lookahead), ``reason`` a human-readable account.
    """

    t: float
    a: str
    b: str
    level: int
    raw_level: int
    level_name: str
    time_to_violation_s: float | None
    reason: str


@dataclass(slots=True)
class Detections:
    i: IntArray
    j: IntArray
    raw: NDArray[np.int64]
    ttv: FloatArray


@dataclass(slots=True)
class Alerter:
    """Per-pair DO-365 alerting state over a stream of snapshots (see the module docstring)."""

    profile: AlertingProfile
    same_party: bool = False
    _filters: dict[tuple[str, str], PairFilter] = field(default_factory=dict)
    _last_seen: dict[str, float] = field(default_factory=dict)
    _last_t: float = -math.inf

    def step(self, t: float, states: TrafficState) -> list[PairAlert]:
        """Detect, filter and report at time ``t`` (see the module docstring)."""
        t = float(t)
        if not math.isfinite(t):
            raise InvalidInput(f"time {t} is not finite", hint="give time in seconds")
        if t <= self._last_t:
            raise InvalidInput(
                f"time {t:g} s does not follow the previous step ({self._last_t:g} s)",
                hint="feed snapshots in strictly increasing time order")
        if len(states.ids) and float(np.max(states.t_s)) > t:
            raise InvalidInput(f"a state is measured after the step time {t:g} s",
                               hint="step at the latest measurement time or later")
        ids = [str(x) for x in states.ids]
        det = self.detect(t, states)
        raw_of: dict[tuple[str, str], tuple[int, float]] = {}
        for i, j, raw, ttv in zip(det.i.tolist(), det.j.tolist(), det.raw.tolist(),
                                  det.ttv.tolist(), strict=True):
            raw_of[(ids[i], ids[j])] = (int(raw), float(ttv))
        present = set(ids)
        p = self.profile
        out: list[PairAlert] = []
        # Pairs with history: every present pair is evaluated, at raw 0 when not detected.
        for key in list(self._filters):
            f = self._filters[key]
            if key[0] not in present or key[1] not in present:
                if t - f.last_time > p.hysteresis_s:
                    del self._filters[key]  # its next update would reset it anyway
                continue
            raw, ttv = raw_of.pop(key, (0, math.inf))
            level = f.apply(raw, t)
            if level or raw:
                out.append(self._alert(t, key, level, raw, ttv))
            elif f.idle:
                del self._filters[key]
        # Pairs detected now with no history: quiet if both were seen recently, else fresh.
        for key, (raw, ttv) in raw_of.items():
            if raw == 0:
                continue
            seen_a, seen_b = self._last_seen.get(key[0]), self._last_seen.get(key[1])
            if seen_a is None or seen_b is None:
                f = PairFilter(p.m, p.n, p.hysteresis_s, p.persistence_s)
            else:
                f = PairFilter.quiet(p.m, p.n, p.hysteresis_s, p.persistence_s,
                                     min(seen_a, seen_b))
            self._filters[key] = f
            level = f.apply(raw, t)
            out.append(self._alert(t, key, level, raw, ttv))
        for aircraft in ids:
            self._last_seen[aircraft] = t
        self._last_t = t
        out.sort(key=lambda alert: (alert.a, alert.b))
        return out

    def detect(self, t: float, states: TrafficState) -> Detections:
        """Raw levels and times to violation of the candidate pairs at ``t`` (no filtering).

        Candidate pairs are ordered so that ``ids[i] < ids[j]``.
        """
        i, j = self.candidate_pairs(t, states)
        rel = relative_states(states, i, j, t, self.profile.level_band_mps)
        p = self.profile
        raw = np.zeros(len(i), dtype=np.int64)
        cache: dict[Thresholds, Intervals] = {}

        def intervals(thr: Thresholds) -> Intervals:
            if thr not in cache:
                cache[thr] = violation_intervals(rel, thr, p.lookahead_s,
                                                 p.altimetry_tolerance_m)
            return cache[thr]

        for k, level in enumerate(p.levels, start=1):
            hit = intervals(level.thresholds).within(p.alerting_window_s(k))
            raw[hit] = k
        corrective = intervals(p.levels[p.corrective_level - 1].thresholds)
        return Detections(i, j, raw, corrective.t_in)

    def candidate_pairs(self, t: float, states: TrafficState) -> tuple[IntArray, IntArray]:
        """Index pairs ``(i, j)`` that could violate some level within the lookahead.

        Reuses the probe's conservative 4-D grid (:mod:`hotline.tactical.probe`) with minima
        that contain every level's volume: a violation starting at ``t_in`` has horizontal
        range at most ``DTHR + TTHR * |v_rel|`` then (modified tau <= TTHR) and vertical gap
        at most ``max(ZTHR, |vz| * TCOA)``; speeds are bounded by the fastest aircraft.
        """
        if len(states) < 2:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        p = self.profile
        gs_max = float(np.max(states.gs_mps))
        vs_max = float(np.max(np.abs(states.vs_mps)))
        age_max = float(np.max(t - states.t_s))
        d_max = max(lv.thresholds.dthr_m for lv in p.levels)
        tthr_max = max(lv.thresholds.tthr_s for lv in p.levels)
        z_max = max(lv.thresholds.zthr_m for lv in p.levels)
        tcoa_max = max(lv.thresholds.tcoa_s for lv in p.levels)
        sep = Separation(
            horizontal_m=d_max * (1 + _PLANE_ERROR) + 2 * tthr_max * gs_max + _SLACK_M,
            # the level band moves an altitude by at most band * age from the probe's
            vertical_m=(z_max + 2 * tcoa_max * vs_max + 2 * p.level_band_mps * age_max
                        + _SLACK_M),
            lookahead_s=p.lookahead_s,
        )
        kin = kinematics(states, t)
        chunks = list(candidate_chunks(kin, sep))
        if not chunks:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        i = np.concatenate([a for a, _ in chunks])
        j = np.concatenate([b for _, b in chunks])
        if not self.same_party:
            pi, pj = states.party[i], states.party[j]
            keep = (pi != pj) | (pi == "") | (pj == "")
            i, j = i[keep], j[keep]
        ids = states.ids
        swap = ids[i] > ids[j]
        return np.where(swap, j, i), np.where(swap, i, j)

    def _alert(self, t: float, key: tuple[str, str], level: int, raw: int,
               ttv: float) -> PairAlert:
        p = self.profile
        name = p.levels[level - 1].name if level else "none"
        ttv_out = ttv if math.isfinite(ttv) else None
        if raw:
            thr = p.levels[raw - 1].thresholds
            z_ft = (thr.zthr_m - p.altimetry_tolerance_m) / FT
            volume = f"DTHR {thr.dthr_m / NM:g} NM, TTHR {thr.tthr_s:g} s, ZTHR {z_ft:g} ft"
            window = p.alerting_window_s(raw)
            reason = f"{p.levels[raw - 1].name} volume ({volume}) violated within {window:g} s"
            if ttv_out == 0.0:
                reason += "; in the corrective volume now"
            elif ttv_out is not None:
                reason += f"; corrective volume in {ttv_out:.1f} s"
        else:
            reason = "no violation detected now"
        if level < raw:
            reason += f"; not raised yet: the M-of-N filter needs {p.m} of the last {p.n} steps"
        elif level > raw:
            reason += f"; level {level} held by the M-of-N filter and persistence"
        return PairAlert(t, key[0], key[1], level, raw, name, ttv_out, reason)


def relative_states(states: TrafficState, i: IntArray, j: IntArray, t: float,
                    level_band_mps: float = 0.0) -> RelativeStates:
    """Relative states (``i`` minus ``j``) at time ``t`` in each pair's local plane.

    Vertical speeds within ``level_band_mps`` of zero count as level flight (0).
    """
    lat_i, lat_j = np.radians(states.lat_deg[i]), np.radians(states.lat_deg[j])
    dlon = np.radians(states.lon_deg[i] - states.lon_deg[j])
    dlon = (dlon + np.pi) % (2 * np.pi) - np.pi
    mid = 0.5 * (lat_i + lat_j)
    trk = np.radians(states.trk_deg)
    ve = states.gs_mps * np.sin(trk)
    vn = states.gs_mps * np.cos(trk)
    dt = t - states.t_s
    vs = np.where(np.abs(states.vs_mps) <= level_band_mps, 0.0, states.vs_mps)
    sx = EARTH_RADIUS_M * np.cos(mid) * dlon + ve[i] * dt[i] - ve[j] * dt[j]
    sy = EARTH_RADIUS_M * (lat_i - lat_j) + vn[i] * dt[i] - vn[j] * dt[j]
    alt = states.alt_m + vs * dt
    return RelativeStates(sx=sx, sy=sy, sz=alt[i] - alt[j], vx=ve[i] - ve[j], vy=vn[i] - vn[j],
                          vz=vs[i] - vs[j])
