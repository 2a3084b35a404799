"""Relay benchmark, *alerts* series: latency from an alert's creation to its arrival on the
addressee's SSE stream, the alerts raised by notice writes (issue 3).

Workload (10 parties; the server on the **system clock**, see "Clocks" below):

* A *field* of notices is filed first, through the API: :data:`SITES` sites, one degree apart;
  at site ``s`` the ``K`` (``--conflicts``, default 5) parties ``p[s]..p[s+K-1]`` (mod 10) each
  file one notice over the same small square and a long time window, in disjoint altitude
  bands (so the field itself raises no alert).
* A timed write is ``PUT /v1/notices/{a new id}`` by a party *not* in the site's field, over
  the same square, in an altitude band that spans all K field bands and in a time slot of its
  own (slots of one site never touch, sites are far apart): it conflicts with exactly the K
  field notices of K other parties, so it raises ``2K`` ``conflict`` alerts (one to each
  party of each pair: K to the writer, one to each field owner), written with their audit
  records and events in the write's transaction. At ``R`` alerts/s the writes go at
  ``R / 2K`` per second, open loop (each started at its scheduled time, up to
  ``--connections`` at once), round-robin over sites and writers (5 writer parties per site
  at K=5, so all 10 parties write and receive). A short untimed warm-up precedes.
* One SSE subscriber per party (``GET /v1/events``, ``Accept: text/event-stream``) connected
  before the field is filed. It only timestamps each chunk as it arrives (``time.time`` and
  ``time.perf_counter``) and keeps the raw frames; they are parsed after the run, so the
  client spends as little time as possible between the socket and the timestamp.

Latencies per alert of a timed write:

* ``created->arrival``: arrival (client ``time.time``) - the alert's ``created_at`` (the
  server's clock when the write ran). Sound because the server runs on the system clock on
  the same machine (both read CLOCK_REALTIME), which the benchmark checks for every alert:
  ``created_at`` must lie between the client's send instant and its answer instant of the
  write that created it (``clock_violations`` counts those outside, with 1 ms slack, and any
  makes the run fail).
* ``write->arrival``: arrival - the instant just before the PUT was sent (client clock only):
  an upper bound of creation -> arrival, which includes the request's queueing and the write.
* baseline: the PUT round trip alone (send -> answer). ``answer->arrival`` (arrival - the
  answer's receipt; negative when the event beats the HTTP answer) is the SSE path's share.

Correctness (exit 1 on any failure): every field write is answered 201 with no conflict and
every warm-up and timed write 201 with exactly K conflicts, each with overlaps; the alerts
these answers imply (for each conflict, one to the writer about (its notice, the other) and
one to the other owner about (the other, its notice)) arrive exactly once each, on the
right stream and nothing else arrives; each stream carries the gap-free seqs 1..N.

Target (issue 3): created->arrival p99 < 100 ms at 1,000 alerts/s: PASS only if the server
also *created* alerts at >= 95 % of the offered rate (else it was not measured at that rate).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from harness import (
    SSE_POLL_S,
    StreamRun,
    client_collector_paused,
    drain,
    open_streams,
    pct,
    sse_frames,
)
from hotline.adapters.codec import volume_to_json
from hotline.domain.altitude import AltitudeBand
from hotline.domain.geometry import LatLng, Polygon
from hotline.domain.time import parse_rfc3339
from hotline.domain.volume import TimeWindow, Volume4D

PARTIES = tuple(f"p{i}" for i in range(1, 11))
SITES = 20
TARGET_RATE, TARGET_P99_MS, MIN_RATE_SHARE = 1000, 100.0, 0.95
WARMUP_WRITES_S, WARMUP_S = 10.0, 1.0
BAND_M, SLOT_S = 200.0, 120.0
CLOCK_SLACK_S = 0.001


# ------------------------------------------------------------------------------ workload
@dataclass(frozen=True)
class Layout:
    """Where the field and the timed writes go: every instant is after ``t0``."""

    conflicts: int  # K: field notices (of K distinct other parties) each write overlaps
    t0: datetime  # the field's start (a day after the run's start, so no late notice)
    slots: int  # time slots per site

    def members(self, site: int) -> list[str]:
        return [PARTIES[(site + i) % len(PARTIES)] for i in range(self.conflicts)]

    def writers(self, site: int) -> list[str]:
        return [p for p in PARTIES if p not in self.members(site)]

    def square(self, site: int) -> Polygon:
        lat, lng, d = 20.0 + (site // 5), 10.0 + (site % 5), 0.02
        return Polygon((LatLng(lat - d, lng - d), LatLng(lat - d, lng + d),
                        LatLng(lat + d, lng + d), LatLng(lat + d, lng - d)))

    def field(self, site: int, member: int) -> dict[str, Any]:
        band = AltitudeBand(member * BAND_M, member * BAND_M + BAND_M / 2)
        window = TimeWindow(self.t0, self.t0 + timedelta(seconds=(self.slots + 1) * SLOT_S))
        return _notice(Volume4D(self.square(site), band, window))

    def write(self, j: int) -> tuple[int, str, dict[str, Any]]:
        """Write j: its site, its writer and its notice JSON."""
        site, turn = j % SITES, j // SITES
        if turn >= self.slots:
            raise ValueError(f"write {j}: only {self.slots} slots per site")
        writers = self.writers(site)
        start = self.t0 + timedelta(seconds=SLOT_S / 2 + turn * SLOT_S)
        band = AltitudeBand(BAND_M / 4, (self.conflicts - 1) * BAND_M + BAND_M / 4)
        vol = Volume4D(self.square(site), band,
                       TimeWindow(start, start + timedelta(seconds=SLOT_S / 2)))
        return site, writers[turn % len(writers)], _notice(vol)


def _notice(vol: Volume4D) -> dict[str, Any]:
    return {"volumes": [volume_to_json(vol)], "state": "Accepted", "priority": 0,
            "purpose": "relay benchmark (alerts)"}


@dataclass
class Write:
    j: int
    id: str
    party: str
    phase: str  # field | warmup | timed
    body: bytes
    t_sched: float = 0.0
    t_send: float = 0.0  # perf_counter
    t_send_wall: float = 0.0  # time.time
    t_answer: float = 0.0
    t_answer_wall: float = 0.0
    status: int = 0
    content: bytes = b""
    error: str | None = None


@dataclass
class Frame:
    party: str
    t_wall: float
    t_perf: float
    raw: bytes


@dataclass
class Run(StreamRun):
    writes: list[Write] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)


# ------------------------------------------------------------------------------ client
async def subscribe(base: str, party: str, token: str, run: Run, ready: asyncio.Event,
                    stop: asyncio.Event) -> None:
    """Keep the party's raw SSE frames with the arrival time of the chunk that ended each."""
    await sse_frames(base, party, token, run.stream_errors, ready, stop,
                     lambda raw, t_wall, t_perf: run.frames.append(
                         Frame(party, t_wall, t_perf, raw)))


