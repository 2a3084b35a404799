"""Small builders for test volumes and requests (metres, degrees, UTC)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from hotline.domain.altitude import AltitudeBand, AltitudeReference
from hotline.domain.geometry import Circle, LatLng, Polygon
from hotline.domain.volume import TimeWindow, Volume4D


def box(lat: float, lng: float, half_km: float) -> Polygon:
    """A square-ish polygon centred on (lat, lng), half-side ``half_km``."""
    dlat = half_km / 111.32
    dlng = half_km / (111.32 * math.cos(math.radians(lat)))
    return Polygon((
        LatLng(lat - dlat, lng - dlng),
        LatLng(lat - dlat, lng + dlng),
        LatLng(lat + dlat, lng + dlng),
        LatLng(lat + dlat, lng - dlng),
    ))


def vol(
    footprint: Polygon | Circle,
    start: datetime,
    hours: float = 1.0,
    lo: float = 0.0,
    hi: float = 1000.0,
    ref: AltitudeReference = AltitudeReference.W84,
) -> Volume4D:
    return Volume4D(footprint, AltitudeBand(lo, hi, ref),
                    TimeWindow(start, start + timedelta(hours=hours)))


def circle(lat: float, lng: float, radius_m: float) -> Circle:
    return Circle(LatLng(lat, lng), radius_m)


def rfc(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def box_json(lat: float, lng: float, half_km: float, start: datetime, hours: float = 1.0,
             lo: float = 0.0, hi: float = 1000.0, reference: str = "W84",
             units: str = "M") -> dict[str, Any]:
    """An F3548 Volume4D JSON for :func:`box`."""
    poly = box(lat, lng, half_km)
    return {
        "volume": {
            "outline_polygon": {"vertices": [{"lat": p.lat, "lng": p.lng} for p in poly.vertices]},
            "altitude_lower": {"value": lo, "reference": reference, "units": units},
            "altitude_upper": {"value": hi, "reference": reference, "units": units},
        },
        "time_start": {"value": rfc(start), "format": "RFC3339"},
        "time_end": {"value": rfc(start + timedelta(hours=hours)), "format": "RFC3339"},
    }
