"""The live track board: latest state per (party, aircraft) and a bounded trail (pure, in memory).

Contract:

* :meth:`TrackBoard.apply` takes checked reports (already stored) and, per report, either makes
  it the aircraft's latest state (``accepted``: strictly newer than the latest) or leaves the
  state alone (``out_of_order``: not newer than the latest, or older than ``stale_after_s``
  before ``now`` so it would age out at once). Out-of-order reports are counted, never trusted.
* A track whose latest report is older than ``stale_after_s`` before ``now`` is gone from
  :meth:`snapshot` and :meth:`tracks` (and dropped by :meth:`prune`): stale tracks age out.
* Each track keeps its last ``trail_points`` accepted reports (oldest first), the latest last.
* :meth:`arrays` gives the current tracks as equal-length numpy arrays (SI; epoch seconds) for
  the vectorised detectors, positions extrapolated to a common time is the caller's business.
* Thread-safe: one lock guards the board (API threads write, the watcher reads).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from hotline.domain.tracks import TrackReport

FloatArray = npt.NDArray[np.float64]
Key = tuple[str, str]  # (party, aircraft)


@dataclass(frozen=True, slots=True)
class Track:
    """One live track: its latest report and the trail that ends with it."""

    latest: TrackReport
    trail: tuple[TrackReport, ...]

    @property
    def key(self) -> Key:
        return (self.latest.party, self.latest.aircraft)


@dataclass(frozen=True, slots=True)
class Applied:
    """Indices (into the applied sequence) of reports that became state, and of the others."""

    accepted: tuple[int, ...]
    out_of_order: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TrackArrays:
    """The live tracks as equal-length arrays (index i is ``keys[i]``)."""

    keys: tuple[Key, ...]
    party: npt.NDArray[np.str_]
    t_s: FloatArray  # epoch seconds of each latest report
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_m: FloatArray
    gs_mps: FloatArray
    trk_deg: FloatArray
    vs_mps: FloatArray

    def __len__(self) -> int:
        return len(self.keys)


class TrackBoard:
    def __init__(self, stale_after_s: float = 60.0, trail_points: int = 120) -> None:
        if stale_after_s <= 0 or trail_points < 1:
            raise ValueError("stale_after_s must be > 0 and trail_points >= 1")
        self.stale_after = timedelta(seconds=stale_after_s)
        self.trail_points = trail_points
        self._trails: dict[Key, deque[TrackReport]] = {}
        self._lock = threading.Lock()

    def apply(self, reports: Sequence[TrackReport], now: datetime) -> Applied:
        oldest = now - self.stale_after
        accepted: list[int] = []
        late: list[int] = []
        with self._lock:
            for i, r in enumerate(reports):
                key = (r.party, r.aircraft)
                trail = self._trails.get(key)
                if r.time < oldest or (trail is not None and r.time <= trail[-1].time):
                    late.append(i)
                    continue
                if trail is None:
                    trail = self._trails[key] = deque(maxlen=self.trail_points)
                trail.append(r)
                accepted.append(i)
        return Applied(tuple(accepted), tuple(late))

    def load(self, reports: Iterable[TrackReport], now: datetime) -> int:
        """Rebuild from stored history (any order); return how many tracks are live."""
        ordered = sorted(reports, key=lambda r: r.time)
        self.apply(ordered, now)
        return len(self.tracks(now))

    def prune(self, now: datetime) -> list[Key]:
        oldest = now - self.stale_after
        with self._lock:
            gone = [k for k, t in self._trails.items() if t[-1].time < oldest]
            for k in gone:
                del self._trails[k]
        return gone

    def tracks(self, now: datetime, trail: bool = True) -> list[Track]:
        """The live tracks ordered by (party, aircraft)."""
        oldest = now - self.stale_after
        with self._lock:
            items = [(k, tuple(t) if trail else (t[-1],)) for k, t in self._trails.items()
                     if t[-1].time >= oldest]
        return [Track(t[-1], t) for _, t in sorted(items, key=lambda kt: kt[0])]

    def arrays(self, now: datetime) -> TrackArrays:
        live = self.tracks(now, trail=False)
        rs = [t.latest for t in live]

        def col(values: Iterable[float]) -> FloatArray:
            return np.fromiter(values, dtype=np.float64, count=len(rs))

        return TrackArrays(
            keys=tuple(t.key for t in live),
            party=np.array([r.party for r in rs], dtype=np.str_),
            t_s=col(r.time.timestamp() for r in rs),
            lat_deg=col(r.lat_deg for r in rs), lon_deg=col(r.lon_deg for r in rs),
            alt_m=col(r.alt_m for r in rs), gs_mps=col(r.gs_mps for r in rs),
            trk_deg=col(r.trk_deg for r in rs), vs_mps=col(r.vs_mps for r in rs),
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._trails)
