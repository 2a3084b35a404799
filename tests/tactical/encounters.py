"""Constructed encounters for the alerting tests: straight lines in a local plane at (0, 0).

Aircraft are given in metres east/north of lat 0, lon 0 (where one degree is the same
distance both ways and the alerter's per-pair plane is exact to 1e-7), with ground speed
(m/s), track (degrees) and vertical speed (m/s). :func:`snapshot` builds the columns at
time ``t``; :func:`replay` steps an alerter once a second and returns the filtered and raw
levels per second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hotline.tactical.alerting import Alerter, PairAlert
from hotline.tactical.cpa import EARTH_RADIUS_M
from hotline.tactical.profiles import AlertingProfile
from hotline.tactical.states import TrafficState


@dataclass(frozen=True)
class Aircraft:
    """Straight-line aircraft: position at t=0 (m east/north, m altitude) and velocity."""

    id: str
    x_m: float
    y_m: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float = 0.0
    party: str = ""

    def at(self, t: float) -> tuple[float, float, float]:
        trk = math.radians(self.trk_deg)
        return (self.x_m + self.gs_mps * math.sin(trk) * t,
                self.y_m + self.gs_mps * math.cos(trk) * t,
                self.alt_m + self.vs_mps * t)


def snapshot(aircraft: Sequence[Aircraft], t: float, *, t0: float = 0.0) -> TrafficState:
    """States of ``aircraft`` at encounter time ``t``, stamped ``t0 + t``."""
    rows = [a.at(t) for a in aircraft]
    deg = 180.0 / math.pi / EARTH_RADIUS_M
    return TrafficState.from_columns(
        [a.id for a in aircraft],
        [y * deg for _, y, _ in rows],
        [x * deg for x, _, _ in rows],
        [z for _, _, z in rows],
        [a.gs_mps for a in aircraft],
        [a.trk_deg for a in aircraft],
        [a.vs_mps for a in aircraft],
        party=[a.party for a in aircraft],
        t_s=np.full(len(aircraft), t0 + t),
    )


def replay(profile: AlertingProfile, aircraft: Sequence[Aircraft], seconds: int, *,
           t0: float = 0.0, step_s: float = 1.0) -> tuple[list[int], list[int], list[PairAlert]]:
    """Filtered and raw level of the (single) pair at t = 0, step_s, ... < seconds."""
    alerter = Alerter(profile)
    levels: list[int] = []
    raws: list[int] = []
    alerts: list[PairAlert] = []
    steps = round(seconds / step_s)
    for k in range(steps):
        t = k * step_s
        out = alerter.step(t0 + t, snapshot(aircraft, t, t0=t0))
        levels.append(out[0].level if out else 0)
        raws.append(out[0].raw_level if out else 0)
        alerts.extend(out)
    return levels, raws, alerts


def runs(levels: Sequence[int]) -> list[tuple[int, int]]:
    """(first second, level) of each run of equal levels: the transitions."""
    out: list[tuple[int, int]] = []
    for t, level in enumerate(levels):
        if not out or out[-1][1] != level:
            out.append((t, level))
    return out
