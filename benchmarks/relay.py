"""Relay benchmark: end-to-end latency from an item's creation to its arrival on a subscribed
SSE client, in two series (``--series``, default both):

* ``alerts`` (issue 3's target): conflict alerts raised by notice writes
  (``PUT /v1/notices/{id}``), 2K per write; latency from each alert's creation to its arrival
  on the addressee's stream. Workload, clocks and checks: :mod:`relay_alerts`.
* ``messages``: duty-officer messages (``POST /v1/messages``), one HTTP request per item;
  described below.

Both run per storage engine (SQLite with WAL + ``synchronous=FULL``; a private PostgreSQL
with ``fsync`` and ``synchronous_commit`` on) and per target rate (default 100 and 1,000
alerts or messages/s, ``--seconds`` each), each on a fresh database. The messages series:

* ``hotline serve`` (the real app under uvicorn) runs in its own process on 127.0.0.1 at a
  free port on a *fresh* database (a new SQLite file, or a new database on the private
  PostgreSQL server), its clock started at the benchmark's (``HOTLINE_CLOCK_START``). Duty
  tokens for 10 parties are minted with the key in the server's data dir.
* Each party files one small notice (``PUT /v1/notices/{id}``; far apart, so no conflicts) so
  that it is *known* and may receive messages.
* One SSE subscriber per party (asyncio + httpx streaming, ``GET /v1/events`` with
  ``Accept: text/event-stream``) timestamps each event on arrival (``time.perf_counter``).
* A sender POSTs ``/v1/messages`` (free text carrying the message's index; round-robin
  sender -> recipient among the parties) open loop, time-paced at the target rate: each POST
  is started at its scheduled time whether or not earlier ones have been answered (up to
  ``--connections`` at once). A short untimed warm-up precedes the timed window.
* e2e latency = arrival on the recipient's stream - the instant just before the POST was
  sent (same process clock). Baseline in the same run: the POST round trip alone
  (send -> 201); the SSE overhead is e2e - POST per message. ``e2e_sched`` measures from the
  *scheduled* send time instead (includes any wait for a free connection: coordinated
  omission shows there).

Correctness: every message answered 201 must arrive exactly once, on its recipient's stream
only, and each party's stream must carry the gap-free seqs 1..N with nothing left over. A
missing, duplicated or misrouted event, or a gap, is a correctness failure (exit 1). Send
errors (non-201, transport errors) are reported and also fail the run.

Targets: alerts: created->arrival p99 < 100 ms at 1,000 alerts/s; messages (the older series):
e2e p99 < 100 ms at 1,000 messages/s (each engine): PASS/FAIL, reported, not enforced unless
``--strict`` (exit 2). Output: a table on stdout, the JSON document in ``--out``
(rewritten after every row), progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

import relay_alerts
from harness import (
    SSE_POLL_S,
    HttpServer,
    StreamRun,
    client_collector_paused,
    drain,
    durability,
    engine_databases,
    exit_code,
    open_streams,
    pct,
    result_header,
    sse_frames,
)
from hotline.adapters.codec import volume_to_json
from hotline.adapters.storage.pgserver import PostgresUnavailable
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.domain.altitude import AltitudeBand
from hotline.domain.geometry import LatLng, Polygon
from hotline.domain.volume import TimeWindow, Volume4D
from hotline.settings import Settings

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PARTIES = tuple(f"p{i}" for i in range(1, 11))
TARGET_RATE, TARGET_P99_MS = 1000, 100.0
WARMUP_S, WARMUP_RATE = 1.0, 50.0
TEXT_PREFIX = "relay-bench "
err = Console(stderr=True, highlight=False)


def log(msg: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}")


# ------------------------------------------------------------------------------ workload
def notice_json(i: int) -> dict[str, Any]:
    """Party i's small notice, 1 degree of latitude from the next one (no conflicts)."""
    lat, lng, d = 30.0 + i, 37.0, 0.02
    poly = Polygon((LatLng(lat - d, lng - d), LatLng(lat - d, lng + d),
                    LatLng(lat + d, lng + d), LatLng(lat + d, lng - d)))
    t = START + timedelta(days=2)
    vol = Volume4D(poly, AltitudeBand(0.0, 500.0), TimeWindow(t, t + timedelta(hours=1)))
    return {"volumes": [volume_to_json(vol)], "state": "Accepted", "priority": 0,
            "purpose": "relay benchmark"}


