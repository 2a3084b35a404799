"""Store-level benchmark: durable writes per second, group commit vs one commit per write, on
SQLite and PostgreSQL.

What it measures: ``--threads`` threads (the API's worker threads) each make ``--writes``
small write transactions on one store (SQLite: WAL, ``synchronous=FULL``; PostgreSQL: a
private server with ``fsync`` and ``synchronous_commit`` on): each appends one audit record
and one event, as sending a message does. Baseline in the same run: the same engine with
``?group_commit=off`` (every write its own COMMIT, hence its own WAL flush; on PostgreSQL each
from the connection pool, serialised by the audit lock). Reported per mode: writes/s, write
latency p50/p99 (from entering ``store.write`` to its return, i.e. to durability), commits
made and writes per commit. Correctness: every write is present once, audit seqs and event
seqs gap-free (exit 1 otherwise). Output: a table, and JSON in ``--out``.

    .venv/bin/python benchmarks/group_commit.py --out bench-results/group_commit.json
    .venv/bin/python benchmarks/group_commit.py --engines postgresql
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

from harness import engine_databases, result_header
from hotline.adapters.storage import open_store
from hotline.ports import AuditEntry, LockScope

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def run(engine: str, url: str, group: bool, threads: int, writes: int) -> dict[str, Any]:
    store = open_store(url)
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
    commits = store.commits if group else threads * writes
    store.close()
    ok = seqs == list(range(threads * writes)) and all(
        v == list(range(1, writes + 1)) for v in events.values())
    ms = np.array(lat) * 1000
    return {"engine": engine, "mode": "group" if group else "serial", "threads": threads,
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
    p.add_argument("--engines", default="sqlite", help="sqlite,postgresql (default sqlite)")
    p.add_argument("--out", type=Path, default=Path("bench-results/group_commit.json"))
    a = p.parse_args()
    rows: list[dict[str, Any]] = []
    speedups: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in a.engines.split(","):
            if engine not in ("sqlite", "postgresql"):
                p.error(f"unknown engine {engine!r}: use sqlite and/or postgresql")
            mine = []
            for group in (False, True):
                variant = engine if group else f"{engine}-serial"
                with engine_databases(variant, Path(tmp)) as fresh:
                    mine.append(run(engine, fresh(f"g{int(group)}"), group, a.threads,
                                    a.writes))
                print(json.dumps(mine[-1]), file=sys.stderr)
            rows += mine
            speedups[engine] = round(mine[1]["writes_per_s"] / mine[0]["writes_per_s"], 2)
    print(f"{'engine':10} {'mode':8} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'commits':>8} {'w/commit':>9}")
    for r in rows:
        print(f"{r['engine']:10} {r['mode']:8} {r['writes_per_s']:>9} {r['p50_ms']:>8} "
              f"{r['p99_ms']:>8} {r['commits']:>8} {r['writes_per_commit']:>9}")
    for engine, x in speedups.items():
        print(f"{engine}: group commit makes {x:.1f}x the writes/s of one commit per write")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({**result_header("group_commit", sys.argv[1:]), "rows": rows,
                                 "speedup": speedups}, indent=2))
    failures = [f"{r['engine']} {r['mode']}" for r in rows if not r["correct"]]
    if failures:
        print(f"FAILURE: lost, duplicated or out-of-order writes in {failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
