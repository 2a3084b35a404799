"""Seeded random traffic for the tactical tests: a mix of level and climbing/descending
aircraft in a square box, optionally with staggered report times and several parties."""

from __future__ import annotations

import numpy as np

from hotline.domain.units import FT
from hotline.tactical.states import TrafficState


def random_traffic(seed: int, n: int, *, lat0: float = 47.0, lon0: float = 8.0,
                   box_km: float = 60.0, stagger_s: float = 0.0, parties: int = 3,
                   min_ft: float = 5000, max_ft: float = 15000) -> TrafficState:
    rng = np.random.default_rng(seed)
    dlat = box_km * 1000 / 111_000
    dlon = dlat / max(np.cos(np.radians(lat0)), 0.05)
    level = rng.random(n) < 0.6
    alt_ft = np.where(level, rng.integers(int(min_ft // 1000), int(max_ft // 1000) + 1, n) * 1000,
                      rng.uniform(min_ft, max_ft, n))
    vs = np.where(level, 0.0, rng.choice([-1, 1], n) * rng.uniform(500, 3000, n) * FT / 60)
    return TrafficState.from_columns(
        ids=[f"A{k}" for k in range(n)],
        lat_deg=np.clip(lat0 + rng.uniform(-dlat / 2, dlat / 2, n), -90, 90),
        lon_deg=lon0 + rng.uniform(-dlon / 2, dlon / 2, n),
        alt_m=alt_ft * FT, gs_mps=rng.uniform(120, 260, n), trk_deg=rng.uniform(0, 360, n),
        vs_mps=vs, party=[f"P{k}" for k in rng.integers(0, parties, n)],
        t_s=1.7e9 - rng.uniform(0, stagger_s, n))
