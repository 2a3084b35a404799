"""A snapshot of traffic: one state (position, velocity, time) per aircraft, as numpy columns.

Contract: :class:`TrafficState` is a frozen dataclass of equal-length 1-D numpy arrays, SI:
``ids`` (str, unique), ``party`` (str; ``""`` when unknown), ``lat_deg``/``lon_deg`` (WGS84
degrees; longitude any finite value, taken modulo 360), ``alt_m`` (metres, one altitude
reference for the whole snapshot), ``gs_mps`` (ground speed, m/s, >= 0), ``trk_deg`` (true
track, degrees clockwise from north), ``vs_mps`` (vertical speed, m/s, positive up) and
``t_s`` (when each state was measured, float seconds on any common time axis, e.g. the epoch;
detection extrapolates every state to the latest one).

Construction validates every value (finite, |lat| <= 90, altitude and speeds physically
possible, ids unique) and raises :class:`InvalidState` (an ``InvalidInput``) naming the first bad
row (0-based) and column, so a parser can map it back to its own line and column names.
Build one from Python sequences with :meth:`TrafficState.from_columns`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from hotline.domain.altitude import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from hotline.domain.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]

#: Fastest ground speed accepted, m/s (about Mach 3.5 at altitude; faster is a bad report).
MAX_GS_MPS: Final = 1200.0
#: Fastest climb or descent accepted, m/s (about 47,000 ft/min).
MAX_VS_MPS: Final = 240.0

#: The numeric columns, in order, with their accepted closed range (None: any finite value).
NUMERIC_COLUMNS: Final[dict[str, tuple[float, float] | None]] = {
    "lat_deg": (-90.0, 90.0),
    "lon_deg": None,
    "alt_m": (MIN_ALTITUDE_M, MAX_ALTITUDE_M),
    "gs_mps": (0.0, MAX_GS_MPS),
    "trk_deg": None,
    "vs_mps": (-MAX_VS_MPS, MAX_VS_MPS),
    "t_s": None,
}


class InvalidState(InvalidInput):
    """A traffic state value is missing, not finite or impossible; ``row`` is 0-based and
    ``column`` is the :class:`TrafficState` field name."""

    def __init__(self, detail: str, *, row: int, column: str, hint: str = "",
                 reason: str = "") -> None:
        self.row = row
        self.column = column
        self.reason = reason or detail  # the detail without the offending value
        super().__init__(detail, hint=hint, where=f"row {row}, column {column}")


@dataclass(frozen=True, slots=True)
class TrafficState:
    """N aircraft states as equal-length arrays (see the module docstring for units)."""

    ids: StrArray
    party: StrArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_m: FloatArray
    gs_mps: FloatArray
    trk_deg: FloatArray
    vs_mps: FloatArray
    t_s: FloatArray

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("ids", "party", *NUMERIC_COLUMNS):
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.ndim != 1 or len(value) != n:
                raise InvalidInput(
                    f"TrafficState.{name} must be a 1-D numpy array of length {n}",
                    hint="build states with TrafficState.from_columns",
                )
        for name, bounds in NUMERIC_COLUMNS.items():
            _check_column(name, getattr(self, name), bounds)
        if n > 1:
            order = np.argsort(self.ids, kind="stable")
            same = np.flatnonzero(self.ids[order][1:] == self.ids[order][:-1])
            if len(same):
                first, second = sorted((int(order[same[0]]), int(order[same[0] + 1])))
                raise InvalidState(
                    f"aircraft id {self.ids[second]!r} also appears in row {first}",
                    row=second, column="ids",
                    hint="a snapshot holds one state per aircraft: keep the latest",
                )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_columns(
        cls,
        ids: Sequence[str] | npt.ArrayLike,
        lat_deg: npt.ArrayLike,
        lon_deg: npt.ArrayLike,
        alt_m: npt.ArrayLike,
        gs_mps: npt.ArrayLike,
        trk_deg: npt.ArrayLike,
        vs_mps: npt.ArrayLike,
        *,
        party: Sequence[str] | npt.ArrayLike | None = None,
        t_s: npt.ArrayLike | None = None,
    ) -> TrafficState:
        """Build (and validate) a state from sequences; ``party`` defaults to ``""`` and
        ``t_s`` to 0 for every aircraft."""
        id_arr = np.asarray(ids, dtype=np.str_).reshape(-1)
        n = len(id_arr)
        party_arr = (np.full(n, "", dtype=np.str_) if party is None
                     else np.asarray(party, dtype=np.str_).reshape(-1))
        t_arr = np.zeros(n) if t_s is None else t_s
        return cls(ids=id_arr, party=party_arr, lat_deg=_floats(lat_deg),
                   lon_deg=_floats(lon_deg), alt_m=_floats(alt_m), gs_mps=_floats(gs_mps),
                   trk_deg=_floats(trk_deg), vs_mps=_floats(vs_mps), t_s=_floats(t_arr))

    def take(self, index: npt.ArrayLike) -> TrafficState:
        """The states at ``index`` (an index array or boolean mask), in that order."""
        idx = np.asarray(index)
        return TrafficState(**{name: getattr(self, name)[idx] for name in _FIELDS})


_FIELDS: Final = ("ids", "party", *NUMERIC_COLUMNS)


def _floats(values: Any) -> FloatArray:
    try:
        return np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"not a column of numbers: {exc}",
                           hint="pass numbers (SI units)") from None


def _check_column(name: str, values: FloatArray, bounds: tuple[float, float] | None) -> None:
    if values.dtype.kind != "f":
        raise InvalidInput(f"TrafficState.{name} must hold floats, not {values.dtype}",
                           hint="build states with TrafficState.from_columns")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidState(f"{values[row]} is not a finite number", row=row, column=name,
                           reason="is not a finite number",
                           hint="every aircraft needs a complete state")
    if bounds is None:
        return
    lo, hi = bounds
    bad = (values < lo) | (values > hi)
    if bad.any():
        row = int(np.argmax(bad))
        reason = f"is outside {lo:g}..{hi:g}"
        raise InvalidState(f"{values[row]:g} {reason}", row=row, column=name, reason=reason,
                           hint=_HINTS.get(name, "check the units"))


_HINTS: Final = {
    "lat_deg": "latitude is in degrees, -90..90",
    "alt_m": "altitude is in metres; check the unit in the column name",
    "gs_mps": f"ground speed is in m/s, at most {MAX_GS_MPS:g} (about Mach 3.5); "
              "check the unit in the column name",
    "vs_mps": f"vertical speed is in m/s, at most {MAX_VS_MPS:g} up or down; "
              "check the unit in the column name",
}
