"""``TrafficState``: construction, validation naming row and column, take()."""

from __future__ import annotations

import numpy as np
import pytest

from hotline.domain.errors import InvalidInput
from hotline.tactical.states import InvalidState, TrafficState

GOOD = {"ids": ["a", "b", "c"], "lat_deg": [47.0, 47.1, 47.2], "lon_deg": [8.0, 8.1, 8.2],
        "alt_m": [3000.0, 3100.0, 3200.0], "gs_mps": [200.0, 210.0, 0.0],
        "trk_deg": [0.0, 90.0, 370.0], "vs_mps": [0.0, -5.0, 5.0]}


def build(**changes: object) -> TrafficState:
    return TrafficState.from_columns(**{**GOOD, **changes})  # type: ignore[arg-type]


def test_defaults_and_types() -> None:
    s = build()
    assert len(s) == 3
    assert s.party.tolist() == ["", "", ""] and s.t_s.tolist() == [0.0, 0.0, 0.0]
    assert s.alt_m.dtype == np.float64 and s.ids.dtype.kind == "U"
    sub = s.take([2, 0])
    assert sub.ids.tolist() == ["c", "a"] and sub.gs_mps.tolist() == [0.0, 200.0]


@pytest.mark.parametrize(("column", "values", "row", "text"), [
    ("lat_deg", [47.0, 90.5, 47.0], 1, "outside -90..90"),
    ("lon_deg", [8.0, 8.0, float("inf")], 2, "not a finite number"),
    ("alt_m", [float("nan"), 1.0, 1.0], 0, "not a finite number"),
    ("gs_mps", [200.0, -1.0, 200.0], 1, "outside 0..1200"),
    ("gs_mps", [200.0, 200.0, 5000.0], 2, "outside 0..1200"),
    ("vs_mps", [0.0, 300.0, 0.0], 1, "outside -240..240"),
    ("alt_m", [0.0, 0.0, 200_000.0], 2, "outside"),
])
def test_bad_values_name_row_and_column(column: str, values: list[float], row: int,
                                        text: str) -> None:
    with pytest.raises(InvalidState, match=text) as err:
        build(**{column: values})
    assert err.value.row == row and err.value.column == column
    assert f"row {row}, column {column}" in str(err.value)
    assert isinstance(err.value, InvalidInput) and isinstance(err.value, ValueError)


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(InvalidState, match="also appears in row 0") as err:
        build(ids=["x", "y", "x"])
    assert err.value.row == 2


def test_lengths_must_agree() -> None:
    with pytest.raises(InvalidInput, match="length 3"):
        build(vs_mps=[0.0, 0.0])


def test_not_numbers() -> None:
    with pytest.raises(InvalidInput, match="not a column of numbers"):
        build(alt_m=["a", "b", "c"])


def test_empty_state() -> None:
    s = TrafficState.from_columns([], [], [], [], [], [], [])
    assert len(s) == 0
