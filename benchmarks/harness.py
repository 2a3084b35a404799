"""What the benchmarks share: ``hotline serve`` in its own process, fresh databases per engine,
percentiles, and the source state.

Imported by ``benchmarks/strategic.py``, ``benchmarks/relay.py`` and
``benchmarks/relay_alerts.py`` (run as scripts, so this folder is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

import hotline
from hotline.adapters.storage.pgserver import PrivatePostgres, free_port
from hotline.adapters.storage.postgres import strip_group_commit
from hotline.settings import Settings

#: How often the server's event streams poll the store when not rung (its default setting).
SSE_POLL_S: float = Settings.model_fields["events_poll_s"].default


class HttpServer:
    """``hotline serve`` in its own process (as deployed: the benchmark's clients do not share
    its interpreter lock) on 127.0.0.1 at a free port, on the given database, its clock
    started at ``clock_start`` (``HOTLINE_CLOCK_START``: a simulated clock that runs at real
    speed from that instant), or, with ``None``, on the system clock (so the times the server
    stamps can be compared with the client's ``time.time()``). ``workers``: its processes
    (``hotline serve --workers``)."""

    def __init__(self, db_url: str, data_dir: Path, clock_start: datetime | None,
                 workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, "HOTLINE_DB": db_url, "HOTLINE_DATA_DIR": str(data_dir)}
        self.env.pop("HOTLINE_CLOCK_START", None)
        if clock_start is not None:
            self.env["HOTLINE_CLOCK_START"] = clock_start.isoformat()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli.main", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("hotline serve did not start")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


#: Processes (with their descendants) that are this benchmark's besides its own process tree:
#: e.g. the private PostgreSQL server's postmaster (``pg_ctl`` detaches it).
OUR_ROOTS: set[int] = set()


class CpuMeter:
    """CPU time over an interval (Linux ``/proc``): the machine's busy time, this benchmark's
    (its process tree, :data:`OUR_ROOTS`' trees) and everyone else's (the difference), so a
    result says how much of the 2 cores someone else used while it was measured."""

    def __init__(self) -> None:
        self.tick = float(os.sysconf("SC_CLK_TCK"))
        self.t0, self.busy0, self.ours0 = time.monotonic(), self._busy(), self._ours()

    @staticmethod
    def _busy() -> int:
        cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in cpu[:8])
        return user + nice + system + irq + softirq + steal

    @staticmethod
    def _ours() -> int:
        parent: dict[int, int] = {}
        ticks: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            pid = int(d.name)
            parent[pid] = int(fields[1])
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
        roots = {os.getpid(), *OUR_ROOTS}
        total = 0
        for pid, n in ticks.items():
            p, seen = pid, 0
            while p > 1 and p not in roots and seen < 64:
                p, seen = parent.get(p, 0), seen + 1
            if p in roots:
                total += n
        return total

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        busy = (self._busy() - self.busy0) / self.tick
        ours = (self._ours() - self.ours0) / self.tick
        return {"wall_s": round(wall, 2), "machine_busy_cores": round(busy / wall, 2),
                "ours_cores": round(ours / wall, 2),
                "others_cores": round(max(0.0, busy - ours) / wall, 2)}


@contextmanager
def engine_databases(engine: str, workdir: Path) -> Iterator[Any]:
    """Yields ``fresh(name) -> db_url``: a new, empty database per call."""
    if engine in ("sqlite", "sqlite-serial"):
        # sqlite-serial: the same engine with group commit off (each write its own fsync),
        # the baseline that shows what group commit buys
        query = "?group_commit=off" if engine == "sqlite-serial" else ""
        yield lambda name: f"sqlite:///{(workdir / f'{name}.db').resolve()}{query}"
        return
    # postgresql-serial: group commit off, each write its own transaction from the pool
    query = "?group_commit=off" if engine == "postgresql-serial" else ""
    server = PrivatePostgres().start()
    assert server.root is not None
    postmaster = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    OUR_ROOTS.add(postmaster)
    try:
        def fresh(name: str) -> str:
            with psycopg.connect(server.dsn, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            return server.dsn.rsplit("/", 1)[0] + f"/{name}{query}"
        yield fresh
    finally:
        OUR_ROOTS.discard(postmaster)
        server.stop()


def durability(db_url: str) -> dict[str, Any]:
    """The engine's durability settings, asserted (after the server created the schema)."""
    if db_url.startswith("sqlite"):
        import sqlite3
        path = db_url.removeprefix("sqlite:///").partition("?")[0]
        with sqlite3.connect(path) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            raise SystemExit(f"SQLite is not in WAL mode: {mode}")
        # synchronous is per connection: the server's own store sets and asserts it
        return {"journal_mode": mode, "sqlite_version": sqlite3.sqlite_version}
    with psycopg.connect(strip_group_commit(db_url)[0], autocommit=True) as conn:
        got = {k: str(conn.execute(f"SHOW {k}").fetchone()[0])  # type: ignore[index]
               for k in ("fsync", "synchronous_commit", "server_version")}
    if got["fsync"] != "on" or got["synchronous_commit"] != "on":
        raise SystemExit(f"PostgreSQL is not durable: {got}")
    return got


def pct(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ms = np.asarray(values, dtype=np.float64) * 1000.0
    p50, p90, p99 = np.percentile(ms, [50, 90, 99]).tolist()
    return {"p50": round(p50, 2), "p90": round(p90, 2), "p99": round(p99, 2),
            "max": round(float(ms.max()), 2)}


def source_state() -> dict[str, Any]:
    """The commit measured and whether src/ had uncommitted changes (read-only git)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    imported = Path(hotline.__file__).resolve().parent
    if imported != (Path.cwd() / "src" / "hotline").resolve():  # e.g. a PYTHONPATH snapshot
        return {"commit": None, "src_changes": None, "hotline_imported_from": str(imported)}
    return {"commit": git("rev-parse", "HEAD"),
            "src_changes": git("status", "--porcelain", "--", "src").splitlines(),
            "hotline_imported_from": str(imported)}


def result_header(benchmark: str, args: list[str]) -> dict[str, Any]:
    """What every benchmark's JSON opens with: which benchmark, on what code and machine, when,
    and the command that reproduces it."""
    return {
        "benchmark": benchmark, "hotline_version": hotline.__version__, "source": source_state(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", f"benchmarks/{benchmark}.py", *args]),
        "machine": machine(),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu, mem = "?", "?"
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                   .splitlines() if ln.startswith("model name"))
        kb = int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpu_count": os.cpu_count(), "cpu": cpu, "memory": mem,
            "python": platform.python_version(), "platform": platform.platform(),
            "interpreter_speed_ms": interpreter_speed_ms()}


def interpreter_speed_ms() -> float:
    """How fast this machine runs plain Python right now: the best of 5 runs of a fixed
    loop (10^6 additions), in ms. The shared machines these figures come from have differed
    by 2-3x in it between days, so compare figures of different runs through it.
    (2026-11-25, the project's 2-core VM, quiet: 39 ms.)"""
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best * 1e3, 1)


def exit_code(failures: list[str], marks: list[dict[str, Any]], strict: bool) -> int:
    """Print correctness failures; 1 if any, 2 if ``strict`` and a target was missed, else 0."""
    from rich.console import Console

    for f in failures:
        Console(highlight=False).print(f"[red]FAILURE[/] {f}")
    if failures:
        return 1
    return 2 if strict and any(t["pass"] is False for t in marks) else 0


async def drain(arrived: Callable[[], int], expected: int, drain_s: float, settle_s: float,
                stop: asyncio.Event, subscribers: Sequence[asyncio.Task[Any]]) -> None:
    """Wait until ``arrived()`` reaches ``expected`` (giving up ``drain_s`` after the last
    progress, at least 5 s after it), then ``settle_s`` more so that any duplicate shows up;
    then stop and reap the subscriber tasks."""
    deadline, last = time.perf_counter() + drain_s, -1
    while time.perf_counter() < deadline:
        got = arrived()
        if got >= expected:
            break
        if got != last:
            last, deadline = got, max(deadline, time.perf_counter() + 5.0)
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle_s)
    stop.set()
    for t in subscribers:
        t.cancel()
    await asyncio.gather(*subscribers, return_exceptions=True)


async def sse_frames(base: str, party: str, token: str, errors: list[str],
                     ready: asyncio.Event, stop: asyncio.Event,
                     on_frame: Callable[[bytes, float, float], None]) -> None:
    """Subscribe to ``party``'s event stream (``GET /v1/events``) until ``stop``: each event
    frame goes to ``on_frame(raw, t_wall, t_perf)`` with the arrival time of the chunk that
    ended it (``time.time``, ``time.perf_counter``), read as early as possible. ``ready`` is
    set once the stream is open (its ``retry:`` frame) or has failed; failures go to
    ``errors``."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0, read=None)
                                     ) as http, http.stream("GET", "/v1/events",
                                                            headers=headers) as r:
            if r.status_code != 200 or not r.headers.get("content-type", "").startswith(
                    "text/event-stream"):
                errors.append(f"{party}: {r.status_code} {r.headers}")
                return
            buf = b""
            async for chunk in r.aiter_raw():
                t_wall, t_perf = time.time(), time.perf_counter()
                buf += chunk
                *done, buf = buf.split(b"\n\n")
                for raw in done:
                    if raw.startswith(b"retry:"):
                        ready.set()
                    elif raw and not raw.startswith(b":"):
                        on_frame(raw, t_wall, t_perf)
                if stop.is_set():
                    return
    except (httpx.HTTPError, asyncio.CancelledError) as exc:
        if not stop.is_set():
            errors.append(f"{party}: stream ended: {exc!r}")
    finally:
        ready.set()


@dataclass
class StreamRun:
    """What both relay series keep of a run besides their own items."""

    stream_errors: list[str] = field(default_factory=list)
    timed_wall_s: float = 0.0
    load: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # during the timed window

    @contextmanager
    def timed_window(self) -> Iterator[None]:
        """Record the load average around the timed window and the CPU used during it."""
        self.load["before"] = list(os.getloadavg())
        cpu = CpuMeter()
        yield
        self.cpu = cpu.stop()
        self.load["after"] = list(os.getloadavg())


@contextmanager
def client_collector_paused() -> Iterator[None]:
    """Keep this process's cyclic garbage collector from running (as ``timeit`` does) while
    the client timestamps arrivals: a full collection of the client's heap stalled its event
    loop for 50-75 ms (measured with gc callbacks), and every frame arriving meanwhile was
    stamped that much late, which is the client's latency, not the server's. The server's
    collector runs as always. Garbage is collected when the span ends."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def open_streams(parties: Sequence[str], run: StreamRun,
                       subscribe: Callable[[str, asyncio.Event], Coroutine[Any, Any, None]]
                       ) -> list[asyncio.Task[None]]:
    """Start ``subscribe(party, ready)`` for every party and wait until every stream is open
    (30 s at most); exit if any failed."""
    readies = {p: asyncio.Event() for p in parties}
    subs = [asyncio.create_task(subscribe(p, readies[p])) for p in parties]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies.values())), 30)
    if run.stream_errors:
        raise SystemExit(f"subscribers: {run.stream_errors}")
    return subs
