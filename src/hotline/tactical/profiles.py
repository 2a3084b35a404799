"""Well-clear alerting profiles: thresholds per alert level, filter and timing parameters.

Contract: SI inside (metres, seconds). A profile is immutable; :func:`get_profile` builds one
by name with any value overridden. Three profiles ship:

``do365``
    NASA DAIDALUS's RTCA DO-365B configuration without sensor-uncertainty mitigation
    (``Configurations/DO_365B_no_SUM.conf``, alerter ``DWC_Phase_I``): DTHR 0.66 NM,
    TTHR 35 s, TCOA 0 s for every level; ZTHR 700 ft (level 1, preventive) and 450 ft
    (levels 2 corrective and 3 warning); alerting times 55/55/25 s; lookahead 180 s;
    M-of-N 2 of 4; hysteresis 5 s; persistence 4 s. The DO-365 volume is *closed*: a
    separation exactly at DTHR or ZTHR is inside it (DAIDALUS tests ``<=``).

``military``
    Large military aircraft (tankers, transports, AWACS) beside other parties' traffic. The
    volume is the ICAO radar separation minimum (Doc 4444: 5 NM horizontally, 1000 ft
    vertically in RVSM airspace, also what EUROCONTROL's EUROAT rules use for operational
    air traffic), *open*: aircraft exactly 1000 ft or 5 NM apart are separated, as in
    ``hotline probe``. TTHR 35 s keeps DO-365's time margin for high closure rates (two
    aircraft at 480 kt close 5 NM in 19 s, so a pure distance test alone is late); TCOA 0.
    Alerting times follow what a heavy aircraft needs: level 3 warning at 40 s (a 1,500 ft/min
    vertical manoeuvre gains 1,000 ft in 40 s), level 2 corrective at 75 s (at 25-30 degrees
    of bank and 450 kt a heavy turns about 1.3 degrees/s, so a 90-degree turn takes about
    70 s), level 1 preventive at 120 s (time for the two duty officers to talk over the
    hotline before anyone must manoeuvre). Lookahead 300 s (the probe's default). M-of-N
    2 of 4 as DO-365. Hysteresis 12 s and persistence 8 s because military and civil feeds
    (radar, ADS-B via OpenSky) often update every 5-10 s, and DAIDALUS forgets a pair's
    history when updates are further apart than the hysteresis time.

``live``
    ``military`` plus an explicit altimetry tolerance for the service, in two parts.
    Altitude: reported pressure altitudes are quantised to 25 ft (Mode S and ADS-B with the
    Q bit) and each of the two aircraft may be off by one step, so two aircraft level at
    adjacent flight levels can be reported 975 ft apart; the vertical threshold of every
    level is reduced by 50 ft (1000 ft becomes 950 ft). Vertical rate: ADS-B reports the
    barometric rate in 64 ft/min steps and a level aircraft's rate jitters by one or two
    steps, which projected over the lookahead closes a 975 ft gap within seconds; rates
    within 150 ft/min count as level flight. On a day of Swiss traffic this removes every
    alert on level pairs reported 975 ft apart (tests/tactical/test_alerting_realdata.py).
    ``hotline probe`` keeps the raw rule.

Alert levels are numbered 1 (least severe) to ``len(levels)``; each has its own thresholds
and alerting time. A level is *raised* for a pair when its volume is violated within
``min(lookahead, alerting_time)`` (DAIDALUS ``check_alerting_thresholds`` with zero spreads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Final

from hotline.domain.errors import InvalidInput
from hotline.domain.units import ALTITUDE_EPS_M, DISTANCE_EPS_M, FPM, FT, NM


@dataclass(frozen=True, slots=True)
class Thresholds:
    """One DAIDALUS ``WCV_TAUMOD`` volume: DTHR (m), TTHR (s), ZTHR (m), TCOA (s).

    ``closed`` says whether a separation exactly at DTHR/ZTHR is inside the volume (DO-365)
    or outside it (separation minima such as 5 NM / 1000 ft). Comparisons use the stated
    epsilons of :mod:`hotline.domain.units`, so the limit given in feet or nautical miles
    behaves as specified after conversion.
    """

    dthr_m: float
    tthr_s: float
    zthr_m: float
    tcoa_s: float = 0.0
    closed: bool = True

    def __post_init__(self) -> None:
        for name, value in (("DTHR", self.dthr_m), ("TTHR", self.tthr_s),
                            ("ZTHR", self.zthr_m), ("TCOA", self.tcoa_s)):
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} {value!r} is not a finite non-negative number",
                                   hint=f"give {name} >= 0")
        if self.dthr_m <= 0 or self.zthr_m <= 0:
            raise InvalidInput("DTHR and ZTHR must be positive",
                               hint="e.g. DTHR 0.66 NM and ZTHR 450 ft")

    def effective_d(self) -> float:
        """DTHR widened (closed) or narrowed (open) by the distance epsilon, metres."""
        return self.dthr_m + (DISTANCE_EPS_M if self.closed else -DISTANCE_EPS_M)

    def effective_z(self, tolerance_m: float = 0.0) -> float:
        """ZTHR less the altimetry tolerance, widened or narrowed by the epsilon, metres."""
        z = self.zthr_m - tolerance_m
        return z + (ALTITUDE_EPS_M if self.closed else -ALTITUDE_EPS_M)


@dataclass(frozen=True, slots=True)
class AlertLevel:
    """One alert level: its name, volume and alerting time (s)."""

    name: str
    thresholds: Thresholds
    alerting_time_s: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.alerting_time_s) or self.alerting_time_s <= 0:
            raise InvalidInput(f"alerting time {self.alerting_time_s!r} s is not positive",
                               hint="give each level a positive alerting time in seconds")


@dataclass(frozen=True, slots=True)
class AlertingProfile:
    """Everything the alerter needs; see the module docstring for the shipped values.

    ``levels[k]`` is alert level ``k + 1``. ``corrective_level`` names the level whose volume
    defines the reported time to violation (DAIDALUS ``timeToCorrectiveVolume``).
    ``altimetry_tolerance_m`` is subtracted from every ZTHR; vertical speeds within
    ``level_band_mps`` of zero are taken as 0 (both 0 outside the live profile).
    """

    name: str
    levels: tuple[AlertLevel, ...]
    lookahead_s: float
    m: int
    n: int
    hysteresis_s: float
    persistence_s: float
    altimetry_tolerance_m: float = 0.0
    level_band_mps: float = 0.0
    corrective_level: int = 2
    sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidInput("a profile needs at least one alert level", hint="give levels")
        if not math.isfinite(self.lookahead_s) or self.lookahead_s <= 0:
            raise InvalidInput(f"lookahead {self.lookahead_s!r} s is not positive",
                               hint="give a positive lookahead in seconds, e.g. 180")
        if not 1 <= self.m <= self.n:
            raise InvalidInput(f"M-of-N {self.m} of {self.n} is not valid",
                               hint="use 1 <= M <= N, e.g. 2 of 4 (1 of 1 disables the filter)")
        for name, value in (("hysteresis", self.hysteresis_s),
                            ("persistence", self.persistence_s),
                            ("altimetry tolerance", self.altimetry_tolerance_m),
                            ("level band", self.level_band_mps)):
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} {value!r} is not a finite non-negative number",
                                   hint=f"give {name} >= 0")
        if not 1 <= self.corrective_level <= len(self.levels):
            raise InvalidInput(f"corrective level {self.corrective_level} does not exist",
                               hint=f"use 1..{len(self.levels)}")
        for k, level in enumerate(self.levels, start=1):
            if level.thresholds.effective_z(self.altimetry_tolerance_m) <= 0:
                raise InvalidInput(f"altimetry tolerance leaves level {k} no vertical volume",
                                   hint="use a tolerance well below every ZTHR")

    def alerting_window_s(self, level: int) -> float:
        """Detection window of ``level`` (1-based): ``min(lookahead, alerting time)``."""
        return min(self.lookahead_s, self.levels[level - 1].alerting_time_s)


def _do365() -> AlertingProfile:
    def level(name: str, zthr_ft: float, alerting_s: float) -> AlertLevel:
        return AlertLevel(name, Thresholds(0.66 * NM, 35.0, zthr_ft * FT, 0.0, closed=True),
                          alerting_s)

    return AlertingProfile(
        name="do365",
        levels=(level("preventive", 700.0, 55.0), level("corrective", 450.0, 55.0),
                level("warning", 450.0, 25.0)),
        lookahead_s=180.0, m=2, n=4, hysteresis_s=5.0, persistence_s=4.0,
        sources=("RTCA DO-365B", "NASA DAIDALUS v2 Configurations/DO_365B_no_SUM.conf"),
    )


def _military() -> AlertingProfile:
    volume = Thresholds(5.0 * NM, 35.0, 1000.0 * FT, 0.0, closed=False)
    return AlertingProfile(
        name="military",
        levels=(AlertLevel("preventive", volume, 120.0), AlertLevel("corrective", volume, 75.0),
                AlertLevel("warning", volume, 40.0)),
        lookahead_s=300.0, m=2, n=4, hysteresis_s=12.0, persistence_s=8.0,
        sources=("ICAO Doc 4444 radar separation 5 NM / 1000 ft",
                 "DAIDALUS alerting logic (M-of-N, hysteresis, persistence)"),
    )


#: Altimetry tolerance of the live profile: two 25 ft quantisation steps, metres.
LIVE_ALTIMETRY_TOLERANCE_M: Final = 50.0 * FT
#: Vertical rates the live profile counts as level flight: within 150 ft/min (two 64 ft/min
#: steps of the ADS-B barometric rate), m/s.
LIVE_LEVEL_BAND_MPS: Final = 150.0 * FPM


def _live() -> AlertingProfile:
    return replace(_military(), name="live", altimetry_tolerance_m=LIVE_ALTIMETRY_TOLERANCE_M,
                   level_band_mps=LIVE_LEVEL_BAND_MPS)


PROFILES: Final = {"do365": _do365, "military": _military, "live": _live}


def get_profile(
    name: str,
    *,
    dthr_m: float | None = None,
    tthr_s: float | None = None,
    zthr_m: tuple[float, ...] | None = None,
    tcoa_s: float | None = None,
    alerting_times_s: tuple[float, ...] | None = None,
    lookahead_s: float | None = None,
    m: int | None = None,
    n: int | None = None,
    hysteresis_s: float | None = None,
    persistence_s: float | None = None,
    altimetry_tolerance_m: float | None = None,
    level_band_mps: float | None = None,
) -> AlertingProfile:
    """The profile ``name`` with the given values overridden.

    Per-level values (``zthr_m``, ``alerting_times_s``) take one value per level, or one value
    for all levels. Unknown names and invalid values raise :class:`InvalidInput`.
    """
    try:
        base = PROFILES[name]()
    except KeyError:
        raise InvalidInput(f"unknown alerting profile {name!r}",
                           hint=f"use one of {', '.join(PROFILES)}") from None
    count = len(base.levels)

    def per_level(values: tuple[float, ...] | None, what: str) -> tuple[float | None, ...]:
        if values is None:
            return (None,) * count
        if len(values) == 1:
            return tuple(values) * count
        if len(values) != count:
            raise InvalidInput(f"{what} needs 1 or {count} values, got {len(values)}",
                               hint=f"give one value for all levels or one per level 1..{count}")
        return tuple(values)

    zthrs = per_level(zthr_m, "ZTHR")
    times = per_level(alerting_times_s, "alerting time")
    levels = []
    for level, z, t in zip(base.levels, zthrs, times, strict=True):
        thr = level.thresholds
        thr = replace(
            thr,
            dthr_m=thr.dthr_m if dthr_m is None else dthr_m,
            tthr_s=thr.tthr_s if tthr_s is None else tthr_s,
            zthr_m=thr.zthr_m if z is None else z,
            tcoa_s=thr.tcoa_s if tcoa_s is None else tcoa_s,
        )
        levels.append(replace(level, thresholds=thr,
                              alerting_time_s=level.alerting_time_s if t is None else t))
    return replace(
        base,
        levels=tuple(levels),
        lookahead_s=base.lookahead_s if lookahead_s is None else lookahead_s,
        m=base.m if m is None else m,
        n=base.n if n is None else n,
        hysteresis_s=base.hysteresis_s if hysteresis_s is None else hysteresis_s,
        persistence_s=base.persistence_s if persistence_s is None else persistence_s,
        altimetry_tolerance_m=(base.altimetry_tolerance_m if altimetry_tolerance_m is None
                               else altimetry_tolerance_m),
        level_band_mps=base.level_band_mps if level_band_mps is None else level_band_mps,
    )
