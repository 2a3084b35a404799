"""The CSV column conventions shared by the aircraft-state readers (probe and alerting
snapshots, ``states_csv``; track feeds, ``csvtracks``).

Contract: a quantity may come in one of several columns, each with its factor to SI —
``alt_m`` or ``alt_ft``, ``gs_mps`` or ``gs_kt``, ``vs_mps`` or ``vs_fpm`` (factors from
:mod:`hotline.domain.units`). A header holds at most one column of a quantity: :func:`pick`
raises :class:`~hotline.domain.errors.InvalidInput` naming both when it has two, and answers
``None`` when it has none (each reader says what it needs).

>>> pick(["id", "alt_ft"], ALTITUDE)
('alt_ft', 0.3048)
>>> pick(["id"], ALTITUDE) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from hotline.domain.errors import InvalidInput
from hotline.domain.units import FPM, FT, KT

#: Column name -> factor to SI, per quantity.
ALTITUDE: Final[Mapping[str, float]] = {"alt_m": 1.0, "alt_ft": FT}
GROUND_SPEED: Final[Mapping[str, float]] = {"gs_mps": 1.0, "gs_kt": KT}
VERTICAL_SPEED: Final[Mapping[str, float]] = {"vs_mps": 1.0, "vs_fpm": FPM}


def pick(header: Sequence[str] | set[str], names: Mapping[str, float]
         ) -> tuple[str, float] | None:
    """The one column of ``names`` in ``header`` and its factor to SI (None: none there)."""
    found = [(name, factor) for name, factor in names.items() if name in header]
    if len(found) > 1:
        raise InvalidInput(f"both {found[0][0]} and {found[1][0]} columns are present",
                           hint="give each quantity once, in one unit", where="line 1")
    return found[0] if found else None
