"""Well-clear alerting benchmark: one :meth:`Alerter.step` over N aircraft, per profile.

What it measures, for each profile and size N (all aircraft in one 500 x 500 km box, the
issue-4 mix: 60 % level on 1000 ft multiples FL50-FL410, 40 % climbing or descending at
500-3000 fpm, 120-260 m/s, tracks uniform, 8 parties, seeded):

* ``alerter``: ``--steps`` consecutive steps one second apart (aircraft moved along their
  straight lines), wall p50 and CPU p50 per step, candidate pairs per step, pairs with a raw
  level above 0 at the first step;
* ``baseline``: the same detection on every pair of different parties (no grid, chunks of
  256 rows) at the first step, in the same run. The pairs with a raw level and their levels
  must be equal; any difference fails the run (exit code 1).

Output: a table on stdout and the JSON document in ``--out``. Run: ``make bench`` or
``.venv/bin/python benchmarks/alerting.py --out /tmp/alerting.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness import result_header
from hotline.domain.units import FPM, FT
from hotline.tactical.alerting import Alerter, relative_states
from hotline.tactical.cpa import EARTH_RADIUS_M
from hotline.tactical.profiles import get_profile
from hotline.tactical.states import TrafficState
from hotline.tactical.wellclear import violation_intervals


def traffic(seed: int, n: int, box_km: float = 500.0) -> TrafficState:
    rng = np.random.default_rng(seed)
    half = box_km * 500.0 / EARTH_RADIUS_M * 180 / np.pi
    level = rng.random(n) < 0.6
    alt_ft = np.where(level, rng.integers(5, 42, n) * 1000.0, rng.uniform(5000, 41000, n))
    vs = np.where(level, 0.0, rng.choice([-1.0, 1.0], n) * rng.uniform(500, 3000, n) * FPM)
    return TrafficState.from_columns(
        [f"A{k:05d}" for k in range(n)],
        45.0 + rng.uniform(-half, half, n),
        10.0 + rng.uniform(-half, half, n) / np.cos(np.radians(45.0)),
        alt_ft * FT, rng.uniform(120, 260, n), rng.uniform(0, 360, n), vs,
        party=[f"P{k}" for k in rng.integers(0, 8, n)], t_s=np.zeros(n))


def advanced(state: TrafficState, dt: float) -> TrafficState:
    trk = np.radians(state.trk_deg)
    dn = state.gs_mps * np.cos(trk) * dt / EARTH_RADIUS_M * 180 / np.pi
    de = state.gs_mps * np.sin(trk) * dt / EARTH_RADIUS_M * 180 / np.pi
    return replace(state, lat_deg=state.lat_deg + dn,
                   lon_deg=state.lon_deg + de / np.cos(np.radians(state.lat_deg)),
                   alt_m=np.clip(state.alt_m + state.vs_mps * dt, 0, 20_000),
                   t_s=state.t_s + dt)


def baseline(alerter: Alerter, state: TrafficState, t: float) -> dict[tuple[int, int], int]:
    p = alerter.profile
    n = len(state)
    out: dict[tuple[int, int], int] = {}
    for r0 in range(0, n, 256):
        i, j = np.nonzero(np.arange(r0, min(n, r0 + 256))[:, None] < np.arange(n)[None, :])
        i = i + r0
        keep = state.party[i] != state.party[j]
        i, j = i[keep], j[keep]
        swap = state.ids[i] > state.ids[j]
        i, j = np.where(swap, j, i), np.where(swap, i, j)
        rel = relative_states(state, i, j, t, p.level_band_mps)
        raw: NDArray[np.int64] = np.zeros(len(i), dtype=np.int64)
        for k, level in enumerate(p.levels, start=1):
            hit = violation_intervals(rel, level.thresholds, p.lookahead_s,
                                      p.altimetry_tolerance_m).within(p.alerting_window_s(k))
            raw[hit] = k
        out.update({(int(a), int(b)): int(r) for a, b, r in zip(i, j, raw, strict=True) if r})
    return out


def run_one(profile: str, n: int, steps: int) -> dict[str, Any]:
    state0 = traffic(n, n)
    alerter = Alerter(get_profile(profile))
    det = alerter.detect(0.0, state0)
    found = {(int(a), int(b)): int(r) for a, b, r in zip(det.i, det.j, det.raw, strict=True)
             if r}
    started = time.perf_counter()
    expected = baseline(alerter, state0, 0.0)
    base_s = time.perf_counter() - started
    walls: list[float] = []
    cpus: list[float] = []
    for k in range(steps):
        state = advanced(state0, float(k))
        w, c = time.perf_counter(), time.process_time()
        alerter.step(float(k), state)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {"profile": profile, "n": n, "steps": steps,
            "step_wall_p50_ms": 1000 * statistics.median(walls),
            "step_cpu_p50_ms": 1000 * statistics.median(cpus),
            "candidates": len(det.i), "alerting_pairs": len(found),
            "baseline_pairs": n * (n - 1) // 2, "baseline_ms": 1000 * base_s,
            "same_as_baseline": found == expected}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,300,1000,3000")
    ap.add_argument("--profiles", default="do365,live")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [run_one(p, int(n), args.steps) for p in args.profiles.split(",")
            for n in args.sizes.split(",")]
    print(f"{'profile':8} {'N':>6} {'step p50 ms':>12} {'cpu p50 ms':>11} {'candidates':>11} "
          f"{'alerting':>9} {'all-pairs ms':>13} same")
    for r in rows:
        print(f"{r['profile']:8} {r['n']:6d} {r['step_wall_p50_ms']:12.1f} "
              f"{r['step_cpu_p50_ms']:11.1f} {r['candidates']:11d} {r['alerting_pairs']:9d} "
              f"{r['baseline_ms']:13.1f} {r['same_as_baseline']}")
    doc = {**result_header("alerting", sys.argv[1:]), "results": rows}
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2))
    return 0 if all(r["same_as_baseline"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
