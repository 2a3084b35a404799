"""The agreed rules of separation and notice between parties.

Contract: buffers in metres, lead times in seconds. ``SeparationPolicy`` says when two volumes
conflict; ``LeadTimePolicy`` says how long before activity it must be announced, by default and
per pair of parties (a pair's agreement overrides the default in both directions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.domain.altitude import DEFAULT_PRESSURE_TOLERANCE_M


@dataclass(frozen=True, slots=True)
class SeparationPolicy:
    """Two volumes conflict when their windows overlap, their bands come closer than
    ``vertical_buffer_m`` and their footprints overlap or come closer than
    ``horizontal_buffer_m``."""

    horizontal_buffer_m: float = 0.0
    vertical_buffer_m: float = 0.0
    pressure_tolerance_m: float = DEFAULT_PRESSURE_TOLERANCE_M


@dataclass(frozen=True, slots=True)
class LeadTimePolicy:
    default_s: float = 900.0
    pairs: Mapping[frozenset[str], float] = field(default_factory=dict)

    def required_s(self, a: str, b: str | None = None) -> float:
        """Minimum lead time between ``a`` and ``b`` (the default when ``b`` is None).

        >>> p = LeadTimePolicy(900, {frozenset({"blue", "red"}): 3600})
        >>> p.required_s("red", "blue"), p.required_s("red", "green"), p.required_s("red")
        (3600, 900, 900)
        """
        if b is None:
            return self.default_s
        return self.pairs.get(frozenset((a, b)), self.default_s)
