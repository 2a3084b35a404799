"""The exact 4D conflict check between two declarations' volumes.

Contract: two volumes conflict when (1) their half-open time windows overlap, (2) their altitude
bands' gap is less than the vertical buffer (see ``domain.altitude``), and (3) their footprints'
interiors overlap or their geodesic distance is less than the horizontal buffer (see
``strategic.exact``). Checks run cheapest first: time, altitude, then geometry.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotline.domain.altitude import vertical_overlap
from hotline.domain.notice import VolumeOverlap
from hotline.domain.volume import Volume4D
from hotline.strategic.exact import (
    footprint_distance_m,
    footprints_conflict,
    footprints_overlap,
)
from hotline.strategic.policy import SeparationPolicy


def volume_overlap(
    a: Volume4D, b: Volume4D, policy: SeparationPolicy, ia: int = 0, ib: int = 0
) -> VolumeOverlap | None:
    """The overlap of two volumes under ``policy``, or ``None`` when they are separated."""
    wa, wb = a.window, b.window
    if wa.start >= wb.end or wb.start >= wa.end:  # half-open windows apart: the common case
        return None
    window = wa.overlap(wb)
    if window is None:
        return None
    vertical = vertical_overlap(
        a.band, b.band, policy.vertical_buffer_m, policy.pressure_tolerance_m
    )
    if vertical is None:
        return None
    if policy.horizontal_buffer_m > 0.0:
        if not footprints_conflict(a.footprint, b.footprint, policy.horizontal_buffer_m):
            return None
        distance = footprint_distance_m(a.footprint, b.footprint)
    elif footprints_overlap(a.footprint, b.footprint):
        distance = 0.0  # with no buffer only overlapping interiors conflict: no distance needed
    else:
        return None
    return VolumeOverlap(ia, ib, window, vertical, round(distance, 3))


def overlaps(
    ours: Sequence[Volume4D], theirs: Sequence[Volume4D], policy: SeparationPolicy
) -> tuple[VolumeOverlap, ...]:
    """Every conflicting pair of volumes, ours first."""
    found = []
    for i, a in enumerate(ours):
        for j, b in enumerate(theirs):
            hit = volume_overlap(a, b, policy, i, j)
            if hit is not None:
                found.append(hit)
    return tuple(found)
