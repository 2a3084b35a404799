"""Track ingest rate: SBS-1 lines parsed, merged and stored (reports/s), against a raw split.

Seeded synthetic traffic: ``--aircraft`` aircraft, each sending one velocity (``MSG,4``) and one
position (``MSG,3``) line per second for ``--seconds`` seconds, plus 1 % malformed lines. Phases,
all over the same lines in the same run:

* ``baseline_split``: ``line.split(",")`` on every line (the least any parser must do);
* ``parse``: :class:`hotline.tactical.sbs.SbsMerger` (validation, merge, typed reports);
* ``store_<engine>``: parse + :meth:`hotline.tracking.TrackDesk.ingest` in batches of
  ``--batch`` reports (one transaction and one executemany each, durable commit, live board
  updated) — what the service does per ``POST /v1/tracks`` minus HTTP;
* ``api_sqlite``: the same batches as JSON through ``POST /v1/tracks`` (create_app, in-process
  TestClient, SQLite) — adds JSON, auth and routing.

Correctness checks (exit 1 on failure): every position line after the first velocity yields a
report, malformed lines are all counted, and every report is stored. Results go to
``bench-results/ingest.json``. Run: ``.venv/bin/python benchmarks/ingest.py`` (``--quick``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import exit_code, result_header
from hotline.adapters.clock import ManualClock
from hotline.adapters.sbs_feed import report_item
from hotline.domain.tracks import ParseResult, TrackReport
from hotline.ports import Store
from hotline.tactical.sbs import SbsMerger
from hotline.tracking import TrackConfig, TrackDesk

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def lines_for(aircraft: int, seconds: int, seed: int) -> tuple[list[str], int, int]:
    """SBS lines; (lines, position lines expected to report, malformed lines)."""
    rng = random.Random(seed)
    state = [(f"{0x400000 + i:06X}", rng.uniform(30, 60), rng.uniform(-10, 30),
              rng.choice(range(5000, 41000, 1000)), rng.uniform(250, 480), rng.uniform(0, 360))
             for i in range(aircraft)]
    out: list[str] = []
    bad = 0
    for s in range(seconds):
        t = START + timedelta(seconds=s)
        d, hms = t.strftime("%Y/%m/%d"), t.strftime("%H:%M:%S.000")
        for hexid, lat, lon, alt, gs, trk in state:
            out.append(f"MSG,4,1,1,{hexid},1,{d},{hms},{d},{hms},,,{gs:.1f},{trk:.1f},,,0,,,,,0")
            out.append(f"MSG,3,1,1,{hexid},1,{d},{hms},{d},{hms},,{alt},,,"
                       f"{lat + s * 0.01:.5f},{lon:.5f},,,0,0,0,0")
            if rng.random() < 0.01:
                out.append(f"MSG,3,1,1,{hexid},1,{d},{hms},,,,{alt},,,north,{lon},,,0,0,0,0")
                bad += 1
    return out, aircraft * seconds, bad


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    got = fn()
    return time.perf_counter() - t0, got


def batches(reports: list[TrackReport], size: int) -> list[ParseResult]:
    out = []
    for i in range(0, len(reports), size):
        p = ParseResult()
        for r in reports[i:i + size]:
            p.add(r, "")
        out.append(p)
    return out


def store_phase(store: Store, lines: list[str], batch: int) -> tuple[float, int]:
    end = START + timedelta(seconds=len(lines))
    desk = TrackDesk(store, ManualClock(end), TrackConfig(stale_after_s=1e9, max_batch=batch))

    def run() -> int:
        parsed = SbsMerger("blue").feed(lines, START)
        for p in batches(parsed.reports, batch):
            desk.ingest("blue", "feed", p)
        return len(parsed.reports)

    seconds, n = timed(run)
    with store.read() as tx:
        stored = sum(b.reports for b in tx.track_batches(0, limit=10**9))
    if stored != n:
        raise SystemExit(f"stored {stored} of {n} reports")
    return seconds, n


def api_phase(workdir: Path, lines: list[str], batch: int) -> tuple[float, int, int]:
    from fastapi.testclient import TestClient

    from hotline.adapters.tokens import load_or_create_issuer_key, mint
    from hotline.api import create_app
    from hotline.settings import Settings

    settings = Settings(data_dir=workdir, db=f"sqlite:///{workdir / 'api.db'}",
                        track_max_batch=batch, track_stale_s=1e9, track_watch_s=3600,
                        track_digest_s=3600)
    token = mint(load_or_create_issuer_key(workdir), party="blue", officer="feed",
                 scopes=["feed"], issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                 ttl_s=3600)
    clock = ManualClock(START + timedelta(seconds=len(lines)))
    with TestClient(create_app(settings, clock=clock)) as client:
        def run() -> int:
            accepted = 0
            parsed = SbsMerger("blue").feed(lines, START)
            items = [report_item(r) for r in parsed.reports]
            for i in range(0, len(items), batch):
                r = client.post("/v1/tracks", json={"reports": items[i:i + batch]},
                                headers={"Authorization": f"Bearer {token}"})
                accepted += r.json()["accepted"] + r.json()["out_of_order"]
            return accepted

        seconds, accepted = timed(run)
    return seconds, accepted, len(SbsMerger("blue").feed(lines, START).reports)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description="Track ingest benchmark (SBS lines).")
    p.add_argument("--aircraft", type=int, default=500)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    p.add_argument("--quick", action="store_true", help="100 aircraft x 20 s, SQLite only")
    p.add_argument("--out", type=Path, default=Path("bench-results/ingest.json"))
    opts = p.parse_args(args)
    if opts.quick:
        opts.aircraft, opts.seconds, opts.engines = 100, 20, ["sqlite"]
    lines, expected, bad = lines_for(opts.aircraft, opts.seconds, opts.seed)
    failures: list[str] = []
    rows: list[dict[str, Any]] = []

    def row(phase: str, seconds: float, reports: int) -> None:
        rows.append({"phase": phase, "seconds": round(seconds, 4), "lines": len(lines),
                     "reports": reports, "lines_per_s": round(len(lines) / seconds),
                     "reports_per_s": round(reports / seconds) if reports else None})
        print(json.dumps(rows[-1]), flush=True)

    seconds, _ = timed(lambda: [ln.split(",") for ln in lines])
    row("baseline_split", seconds, 0)
    seconds, parsed = timed(lambda: SbsMerger("blue").feed(lines, START))
    row("parse", seconds, len(parsed.reports))
    if len(parsed.reports) != expected:
        failures.append(f"parse: {len(parsed.reports)} reports, expected {expected}")
    if parsed.counts["rejected"] != bad:
        failures.append(f"parse: {parsed.counts['rejected']} rejected, expected {bad}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for engine in opts.engines:
            if engine == "sqlite":
                from hotline.adapters.storage.sqlite import SqliteStore

                store: Store = SqliteStore(work / "ingest.db")
                try:
                    seconds, n = store_phase(store, lines, opts.batch)
                finally:
                    store.close()
                row("store_sqlite", seconds, n)
            else:
                from hotline.adapters.storage.pgserver import PostgresUnavailable, PrivatePostgres
                from hotline.adapters.storage.postgres import PostgresStore

                try:
                    server = PrivatePostgres().start()
                except PostgresUnavailable as exc:
                    print(f"postgres skipped: {exc}", file=sys.stderr)
                    continue
                try:
                    store = PostgresStore(server.dsn)
                    try:
                        seconds, n = store_phase(store, lines, opts.batch)
                    finally:
                        store.close()
                    row("store_postgres", seconds, n)
                finally:
                    server.stop()
        seconds, accepted, n = api_phase(work, lines, opts.batch)
        row("api_sqlite", seconds, accepted)
        if accepted != n:
            failures.append(f"api: {accepted} of {n} reports stored")
    base = rows[0]["lines_per_s"]
    for r in rows[1:]:
        r["vs_baseline"] = round(base / r["lines_per_s"], 1)  # how many times slower
    doc = {**result_header("ingest", args), "options": {k: str(v) for k, v in vars(opts).items()},
           "malformed_lines": bad, "results": rows, "failures": failures}
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{'phase':<16}{'lines/s':>12}{'reports/s':>12}{'x slower':>10}")
    for r in rows:
        print(f"{r['phase']:<16}{r['lines_per_s']:>12,}{r['reports_per_s'] or 0:>12,}"
              f"{r.get('vs_baseline', 1.0):>10}")
    return exit_code(failures, [], False)


if __name__ == "__main__":
    sys.exit(main())
