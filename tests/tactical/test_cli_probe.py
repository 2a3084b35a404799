"""``hotline probe STATES.csv`` through ``hotline.cli.main.main``: output, options, bad input."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from hotline.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "probe-states.csv"
HEADER = "id,party,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["probe", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_example_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(EXAMPLE)], capsys)
    assert code == 0
    got = {(r["id_1"], r["id_2"]): r for r in rows(out)}
    # head-on at FL330, 32.7 NM apart, closing at 900 kt: CPA after 131 s, 0 m
    head_on = got[("BLU01", "RED07")]
    assert float(head_on["tcpa_s"]) == pytest.approx(131.0, abs=0.1)
    assert float(head_on["dcpa_m"]) < 1 and head_on["lost"] == "false"
    # BLU02 flies exactly 1000 ft above RED07's level: not a loss
    assert ("BLU02", "RED07") not in got
    # the two green aircraft are one party: not counted by default
    assert ("GRN03", "GRN04") not in got
    assert got[("GRN03", "YEL01")]["lost"] == "true"
    assert float(got[("GRN03", "YEL01")]["t_in_s"]) == 0
    assert out.splitlines()[0] == "id_1,id_2,tcpa_s,dcpa_m,t_in_s,t_out_s,lost"
    assert "7 aircraft" in err and f"{len(got)} conflicting pairs" in err
    assert len(err.strip().splitlines()) == 1


def test_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "conflicts.csv"
    code, out, _ = run([str(EXAMPLE), "--same-party", "-o", str(out_file)], capsys)
    assert code == 0 and out == ""
    pairs = {(r["id_1"], r["id_2"]) for r in rows(out_file.read_text())}
    assert ("GRN03", "GRN04") in pairs
    # a 2 NM / 500 ft minimum and 100 s lookahead: the head-on (loss from 111 s) drops out
    code, out, err = run([str(EXAMPLE), "--hmin-m", "3704", "--vmin-ft", "500",
                          "--lookahead-s", "100"], capsys)
    assert code == 0 and ("BLU01", "RED07") not in {(r["id_1"], r["id_2"]) for r in rows(out)}
    assert "2 NM / 500 ft, lookahead 100 s" in err


def test_no_party_column_counts_every_pair(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps,time_s\n"
                 "a,0,0,3000,0,0,0,100\nb,0,0.01,3000,0,0,0,100\n")
    code, out, err = run([str(f)], capsys)
    assert code == 0 and [(r["id_1"], r["id_2"]) for r in rows(out)] == [("a", "b")]
    assert math.isinf(float(rows(out)[0]["t_out_s"]))
    assert "no party column" in err


def test_vertical_boundary_in_feet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.csv"
    f.write_text(f"{HEADER}\na,x,0,0,10000,0,0,0\nb,y,0,0,11000,0,0,0\nc,z,0,0,9000.1,0,0,0\n")
    code, out, _ = run([str(f)], capsys)
    assert code == 0 and [(r["id_1"], r["id_2"]) for r in rows(out)] == [("a", "c")]


@pytest.mark.parametrize(("body", "message"), [
    ("id,party,lat,lon,alt_ft,gs_kt,vs_fpm\na,x,0,0,1,1,0\n", "line 1: missing column trk_deg"),
    ("id,lat,lon,alt_ft,alt_m,gs_kt,trk_deg,vs_fpm\n", "both alt_m and alt_ft"),
    (f"{HEADER}\na,x,0,0,1000,250,90,0\nb,y,0,nan,1000,250,90,0\n",
     "line 3, column lon: nan is not a finite number"),
    (f"{HEADER}\na,x,0,0,1000,,90,0\n", "line 2, column gs_kt: '' is not a number"),
    (f"{HEADER}\na,x,0,0,1000,5000,90,0\n",
     "line 2, column gs_kt: 5000 gs_kt (2572.22 m/s) is outside 0..1200"),
    (f"{HEADER}\na,x,0,0,1000,250,90,60000\n", "line 2, column vs_fpm"),
    (f"{HEADER}\na,x,95,0,1000,250,90,0\n", "line 2, column lat: 95 is outside -90..90"),
    (f"{HEADER}\na,x,0,0,1000,250,90,0\na,y,1,0,1000,250,90,0\n",
     "line 3, column id: aircraft id 'a' also appears on line 2"),
    (f"{HEADER}\na,x,0,0,1000,250,90\n", "line 2: 7 fields, the header has 8"),
    ("", "the file is empty"),
])
def test_bad_input_exit_2_and_nothing_written(tmp_path: Path, body: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.csv"
    f.write_text(body)
    out_file = tmp_path / "out.csv"
    code, out, err = run([str(f), "-o", str(out_file)], capsys)
    assert code == 2 and out == "" and not out_file.exists()
    assert message in err, err


def test_missing_file_and_bad_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and out == "" and "nope.csv" in err
    code, out, err = run([str(EXAMPLE), "--lookahead-s", "0"], capsys)
    assert code == 2 and out == "" and "lookahead_s must be a positive number" in err
