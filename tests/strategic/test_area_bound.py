"""The cheap area bound used by limit checks is never below the exact geodesic area."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.domain.errors import InvalidGeometry
from hotline.domain.geometry import Circle, LatLng, Polygon
from hotline.strategic.exact import footprint_area_bound_m2, footprint_area_m2


@settings(max_examples=150, deadline=None)
@given(
    lat=st.floats(-85, 85),
    lng=st.floats(-180, 180),
    size_km=st.floats(0.2, 1500),
    n=st.integers(3, 12),
    jitter=st.lists(st.floats(0.5, 1.0), min_size=12, max_size=12),
    circle=st.booleans(),
)
def test_bound_is_an_upper_bound(lat: float, lng: float, size_km: float, n: int,
                                 jitter: list[float], circle: bool) -> None:
    if circle:
        f: Polygon | Circle = Circle(LatLng(lat, lng), size_km * 1000)
    else:
        pts = []
        for k in range(n):
            r = size_km * jitter[k] / 111.0
            a = 2 * math.pi * k / n
            plat = max(-89.9, min(89.9, lat + r * math.sin(a)))
            plng = (lng + r * math.cos(a) / max(0.05, math.cos(math.radians(plat))) + 180) % 360
            pts.append(LatLng(plat, plng - 180))
        try:
            f = Polygon(tuple(pts))
        except InvalidGeometry:
            return
    exact = footprint_area_m2(f)
    bound = footprint_area_bound_m2(f)
    assert bound >= exact
    assert bound <= max(20 * exact, 1e6)  # and not uselessly loose for compact shapes
