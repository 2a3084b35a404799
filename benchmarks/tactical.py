"""Tactical conflict-probe benchmark: one full probe (5 NM / 1000 ft / 300 s) over N aircraft.

What it measures, for each series and size N:

* ``probe``: :func:`hotline.tactical.probe.probe` (the pruned grid), every pair counted
  (``same_party``), repeated ``--repeat`` times: wall p50/min and CPU p50 (process time, less
  sensitive to other load on a shared machine), candidate pairs checked exactly, conflicting
  pairs; peak memory of one more run under ``tracemalloc`` (numpy reports its buffers to it).
* ``baseline``: :func:`hotline.tactical.probe.all_pairs_probe` in the same run — every one of
  the N(N-1)/2 pairs examined in blocks of 256 rows (cheap necessary conditions, then the same
  exact check). It must find the same pairs with the same tcpa/dcpa: any difference fails the
  run (exit code 1). Skipped where its estimated time (from the rate measured at a smaller N)
  exceeds ``--baseline-budget-s``; the row then says so.
* ``bluesky``: BlueSky's compiled state-based detector
  (``bluesky.traffic.asas.cstatebased.detect`` from PyPI ``bluesky-simulator``, extra
  ``bench``) on the same traffic, where installed and its estimated time fits
  ``--bluesky-budget-s``. Its model differs slightly (WGS84 ``qdrdist``, one flat frame per
  pair, no epsilon: level aircraft exactly 1000 ft apart are a conflict or not depending on
  floating-point rounding), so its pair count is reported with the number of pairs only one
  side found, and how many of BlueSky's extra pairs are level exactly 1000 ft apart —
  informative, not a failure.

Generator (``numpy.random.default_rng``, seeded, the issue-4 mix): 60 % level on 1000 ft
multiples FL50-FL410, 40 % climbing or descending at 500-3000 fpm from uniform FL50-FL410;
ground speed uniform 120-260 m/s; tracks uniform; positions uniform in a square (in km)
centred on 45 N 10 E; 8 parties. Series: ``density`` — 1,000 aircraft per 500 x 500 km (the
square grows with N: 5,000 km across at 100k) — and ``dense`` — all in one 500 x 500 km box.

Output: a table on stdout, the JSON document in ``--out``, progress on stderr. Exit codes: 0
done (see PASS/FAIL for targets), 1 a correctness failure, 2 a missed target under
``--strict``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import resource
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from harness import exit_code, result_header
from hotline.domain.units import FPM, FT
from hotline.tactical.probe import Conflicts, ProbeOptions, all_pairs_probe, probe
from hotline.tactical.states import TrafficState

LAT0, LON0 = 45.0, 10.0
DENSITY_PER_KM2 = 1000 / 500**2
OPTIONS = ProbeOptions(same_party=True)
err = Console(stderr=True, highlight=False)


def log(msg: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}")


def make_traffic(seed: int, n: int, side_km: float) -> TrafficState:
    """``n`` aircraft uniformly in a ``side_km`` square centred on LAT0, LON0 (see above)."""
    rng = np.random.default_rng([seed, n, int(side_km)])
    x = rng.uniform(-side_km / 2, side_km / 2, n)
    y = rng.uniform(-side_km / 2, side_km / 2, n)
    lat = LAT0 + y / 111.195
    lon = LON0 + x / (111.195 * np.cos(np.radians(lat)))
    level = rng.random(n) < 0.6
    alt_ft = np.where(level, rng.integers(5, 42, n) * 1000.0, rng.uniform(5000, 41000, n))
    vs = np.where(level, 0.0, rng.choice([-1.0, 1.0], n) * rng.uniform(500, 3000, n) * FPM)
    return TrafficState.from_columns(
        ids=[f"AC{k}" for k in range(n)], lat_deg=lat, lon_deg=lon, alt_m=alt_ft * FT,
        gs_mps=rng.uniform(120, 260, n), trk_deg=rng.uniform(0, 360, n), vs_mps=vs,
        party=[f"P{k}" for k in rng.integers(0, 8, n)])


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float], list[float]]:
    walls, cpus = [], []
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return out, walls, cpus


def peak_bytes(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def compare(got: Conflicts, want: Conflicts) -> str | None:
    """None when both found the same pairs with the same tcpa/dcpa, else what differs."""
    a = set(zip(got.i.tolist(), got.j.tolist(), strict=True))
    b = set(zip(want.i.tolist(), want.j.tolist(), strict=True))
    if a != b:
        return f"{len(a - b)} pairs only in probe, {len(b - a)} only in baseline"
    for name in ("tcpa_s", "dcpa_m", "t_in_s", "t_out_s"):
        x, y = getattr(got, name), getattr(want, name)
        if not np.allclose(x, y, rtol=1e-9, atol=1e-6, equal_nan=True):
            return f"{name} differs (max {np.nanmax(np.abs(x - y)):.3g})"
    if not np.array_equal(got.lost, want.lost):
        return "lost flags differ"
    return None


def load_bluesky() -> Any:
    """BlueSky's compiled detector module, or the reason it is unavailable."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it reports its performance models
            from bluesky.traffic.asas import cstatebased  # type: ignore[import-not-found]
        return cstatebased
    except Exception as exc:  # any import failure means "not available"
        return f"{type(exc).__name__}: {exc}"


