"""Unit constants and conversions. Everything inside Hotline is SI: metres, seconds, m/s.

Aviation units appear only at the edges and then in the name (``altitude_ft``, ``radius_nm``).
Threshold comparisons use the stated epsilons below, so that a value exactly at a limit in the
input's units (1000 ft = 304.8 m) behaves as specified despite floating point.
"""

from __future__ import annotations

from typing import Final

FT: Final = 0.3048  # metres per international foot
NM: Final = 1852.0  # metres per nautical mile
KM: Final = 1000.0
FL: Final = 100 * FT  # metres per flight level step (100 ft)
KT: Final = NM / 3600.0  # m/s per knot
FPM: Final = FT / 60.0  # m/s per foot per minute

#: Vertical comparisons: a gap within this many metres of a limit counts as at the limit.
ALTITUDE_EPS_M: Final = 1e-3
#: Horizontal comparisons: a distance within this many metres of a limit counts as at it.
DISTANCE_EPS_M: Final = 1e-3

#: WGS84 semi-major axis, metres.
EARTH_A_M: Final = 6_378_137.0

LENGTH_UNITS: Final[dict[str, float]] = {"M": 1.0, "FT": FT, "NM": NM, "KM": KM}


def length_to_m(value: float, units: str) -> float:
    """Convert ``value`` in ``units`` (``M``, ``FT``, ``NM``, ``KM``) to metres.

    >>> length_to_m(1000, "FT")
    304.8
    """
    from hotline.domain.errors import InvalidInput

    try:
        return value * LENGTH_UNITS[units]
    except KeyError:
        raise InvalidInput(
            f"unknown length units {units!r}",
            hint=f"use one of {', '.join(LENGTH_UNITS)}",
        ) from None
