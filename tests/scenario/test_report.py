"""``hotline report`` over the demo interval: the same facts as the demo, per party, by need to
know — parsed from the HTML (the embedded JSON block and the visible tables).

Tactical facts need live tracks on the server (``POST /v1/tracks``): while the demo ran without
them (``tracks`` not in its features) those checks assert the report says it has no tracks —
PENDING, not passed; with them, they must hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hotline.domain.time import parse_rfc3339
from hotline.reporting.render import chromium

HOTLINE = [sys.executable, "-m", "hotline.cli.main"]


class _Page(HTMLParser):
    """The JSON block and the rows of each table (by class) of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.json_text = ""
        self.tables: dict[str, list[list[str]]] = {}
        self._in_json = False
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.audit = ""
        self._in_audit = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("id") == "hotline-report":
            self._in_json = True
        elif tag == "table":
            self._table = a.get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "p" and a.get("id") == "audit":
            self._in_audit = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_json = False
        elif tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._in_audit = False

    def handle_data(self, data: str) -> None:
        if self._in_json:
            self.json_text += data
        elif self._cell is not None:
            self._cell.append(data)
        elif self._in_audit:
            self.audit += data


def report(demo_run: dict[str, Any], party: str, *extra: str, pdf: bool = False
           ) -> tuple[dict[str, Any], _Page, subprocess.CompletedProcess[str]]:
    s = demo_run["summary"]
    out: Path = demo_run["tmp"] / f"report-{party}{'-'.join(extra)}.html"
    done = subprocess.run(
        [*HOTLINE, "report", "--data-dir", str(demo_run["data"]), "--party", party,
         "--from", s["start"], "--to", s["end"], "--out", str(out),
         *([] if pdf else ["--no-pdf"]), *extra],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    page = _Page()
    page.feed(out.read_text())
    return json.loads(page.json_text), page, done


@pytest.fixture(scope="module")
def reports(demo_run: dict[str, Any]) -> dict[str, tuple[dict[str, Any], _Page]]:
    out = {}
    for party in ("red", "blue", "green", "civil"):
        doc, page, _ = report(demo_run, party)
        out[party] = (doc, page)
    return out


def fact(demo_run: dict[str, Any], name: str, **match: Any) -> dict[str, Any]:
    for f in demo_run["summary"]["facts"]:
        if f["fact"] == name and all(f["data"].get(k) == v for k, v in match.items()):
            return dict(f)
    raise AssertionError(f"no {name} fact {match}")


def test_every_report_verifies_its_audit_records(reports: dict[str, Any]) -> None:
    for party, (doc, page) in reports.items():
        assert doc["party"] == party and doc["type"] == "hotline.incident-report.v1"
        assert doc["audit"]["verified"] and doc["audit"]["records"] > 0, party
        assert page.audit.strip().startswith("VERIFIED")
        assert doc["clock"] == "simulated"
        assert page.tables["alerts"] and page.tables["declarations"]


def test_late_notice_with_lead_times_and_receipts(reports: dict[str, Any]) -> None:
    doc, page = reports["red"]
    (late,) = [a for a in doc["alerts"]
               if a["kind"] == "late_notice" and a["other"]["id"] == "blue-strike-1"]
    assert late["lead_time_at_filing_s"] == pytest.approx(40.0)
    assert late["lead_time_at_delivery_s"] == pytest.approx(38.0)
    events = sorted(r["event"] for r in late["receipts"])
    assert events == ["acknowledged", "delivered"]
    assert all(r["clock"] == "simulated" and r["party"] == "red" for r in late["receipts"])
    (row,) = [r for r in page.tables["alerts"] if r[0] == late["id"]]
    assert row[2] == "late_notice" and row[6] == "40 s" and row[7] == "38 s"
    assert "acknowledged by red-duty" in row[11] and "delivered by red-duty" in row[11]


def test_the_same_facts_for_what_both_may_see(reports: dict[str, Any]) -> None:
    red, blue = reports["red"][0], reports["blue"][0]

    def core(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(m["id"], m["from"], m["to"], m["created_at"], m["content_hash"],
                 json.dumps(m["ack"], sort_keys=True)) for m in doc["messages"]
                if {m["from"], m["to"]} == {"red", "blue"}]

    assert core(red) == core(blue) and len(core(red)) == 2

    def strike(doc: dict[str, Any]) -> dict[str, Any]:
        (d,) = [d for d in doc["declarations"] if d["id"] == "blue-strike-1"]
        return {k: d[k] for k in ("full", "owner", "filed_at", "lead_time", "volumes")}

    assert strike(red) == strike(blue) and strike(red)["full"]
    assert strike(red)["lead_time"]["late"] and strike(red)["lead_time"]["measured_s"] == 40


def test_need_to_know_withholds_what_a_party_may_not_see(reports: dict[str, Any]) -> None:
    # (the airliner meets no other party's zone nor aircraft, so no one else sees it)
    civil = reports["civil"][0]
    by_id = {d["id"]: d for d in civil["declarations"]}
    assert by_id["green-sam-east"]["details"] == "withheld" and not by_id["green-sam-east"]["full"]
    assert by_id["red-isr-east"]["full"]  # it conflicts with civil's airway
    assert "purpose" not in by_id["blue-cap-south"] or by_id["blue-cap-south"]["full"]
    assert not [m for m in civil["messages"] if "civil" not in (m["from"], m["to"])]
    for party, (doc, _) in reports.items():  # tracks: own, or named in the party's alerts
        named = {(r["owner"], r["id"]) for a in doc["alerts"]
                 for r in (a["subject_ref"], a["with_ref"]) if (r or {}).get("kind") == "track"}
        for t in doc["tracks"]:
            assert t["party"] == party or (t["party"], t["aircraft"]) in named, (party, t)
    if reports["civil"][0]["tracks"]:  # with live tracks: the airliner is civil's own only
        assert "KST123" in {t["aircraft"] for t in reports["civil"][0]["tracks"]}
        assert "KST123" not in {t["aircraft"] for t in reports["green"][0]["tracks"]}


def test_escalation_in_the_report(reports: dict[str, Any]) -> None:
    green = reports["green"][0]
    (a,) = [a for a in green["alerts"]
            if a["kind"] == "conflict" and a["other"]["id"] == "red-isr-east"]
    assert a["escalated_at"] and a["unacked_at"] and a["ack"] is None
    whats = {(r["what"], r["item"]) for r in green["timeline"]}
    assert ("escalated", a["id"]) in whats and ("unacknowledged", a["id"]) in whats


def test_tracks_and_tactical_alerts(demo_run: dict[str, Any],
                                    reports: dict[str, Any]) -> None:
    red, blue = reports["red"][0], reports["blue"][0]
    if "tracks" not in demo_run["summary"]["features"]:  # PENDING: no POST /v1/tracks yet
        assert red["tracks"] == [] and any("track history" in n for n in red["notes"])
        return
    enc = fact(demo_run, "encounter")
    truth = parse_rfc3339(enc["data"]["truth_at"])
    for doc, mine, theirs in ((red, "RAVEN1", "VIPER1"), (blue, "VIPER1", "RAVEN1")):
        found = [a for a in doc["alerts"] if a["kind"] == "encounter"
                 and a["subject"]["id"] == mine and a["other"]["id"] == theirs]
        assert found and parse_rfc3339(found[0]["created_at"]) < truth
    tracks = {d["party"]: {t["aircraft"]: t for t in d["tracks"]} for d in (red, blue)}
    for aircraft in ("RAVEN1", "VIPER1"):
        assert tracks["red"][aircraft]["points"] == tracks["blue"][aircraft]["points"]
        assert len(tracks["red"][aircraft]["points"]) > 50
    border = fact(demo_run, "zone_approach", zone="green-airspace")
    entry = parse_rfc3339(border["data"]["truth_at"])
    for doc, subject in ((blue, "EAGLE21"), (reports["green"][0], "green-airspace")):
        found = [a for a in doc["alerts"] if a["kind"] in ("zone_approach", "incursion")
                 and a["subject"]["id"] == subject]
        assert found and min(parse_rfc3339(a["created_at"]) for a in found) < entry
    assert {"track"} <= {(a["subject_ref"] or {}).get("kind") for a in red["alerts"]}


def test_area_filter_keeps_what_meets_it(demo_run: dict[str, Any]) -> None:
    doc, _, _ = report(demo_run, "blue", "--area", "35.3,35.8,35.6,36.2")  # around base Alpha
    ids = {d["id"] for d in doc["declarations"]}
    assert "blue-base-alpha" in ids and "green-airspace" not in ids
    assert doc["area"] == [35.3, 35.8, 35.6, 36.2]


@pytest.mark.skipif(chromium() is None, reason="no Chromium: no PDF")
def test_pdf_when_chromium_is_present(demo_run: dict[str, Any]) -> None:
    _, _, done = report(demo_run, "red", pdf=True)
    pdf = demo_run["tmp"] / "report-red.pdf"
    assert str(pdf) in done.stdout
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_interval_is_refused(demo_run: dict[str, Any]) -> None:
    s = demo_run["summary"]
    done = subprocess.run([*HOTLINE, "report", "--data-dir", str(demo_run["data"]), "--party",
                           "red", "--from", s["end"], "--to", s["start"]],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "--to must be after --from" in done.stderr
    done = subprocess.run([*HOTLINE, "report", "--data-dir", str(demo_run["data"]), "--party",
                           "red", "--from", "yesterday", "--to", s["end"]],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "--from" in done.stderr


def test_report_as_the_party_of_a_token(demo_run: dict[str, Any]) -> None:
    import os

    env = {**os.environ, "HOTLINE_DATA_DIR": str(demo_run["data"])}
    minted = subprocess.run([*HOTLINE, "token", "--party", "green"], capture_output=True,
                            text=True, timeout=60, check=False, env=env)
    token = minted.stdout.strip().splitlines()[-1]
    s = demo_run["summary"]
    out = demo_run["tmp"] / "report-by-token.html"
    done = subprocess.run([*HOTLINE, "report", "--data-dir", str(demo_run["data"]), "--token",
                           token, "--from", s["start"], "--to", s["end"], "--out", str(out),
                           "--no-pdf"], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    page = _Page()
    page.feed(out.read_text())
    assert json.loads(page.json_text)["party"] == "green"
    bad = subprocess.run([*HOTLINE, "report", "--data-dir", str(demo_run["data"]), "--token",
                          token[:-4] + "AAAA", "--from", s["start"], "--to", s["end"]],
                         capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "token" in bad.stderr.lower()
