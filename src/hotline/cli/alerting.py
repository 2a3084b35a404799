"""``hotline alerting TRACKS.csv``: replay a track time series through well-clear alerting.

Reads reports (columns as :mod:`hotline.tactical.csvtracks`: ``time_s``, ``id``, ``lat``,
``lon``, ``alt_m|alt_ft``, ``gs_mps|gs_kt``, ``trk_deg``, ``vs_mps|vs_fpm``, optional
``party``; ``-`` reads standard input), steps a :class:`~hotline.tactical.alerting.Alerter`
at every distinct report time with the latest state of each aircraft (states older than
``--max-age-s`` are dropped; the others are extrapolated to the step time), and writes one
CSV row per step and pair whose raw or filtered level is above 0:
``time_s,id_1,id_2,level,level_name,raw_level,time_to_violation_s,reason`` (the time to
violation is the time until the pair enters the corrective volume, empty when it does not
within the lookahead). A summary goes to standard error.

Without a ``party`` column every pair counts; with one, only pairs of different parties
unless ``--same-party``. Profiles: ``do365``, ``military``, ``live`` (see
:mod:`hotline.tactical.profiles`); every value can be overridden.

Exit codes: 0 done, 2 bad input or options (a message naming the line and what is wrong;
nothing is written).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, TextIO

from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.tracks import TrackReport
from hotline.domain.units import FPM, FT, NM
from hotline.tactical.alerting import Alerter, PairAlert
from hotline.tactical.csvtracks import parse_csv
from hotline.tactical.profiles import PROFILES, AlertingProfile, get_profile
from hotline.tactical.states import TrafficState

HEADER = ("time_s", "id_1", "id_2", "level", "level_name", "raw_level", "time_to_violation_s",
          "reason")
_NO_PARTY = "unknown"


def register(verbs: Any) -> None:
    p = verbs.add_parser("alerting", help="replay a track CSV through DO-365 well-clear alerting",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tracks", metavar="TRACKS.csv", help="the time series ('-' for stdin)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="do365",
                   help="threshold profile (default do365)")
    p.add_argument("--dthr-nm", type=float, help="horizontal threshold DTHR, NM (all levels)")
    p.add_argument("--tthr-s", type=float, help="modified tau threshold TTHR, s (all levels)")
    p.add_argument("--zthr-ft", type=_floats,
                   help="vertical threshold ZTHR, ft: one value, or one per level (a,b,c)")
    p.add_argument("--tcoa-s", type=float, help="time to co-altitude threshold TCOA, s")
    p.add_argument("--alerting-times-s", type=_floats,
                   help="alerting time per level, s: one value or a,b,c")
    p.add_argument("--lookahead-s", type=float, help="lookahead, s")
    p.add_argument("--m", type=int, help="M of the M-of-N filter")
    p.add_argument("--n", type=int, help="N of the M-of-N filter")
    p.add_argument("--hysteresis-s", type=float, help="hysteresis time, s")
    p.add_argument("--persistence-s", type=float, help="persistence time, s")
    p.add_argument("--altimetry-tolerance-ft", type=float,
                   help="subtracted from every ZTHR, ft (live: 50)")
    p.add_argument("--level-band-fpm", type=float,
                   help="vertical rates within this many ft/min count as level (live: 150)")
    p.add_argument("--max-age-s", type=float,
                   help="drop states older than this at a step, s (default: the hysteresis time)")
    p.add_argument("--same-party", action="store_true",
                   help="also pair aircraft of the same party")
    p.add_argument("-o", "--output", type=Path, help="write the CSV here (default stdout)")
    p.set_defaults(run=run)


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers"
                                         ) from None


def profile_from_args(args: argparse.Namespace) -> AlertingProfile:
    def scaled(value: float | None, factor: float) -> float | None:
        return None if value is None else value * factor

    return get_profile(
        args.profile,
        dthr_m=scaled(args.dthr_nm, NM),
        tthr_s=args.tthr_s,
        zthr_m=None if args.zthr_ft is None else tuple(z * FT for z in args.zthr_ft),
        tcoa_s=args.tcoa_s,
        alerting_times_s=args.alerting_times_s,
        lookahead_s=args.lookahead_s,
        m=args.m,
        n=args.n,
        hysteresis_s=args.hysteresis_s,
        persistence_s=args.persistence_s,
        altimetry_tolerance_m=scaled(args.altimetry_tolerance_ft, FT),
        level_band_mps=scaled(args.level_band_fpm, FPM),
    )


def read_reports(text: str) -> tuple[list[TrackReport], bool]:
    """All reports of ``text`` and whether it had a party column; any bad row is an error."""
    header = {h.strip() for h in next(csv.reader([text.split("\n", 1)[0]]), [])}
    has_party = "party" in header
    if "time_s" not in header:
        raise InvalidInput("missing column time_s",
                           hint="each row needs the time of the report in seconds (time_s)",
                           where="line 1")
    parsed = parse_csv(text, None if has_party else _NO_PARTY)
    if parsed.rejections:
        bad = parsed.rejections[0]
        more = len(parsed.rejections) - 1
        raise InvalidInput(bad.reason + (f" (and {more} more bad rows)" if more else ""),
                           hint="fix the row: every report needs finite, possible values",
                           where=bad.where)
    if not parsed.reports:
        raise InvalidInput("no reports", hint="give one row per aircraft and time")
    return parsed.reports, has_party


def replay(reports: list[TrackReport], alerter: Alerter, max_age_s: float,
           has_party: bool) -> list[PairAlert]:
    """Step ``alerter`` at every distinct report time (see the module docstring)."""
    by_time: dict[float, list[TrackReport]] = defaultdict(list)
    for r in reports:
        by_time[r.time.timestamp()].append(r)
    latest: dict[str, tuple[float, TrackReport]] = {}
    out: list[PairAlert] = []
    for t in sorted(by_time):
        seen: set[str] = set()
        for r in by_time[t]:
            if r.aircraft in seen:
                raise InvalidInput(f"aircraft {r.aircraft!r} has two reports at time_s {t:g}",
                                   hint="give one report per aircraft and time")
            seen.add(r.aircraft)
            latest[r.aircraft] = (t, r)
        live = sorted((a, tr) for a, tr in latest.items() if t - tr[0] <= max_age_s)
        rows = [r for _, (_, r) in live]
        state = TrafficState.from_columns(
            [r.aircraft for r in rows], [r.lat_deg for r in rows], [r.lon_deg for r in rows],
            [r.alt_m for r in rows], [r.gs_mps for r in rows], [r.trk_deg for r in rows],
            [r.vs_mps for r in rows],
            party=[r.party if has_party else "" for r in rows],
            t_s=[ts for _, (ts, _) in live],
        )
        out.extend(alerter.step(t, state))
    return out


def _fmt_time(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


def write_csv(out: TextIO, alerts: list[PairAlert]) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for a in alerts:
        ttv = "" if a.time_to_violation_s is None else f"{a.time_to_violation_s:.2f}"
        w.writerow((_fmt_time(a.t), a.a, a.b, a.level, a.level_name, a.raw_level, ttv,
                    a.reason))


def summary(alerts: list[PairAlert], profile: AlertingProfile, aircraft: int,
            steps: int) -> str:
    """One line of totals, then per alerted pair (at most 20) when each level was reached."""
    first: dict[tuple[str, str], dict[int, float]] = {}
    for alert in alerts:
        if alert.level:
            first.setdefault((alert.a, alert.b), {}).setdefault(alert.level, alert.t)
    counts = Counter(max(levels) for levels in first.values())
    totals = ", ".join(f"{counts[k]} {lv.name}" for k, lv in enumerate(profile.levels, start=1))
    lines = [f"hotline alerting: {steps} steps, {aircraft} aircraft, profile {profile.name}; "
             f"{len(first)} pairs alerted (highest level: {totals}); {len(alerts)} rows"]
    for (id_1, id_2), levels in sorted(first.items(), key=lambda kv: min(kv[1].values()))[:20]:
        reached = ", ".join(f"{profile.levels[k - 1].name} at {_fmt_time(t)} s"
                            for k, t in sorted(levels.items()))
        lines.append(f"  {id_1} / {id_2}: {reached}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        profile = profile_from_args(args)
        max_age = profile.hysteresis_s if args.max_age_s is None else args.max_age_s
        if not max_age >= 0:
            raise InvalidInput(f"--max-age-s {max_age} is negative", hint="give seconds >= 0")
        text = sys.stdin.read() if args.tracks == "-" else Path(args.tracks).read_text()
        reports, has_party = read_reports(text)
        alerter = Alerter(profile, same_party=args.same_party or not has_party)
        alerts = replay(reports, alerter, max_age, has_party)
    except (HotlineError, ValueError, OSError) as exc:
        where = "" if isinstance(exc, OSError) else f"{args.tracks}: "
        print(f"hotline alerting: {where}{exc}", file=sys.stderr)
        return 2
    try:
        if args.output is None:
            write_csv(sys.stdout, alerts)
        else:
            with args.output.open("w", newline="") as f:
                write_csv(f, alerts)
    except OSError as exc:
        print(f"hotline alerting: {exc}", file=sys.stderr)
        return 2
    steps = len({r.time for r in reports})
    print(summary(alerts, profile, len({r.aircraft for r in reports}), steps), file=sys.stderr)
    return 0