async def put(http: httpx.AsyncClient, w: Write, token: str, slots: asyncio.Semaphore) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with slots:  # wait for a connection here, not in httpx's pool
        w.t_send, w.t_send_wall = time.perf_counter(), time.time()
        try:
            r = await http.put(f"/v1/notices/{w.id}", content=w.body, headers=headers)
        except httpx.HTTPError as exc:
            w.t_answer, w.t_answer_wall = time.perf_counter(), time.time()
            w.error = f"{type(exc).__name__}: {exc}"
            return
    w.t_answer, w.t_answer_wall = time.perf_counter(), time.time()
    w.status, w.content = r.status_code, r.content


async def pace(http: httpx.AsyncClient, tokens: dict[str, str], writes: Sequence[Write],
               rate: float, slots: asyncio.Semaphore) -> tuple[list[asyncio.Task[None]], float]:
    """Open loop: write i is started at t0 + i / rate, whatever is still in flight."""
    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter() + 0.01
    for i, w in enumerate(writes):
        w.t_sched = t0 + i / rate
        delay = w.t_sched - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(put(http, w, tokens[w.party], slots)))
    return tasks, time.perf_counter() - t0


async def measure(base: str, tokens: dict[str, str], rate: float, seconds: float,
                  conflicts: int, connections: int, drain_s: float) -> Run:
    run = Run()
    per_write = 2 * conflicts
    write_rate = rate / per_write
    n_warm, n_timed = round(WARMUP_WRITES_S * WARMUP_S), round(write_rate * seconds)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    layout = Layout(conflicts, now + timedelta(days=1), (n_warm + n_timed) // SITES + 2)

    def write(j: int, phase: str) -> Write:
        _, party, notice = layout.write(j)
        return Write(j, f"w{j}", party, phase, json.dumps(notice).encode())

    warm = [write(j, "warmup") for j in range(n_warm)]
    timed = [write(n_warm + j, "timed") for j in range(n_timed)]
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as http:
        stop = asyncio.Event()
        subs = await open_streams(PARTIES, run, lambda p, ready: subscribe(
            base, p, tokens[p], run, ready, stop))
        slots = asyncio.Semaphore(connections)
        for site in range(SITES):  # the field, one write at a time
            for m, party in enumerate(layout.members(site)):
                w = Write(-1, f"f{site}-{m}", party, "field",
                          json.dumps(layout.field(site, m)).encode())
                run.writes.append(w)
                await put(http, w, tokens[party], slots)
        run.writes += warm
        tasks, _ = await pace(http, tokens, warm, WARMUP_WRITES_S, slots)
        await asyncio.gather(*tasks)
        await asyncio.sleep(0.5)
        run.writes += timed
        with client_collector_paused():
            with run.timed_window():
                tasks, run.timed_wall_s = await pace(http, tokens, timed, write_rate, slots)
                await asyncio.gather(*tasks)
            expected = sum(len(_conflicts(w)) * 2 for w in run.writes
                           if w.status in (200, 201))
            await drain(lambda: len(run.frames), expected, drain_s, max(0.5, 3 * SSE_POLL_S),
                        stop, subs)
    return run


# ------------------------------------------------------------------------------ analysis
def _conflicts(w: Write) -> list[dict[str, Any]]:
    if w.status not in (200, 201):
        return []
    found: list[dict[str, Any]] = json.loads(w.content)["conflicts"]
    return [c for c in found if c["overlaps"]]


@dataclass(frozen=True)
class Arrival:
    party: str
    seq: int
    kind: str
    key: tuple[str, str, str]  # (alert kind, subject id, other id)
    created_at: float  # the alert's created_at (server clock), seconds since the epoch
    t_wall: float
    t_perf: float


def parse(f: Frame) -> Arrival:
    fields: dict[str, str] = {}
    for line in f.raw.decode().split("\n"):
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    data = json.loads(fields["data"])
    if str(data["seq"]) != fields.get("id") or data["kind"] != fields.get("event"):
        raise ValueError(f"{f.party}: frame id/event {fields.get('id')}/{fields.get('event')}"
                         f" != data {data['seq']}/{data['kind']}")
    item = data["item"]
    key = (item.get("kind", ""), item.get("subject", {}).get("id", ""),
           item.get("other", {}).get("id", ""))
    return Arrival(f.party, int(data["seq"]), data["kind"], key,
                   parse_rfc3339(item["created_at"]).timestamp(), f.t_wall, f.t_perf)


def analyse(run: Run, conflicts: int) -> tuple[dict[str, Any], list[str]]:
    problems = list(run.stream_errors)
    expect: dict[tuple[str, str, str, str], Write] = {}
    for w in run.writes:
        want = 0 if w.phase == "field" else conflicts
        if w.status != 201:
            problems.append(f"{w.phase} write {w.id}: {w.error or w.status} "
                            f"{w.content[:200]!r}")
            continue
        found = _conflicts(w)
        if len(found) != want:
            problems.append(f"{w.phase} write {w.id}: {len(found)} conflicts, expected {want}")
        for c in found:
            mine, other = c["subject"]["id"], c["with"]["id"]
            expect[(w.party, "conflict", mine, other)] = w
            expect[(c["with"]["owner"], "conflict", other, mine)] = w
    arrivals: list[Arrival] = []
    for f in run.frames:
        try:
            arrivals.append(parse(f))
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            problems.append(f"unreadable frame: {exc}")
    seqs: dict[str, list[int]] = {p: [] for p in PARTIES}
    seen: dict[tuple[str, str, str, str], list[Arrival]] = {}
    for a in arrivals:
        seqs[a.party].append(a.seq)
        seen.setdefault((a.party, *a.key), []).append(a)
    for p, got in seqs.items():
        if got != list(range(1, len(got) + 1)):
            problems.append(f"{p}: seqs not gap-free 1..{len(got)} (first {got[:5]}, "
                            f"{len(got) - len(set(got))} duplicates)")
    missing = [k for k in expect if k not in seen]
    dups = sum(len(v) - 1 for v in seen.values() if len(v) > 1)
    unexpected = [k for k in seen if k not in expect]
    kinds = Counter(a.kind for a in arrivals)
    if missing:
        problems.append(f"{len(missing)} alerts implied by the answers never arrived "
                        f"(first {missing[0]})")
    if dups:
        problems.append(f"{dups} duplicate alert events")
    if unexpected:
        problems.append(f"{len(unexpected)} events no answer implies (first {unexpected[0]})")

    created, e2e, rtt, after_answer = [], [], [], []
    clock_bad = 0
    timed = [w for w in run.writes if w.phase == "timed"]
    for k, w in expect.items():
        if w.phase != "timed" or k not in seen:
            continue
        a = seen[k][0]
        created.append(a.t_wall - a.created_at)
        e2e.append(a.t_perf - w.t_send)
        after_answer.append(a.t_perf - w.t_answer)
        if not w.t_send_wall - CLOCK_SLACK_S <= a.created_at <= w.t_answer_wall + CLOCK_SLACK_S:
            clock_bad += 1
    rtt = [w.t_answer - w.t_send for w in timed if w.status == 201]
    if clock_bad:
        problems.append(f"{clock_bad} alerts created outside their write's send..answer "
                        "interval: server and client clocks disagree")
    ok = [w for w in timed if w.status == 201]
    n_alerts = sum(2 * len(_conflicts(w)) for w in ok)
    stamps = sorted({a.created_at for k, w in expect.items() if w.phase == "timed"
                     for a in seen.get(k, [])[:1]})
    span = (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    sched = [w.t_sched for w in timed]
    write_rate = (len(sched) - 1) / (sched[-1] - sched[0]) if len(sched) > 1 else 0.0
    row: dict[str, Any] = {
        "conflicts_per_write": conflicts, "alerts_per_write": 2 * conflicts,
        "writes": len(timed), "ok": len(ok), "errors": len(timed) - len(ok),
        "offered_writes_s": round(write_rate, 1),
        "offered_alerts_s": round(write_rate * 2 * conflicts, 1),
        # the server's pace: timed alerts over the span of their creation times
        "created_alerts_s": round(n_alerts / (span + 1 / write_rate), 1) if span else None,
        "answered_writes_s": round(len(ok) / (max(w.t_answer for w in ok)
                                              - min(w.t_sched for w in ok)), 1) if ok else None,
        "alerts": n_alerts, "delivered": len(created), "missing": len(missing),
        "duplicates": dups, "unexpected": len(unexpected), "event_kinds": dict(kinds),
        "clock_violations": clock_bad,
        "created_to_arrival_ms": pct(created), "write_to_arrival_ms": pct(e2e),
        "put_ms": pct(rtt), "answer_to_arrival_ms": pct(after_answer),
        "load_average": run.load, "cpu": run.cpu,
    }
    return row, problems


# ------------------------------------------------------------------------------ verdict
def targets(results: Sequence[dict[str, Any]], engines: Sequence[str]) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    for e in engines:
        r = next((x for x in results if x["series"] == "alerts" and x["engine"] == e
                  and x["rate"] == TARGET_RATE), None)
        p99 = r["created_to_arrival_ms"]["p99"] if r else None
        made = r["created_alerts_s"] if r else None
        ok = None if p99 is None else (p99 < TARGET_P99_MS and made is not None
                                       and made >= MIN_RATE_SHARE * TARGET_RATE)
        marks.append({"target": f"{e}: alert created->SSE arrival p99 < {TARGET_P99_MS:g} ms "
                      f"at {TARGET_RATE:,} alerts/s (created at >= "
                      f"{MIN_RATE_SHARE * TARGET_RATE:,.0f}/s), 10 parties",
                      "value": p99, "unit": f"ms (created {made} alerts/s)", "pass": ok})
    return marks


def table_rows(results: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    cols = ["engine", "alerts/s", "offered/s", "created/s", "writes/s", "done w/s", "alerts",
            "missing", "dups", "clock bad", "created p50", "created p99", "created max",
            "write p50", "write p99", "PUT p50", "PUT p99", "answer->arr p99", "others' cores"]
    rows = []
    for r in results:
        c, w, p = r["created_to_arrival_ms"], r["write_to_arrival_ms"], r["put_ms"]
        rows.append([r["engine"], r["rate"], r["offered_alerts_s"], r["created_alerts_s"],
                     r["offered_writes_s"], r["answered_writes_s"], r["alerts"], r["missing"],
                     r["duplicates"], r["clock_violations"], c["p50"], c["p99"], c["max"],
                     w["p50"], w["p99"], p["p50"], p["p99"],
                     r["answer_to_arrival_ms"]["p99"], r["cpu"].get("others_cores")])
    return cols, rows