def bluesky_pairs(module: Any, state: TrafficState) -> set[tuple[int, int]]:
    n = len(state)
    ac = types.SimpleNamespace(lat=state.lat_deg, lon=state.lon_deg, trk=state.trk_deg,
                               gs=state.gs_mps, alt=state.alt_m, vs=state.vs_mps,
                               id=list(range(n)))
    result = module.detect(ac, ac, np.full(n, OPTIONS.separation.horizontal_m),
                           np.full(n, OPTIONS.separation.vertical_m),
                           np.full(n, OPTIONS.separation.lookahead_s))
    return {(min(a, b), max(a, b)) for a, b in result[0]}


@dataclass
class Rates:
    """Seconds per pair of the quadratic detectors, measured at the largest N run so far."""

    baseline: float | None = None
    bluesky: float | None = None


def run_row(series: str, n: int, side_km: float, opts: argparse.Namespace, rates: Rates,
            bluesky: Any, failures: list[str]) -> dict[str, Any]:
    state = make_traffic(opts.seed, n, side_km)
    row: dict[str, Any] = {"series": series, "n": n, "box_km": round(side_km),
                           "load_before": round(os.getloadavg()[0], 2)}
    found, walls, cpus = timed(lambda: probe(state, OPTIONS), opts.repeat)
    row.update(pairs=len(found), candidates=found.candidates,
               probe_p50_s=round(float(np.median(walls)), 4), probe_min_s=round(min(walls), 4),
               probe_cpu_p50_s=round(float(np.median(cpus)), 4))
    row["probe_peak_mib"] = round(peak_bytes(lambda: probe(state, OPTIONS)) / 2**20, 1)
    row["probe_peak_bytes_per_aircraft"] = round(row["probe_peak_mib"] * 2**20 / n)
    all_pairs = n * (n - 1) / 2
    estimate = None if rates.baseline is None else rates.baseline * all_pairs
    if estimate is not None and estimate > opts.baseline_budget_s:
        row["baseline"] = f"skipped: estimated {estimate:.0f} s > {opts.baseline_budget_s:g} s"
    else:
        reps = opts.repeat if (estimate or 0) < 2 else 1
        want, walls_b, cpus_b = timed(lambda: all_pairs_probe(state, OPTIONS), reps)
        rates.baseline = min(walls_b) / all_pairs
        row.update(baseline_p50_s=round(float(np.median(walls_b)), 4),
                   baseline_min_s=round(min(walls_b), 4), baseline_runs=reps,
                   baseline_cpu_p50_s=round(float(np.median(cpus_b)), 4),
                   baseline_pairs=len(want),
                   speedup_vs_baseline=round(float(np.median(walls_b) / np.median(walls)), 1))
        diff = compare(found, want)
        row["same_as_baseline"] = diff is None
        if diff is not None:
            failures.append(f"{series} N={n}: probe != all-pairs baseline: {diff}")
    if isinstance(bluesky, str):
        row["bluesky"] = f"not available: {bluesky}"
    else:
        estimate = None if rates.bluesky is None else rates.bluesky * all_pairs
        if estimate is not None and estimate > opts.bluesky_budget_s:
            row["bluesky"] = f"skipped: estimated {estimate:.0f} s > {opts.bluesky_budget_s:g} s"
        else:
            reps = opts.repeat if (estimate or 0) < 2 else 1
            pairs, walls_s, cpus_s = timed(lambda: bluesky_pairs(bluesky, state), reps)
            rates.bluesky = min(walls_s) / all_pairs
            ours = set(zip(found.i.tolist(), found.j.tolist(), strict=True))
            v = OPTIONS.separation.vertical_m
            at_limit = sum(1 for a, b in pairs - ours
                           if state.vs_mps[a] == 0 and state.vs_mps[b] == 0
                           and abs(abs(state.alt_m[a] - state.alt_m[b]) - v) < 1e-6)
            row.update(bluesky_only_level_exactly_vmin_apart=at_limit,
                       bluesky_p50_s=round(float(np.median(walls_s)), 4),
                       bluesky_min_s=round(min(walls_s), 4), bluesky_runs=reps,
                       bluesky_cpu_p50_s=round(float(np.median(cpus_s)), 4),
                       cpu_speedup_vs_bluesky=round(float(np.median(cpus_s) / np.median(cpus)),
                                                    1),
                       bluesky_pairs=len(pairs), bluesky_only=len(pairs - ours),
                       probe_only=len(ours - pairs),
                       speedup_vs_bluesky=round(float(np.median(walls_s) / np.median(walls)),
                                                1))
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def targets(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    def find(series: str, n: int) -> dict[str, Any] | None:
        return next((r for r in results if r["series"] == series and r["n"] == n), None)

    marks = []
    big = find("density", 100_000)
    for key, what in (("probe_p50_s", "wall"), ("probe_cpu_p50_s", "CPU")):
        marks.append({"target": f"100k at constant density: probe p50 < 1 s ({what} time)",
                      "unit": "s", "value": None if big is None else big[key],
                      "pass": None if big is None else big[key] < 1.0})
    dense = find("dense", 10_000)
    for key, what in (("speedup_vs_bluesky", "wall"), ("cpu_speedup_vs_bluesky", "CPU")):
        speed = None if dense is None else dense.get(key)
        marks.append({"target": f"10k dense: >= 10x faster than BlueSky's compiled detector "
                      f"({what} time)", "unit": "x", "value": speed,
                      "pass": None if speed is None else speed >= 10})
    compared = [r for r in results if "same_as_baseline" in r]
    marks.append({"target": "same pairs as the all-pairs baseline", "unit": "rows",
                  "value": f"{sum(r['same_as_baseline'] for r in compared)}/{len(compared)}",
                  "pass": all(r["same_as_baseline"] for r in compared) if compared else None})
    small, large = find("density", 10_000), big
    ratio = None if small is None or large is None else round(
        large["probe_peak_bytes_per_aircraft"] / small["probe_peak_bytes_per_aircraft"], 2)
    marks.append({"target": "memory linear in N: peak bytes/aircraft at 100k <= 2x at 10k",
                  "unit": "x", "value": ratio, "pass": None if ratio is None else ratio <= 2})
    return marks


COLUMNS = ("series", "n", "box_km", "pairs", "candidates", "probe_p50_s", "probe_min_s",
           "probe_cpu_p50_s", "probe_peak_mib", "baseline_p50_s", "speedup_vs_baseline",
           "same_as_baseline", "bluesky_p50_s", "bluesky_cpu_p50_s", "bluesky_pairs",
           "speedup_vs_bluesky", "cpu_speedup_vs_bluesky", "load_before")


def print_table(results: Sequence[dict[str, Any]], marks: Sequence[dict[str, Any]]) -> None:
    out = Console(highlight=False, width=200)
    table = Table(title="Tactical conflict probe (5 NM / 1000 ft / 300 s, every pair counted)")
    for c in COLUMNS:
        table.add_column(c.replace("_", " "), justify="left" if c == "series" else "right")
    for r in results:
        table.add_row(*["" if r.get(c) is None else f"{r[c]:,}" if isinstance(r[c], int)
                        and not isinstance(r[c], bool) else str(r[c]) for c in COLUMNS])
    out.print(table)
    for r in results:
        for key in ("baseline", "bluesky"):
            if isinstance(r.get(key), str):
                out.print(f"{r['series']} {r['n']:,}: {key} {r[key]}")
        if "bluesky_only" in r:
            out.print(f"{r['series']} {r['n']:,}: pairs only BlueSky found {r['bluesky_only']}"
                      f" ({r['bluesky_only_level_exactly_vmin_apart']} of them level exactly"
                      f" 1000 ft apart: not a loss here), only the probe found"
                      f" {r['probe_only']} (the rest: earth model and floating point)")
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]", None: "[yellow]NOT RUN[/]"}
    for t in marks:
        out.print(f"{verdict[t['pass']]}  {t['target']}: {t['value']} {t['unit']}")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Tactical conflict-probe benchmark.")
    p.add_argument("--quick", action="store_true", help="N = 1k and 3k only (about a minute)")
    p.add_argument("--density-sizes", help="constant-density sizes (default 1000,10000,100000)")
    p.add_argument("--dense-sizes", help="one-box sizes (default 1000,3000,10000)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per probe (default 5)")
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--baseline-budget-s", type=float, default=60.0)
    p.add_argument("--bluesky-budget-s", type=float, default=120.0)
    p.add_argument("--no-bluesky", action="store_true")
    p.add_argument("--out", type=Path, default=Path("bench-results/tactical.json"))
    p.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    a = p.parse_args(argv)

    def sizes(text: str | None, full: list[int], quick: list[int]) -> list[int]:
        return sorted(int(s) for s in text.split(",")) if text else (quick if a.quick else full)

    a.density = sizes(a.density_sizes, [1000, 10_000, 100_000], [1000])
    a.dense = sizes(a.dense_sizes, [1000, 3000, 10_000], [1000, 3000])
    return a


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    opts = parse(args)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    bluesky = "disabled by --no-bluesky" if opts.no_bluesky else load_bluesky()
    doc: dict[str, Any] = {
        **result_header("tactical", args), "seed": opts.seed,
        "generator": {"mix": "60% level FL50-FL410 on 1000 ft; 40% 500-3000 fpm",
                      "gs_mps": "120-260", "centre": f"{LAT0} N {LON0} E", "parties": 8,
                      "density": "1000 per 500x500 km", "dense_box_km": 500},
        "options": {"repeat": opts.repeat, "baseline_budget_s": opts.baseline_budget_s,
                    "bluesky_budget_s": opts.bluesky_budget_s},
        "bluesky": bluesky if isinstance(bluesky, str) else "bluesky-simulator "
                   + _version("bluesky-simulator"),
        "results": results,
    }

    def save() -> None:
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        opts.out.write_text(json.dumps(doc, indent=1) + "\n")

    rates = Rates()
    plan = [("density", n, 500 * math.sqrt(n / 1000)) for n in opts.density]
    plan += [("dense", n, 500.0) for n in opts.dense]
    previous = ""
    for series, n, side in plan:
        if series != previous:
            rates = Rates()  # denser traffic: re-measure the quadratic detectors' rates
            previous = series
        log(f"{series} N={n:,} in {side:.0f} x {side:.0f} km")
        row = run_row(series, n, side, opts, rates, bluesky, failures)
        results.append(row)
        log(json.dumps(row))
        save()
    marks = targets(results)
    doc.update(targets=marks, failures=failures,
               max_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
    save()
    print_table(results, marks)
    return exit_code(failures, marks, opts.strict)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
