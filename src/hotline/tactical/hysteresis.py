"""Per-pair alert filtering as DAIDALUS does it: M-of-N, hysteresis time and persistence.

Contract: pure (no clock, no I/O); times are float seconds of the caller's time line. One
:class:`PairFilter` holds the history of one pair of aircraft; :meth:`PairFilter.apply` takes
the raw alert level detected at ``t`` (an integer >= 0) and returns the filtered level.
The semantics follow DAIDALUS's ``HysteresisData`` and ``MofN``:

- *hysteresis*: the history is kept only while updates arrive at most ``hysteresis_s``
  apart and in increasing time; otherwise it is reset to the current value, which seeds
  ``M`` of the ``N`` slots (so a pair first seen, or seen again after a long gap, reports
  its raw level at once);
- *M of N*: the output is the highest level reached by at least ``M`` of the last ``N``
  raw levels (the M-th largest), so one isolated detection does not raise an alert and a
  single missed detection does not drop one;
- *persistence*: once a level is raised, a lower output is held back until
  ``persistence_s`` has passed since the rise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

#: Marks an empty slot of the M-of-N window (counts toward no level).
EMPTY = -1


@dataclass(slots=True)
class PairFilter:
    """Filter state of one pair; see the module docstring."""

    m: int
    n: int
    hysteresis_s: float
    persistence_s: float
    window: deque[int] = field(default_factory=deque)
    init_time: float = math.nan
    last_time: float = math.nan
    last_value: int = EMPTY

    @classmethod
    def quiet(cls, m: int, n: int, hysteresis_s: float, persistence_s: float,
              last_time: float) -> PairFilter:
        """A pair evaluated at ``last_time`` whose window holds no detection.

        Equivalent to a filter that has seen only level 0: the alerter keeps no explicit state
        for such pairs and builds this one when a detection arrives.
        """
        return cls(m, n, hysteresis_s, persistence_s, deque([0] * n, maxlen=n),
                   math.nan, last_time, 0)

    def reset(self, value: int) -> None:
        self.window = deque([value] * self.m + [EMPTY] * (self.n - self.m), maxlen=self.n)
        self.init_time = math.nan
        self.last_time = math.nan
        self.last_value = EMPTY

    def m_of_n(self, value: int) -> int:
        """Push ``value`` and return the M-th largest level in the window."""
        self.window.append(value)
        return sorted(self.window, reverse=True)[self.m - 1]

    def apply(self, value: int, t: float) -> int:
        """Filtered level for raw ``value`` detected at time ``t``."""
        if (math.isnan(self.last_time) or t <= self.last_time
                or t - self.last_time > self.hysteresis_s):
            self.reset(value)
        filtered = self.m_of_n(value)
        if filtered < 0:
            self.last_value = value
            self.init_time = math.nan
        elif (not math.isnan(self.init_time) and self.last_value > 0
              and filtered < self.last_value and t >= self.init_time
              and t - self.init_time < self.persistence_s):
            pass  # persistence: keep the level raised less than persistence_s ago
        else:
            if filtered > 0 and self.last_value < filtered:
                self.init_time = t
            self.last_value = max(0, filtered)
        self.last_time = t
        return self.last_value

    @property
    def idle(self) -> bool:
        """True when the state says nothing a quiet pair would not (it can be dropped)."""
        return self.last_value <= 0 and all(v <= 0 for v in self.window)
