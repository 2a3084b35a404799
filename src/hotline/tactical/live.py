"""Live detection over the track board: encounters between parties and zone approach/incursion.

Contract (pure; time comes in as ``now``):

* :class:`EncounterWatch` feeds the live tracks, every round, to a DO-365/DAIDALUS well-clear
  :class:`~hotline.tactical.alerting.Alerter` (profile ``live`` by default: 5 NM / 1000 ft
  volumes with TTHR 35 s, alerting times 120/75/40 s for levels 1 preventive / 2 corrective /
  3 warning, M-of-N 2 of 4, hysteresis and persistence, and an explicit 50 ft altimetry
  tolerance so that level aircraft reported 975 ft apart raise no nuisance alert; see
  :mod:`hotline.tactical.profiles`). Only tracks of *different* parties form pairs. Each pair
  whose *filtered* level is at least 1 is an :class:`Encounter`, with the alerter's time to
  violation and, for the duty officers, the pair's CPA (:mod:`hotline.tactical.cpa`).
  Rounds must move forward in time (a round at or before the previous one is skipped).
* :func:`zone_events` predicts each track against each other party's zone volume active in
  ``[now, now + lookahead]`` (:func:`hotline.tactical.zones.entries`): an ``incursion`` when
  inside now, a ``zone_approach`` with the time to entry when the straight-line prediction
  enters within the lookahead.
* Results are typed and ordered (by pair, by track and zone), so the caller can deduplicate:
  one alert per encounter pair or per (track, zone), updated when its level changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from hotline.domain.altitude import DEFAULT_PRESSURE_TOLERANCE_M
from hotline.tactical.alerting import Alerter
from hotline.tactical.board import Key, Track
from hotline.tactical.cpa import Separation, kinematics, pair_cpa
from hotline.tactical.profiles import AlertingProfile, get_profile
from hotline.tactical.states import TrafficState
from hotline.tactical.zones import ZoneShape, entries


@dataclass(frozen=True, slots=True)
class LiveOptions:
    profile: AlertingProfile = field(default_factory=lambda: get_profile("live"))
    zone_step_s: float = 1.0
    pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M

    @property
    def lookahead_s(self) -> float:
        return self.profile.lookahead_s


@dataclass(frozen=True, slots=True)
class Encounter:
    """Tracks ``a`` < ``b`` of different parties whose well-clear alert level is >= 1."""

    a: Key
    b: Key
    level: int  # filtered: 1 preventive, 2 corrective, 3 warning
    level_name: str
    raw_level: int  # detected this round, before M-of-N / hysteresis / persistence
    time_to_violation_s: float | None  # to the corrective volume (0: in it; None: not ahead)
    tcpa_s: float  # horizontal closest approach, from now
    dcpa_m: float
    reason: str


@dataclass(frozen=True, slots=True)
class ZoneEvent:
    """Track ``track`` inside (``incursion``) or entering (``zone_approach``) a zone volume."""

    track: Key
    zone: ZoneShape
    kind: str  # incursion | zone_approach
    time_to_entry_s: float  # 0 for an incursion


def state_of(tracks: Sequence[Track]) -> TrafficState:
    rs = [t.latest for t in tracks]
    return TrafficState.from_columns(
        [f"{r.party}/{r.aircraft}" for r in rs], [r.lat_deg for r in rs],
        [r.lon_deg for r in rs], [r.alt_m for r in rs], [r.gs_mps for r in rs],
        [r.trk_deg for r in rs], [r.vs_mps for r in rs], party=[r.party for r in rs],
        t_s=[r.time.timestamp() for r in rs])


class EncounterWatch:
    """The alerter's state across rounds (see the module docstring)."""

    def __init__(self, options: LiveOptions | None = None) -> None:
        self.options = options or LiveOptions()
        self.alerter = Alerter(self.options.profile)
        self._last_t = -math.inf

    def step(self, tracks: Sequence[Track], now: datetime) -> list[Encounter] | None:
        """This round's encounters; None when the round does not move time forward."""
        state = state_of(tracks)
        t = max(now.timestamp(), float(state.t_s.max()) if len(tracks) else -math.inf)
        if t <= self._last_t:
            return None
        self._last_t = t
        alerts = [a for a in self.alerter.step(t, state) if a.level >= 1]
        if not alerts:
            return []
        index = {str(x): k for k, x in enumerate(state.ids)}
        i = np.array([index[a.a] for a in alerts], dtype=np.intp)
        j = np.array([index[a.b] for a in alerts], dtype=np.intp)
        shift = t - now.timestamp()
        cpa = pair_cpa(kinematics(state, t), i, j, Separation())
        out = []
        for k, a in enumerate(alerts):
            ttv = a.time_to_violation_s
            out.append(Encounter(
                tracks[int(i[k])].key, tracks[int(j[k])].key, a.level, a.level_name,
                a.raw_level, None if ttv is None or not math.isfinite(ttv) else ttv + shift,
                float(cpa.tcpa_s[k]) + shift, float(cpa.dcpa_m[k]), a.reason))
        return out


def zone_events(tracks: Sequence[Track], shapes: Sequence[ZoneShape], now: datetime,
                options: LiveOptions = LiveOptions()) -> list[ZoneEvent]:
    """Incursions and approaches of tracks into zone volumes of *other* parties."""
    if not tracks or not shapes:
        return []
    rs = [t.latest for t in tracks]
    party = np.array([r.party for r in rs])
    cols = {name: np.array([getattr(r, name) for r in rs], dtype=np.float64)
            for name in ("lat_deg", "lon_deg", "alt_m", "gs_mps", "trk_deg", "vs_mps")}
    t_s = np.array([r.time.timestamp() for r in rs])
    refs = [r.alt_ref for r in rs]
    best: dict[tuple[Key, str, str], ZoneEvent] = {}
    for shape in shapes:
        idx = np.flatnonzero(party != shape.owner)
        if idx.size == 0:
            continue
        got = entries(shape, cols["lat_deg"][idx], cols["lon_deg"][idx], cols["alt_m"][idx],
                      [refs[int(k)] for k in idx], cols["gs_mps"][idx], cols["trk_deg"][idx],
                      cols["vs_mps"][idx], t_s[idx], now, options.lookahead_s,
                      options.zone_step_s, options.pressure_tolerance_m)
        for n, k in enumerate(idx):
            if got.inside[n]:
                event = ZoneEvent(tracks[int(k)].key, shape, "incursion", 0.0)
            elif np.isfinite(got.time_to_entry_s[n]):
                event = ZoneEvent(tracks[int(k)].key, shape, "zone_approach",
                                  float(got.time_to_entry_s[n]))
            else:
                continue
            key = (event.track, shape.owner, shape.zone_id)
            held = best.get(key)  # one event per (track, zone): the most urgent volume
            if held is None or _urgency(event) > _urgency(held):
                best[key] = event
    return [best[k] for k in sorted(best)]


def _urgency(e: ZoneEvent) -> tuple[bool, float]:
    return (e.kind == "incursion", -e.time_to_entry_s)
