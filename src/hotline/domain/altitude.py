"""Altitude bands with an explicit reference.

Contract: values are metres. Each band says what it is measured from:

- ``W84``: height above the WGS84 ellipsoid (ASTM F3548-21's only reference);
- ``AMSL``: height above mean sea level (the geoid);
- ``PRESSURE``: pressure altitude on the standard setting (flight levels, ADS-B baro altitude).

Two bands with the same reference are compared directly, exactly. Bands with different
references are compared through a conservative W84 *envelope* with stated tolerances:
AMSL→W84 widens by the global range of geoid undulation (EGM2008 spans about -107 m to +86 m,
so the envelope is ``[lo + GEOID_MIN_M, hi + GEOID_MAX_M]``); PRESSURE→AMSL widens by a
configurable pressure tolerance (the difference between pressure and true altitude, ~30 ft per
hPa of QNH deviation; default 200 m) and then as AMSL. Envelopes never miss a conflict; they can
report one that a surveyed geoid and the day's QNH would clear, which is the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.domain.errors import InvalidInput
from hotline.domain.units import ALTITUDE_EPS_M

GEOID_MIN_M = -107.0
GEOID_MAX_M = 86.0
DEFAULT_PRESSURE_TOLERANCE_M = 200.0
#: Lowest and highest altitudes accepted, metres (Dead Sea shore to beyond the stratosphere).
MIN_ALTITUDE_M = -1_000.0
MAX_ALTITUDE_M = 100_000.0


class AltitudeReference(StrEnum):
    W84 = "W84"
    AMSL = "AMSL"
    PRESSURE = "PRESSURE"


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """Closed band ``[lower_m, upper_m]`` measured from ``reference``."""

    lower_m: float
    upper_m: float
    reference: AltitudeReference = AltitudeReference.W84

    def __post_init__(self) -> None:
        for name, value in (("altitude_lower", self.lower_m), ("altitude_upper", self.upper_m)):
            if not (MIN_ALTITUDE_M <= value <= MAX_ALTITUDE_M):
                raise InvalidInput(
                    f"{name} {value} m is outside {MIN_ALTITUDE_M:.0f}..{MAX_ALTITUDE_M:.0f} m",
                    hint="check the units (M, FT or FL) and the value",
                )
        if self.lower_m > self.upper_m:
            raise InvalidInput(
                f"altitude_lower ({self.lower_m:g} m) is above altitude_upper ({self.upper_m:g} m)",
                hint="swap them: altitude_lower must not exceed altitude_upper",
            )

    def w84_envelope(
        self, pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M
    ) -> tuple[float, float]:
        """A W84 band that certainly contains this band (see module docstring)."""
        lo, hi = self.lower_m, self.upper_m
        if self.reference is AltitudeReference.W84:
            return lo, hi
        if self.reference is AltitudeReference.PRESSURE:
            lo, hi = lo - pressure_tolerance_m, hi + pressure_tolerance_m
        return lo + GEOID_MIN_M, hi + GEOID_MAX_M


@dataclass(frozen=True, slots=True)
class VerticalOverlap:
    """Where two bands come within the vertical buffer, in one reference."""

    lower_m: float
    upper_m: float
    reference: AltitudeReference
    gap_m: float  # vertical gap between the bands (negative when they overlap)


def vertical_overlap(
    a: AltitudeBand,
    b: AltitudeBand,
    buffer_m: float,
    pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M,
) -> VerticalOverlap | None:
    """The overlap of ``a`` and ``b`` if their gap is less than ``buffer_m``, else ``None``.

    Bands that merely touch (gap 0) do not conflict with a zero buffer: stacked blocks of
    airspace are normal. A gap equal to the buffer (within ``ALTITUDE_EPS_M``) is separated.

    >>> a = AltitudeBand(0, 304.8)
    >>> vertical_overlap(a, AltitudeBand(609.6, 900), buffer_m=304.8) is None
    True
    >>> vertical_overlap(a, AltitudeBand(600, 900), buffer_m=304.8).gap_m
    295.2
    """
    if a.reference is b.reference:
        alo, ahi, blo, bhi, ref = a.lower_m, a.upper_m, b.lower_m, b.upper_m, a.reference
    else:
        alo, ahi = a.w84_envelope(pressure_tolerance_m)
        blo, bhi = b.w84_envelope(pressure_tolerance_m)
        ref = AltitudeReference.W84
    gap = max(alo - bhi, blo - ahi)
    if gap >= buffer_m - ALTITUDE_EPS_M:
        return None
    if gap >= 0:  # separated by less than the buffer: report the gap itself
        lower, upper = min(ahi, bhi), max(alo, blo)
    else:
        lower, upper = max(alo, blo), min(ahi, bhi)
    return VerticalOverlap(lower_m=lower, upper_m=upper, reference=ref, gap_m=round(gap, 6))
