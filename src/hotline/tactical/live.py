"""Live detection over the track board: encounters between parties and zone approach/incursion.

Contract (pure; time comes in as ``now``):

* :func:`encounters` runs the vectorised pair CPA (:mod:`hotline.tactical.cpa`) over the live
  tracks of *different* parties, every state extrapolated to ``now`` (or to the latest report
  if that is later), and grades each predicted loss of separation: level 3 when separation is
  already lost, 2 when the loss starts within ``corrective_s``, else 1 (within the lookahead).
  This is the interim live rule until the DO-365 alerter's live profile replaces the grading.
  The live profile's vertical minimum is ``vertical_m - altimetry_tolerance_m``: reported
  altitudes are quantised (25 ft steps in ADS-B), so level aircraft reported 975 ft apart are
  not a loss of 1000 ft separation here (``hotline probe`` keeps the raw rule).
* :func:`zone_events` predicts each track against each other party's zone volume active in
  ``[now, now + lookahead]`` (:func:`hotline.tactical.zones.entries`): an ``incursion`` when
  inside now, a ``zone_approach`` with the time to entry when the straight-line prediction
  enters within the lookahead.
* Results are typed and ordered (by pair, by track and zone), so the caller can deduplicate:
  one alert per encounter pair or per (track, zone), updated when its level changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from hotline.domain.altitude import DEFAULT_PRESSURE_TOLERANCE_M
from hotline.domain.units import FT, NM
from hotline.tactical.board import Key, Track
from hotline.tactical.cpa import Separation, kinematics, pair_cpa
from hotline.tactical.states import TrafficState
from hotline.tactical.zones import ZoneShape, entries


@dataclass(frozen=True, slots=True)
class LiveOptions:
    horizontal_m: float = 5 * NM
    vertical_m: float = 1000 * FT
    #: Subtracted from the vertical minimum (altitude quantisation of the reports).
    altimetry_tolerance_m: float = 25 * FT
    lookahead_s: float = 300.0
    #: A predicted loss starting within this many seconds is level 2 (corrective).
    corrective_s: float = 60.0
    zone_step_s: float = 1.0
    pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M

    @property
    def separation(self) -> Separation:
        return Separation(self.horizontal_m, self.vertical_m - self.altimetry_tolerance_m,
                          self.lookahead_s)


@dataclass(frozen=True, slots=True)
class Encounter:
    """A predicted (or current) loss of separation between tracks ``a`` < ``b``."""

    a: Key
    b: Key
    level: int  # 1 preventive, 2 corrective, 3 warning (separation lost)
    t_in_s: float  # seconds from ``now`` to the loss (0 when lost)
    t_out_s: float  # seconds from ``now`` to its end (inf: never regained)
    tcpa_s: float
    dcpa_m: float
    lost: bool


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


def encounters(tracks: Sequence[Track], now: datetime,
               options: LiveOptions = LiveOptions()) -> list[Encounter]:
    """Every predicted loss of separation between tracks of different parties."""
    if len(tracks) < 2:
        return []
    state = state_of(tracks)
    t_ref = max(now.timestamp(), float(state.t_s.max()))
    kin = kinematics(state, t_ref)
    shift = t_ref - now.timestamp()  # results are relative to t_ref; report them from now
    i, j = np.triu_indices(len(tracks), k=1)
    other = state.party[i] != state.party[j]
    i, j = i[other], j[other]
    out: list[Encounter] = []
    for lo in range(0, len(i), 1_000_000):  # bounded memory for large boards
        got = pair_cpa(kin, i[lo:lo + 1_000_000], j[lo:lo + 1_000_000], options.separation)
        got = got.select(got.conflict)
        for k in range(len(got)):
            t_in = float(got.t_in_s[k]) + (0.0 if got.lost[k] else shift)
            level = 3 if got.lost[k] else (2 if t_in <= options.corrective_s else 1)
            a, b = tracks[int(got.i[k])].key, tracks[int(got.j[k])].key
            out.append(Encounter(min(a, b), max(a, b), level, t_in,
                                 float(got.t_out_s[k]) + shift, float(got.tcpa_s[k]) + shift,
                                 float(got.dcpa_m[k]), bool(got.lost[k])))
    out.sort(key=lambda e: (e.a, e.b))
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
