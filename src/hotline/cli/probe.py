"""``hotline probe STATES.csv``: one conflict probe over a traffic snapshot.

Reads the snapshot (columns: :mod:`hotline.tactical.states_csv`; ``-`` reads standard input),
runs :func:`hotline.tactical.probe.probe` and writes one CSV row per unordered conflicting pair
to standard output or ``-o FILE``: ``id_1,id_2,tcpa_s,dcpa_m,t_in_s,t_out_s,lost`` (times in
seconds from the latest state's time, distance in metres, ``t_out_s`` may be ``inf``), ordered
by input row. A one-line summary goes to standard error. Without a ``party`` column every pair
counts; with one, only pairs of different parties unless ``--same-party``.

Exit codes: 0 done (whether or not there are conflicts), 2 bad input or options (a message
naming the line and column; nothing is written).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from hotline.domain.errors import HotlineError
from hotline.domain.units import FT, NM
from hotline.tactical.cpa import Separation
from hotline.tactical.probe import Conflicts, ProbeOptions, probe
from hotline.tactical.states import TrafficState
from hotline.tactical.states_csv import parse_snapshot_csv

HEADER = ("id_1", "id_2", "tcpa_s", "dcpa_m", "t_in_s", "t_out_s", "lost")


def register(verbs: Any) -> None:
    p = verbs.add_parser("probe", help="find predicted losses of separation in a snapshot CSV",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("states", metavar="STATES.csv", help="the snapshot ('-' for stdin)")
    h = p.add_mutually_exclusive_group()
    h.add_argument("--hmin-nm", type=float, help="horizontal minimum, NM (default 5)")
    h.add_argument("--hmin-m", type=float, help="horizontal minimum, metres")
    v = p.add_mutually_exclusive_group()
    v.add_argument("--vmin-ft", type=float, help="vertical minimum, ft (default 1000)")
    v.add_argument("--vmin-m", type=float, help="vertical minimum, metres")
    p.add_argument("--lookahead-s", type=float, default=300.0, help="seconds (default 300)")
    p.add_argument("--same-party", action="store_true",
                   help="also count pairs of aircraft of the same party")
    p.add_argument("-o", "--output", type=Path, help="write the CSV here (default stdout)")
    p.set_defaults(run=run)


def _separation(args: argparse.Namespace) -> Separation:
    hmin = args.hmin_m if args.hmin_m is not None else (
        5.0 if args.hmin_nm is None else args.hmin_nm) * NM
    vmin = args.vmin_m if args.vmin_m is not None else (
        1000.0 if args.vmin_ft is None else args.vmin_ft) * FT
    return Separation(horizontal_m=hmin, vertical_m=vmin, lookahead_s=args.lookahead_s)


def _fmt(x: float) -> str:
    return "inf" if x == float("inf") else f"{x:.2f}"


def write_csv(out: TextIO, state: TrafficState, found: Conflicts) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for k in range(len(found)):
        w.writerow((state.ids[found.i[k]], state.ids[found.j[k]], _fmt(found.tcpa_s[k]),
                    f"{found.dcpa_m[k]:.1f}", _fmt(found.t_in_s[k]), _fmt(found.t_out_s[k]),
                    "true" if found.lost[k] else "false"))


def run(args: argparse.Namespace) -> int:
    try:
        sep = _separation(args)
        text = sys.stdin.read() if args.states == "-" else Path(args.states).read_text()
        snap = parse_snapshot_csv(text)
    except (HotlineError, ValueError, OSError) as exc:
        where = "" if isinstance(exc, OSError) else f"{args.states}: "
        print(f"hotline probe: {where}{exc}", file=sys.stderr)
        return 2
    same_party = args.same_party or not snap.has_party
    started = time.perf_counter()
    found = probe(snap.state, ProbeOptions(separation=sep, same_party=same_party))
    elapsed = time.perf_counter() - started
    try:
        if args.output is None:
            write_csv(sys.stdout, snap.state, found)
        else:
            with args.output.open("w", newline="") as f:
                write_csv(f, snap.state, found)
    except OSError as exc:
        print(f"hotline probe: {exc}", file=sys.stderr)
        return 2
    scope = ("all pairs (no party column)" if not snap.has_party
             else "all pairs" if args.same_party else "pairs of different parties")
    print(f"hotline probe: {len(snap.state)} aircraft, {len(found)} conflicting pairs "
          f"({int(found.lost.sum())} already lost) among {scope}; minima "
          f"{sep.horizontal_m / NM:g} NM / {sep.vertical_m / FT:g} ft, lookahead "
          f"{sep.lookahead_s:g} s; {found.candidates} pairs checked in {elapsed:.3f} s",
          file=sys.stderr)
    return 0
