"""Where a strategic write's WAL pages go: pages written per write, by table and index.

Writes to SQLite cost, at commit, one WAL frame (one page, here 2 KiB) for every page they
dirtied, so the frames a write adds are what its durable commit writes and ``fsync``s. Unlike
latency, they do not depend on how busy the machine is: the same code, data and seed give
the same count, so a change that writes less shows as a smaller number in a single run.

What it does: the benchmark's bulk fill to ``--size`` active notices (``strategic.py``'s
generator and seed; with ``--fill-cache`` the saved fill is copied in), a checkpoint that
empties the WAL, then ``--writes`` service writes with the store's checkpointer off, so that
every frame they add stays in the WAL; it then reads the frames' page numbers from the WAL
file and names each page's b-tree with SQLite's ``dbstat`` table. Series: ``random`` (the
benchmark's random writes, tag 1) and ``overlapping`` (its site writes, tag 3, each meeting
at least 6 notices). The writes stay (the store grows by ``--writes`` per series).

Output: a table per series on stdout (frames per write for each b-tree, its table, and the
share), and the JSON document in ``--out``.

    .venv/bin/python benchmarks/wal_pages.py --size 100000 --fill-cache bench-results/fills
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import struct
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import strategic
from harness import result_header
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sqlite import SqliteStore
from hotline.service import HotlineService

_WAL_HEADER = 32
_FRAME_HEADER = 24


class _NoCheckpoints(SqliteStore):
    """The store with its background checkpointer off: frames stay in the WAL."""

    def _checkpoint_loop(self, every_s: float = 0.5) -> None:
        return


def wal_frames(path: Path) -> tuple[int, list[tuple[int, bool]]]:
    """The WAL's page size and its frames as (page number, ends a commit), in order; only
    the frames of the WAL's current generation (salts equal to the header's)."""
    data = path.read_bytes()
    if len(data) < _WAL_HEADER:
        return 0, []
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frames: list[tuple[int, bool]] = []
    off = _WAL_HEADER
    while off + _FRAME_HEADER + page_size <= len(data):
        page, db_size = struct.unpack(">II", data[off:off + 8])
        if data[off + 8:off + 16] != salts:
            break
        frames.append((page, db_size != 0))
        off += _FRAME_HEADER + page_size
    return page_size, frames


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise SystemExit("the WAL could not be emptied (a reader is open)")
    finally:
        conn.close()


def attribute(db: Path, frames: Sequence[tuple[int, bool]]) -> list[dict[str, Any]]:
    """Frames per b-tree (``dbstat`` name, with its table), most first."""
    conn = sqlite3.connect(db)
    try:
        owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
        table_of = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema").fetchall())
    finally:
        conn.close()
    counts = Counter(owner.get(page, "(free or new)") for page, _ in frames)
    return [{"btree": name, "table": table_of.get(name, name), "frames": n}
            for name, n in counts.most_common()]


def measure(svc: HotlineService, db: Path, series: str,
            writes: list[strategic.Write]) -> dict[str, Any]:
    checkpoint(db)
    conflicts = []
    for w in writes:
        result = svc.put_notice(strategic.actor(w.party), w.id, w.draft)
        conflicts.append(len(result.conflicts))
    page_size, frames = wal_frames(Path(f"{db}-wal"))
    commits = sum(1 for _, ends in frames if ends)
    rows = attribute(db, frames)
    n = len(writes)
    for r in rows:
        r["per_write"] = round(r["frames"] / n, 2)
        r["share"] = round(r["frames"] / max(len(frames), 1), 4)
    return {"series": series, "writes": n, "commits": commits, "page_size": page_size,
            "frames": len(frames), "frames_per_write": round(len(frames) / n, 1),
            "mean_conflicts": round(sum(conflicts) / n, 2), "btrees": rows}


def print_series(doc: dict[str, Any]) -> None:
    print(f"\n{doc['series']}: {doc['writes']} writes, {doc['commits']} commits, "
          f"{doc['frames_per_write']} frames ({doc['page_size']} B pages) per write, "
          f"{doc['mean_conflicts']} conflicts per write")
    tables: Counter[str] = Counter()
    for r in doc["btrees"]:
        tables[r["table"]] += r["frames"]
    print(f"  {'b-tree':<32} {'table':<16} {'per write':>9} {'share':>6}")
    for r in doc["btrees"]:
        print(f"  {r['btree']:<32} {r['table']:<16} {r['per_write']:>9.1f} {r['share']:>6.1%}")
    total = max(doc["frames"], 1)
    print("  by table: " + ", ".join(f"{t} {n / doc['writes']:.1f} ({n / total:.0%})"
                                     for t, n in tables.most_common()))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=100_000, help="active notices (default 100k)")
    p.add_argument("--writes", type=int, default=100, help="writes per series (default 100)")
    p.add_argument("--series", default="random,overlapping")
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--fill-cache", type=Path, help="as strategic.py --fill-cache")
    p.add_argument("--out", type=Path, default=Path("bench-results/wal_pages.json"))
    a = p.parse_args(argv)
    series = a.series.split(",")
    if not set(series) <= {"random", "overlapping"}:
        p.error("--series: random and/or overlapping")
    args = ["--sizes", str(a.size), "--engines", "sqlite", "--no-http", "--seed", str(a.seed),
            "--brute-sample", "0", "--cold-cache"]
    if a.fill_cache is not None:
        args += ["--fill-cache", str(a.fill_cache)]
    opts = strategic.parse(args)
    workdir = Path(tempfile.mkdtemp(prefix="hotline-wal-"))
    db = workdir / "hotline.db"
    doc: dict[str, Any] = {**result_header("wal_pages", list(argv or sys.argv[1:])),
                           "size": a.size, "seed": a.seed, "series": []}
    try:
        if not strategic.restore_fill(opts, a.size, db):
            # fill (and save, with --fill-cache) with the benchmark's own code
            store = SqliteStore(db)
            try:
                strategic.EngineBench("sqlite", store, opts, lambda row: None).fill_to(a.size)
            finally:
                store.close()
        clock = ManualClock(strategic.START)
        store = _NoCheckpoints(db)
        try:
            bench = strategic.EngineBench("sqlite", store, opts, lambda row: None, clock=clock)
            bench.filled = a.size
            for name in series:
                if name == "random":
                    writes = strategic.random_writes(a.seed, 1, a.size, a.writes, "wr-")
                else:
                    sites = bench.place_sites(a.size)
                    writes = strategic.site_writes(a.seed, 3, a.size, a.writes, "wo-", sites)
                strategic.log(f"{name}: {len(writes)} writes")
                result = measure(bench.svc, db, name, writes)
                doc["series"].append(result)
                print_series(result)
        finally:
            store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
