"""The pure feed parsers against golden files (SBS-1, OpenSky, CSV), plus hand-checked values
and bad input: every bad line is a counted rejection naming what was wrong, never a crash."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.domain.altitude import AltitudeReference
from hotline.domain.errors import InvalidInput
from hotline.domain.tracks import ParseResult, make_report, report_json
from hotline.domain.units import FPM, FT, KT
from hotline.tactical.csvtracks import parse_csv
from hotline.tactical.opensky import parse_opensky
from hotline.tactical.sbs import SbsMerger, parse_sbs

DATA = Path(__file__).parent.parent / "data"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def as_golden(result: ParseResult) -> dict[str, Any]:
    return {
        "reports": [report_json(r) for r in result.reports],
        "rejections": [{"where": x.where, "reason": x.reason} for x in result.rejections],
        "counts": dict(sorted(result.counts.items())),
    }


def check_golden(name: str, result: ParseResult) -> None:
    """Compare with ``DATA/name``; write it when HOTLINE_REGOLD=1 (then review the diff)."""
    import os

    path = DATA / name
    got = as_golden(result)
    if os.environ.get("HOTLINE_REGOLD") == "1":
        path.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(path.read_text())


def test_sbs_golden() -> None:
    result = parse_sbs((DATA / "sbs_sample.txt").read_text().splitlines(), "blue", NOW)
    check_golden("sbs_sample.expected.json", result)


def test_sbs_merges_position_and_velocity_by_hand() -> None:
    result = parse_sbs((DATA / "sbs_sample.txt").read_bytes().splitlines(), "blue", NOW)
    first = result.reports[0]
    # the MSG,3 before any MSG,4 is held back; the one after it carries its velocity
    assert first.aircraft == "4CA2D6" and first.time == datetime(2026, 11, 24, 12, 0, 0, 500000,
                                                                  tzinfo=UTC)
    assert first.alt_m == pytest.approx(37000 * 0.3048)
    assert first.alt_ref is AltitudeReference.PRESSURE
    assert first.gs_mps == pytest.approx(420 * 1852 / 3600)
    assert first.vs_mps == pytest.approx(-1024 * 0.3048 / 60)
    assert (first.lat_deg, first.lon_deg, first.trk_deg) == (47.12345, 8.54321, 90.0)
    assert first.callsign == "RYR4JK"  # from MSG,1
    second = result.reports[1]  # altitude from MSG,5, callsign from the position line itself
    assert second.aircraft == "3C6444" and second.alt_m == pytest.approx(24975 * 0.3048)
    assert second.callsign == "DLH9LF"
    assert result.counts["rejected"] == len(result.rejections) == 8
    assert sum(result.counts.values()) == 20  # every line has exactly one outcome


def test_sbs_velocity_too_old_holds_the_position_back() -> None:
    m = SbsMerger("blue", max_velocity_age_s=5)
    vel = "MSG,4,1,1,ABCDEF,1,2026/11/24,12:00:00.000,,,,,400,10,,,0,,,,,0"
    pos = "MSG,3,1,1,ABCDEF,1,2026/11/24,12:00:{s},,,,30000,,,47.0,8.0,,,0,0,0,0"
    assert m.feed([vel, pos.format(s="04.000")], NOW).counts["reports"] == 1
    assert m.feed([pos.format(s="06.000")], NOW).counts["reports"] == 0  # 6 s > 5 s


def test_sbs_line_without_time_takes_now_and_offset_applies() -> None:
    pos = "MSG,3,1,1,ABCDEF,1,,,,,,30000,400,10,47.0,8.0,0,,0,0,0,0"
    (r,) = parse_sbs([pos], "blue", NOW).reports
    assert r.time == NOW
    dated = "MSG,3,1,1,ABCDEF,1,2026/11/24,13:00:00.000,,,,30000,400,10,47.0,8.0,0,,0,0,0,0"
    (r,) = parse_sbs([dated], "blue", NOW, utc_offset_s=3600).reports
    assert r.time == NOW


@given(st.lists(st.text(max_size=120), max_size=30))
def test_sbs_never_raises_on_garbage(lines: list[str]) -> None:
    result = parse_sbs(lines, "blue", NOW)
    nonblank = sum(1 for ln in lines if ln.strip())
    assert sum(result.counts.values()) == nonblank
    assert all(math.isfinite(r.lat_deg) for r in result.reports)


@given(st.lists(st.binary(max_size=80), max_size=20))
def test_sbs_never_raises_on_bytes(lines: list[bytes]) -> None:
    parse_sbs(lines, "blue", NOW)


def test_opensky_golden() -> None:
    result = parse_opensky((DATA / "opensky_sample.json").read_bytes(), "civil")
    check_golden("opensky_sample.expected.json", result)
    dlh = result.reports[0]
    assert dlh.aircraft == "3C6444" and dlh.callsign == "DLH9LF"
    assert dlh.alt_m == 9639.3 and dlh.alt_ref is AltitudeReference.PRESSURE
    assert dlh.time == datetime.fromtimestamp(1795521598, UTC)
    swr = result.reports[1]  # no baro altitude: falls back to geometric (W84)
    assert swr.alt_m == 3000.0 and swr.alt_ref is AltitudeReference.W84
    geo = parse_opensky((DATA / "opensky_sample.json").read_text(), "civil", prefer="geo")
    assert geo.reports[0].alt_m == 9547.86 and geo.reports[0].alt_ref is AltitudeReference.W84


def test_opensky_whole_document_errors() -> None:
    with pytest.raises(InvalidInput, match="not JSON"):
        parse_opensky(b"{", "civil")
    with pytest.raises(InvalidInput, match="not a list"):
        parse_opensky({"states": 3}, "civil")
    assert parse_opensky({"time": 1, "states": None}, "civil").reports == []


def test_csv_golden() -> None:
    result = parse_csv((DATA / "tracks_sample.csv").read_text())
    check_golden("tracks_sample.expected.json", result)
    blu = result.reports[0]
    assert blu.alt_m == pytest.approx(25000 * FT) and blu.gs_mps == pytest.approx(450 * KT)
    assert result.reports[1].vs_mps == pytest.approx(-500 * FPM)
    assert [r.party for r in result.reports] == ["blue", "red", "blue"]


def test_csv_metric_rfc3339_and_default_party() -> None:
    text = ("id,lat,lon,alt_m,gs_mps,trk_deg,time,alt_ref\n"
            "U1,47,8,120,15,45,2026-11-24T12:00:00Z,AMSL\nU2,47,8,120,15,45,2026-11-24T12:00:00Z,\n")
    result = parse_csv(text, "drones")
    assert [r.alt_ref for r in result.reports] == [AltitudeReference.AMSL,
                                                   AltitudeReference.W84]
    assert result.reports[0].time == NOW and result.reports[0].party == "drones"
    assert result.reports[0].vs_mps == 0.0


@pytest.mark.parametrize(("header", "message"), [
    ("id,lat,alt_m,gs_mps,trk_deg,time_s", "missing column"),
    ("id,lat,lon,gs_mps,trk_deg,time_s", "no altitude column"),
    ("id,lat,lon,alt_m,alt_ft,gs_mps,trk_deg,time_s", "both alt_m and alt_ft"),
    ("id,lat,lon,alt_m,gs_mps,trk_deg", "no time column"),
])
def test_csv_bad_header(header: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_csv(header + "\n", "blue")


def test_make_report_rejects_impossible_values() -> None:
    ok: dict[str, Any] = dict(party="blue", aircraft="A1", time=NOW, lat_deg=1.0, lon_deg=2.0,
                              alt_m=100.0, alt_ref=AltitudeReference.W84, gs_mps=100.0,
                              trk_deg=370.0, vs_mps=0.0)
    assert make_report(**ok).trk_deg == pytest.approx(10.0)
    for change, message in [({"lat_deg": math.nan}, "lat is nan"),
                            ({"gs_mps": 2000.0}, "impossible"),
                            ({"vs_mps": -300.0}, "impossible"),
                            ({"alt_m": 1e6}, "out of range"),
                            ({"lon_deg": math.inf}, "lon is inf"),
                            ({"aircraft": ""}, "not valid")]:
        with pytest.raises(InvalidInput, match=message):
            make_report(**{**ok, **change})
    with pytest.raises(InvalidInput, match="timezone"):
        make_report(**{**ok, "time": datetime(2026, 1, 1)})  # noqa: DTZ001
