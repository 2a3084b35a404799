"""Store-level benchmark: durable SQLite writes per second, group commit vs one commit per write.

What it measures: ``--threads`` threads (the API's worker threads) each make ``--writes``
small write transactions on one :class:`~hotline.adapters.storage.sqlite.SqliteStore` (WAL,
``synchronous=FULL``): each appends one audit record and one event, as sending a message does.
Baseline in the same run: the same store with ``?group_commit=off`` (every write its own
COMMIT, hence its own fsync). Reported per mode: writes/s, write latency p50/p99 (from
entering ``store.write`` to its return, i.e. to durability), commits made and writes per
commit. Correctness: every write is present once, audit seqs and event seqs gap-free (exit 1
otherwise). Output: a table, and JSON in ``--out``.

    .venv/bin/python benchmarks/group_commit.py --out bench-results/group_commit.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from harness import result_header
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.ports import AuditEntry, LockScope

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def run(path: Path, group: bool, threads: int, writes: int) -> dict[str, Any]:
    store = SqliteStore(path, group_commit=group)
    lat: list[float] = []
    guard = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def work(n: int) -> None:
        mine = []
        barrier.wait()
        for i in range(writes):
            t0 = time.perf_counter()
            with store.write(LockScope()) as tx:
                tx.append_audit(AuditEntry(NOW, f"p{n}", "o", "message.send", None,
                                           {"message": {"id": f"m{n}-{i}"}}))
                tx.append_event(f"p{(n + 1) % threads}", "message", f"m{n}-{i}",
                                {"text": "x" * 100}, NOW)
            mine.append(time.perf_counter() - t0)
        with guard:
            lat.extend(mine)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    with store.read() as tx:
        seqs = [r.seq for r in tx.audit_records(-1, threads * writes + 10)]
        events = {p: [e.seq for e in tx.events_for(f"p{p}", limit=writes + 10)]
                  for p in range(threads)}
    commits = store.commits
    store.close()
    ok = seqs == list(range(threads * writes)) and all(
        v == list(range(1, writes + 1)) for v in events.values())
    ms = np.array(lat) * 1000
    return {"mode": "group" if group else "serial", "threads": threads,
            "writes": threads * writes, "seconds": round(elapsed, 3),
            "writes_per_s": round(threads * writes / elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "commits": commits, "writes_per_commit": round(threads * writes / commits, 1),
            "correct": ok}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--writes", type=int, default=100, help="per thread")
    p.add_argument("--out", type=Path, default=Path("bench-results/group_commit.json"))
    a = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for group in (False, True):
            rows.append(run(Path(tmp) / f"{group}.db", group, a.threads, a.writes))
            print(json.dumps(rows[-1]), file=sys.stderr)
    speedup = rows[1]["writes_per_s"] / rows[0]["writes_per_s"]
    print(f"{'mode':8} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'commits':>8} "
          f"{'w/commit':>9}")
    for r in rows:
        print(f"{r['mode']:8} {r['writes_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} "
              f"{r['commits']:>8} {r['writes_per_commit']:>9}")
    print(f"group commit: {speedup:.1f}x the writes/s of one commit per write")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({**result_header("group_commit", sys.argv[1:]), "rows": rows,
                                 "speedup": round(speedup, 2)}, indent=2))
    failures = [r["mode"] for r in rows if not r["correct"]]
    if failures:
        print(f"FAILURE: lost, duplicated or out-of-order writes in {failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
