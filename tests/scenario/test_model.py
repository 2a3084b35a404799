"""The scenario format: the packaged scenarios parse; bad files get located, clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.domain.errors import InvalidInput
from hotline.scenario.model import load_scenario, parse_offset, parse_scenario

DATA = Path(__file__).parents[2] / "src" / "hotline" / "scenario" / "data"


def doc() -> dict[str, Any]:
    return tomllib.loads((DATA / "border.toml").read_text())


@pytest.mark.parametrize("name", ["kestrel.toml", "border.toml"])
def test_packaged_scenarios_parse(name: str) -> None:
    sc = load_scenario(DATA / name)
    assert len(sc.parties) >= 2 and sc.expectations
    assert [f.at_s for f in sc.filings] == sorted(f.at_s for f in sc.filings)


def test_kestrel_has_what_the_demo_promises() -> None:
    sc = load_scenario(DATA / "kestrel.toml")
    assert len(sc.parties) >= 3
    late = sc.filing("blue-strike-1")
    assert min(v.start_s for v in late.volumes) - late.at_s < 60
    assert {a.role for a in sc.aircraft} >= {"surveillance", "fighter", "airliner", "strike"}
    assert any(p.ignore for p in sc.parties.values())
    assert {e.fact for e in sc.expectations} >= {"late_notice", "encounter", "zone_approach",
                                                 "escalation", "audit_verified"}


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59))
def test_offsets_read_as_written(h: int, m: int, s: int) -> None:
    assert parse_offset(f"{h}:{m:02d}:{s:02d}", "x") == h * 3600 + m * 60 + s
    assert parse_offset(f"+{h}:{m:02d}:{s:02d}", "x") == h * 3600 + m * 60 + s
    assert parse_offset(h * 3600 + m * 60 + s, "x") == h * 3600 + m * 60 + s


@pytest.mark.parametrize("bad", ["1:75", "0:61:00", "soon", -5, True, "1:2:3:4"])
def test_bad_offsets_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_offset(bad, "messages[0].at")
    assert "messages[0].at" in err.value.message


def _error(d: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as err:
        parse_scenario(d)
    return err.value.message


def test_unknown_party_is_named_with_a_fix() -> None:
    d = doc()
    d["notices"][0]["party"] = "purple"
    msg = _error(d)
    assert "purple" in msg and "[parties.purple]" in msg and ".party" in msg


def test_unknown_key_is_refused_with_the_allowed_ones() -> None:
    d = doc()
    d["aircraft"][0]["speed"] = 300
    msg = _error(d)
    assert "aircraft[0]" in msg and "speed" in msg and "gs_kt" in msg


def test_reply_to_a_later_message_is_refused() -> None:
    d = doc()
    d["messages"][0]["in_reply_to"] = "nonesuch"
    assert "in_reply_to" in _error(d)


def test_polygon_and_circle_together_are_refused() -> None:
    d = doc()
    d["zones"][0]["polygon"] = [[1, 1], [1, 2], [2, 2]]
    d["zones"][0]["circle"] = {"lat": 1, "lon": 1, "radius_nm": 1}
    assert "exactly one of 'polygon' or 'circle'" in _error(d)


def test_band_upside_down_is_refused() -> None:
    d = doc()
    d["zones"][0]["alt_ft"] = [5000, 1000]
    assert "zones[0].alt_ft" in _error(d)


def test_unknown_fact_lists_the_known_ones() -> None:
    d = doc()
    d["expect"].append({"fact": "victory"})
    msg = _error(d)
    assert "victory" in msg and "late_notice" in msg


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "broken.toml"
    f.write_text("[scenario\nname = 1")
    with pytest.raises(InvalidInput) as err:
        load_scenario(f)
    assert "broken.toml" in err.value.message and "TOML" in err.value.message
