"""Report map outlines from the vendored Natural Earth data."""

from __future__ import annotations

import numpy as np

from hotline.reporting.basemap import outlines


def test_outlines_meet_the_box_and_only_it() -> None:
    east_med = outlines(35.5, 33.5, 39.5, 36.5)  # the Levant coast and borders
    assert east_med
    for lons, lats in east_med:
        assert len(lons) == len(lats) >= 2
        inside = (lons >= 35.5) & (lons <= 39.5) & (lats >= 33.5) & (lats <= 36.5)
        assert np.any(inside)
        assert np.all((lons >= -180) & (lons <= 180) & (lats >= -90) & (lats <= 90))
    assert outlines(-30.0, -40.0, -29.0, -39.0) == []  # the open South Atlantic
