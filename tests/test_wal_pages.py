"""Storage cost as a budget: the WAL pages (what a durable commit writes) that strategic writes
add, counted by ``benchmarks/wal_pages.py`` on SQLite at 1,000 active notices.

Page counts do not depend on machine load (the same code, data and seed give the same count;
two runs gave 38.0 and 90.3 pages per write both times), so unlike a timed test this one can
hold a tight bound: a new index or a fatter row on the write path shows up as pages and fails
it. The budgets are the counts of migration 014 plus ~10 %; lower them when a change writes
less (docs/BENCHMARKS.md, "Session 8")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Pages per write at 1k notices, 30 writes per series (measured 38.0 and 90.3).
BUDGET = {"random": 42.0, "overlapping": 100.0}


def test_strategic_writes_stay_within_their_wal_page_budget(tmp_path: Path) -> None:
    out = tmp_path / "wal.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "wal_pages.py"), "--size", "1000",
         "--writes", "30", "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    doc = json.loads(out.read_text())
    series = {s["series"]: s for s in doc["series"]}
    assert set(series) == set(BUDGET)
    for name, budget in BUDGET.items():
        s = series[name]
        assert s["commits"] == s["writes"] == 30  # one commit per write: nothing else wrote
        assert 0 < s["frames_per_write"] <= budget, (name, s["frames_per_write"], s["btrees"])
        assert sum(b["frames"] for b in s["btrees"]) == s["frames"]
    # the overlapping writes conflict (>= 6 notices each), and that costs alert pages
    assert series["overlapping"]["mean_conflicts"] >= 6
    tables = {b["table"] for b in series["overlapping"]["btrees"]}
    assert {"cells", "alerts", "events", "audit_records", "conflicts"} <= tables
    assert "audit_records_by_party" not in {b["btree"] for b in series["random"]["btrees"]}
