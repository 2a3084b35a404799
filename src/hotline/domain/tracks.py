"""Track reports: one position and velocity of one aircraft of one party, at one time.

Contract: SI inside. ``lat_deg``/``lon_deg`` WGS84 degrees; ``alt_m`` metres measured from
``alt_ref`` (:class:`~hotline.domain.altitude.AltitudeReference`: ``PRESSURE`` for ADS-B/SBS
barometric altitude on the standard setting, ``W84`` for geometric height above the
ellipsoid, ``AMSL``); ``gs_mps`` ground speed (m/s, >= 0), ``trk_deg`` true track over the
ground (degrees clockwise from north, normalised to [0, 360)), ``vs_mps`` vertical speed (m/s,
positive up). ``time`` is a timezone-aware UTC datetime (when the position was measured).

:func:`make_report` is the only way parsers and the API build reports: it checks every value
and raises :class:`~hotline.domain.errors.InvalidInput` saying what was wrong (NaN, out of
range, impossible speed) and how to fix it. A :class:`Rejection` is one refused input (its
position in the batch or line number, and the reason); parsers return them counted, never
raise on one bad line.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from hotline.domain.altitude import MAX_ALTITUDE_M, MIN_ALTITUDE_M, AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.time import format_rfc3339, require_utc

#: Fastest ground speed accepted, m/s (about Mach 3.5 at altitude; faster is a bad report).
MAX_GS_MPS: Final = 1200.0
#: Fastest climb or descent accepted, m/s (about 47,000 ft/min).
MAX_VS_MPS: Final = 240.0
#: Aircraft ids: ICAO 24-bit hex, callsigns, tail numbers, drone serials.
AIRCRAFT_PATTERN: Final = re.compile(r"^[A-Za-z0-9~][A-Za-z0-9._~:-]{0,63}$")
SOURCES: Final = ("api", "sbs", "opensky", "csv")


@dataclass(frozen=True, slots=True)
class TrackReport:
    party: str
    aircraft: str
    time: datetime
    lat_deg: float
    lon_deg: float
    alt_m: float
    alt_ref: AltitudeReference
    gs_mps: float
    trk_deg: float
    vs_mps: float
    callsign: str = ""
    source: str = "api"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refused input: ``where`` is its index in a batch or ``line N`` of a file/feed."""

    where: str
    reason: str
    aircraft: str = ""


@dataclass(slots=True)
class ParseResult:
    """What a parser made of its input: reports (``origins[i]`` says where ``reports[i]``
    came from, e.g. ``line 7``), rejections, and counts by outcome.

    ``counts`` keys: ``reports`` (built), ``rejected`` (bad input, see ``rejections``),
    ``ignored`` (well-formed but carrying nothing to report, e.g. an SBS squawk line).
    """

    reports: list[TrackReport] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # where each report came from
    rejections: list[Rejection] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def reject(self, where: str, reason: str, aircraft: str = "") -> None:
        self.rejections.append(Rejection(where, reason, aircraft))
        self.counts["rejected"] += 1

    def add(self, report: TrackReport, where: str = "") -> None:
        self.reports.append(report)
        self.origins.append(where)
        self.counts["reports"] += 1

    def extend(self, other: ParseResult) -> None:
        self.reports.extend(other.reports)
        self.origins.extend(other.origins)
        self.rejections.extend(other.rejections)
        self.counts.update(other.counts)


def _finite(value: float, name: str, unit: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise InvalidInput(f"{name} {value!r} is not a number", hint=f"give {name} in {unit}")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidInput(f"{name} is {v}", hint=f"give a finite {name} in {unit}")
    return v


def check_aircraft(value: str) -> str:
    if not AIRCRAFT_PATTERN.match(value):
        raise InvalidInput(
            f"aircraft id {value!r} is not valid",
            hint="use 1-64 letters, digits, '.', '_', '~', ':' or '-' (e.g. the ICAO hex 4CA2D6)",
        )
    return value


def make_report(
    party: str,
    aircraft: str,
    time: datetime,
    lat_deg: float,
    lon_deg: float,
    alt_m: float,
    alt_ref: AltitudeReference,
    gs_mps: float,
    trk_deg: float,
    vs_mps: float,
    *,
    callsign: str = "",
    source: str = "api",
) -> TrackReport:
    """A checked :class:`TrackReport` (see the module docstring), or :class:`InvalidInput`."""
    check_aircraft(aircraft)
    lat = _finite(lat_deg, "lat", "degrees")
    lon = _finite(lon_deg, "lon", "degrees")
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput(f"lat {lat} is out of range", hint="use -90..90 degrees")
    if not -180.0 <= lon <= 180.0:
        raise InvalidInput(f"lon {lon} is out of range", hint="use -180..180 degrees")
    alt = _finite(alt_m, "altitude", "metres")
    if not MIN_ALTITUDE_M <= alt <= MAX_ALTITUDE_M:
        raise InvalidInput(f"altitude {alt:g} m is out of range",
                           hint=f"use {MIN_ALTITUDE_M:.0f}..{MAX_ALTITUDE_M:.0f} m; check the "
                           "units (alt_m or alt_ft)")
    gs = _finite(gs_mps, "ground speed", "m/s")
    if not 0.0 <= gs <= MAX_GS_MPS:
        raise InvalidInput(f"ground speed {gs:g} m/s is impossible",
                           hint=f"use 0..{MAX_GS_MPS:.0f} m/s; check the units (gs_mps or gs_kt)")
    trk = _finite(trk_deg, "track", "degrees")
    if not -360.0 <= trk <= 720.0:
        raise InvalidInput(f"track {trk:g} degrees is out of range",
                           hint="give the true track in degrees, 0..360")
    vs = _finite(vs_mps, "vertical speed", "m/s")
    if not -MAX_VS_MPS <= vs <= MAX_VS_MPS:
        raise InvalidInput(f"vertical speed {vs:g} m/s is impossible",
                           hint=f"use -{MAX_VS_MPS:.0f}..{MAX_VS_MPS:.0f} m/s; check the units "
                           "(vs_mps or vs_fpm)")
    return TrackReport(party, aircraft, require_utc(time), lat, lon, alt, alt_ref, gs,
                       trk % 360.0, vs, callsign=callsign.strip()[:16], source=source)


def report_json(r: TrackReport) -> dict[str, Any]:
    """The report as plain JSON (SI units, names carry them; RFC 3339 time)."""
    return {
        "party": r.party, "id": r.aircraft, "time": format_rfc3339(r.time),
        "lat": r.lat_deg, "lon": r.lon_deg, "alt_m": r.alt_m, "alt_ref": r.alt_ref.value,
        "gs_mps": r.gs_mps, "trk_deg": r.trk_deg, "vs_mps": r.vs_mps,
        "callsign": r.callsign, "source": r.source,
    }
