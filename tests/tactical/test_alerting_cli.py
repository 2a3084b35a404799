"""``hotline alerting TRACKS.csv`` as a user runs it (subprocess), good and bad input."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

HOTLINE = [sys.executable, "-m", "hotline.cli.main"]
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "encounter.csv"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOTLINE, "alerting", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def first_time(out: list[dict[str, str]], pair: tuple[str, str], level: int) -> float:
    return min(float(r["time_s"]) for r in out
               if (r["id_1"], r["id_2"]) == pair and int(r["level"]) >= level)


def test_example_replays_with_hand_derived_transitions() -> None:
    # BLU01 and RED07 fly head-on at 420 kt each (432 m/s closure), 60 km apart at t=0 with
    # a 150 m offset: modified tau reaches 35 s at 15,219 m, so the DO-365 volume is entered
    # at (60,000 - 15,219) / 432 = 103.7 s: corrective raw from t = 49 (filtered 50),
    # warning raw from 79 (filtered 80). RED09 crosses BLU01's track 700 ft below: inside
    # the preventive ZTHR (700 ft, closed) only.
    done = run(str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    out = rows(done.stdout)
    assert list(out[0]) == ["time_s", "id_1", "id_2", "level", "level_name", "raw_level",
                            "time_to_violation_s", "reason"]
    assert first_time(out, ("BLU01", "RED07"), 2) == 50.0
    assert first_time(out, ("BLU01", "RED07"), 3) == 80.0
    assert max(int(r["level"]) for r in out if r["id_2"] == "RED09") == 1
    assert "2 pairs alerted" in done.stderr
    assert "BLU01 / RED07: corrective at 50 s, warning at 80 s" in done.stderr


def test_profile_and_overrides_change_the_result() -> None:
    # Military volume (5 NM): the head-on pair is corrective much earlier; 1000 ft open
    # volume also catches RED09 700 ft below. Overriding ZTHR to 500 ft drops RED09.
    mil = rows(run(str(EXAMPLE), "--profile", "military").stdout)
    assert first_time(mil, ("BLU01", "RED07"), 2) < 30.0
    assert any(r["id_2"] == "RED09" and int(r["level"]) >= 1 for r in mil)
    narrow = run(str(EXAMPLE), "--profile", "military", "--zthr-ft", "500")
    assert narrow.returncode == 0, narrow.stderr
    assert not any(r["id_2"] == "RED09" for r in rows(narrow.stdout))


def test_reads_stdin_and_pairs_only_other_parties() -> None:
    text = EXAMPLE.read_text().replace(",red,", ",blue,")  # everyone blue: no pairs
    done = run("-", stdin=text)
    assert done.returncode == 0, done.stderr
    assert rows(done.stdout) == []
    both = run("-", "--same-party", stdin=text)
    assert len(rows(both.stdout)) > 0


@pytest.mark.parametrize(("text", "message"), [
    ("time_s,id,lat,lon,alt_ft,gs_kt,vs_fpm\n0,A,35,38,25000,400,0\n", "trk_deg"),
    ("id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\nA,35,38,25000,400,90,0\n", "time_s"),
    ("time_s,id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n0,A,35,38,nan,400,90,0\n", "line 2"),
    ("time_s,id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n0,A,35,38,25000,9000,90,0\n",
     "impossible"),
    ("time_s,id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n0,A,35,38,25000,400,90,0\n"
     "0,A,35,38,25000,400,90,0\n", "two reports"),
])
def test_bad_input_is_a_clear_error_and_exit_2(text: str, message: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    done = run("-", "-o", str(out), stdin=text)
    assert done.returncode == 2
    assert message in done.stderr
    assert not out.exists()  # nothing written


def test_bad_options_exit_2() -> None:
    done = run(str(EXAMPLE), "--m", "5")
    assert done.returncode == 2 and "M-of-N" in done.stderr
    done = run(str(EXAMPLE), "--zthr-ft", "700,450")
    assert done.returncode == 2 and "1 or 3 values" in done.stderr
