"""The canonical 4D volume: footprint, altitude band, time window (ASTM F3548-21 Volume4D).

Contract: metres, degrees, timezone-aware UTC datetimes. The time window is half-open
``[start, end)``: a volume ending at 10:00 and another starting at 10:00 do not overlap, so a
handover is not a conflict. Converters to and from F3548 JSON live at the edges
(``hotline.codec``); everything inside works on :class:`Volume4D`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.domain.altitude import AltitudeBand
from hotline.domain.errors import InvalidInput
from hotline.domain.geometry import Footprint
from hotline.domain.time import require_utc


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Half-open ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "time_start"))
        object.__setattr__(self, "end", require_utc(self.end, "time_end"))
        if self.end <= self.start:
            raise InvalidInput(
                f"time_end ({self.end.isoformat()}) is not after time_start "
                f"({self.start.isoformat()})",
                hint="time_end must be later than time_start",
            )

    def overlap(self, other: TimeWindow) -> TimeWindow | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return TimeWindow(start, end) if start < end else None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Volume4D:
    """One 4D volume: where (footprint), how high (band) and when (window)."""

    footprint: Footprint
    band: AltitudeBand
    window: TimeWindow