def route(k: int) -> tuple[str, str]:
    """Message k's sender and recipient: round-robin, every ordered pair in turn."""
    n = len(PARTIES)
    s = k % n
    return PARTIES[s], PARTIES[(s + 1 + (k // n) % (n - 1)) % n]


@dataclass
class Sent:
    k: int
    sender: str
    to: str
    timed: bool
    t_sched: float
    t_send: float = 0.0
    t_201: float = 0.0
    id: str | None = None
    error: str | None = None


@dataclass
class Arrival:
    party: str
    seq: int
    kind: str
    item_id: str
    text: str | None
    t: float


@dataclass
class Run(StreamRun):
    sent: list[Sent] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)


async def subscribe(base: str, party: str, token: str, run: Run,
                    ready: asyncio.Event, stop: asyncio.Event) -> None:
    """Record each event's arrival (perf_counter of the chunk that ended its frame)."""
    def arrived(raw: bytes, _t_wall: float, t_perf: float) -> None:
        fields = dict(line.partition(":")[::2] for line in raw.decode().split("\n"))
        fields = {k: v.removeprefix(" ") for k, v in fields.items()}
        if "data" not in fields:
            return
        data = json.loads(fields["data"])
        body = data.get("item", {}).get("body") or {}
        run.arrivals.append(Arrival(
            party, int(fields.get("id", "-1")), data["kind"], data["item_id"],
            body.get("text") if isinstance(body, dict) else None, t_perf))
        if str(data["seq"]) != fields.get("id"):
            run.stream_errors.append(f"{party}: id {fields.get('id')} != seq {data['seq']}")

    await sse_frames(base, party, token, run.stream_errors, ready, stop, arrived)


async def post(http: httpx.AsyncClient, s: Sent, token: str, slots: asyncio.Semaphore) -> None:
    body = json.dumps({"to": s.to, "text": f"{TEXT_PREFIX}{s.k}"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Wait for a connection here, not in httpx's pool (its queue costs O(waiting) per step).
    async with slots:
        s.t_send = time.perf_counter()
        try:
            r = await http.post("/v1/messages", content=body, headers=headers)
        except httpx.HTTPError as exc:
            s.t_201 = time.perf_counter()
            s.error = f"{type(exc).__name__}: {exc}"
            return
    s.t_201 = time.perf_counter()
    if r.status_code == 201:
        s.id = r.json()["id"]
    else:
        s.error = f"{r.status_code} {r.text[:200]}"


async def pace(http: httpx.AsyncClient, tokens: dict[str, str], run: Run, first_k: int,
               rate: float, seconds: float, timed: bool,
               slots: asyncio.Semaphore) -> list[asyncio.Task[None]]:
    """Open loop: message j is started at t0 + j / rate, whatever is still in flight."""
    n = round(rate * seconds)
    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter() + 0.01
    j = 0
    while j < n:
        now = time.perf_counter()
        while j < n and t0 + j / rate <= now:
            k = first_k + j
            sender, to = route(k)
            s = Sent(k, sender, to, timed, t0 + j / rate)
            run.sent.append(s)
            tasks.append(asyncio.create_task(post(http, s, tokens[sender], slots)))
            j += 1
        if j < n:
            await asyncio.sleep(max(0.0, t0 + j / rate - time.perf_counter()))
    if timed:
        run.timed_wall_s = time.perf_counter() - t0
    return tasks


async def measure(base: str, tokens: dict[str, str], rate: float, seconds: float,
                  connections: int, drain_s: float) -> Run:
    run = Run()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
        for i, p in enumerate(PARTIES):
            r = await http.put(f"/v1/notices/{p}-relay", json=notice_json(i),
                               headers={"Authorization": f"Bearer {tokens[p]}"})
            if r.status_code != 201:
                raise SystemExit(f"notice for {p}: {r.status_code} {r.text[:300]}")
        stop = asyncio.Event()
        subs = await open_streams(PARTIES, run, lambda p, ready: subscribe(
            base, p, tokens[p], run, ready, stop))
        slots = asyncio.Semaphore(connections)
        warm = await pace(http, tokens, run, 0, WARMUP_RATE, WARMUP_S, timed=False,
                          slots=slots)
        await asyncio.gather(*warm)
        await asyncio.sleep(0.5)
        first = len(run.sent)
        log(f"  timed: {rate:g}/s for {seconds:g} s (open loop, <= {connections} connections)")
        with client_collector_paused():
            with run.timed_window():
                tasks = await pace(http, tokens, run, first, rate, seconds, timed=True,
                                   slots=slots)
                await asyncio.gather(*tasks)
            expected = sum(1 for s in run.sent if s.id is not None)
            await drain(lambda: sum(1 for a in run.arrivals if a.kind == "message"), expected,
                        drain_s, max(0.5, 3 * SSE_POLL_S), stop, subs)
    return run


# ------------------------------------------------------------------------------ analysis
def analyse(run: Run) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = list(run.stream_errors)
    by_id = {s.id: s for s in run.sent if s.id is not None}
    seen: dict[str, list[Arrival]] = {}
    seqs: dict[str, list[int]] = {p: [] for p in PARTIES}
    other_kinds = 0
    for a in run.arrivals:
        seqs[a.party].append(a.seq)
        if a.kind != "message":
            other_kinds += 1
            continue
        seen.setdefault(a.item_id, []).append(a)
    for p, got in seqs.items():
        if got != list(range(1, len(got) + 1)):
            dup = len(got) - len(set(got))
            problems.append(f"{p}: seqs not gap-free 1..{len(got)} "
                            f"(first {got[:5]}, {dup} duplicates)")
    missing = [s for s in by_id.values() if s.id not in seen]
    dups = sum(len(v) - 1 for v in seen.values() if len(v) > 1)
    wrong = [a for v in seen.values() for a in v
             if a.item_id not in by_id or a.party != by_id[a.item_id].to
             or a.text != f"{TEXT_PREFIX}{by_id[a.item_id].k}"]
    if missing:
        problems.append(f"{len(missing)} messages answered 201 never arrived "
                        f"(first {missing[0].id} to {missing[0].to})")
    if dups:
        problems.append(f"{dups} duplicate message events")
    if wrong:
        problems.append(f"{len(wrong)} events unknown, misrouted or with the wrong text "
                        f"(first {wrong[0].item_id} on {wrong[0].party})")
    timed = [s for s in run.sent if s.timed]
    ok = [s for s in timed if s.id is not None and s.id in seen]
    e2e = [seen[s.id][0].t - s.t_send for s in ok]  # type: ignore[index]
    e2e_sched = [seen[s.id][0].t - s.t_sched for s in ok]  # type: ignore[index]
    rtt = [s.t_201 - s.t_send for s in timed if s.id is not None]
    # the SSE overhead per message: e2e - POST round trip = arrival - 201
    overhead = [seen[s.id][0].t - s.t_201 for s in ok]  # type: ignore[index]
    errors = [s.error for s in run.sent if s.error]
    row: dict[str, Any] = {
        "sent": len(timed), "ok_201": sum(1 for s in timed if s.id is not None),
        "errors": len(errors), "first_error": errors[0] if errors else None,
        "achieved_rate": round(len(timed) / run.timed_wall_s, 1) if run.timed_wall_s else None,
        "completed_rate": None,
        "delivered": len(ok), "missing": len(missing), "duplicates": dups,
        "other_events": other_kinds,
        "e2e_ms": pct(e2e), "post_ms": pct(rtt), "sse_after_201_ms": pct(overhead),
        "e2e_from_schedule_ms": pct(e2e_sched), "load_average": run.load, "cpu": run.cpu,
    }
    if timed and run.timed_wall_s:
        end = max(s.t_201 for s in timed)
        row["completed_rate"] = round(row["ok_201"] / (end - min(s.t_sched for s in timed)), 1)
    if errors:
        problems.append(f"{len(errors)} send errors, first: {errors[0]}")
    return row, problems


# ------------------------------------------------------------------------------ output
def targets(results: Sequence[dict[str, Any]], engines: Sequence[str]) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    for e in engines:
        r = next((x for x in results if x["series"] == "messages" and x["engine"] == e
                  and x["rate"] == TARGET_RATE), None)
        p99 = r["e2e_ms"]["p99"] if r else None
        marks.append({"target": f"{e}: message e2e p99 < {TARGET_P99_MS:g} ms at "
                      f"{TARGET_RATE:,} messages/s, 10 parties", "value": p99, "unit": "ms",
                      "pass": None if p99 is None else p99 < TARGET_P99_MS})
    return marks


def print_tables(results: Sequence[dict[str, Any]], marks: Sequence[dict[str, Any]]) -> None:
    out = Console(highlight=False, width=220)

    def show(title: str, cols: list[str], rows: list[list[Any]]) -> None:
        table = Table(title=title)
        for c in cols:
            table.add_column(c, justify="left" if c == "engine" else "right")
        for vals in rows:
            table.add_row(*["" if v is None else f"{v:,}" if isinstance(v, int) else str(v)
                            for v in vals])
        out.print(table)

    alerts = [r for r in results if r["series"] == "alerts"]
    if alerts:
        cols, rows = relay_alerts.table_rows(alerts)
        show("Relay, alerts: notice PUT -> conflict alerts -> arrival on each addressee's SSE "
             "stream (ms)", cols, rows)
    messages = [r for r in results if r["series"] == "messages"]
    if messages:
        # ovh: e2e - POST, per message
        cols = ["engine", "rate", "achieved/s", "done/s", "sent", "errors", "delivered",
                "missing", "dups", "e2e p50", "e2e p90", "e2e p99", "e2e max", "POST p50",
                "POST p99", "POST max", "SSE ovh p50", "SSE ovh p99", "sched p99",
                "others' cores"]
        rows = []
        for r in messages:
            e, p = r["e2e_ms"], r["post_ms"]
            rows.append([r["engine"], r["rate"], r["achieved_rate"], r["completed_rate"],
                         r["sent"], r["errors"], r["delivered"], r["missing"], r["duplicates"],
                         e["p50"], e["p90"], e["p99"], e["max"], p["p50"], p["p99"], p["max"],
                         r["sse_after_201_ms"]["p50"], r["sse_after_201_ms"]["p99"],
                         r["e2e_from_schedule_ms"]["p99"], r["cpu"].get("others_cores")])
        show("Relay, messages: POST -> arrival on the recipient's SSE stream (ms)", cols, rows)
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]", None: "[yellow]NOT RUN[/]"}
    for t in marks:
        out.print(f"{verdict[t['pass']]}  {t['target']}: {t['value']} {t['unit']}")


@dataclass
class Options:
    series: list[str]
    engines: list[str]
    rates: list[int]
    seconds: float
    conflicts: int
    connections: int
    drain_s: float
    seed: int
    out: Path
    workdir: Path
    strict: bool
    workers: int


def parse(argv: Sequence[str]) -> Options:
    p = argparse.ArgumentParser(description="Relay (SSE) end-to-end latency benchmark.")
    p.add_argument("--quick", action="store_true", help="sqlite, 100/s, 3 s")
    p.add_argument("--series", default="alerts,messages",
                   help="alerts and/or messages (default both)")
    p.add_argument("--engines", help="sqlite,sqlite-serial,postgresql,postgresql-serial "
                   "(the -serial ones with group commit off; default sqlite and "
                   "postgresql; --quick: sqlite)")
    p.add_argument("--rates", help="target alerts or messages/s (default 100,1000; "
                   "--quick: 100)")
    p.add_argument("--seconds", type=float, help="timed window per run (default 10; quick 3)")
    p.add_argument("--conflicts", type=int, default=5,
                   help="alerts series: other parties' notices each write overlaps (1..9; "
                   "2 alerts each; default 5)")
    p.add_argument("--connections", type=int, default=64,
                   help="most requests in flight at once (default 64)")
    p.add_argument("--drain-s", type=float, default=30.0,
                   help="wait this long after the last answer for events still to come")
    p.add_argument("--seed", type=int, default=20261124,
                   help="recorded only: the workloads are deterministic (round-robin)")
    p.add_argument("--out", type=Path, default=Path("bench-results/relay.json"))
    p.add_argument("--workdir", type=Path, help="databases and keys (default: a temp dir)")
    p.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes (hotline serve --workers; default 1)")
    a = p.parse_args(argv)
    series = a.series.split(",")
    for s in series:
        if s not in ("alerts", "messages"):
            p.error(f"unknown series {s!r}: use alerts and/or messages")
    if not 1 <= a.conflicts < len(PARTIES):
        p.error(f"--conflicts {a.conflicts}: use 1..{len(PARTIES) - 1}")
    engines = a.engines.split(",") if a.engines else (
        ["sqlite"] if a.quick else ["sqlite", "postgresql"])
    for e in engines:
        if e not in ("sqlite", "sqlite-serial", "postgresql", "postgresql-serial"):
            p.error(f"unknown engine {e!r}: use sqlite, postgresql, and their -serial "
                    "variants (group commit off)")
    rates = [int(r) for r in a.rates.split(",")] if a.rates else (
        [100] if a.quick else [100, 1000])
    seconds = a.seconds if a.seconds is not None else (3.0 if a.quick else 10.0)
    return Options(series, engines, rates, seconds, a.conflicts, a.connections, a.drain_s,
                   a.seed, a.out, a.workdir or Path(tempfile.mkdtemp(prefix="hotline-relay-")),
                   a.strict, a.workers)


def run_one(series: str, engine: str, rate: int, fresh: Any, opts: Options,
            doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One row: ``hotline serve`` on a fresh database, the series at ``rate``, analysed."""
    data_dir = opts.workdir / engine / f"data-{series}-{rate}"
    settings = Settings(data_dir=data_dir)
    key = load_or_create_issuer_key(data_dir)
    tokens = {p: mint(key, party=p, officer=f"{p}-duty", scopes=["duty"],
                      issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                      ttl_s=7 * 24 * 3600) for p in PARTIES}
    db_url = fresh(f"relay_{series}_{rate}")
    log(f"{engine} {series} {rate}/s: hotline serve on a fresh database")
    # alerts: the system clock, so that alerts' created_at compares with the client's clock
    with HttpServer(db_url, data_dir, None if series == "alerts" else START,
                    opts.workers) as base:
        doc["engine_settings"][engine] = durability(db_url)
        if series == "alerts":
            log(f"  timed: {rate:g} alerts/s = {rate / (2 * opts.conflicts):g} writes/s "
                f"({opts.conflicts} conflicts each) for {opts.seconds:g} s")
            arun = asyncio.run(relay_alerts.measure(
                base, tokens, rate, opts.seconds, opts.conflicts, opts.connections,
                opts.drain_s))
            row, problems = relay_alerts.analyse(arun, opts.conflicts)
        else:
            mrun = asyncio.run(measure(base, tokens, rate, opts.seconds, opts.connections,
                                       opts.drain_s))
            row, problems = analyse(mrun)
    return {"series": series, "engine": engine, "workers": opts.workers, "rate": rate,
            "seconds": opts.seconds, **row}, problems


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    opts = parse(args)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    doc: dict[str, Any] = {
        **result_header("relay", args), "seed": opts.seed, "parties": len(PARTIES),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
        "server": {"sse_poll_s": SSE_POLL_S, "clock": {"messages": START.isoformat(),
                                                   "alerts": "system"}},
        "warmup": {"messages": {"seconds": WARMUP_S, "rate": WARMUP_RATE},
                   "alerts": {"seconds": relay_alerts.WARMUP_S,
                              "writes_s": relay_alerts.WARMUP_WRITES_S}},
        "load_average_at_start": list(os.getloadavg()),
        "engine_settings": {}, "results": results,
    }

    def save() -> None:
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        opts.out.write_text(json.dumps(doc, indent=1) + "\n")

    log(f"workdir {opts.workdir}; results to {opts.out}")
    for engine in opts.engines:
        try:
            with engine_databases(engine, opts.workdir / engine) as fresh:
                (opts.workdir / engine).mkdir(parents=True, exist_ok=True)
                for series in opts.series:
                    for rate in opts.rates:
                        row, problems = run_one(series, engine, rate, fresh, opts, doc)
                        results.append(row)
                        failures += [f"{engine} {series} {rate}/s: {x}" for x in problems]
                        log(json.dumps(row))
                        save()
        except PostgresUnavailable as exc:
            log(f"[yellow]{engine} skipped: {exc}[/]")
            doc["engine_settings"][engine] = {"skipped": str(exc)}
    marks = relay_alerts.targets(results, opts.engines) if "alerts" in opts.series else []
    if "messages" in opts.series:
        marks += targets(results, opts.engines)
    for m in marks:
        m["verdict"] = {True: "PASS", False: "FAIL", None: "NOT RUN"}[m["pass"]]
    doc.update(targets=marks, failures=failures,
               finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
    save()
    print_tables(results, marks)
    return exit_code(failures, marks, opts.strict)


if __name__ == "__main__":
    sys.exit(main())
