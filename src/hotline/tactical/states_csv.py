"""Parse a traffic snapshot CSV (text) into a :class:`TrafficState`, strictly (pure: no I/O).

Columns (a header row, any order, the unit in the name): ``id``, ``lat``, ``lon`` (degrees),
``alt_m`` or ``alt_ft``, ``gs_mps`` or ``gs_kt``, ``trk_deg``, ``vs_mps`` or ``vs_fpm``;
optional ``party`` (absent: :attr:`SnapshotCsv.has_party` is False) and ``time_s`` (when each
state was measured, seconds on a common axis, e.g. the epoch; absent: all at 0). Other columns
are ignored. Values are converted to SI by the column table of :mod:`hotline.tactical.csv_columns`.

All or nothing: a missing or doubled column, a row with the wrong number of fields, an empty
or non-numeric value, NaN, an impossible value (see :mod:`hotline.tactical.states`) or a
repeated id raises :class:`InvalidInput` naming the line (the header is line 1) and the
column as written in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from hotline.domain.errors import InvalidInput
from hotline.tactical.csv_columns import ALTITUDE, GROUND_SPEED, VERTICAL_SPEED, pick
from hotline.tactical.states import FloatArray, InvalidState, TrafficState

#: Each state field: the accepted column names and their factor to SI.
COLUMNS: Final[dict[str, Mapping[str, float]]] = {
    "lat_deg": {"lat": 1.0},
    "lon_deg": {"lon": 1.0},
    "alt_m": ALTITUDE,
    "gs_mps": GROUND_SPEED,
    "trk_deg": {"trk_deg": 1.0},
    "vs_mps": VERTICAL_SPEED,
}
SI_UNITS: Final = {"alt_m": "m", "gs_mps": "m/s", "vs_mps": "m/s"}
OPTIONAL: Final[dict[str, dict[str, float]]] = {"t_s": {"time_s": 1.0}}
REQUIRED_TEXT: Final = "id, lat, lon, alt_m|alt_ft, gs_mps|gs_kt, trk_deg, vs_mps|vs_fpm"


@dataclass(frozen=True, slots=True)
class SnapshotCsv:
    """The parsed snapshot and which optional columns the file had."""

    state: TrafficState
    has_party: bool
    has_time: bool


def _column(header: list[str], names: Mapping[str, float], required: bool
            ) -> tuple[int, str, float] | None:
    found = pick(header, names)
    if found is None:
        if required:
            raise InvalidInput(f"missing column {'|'.join(names)}",
                               hint=f"the header needs {REQUIRED_TEXT}", where="line 1")
        return None
    name, factor = found
    return header.index(name), name, factor


def parse_snapshot_csv(text: str) -> SnapshotCsv:
    """Parse ``text`` (see the module docstring); raises InvalidInput, changes nothing."""
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
    if not rows:
        raise InvalidInput("the file is empty", hint=f"start with a header row: {REQUIRED_TEXT}")
    header = [h.strip().lower() for h in rows[0]]
    body = rows[1:]
    if "id" not in header:
        raise InvalidInput("missing column id", hint=f"the header needs {REQUIRED_TEXT}",
                           where="line 1")
    for k, row in enumerate(body):
        if len(row) != len(header):
            raise InvalidInput(f"{len(row)} fields, the header has {len(header)}",
                               hint="one value per column on every row", where=f"line {k + 2}")
    columns: dict[str, tuple[int, str, float]] = {}
    for field, names in COLUMNS.items():
        found = _column(header, names, required=True)
        assert found is not None
        columns[field] = found
    time_col = _column(header, OPTIONAL["t_s"], required=False)
    if time_col is not None:
        columns["t_s"] = time_col
    values: dict[str, FloatArray] = {}
    for field, (idx, name, factor) in columns.items():
        raw = np.empty(len(body))
        for k, row in enumerate(body):
            try:
                raw[k] = float(row[idx])
            except ValueError:
                raise InvalidInput(f"{row[idx].strip()!r} is not a number",
                                   hint=f"{name} needs a number on every row",
                                   where=f"line {k + 2}, column {name}") from None
        values[field] = raw * factor
    id_idx = header.index("id")
    ids = [row[id_idx].strip() for row in body]
    seen: dict[str, int] = {}
    for k, text_id in enumerate(ids):
        if not text_id:
            raise InvalidInput("the id is empty", hint="every aircraft needs an id",
                               where=f"line {k + 2}, column id")
        if text_id in seen:
            raise InvalidInput(f"aircraft id {text_id!r} also appears on line {seen[text_id]}",
                               hint="a snapshot holds one state per aircraft: keep the latest",
                               where=f"line {k + 2}, column id")
        seen[text_id] = k + 2
    party = ([row[header.index("party")].strip() for row in body] if "party" in header
             else None)
    try:
        state = TrafficState.from_columns(ids=ids, party=party, **values)
    except InvalidState as exc:
        if exc.column not in columns:
            raise
        idx, name, factor = columns[exc.column]
        cell = body[exc.row][idx].strip()
        detail = exc.detail
        if factor != 1.0:
            si = values[exc.column][exc.row]
            detail = f"{cell} {name} ({si:g} {SI_UNITS[exc.column]}) {exc.reason}"
        raise InvalidInput(detail, hint=exc.hint,
                           where=f"line {exc.row + 2}, column {name}") from None
    return SnapshotCsv(state=state, has_party=party is not None, has_time=time_col is not None)
