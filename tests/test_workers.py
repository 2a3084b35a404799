"""Several worker processes on one database: a real ``hotline serve --workers 2`` (real
sockets, SQLite file or PostgreSQL).

Each test picks connections by the worker that answers them (``/healthz`` names it), so that
what crosses processes is exercised for certain, not by luck of the kernel's accept:

- a commit in one worker wakes an event stream held by the other at once (the stream's own
  poll is set to 30 s, so only the peer bell can deliver within the test's 5 s);
- both workers write overlapping notices at the same moment; every write succeeds, each
  conflict is found, and the audit log verifies;
- live tracks posted to the worker that is not the primary reach the primary's board, and
  either worker shows them; when the primary is killed, the other takes over.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from builders import box_json
from conftest import _reset_pg
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.domain.time import format_rfc3339
from hotline.settings import Settings
from live_server import ServeProcess


class Workers(ServeProcess):
    """``hotline serve --workers 2`` as a subprocess, with tokens and connections chosen by
    the worker that serves them."""

    def __init__(self, data_dir: Path, db: str) -> None:
        super().__init__(data_dir, db, args=["--workers", "2"],
                         env={"HOTLINE_EVENTS_POLL_S": "30"})
        self.clients: list[httpx.Client] = []
        self.settings = Settings(data_dir=data_dir)
        self._key = load_or_create_issuer_key(data_dir)
        self.start()

    def auth(self, party: str, *scopes: str) -> dict[str, str]:
        tok = mint(self._key, party=party, officer=f"{party}-officer",
                   scopes=list(scopes or ["duty"]), issuer=self.settings.jwt_issuer,
                   audience=self.settings.jwt_audience, ttl_s=3600)
        return {"Authorization": f"Bearer {tok}"}

    def worker_of(self, client: httpx.Client) -> dict[str, Any]:
        answer: dict[str, Any] = client.get("/healthz").json()["worker"]
        return answer

    def connection(self, *, primary: bool, timeout_s: float = 30) -> httpx.Client:
        """A kept-alive connection served by the primary worker, or by another one."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            c = httpx.Client(base_url=self.url, timeout=10)
            try:
                if self.worker_of(c)["primary"] is primary:
                    self.clients.append(c)
                    return c
            except httpx.HTTPError:
                pass
            c.close()
            time.sleep(0.01)
        raise AssertionError(f"no connection to a {'primary' if primary else 'secondary'} "
                             "worker")

    def pids(self) -> set[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                             text=True, check=False).stdout
        return {int(p) for p in out.split()}

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.stop(graceful=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workers]:
    if request.param == "sqlite":
        db = f"sqlite:///{tmp_path / 'hotline.db'}"
    else:
        db = request.getfixturevalue("pg_dsn")
        _reset_pg(db)
    server = Workers(tmp_path, db)
    try:
        yield server
    finally:
        server.close()


def _sse(client: httpx.Client, headers: dict[str, str], want: int,
         got: list[tuple[float, dict[str, str]]], ready: threading.Event) -> None:
    """Read the stream until ``want`` events came (each with its arrival time)."""
    with client.stream("GET", "/v1/events", headers={**headers,
                                                      "Accept": "text/event-stream"},
                       timeout=httpx.Timeout(10, read=40)) as r:
        assert r.status_code == 200
        ready.set()
        event: dict[str, str] = {}
        for line in r.iter_lines():
            if not line:
                if "id" in event:
                    got.append((time.monotonic(), event))
                    if len(got) >= want:
                        return
                event = {}
            elif not line.startswith(":"):
                k, _, v = line.partition(": ")
                event[k] = v


def test_a_commit_in_one_worker_wakes_a_stream_in_the_other(workers: Workers) -> None:
    listener = workers.connection(primary=True)
    sender = workers.connection(primary=False)
    red, blue = workers.auth("red"), workers.auth("blue")
    start = datetime.now(UTC) + timedelta(hours=2)
    assert listener.put("/v1/notices/red-1", json={"volumes": [box_json(10.0, 10.0, 5, start)]},
                        headers=red).status_code == 201  # red is known from now on
    got: list[tuple[float, dict[str, str]]] = []
    ready = threading.Event()
    reader = threading.Thread(target=_sse, args=(listener, red, 5, got, ready), daemon=True)
    reader.start()
    assert ready.wait(10)
    time.sleep(0.3)  # the stream is waiting on its bell (its poll is 30 s away)
    sent: list[float] = []
    for i in range(5):
        sent.append(time.monotonic())
        r = sender.post("/v1/messages", json={"to": "red", "text": f"hello {i}"},
                        headers=blue)
        assert r.status_code == 201, r.text
        time.sleep(0.2)
    reader.join(timeout=10)
    assert len(got) == 5, got
    assert [int(e["id"]) for _, e in got] == [1, 2, 3, 4, 5]
    delays = [arrived - at for (arrived, _), at in zip(got, sent, strict=True)]
    assert max(delays) < 5.0, delays  # rung across processes, not found by the 30 s poll


def test_both_workers_write_overlapping_notices_at_once(workers: Workers) -> None:
    conns = {"blue": workers.connection(primary=True), "red": workers.connection(primary=False)}
    start = datetime.now(UTC) + timedelta(hours=2)
    answers: dict[str, list[httpx.Response]] = {"blue": [], "red": []}
    barrier = threading.Barrier(2)

    def write(party: str) -> None:
        who = workers.auth(party)
        barrier.wait()
        for i in range(15):
            body = {"volumes": [box_json(35.0 + i * 0.5, 37.0, 5, start)]}
            answers[party].append(conns[party].put(f"/v1/notices/{party}-{i}", json=body,
                                                   headers=who))

    threads = [threading.Thread(target=write, args=(p,)) for p in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for rs in answers.values():
        assert [r.status_code for r in rs] == [201] * 15, [r.text for r in rs if r.is_error]
    # notice i of each party overlaps the other's notice i: whichever wrote second saw it,
    # and the first learns of it on reading its notice back
    for i in range(15):
        seen = conns["blue"].get(f"/v1/notices/blue-{i}",
                                 headers=workers.auth("blue")).json()["conflicts"]
        assert [c["with"]["id"] for c in seen] == [f"red-{i}"], seen
    admin = workers.auth("ops", "admin")
    assert conns["red"].get("/v1/audit/verify", headers=admin).json()["ok"] is True


def _report(aircraft: str, lat: float) -> dict[str, Any]:
    return {"id": aircraft, "time": format_rfc3339(datetime.now(UTC)), "lat": lat,
            "lon": 37.0, "alt_ft": 25000, "alt_ref": "PRESSURE", "gs_kt": 450,
            "trk_deg": 90, "vs_fpm": 0}


def _posted(client: httpx.Client, feed: dict[str, str], aircraft: str,
            timeout_s: float = 20) -> httpx.Response:
    """POST one report, retrying while no primary answers (503 with Retry-After)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = client.post("/v1/tracks", json={"reports": [_report(aircraft, 35.0)]},
                        headers=feed)
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        assert r.headers["retry-after"] == "1"
        time.sleep(0.2)


def test_live_tracks_go_to_the_primary_which_another_worker_replaces(
        workers: Workers) -> None:
    primary = workers.connection(primary=True)
    other = workers.connection(primary=False)
    feed, duty = workers.auth("blue", "feed"), workers.auth("blue")
    r = other.post("/v1/tracks", json={"reports": [_report("B1", 35.0),
                                                   _report("B2", 35.2)]}, headers=feed)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
    for c in (primary, other):  # one board, whichever worker is asked
        tracks = c.get("/v1/tracks", headers=duty).json()["tracks"]
        assert sorted(t["id"] for t in tracks) == ["B1", "B2"]
    # bad input relayed gets the primary's own answer
    bad = other.post("/v1/tracks", json={"reports": "nope"}, headers=feed)
    assert bad.status_code == 400 and "problem+json" in bad.headers["content-type"]
    assert other.post("/v1/tracks", json={"reports": []}).status_code == 401
    # the path goes on as sent: encoded dot segments are not resolved into another route
    sneaky = other.get("/v1/tracks/..%2F..%2Fhealthz", headers=duty)
    assert sneaky.status_code == 404 and "status" not in sneaky.text[:20]
    # the relay is transparent: a failed authentication is audited with the source address
    # this worker's server took from the connection (uvicorn trusts X-Forwarded-For from
    # 127.0.0.1, a local proxy), exactly as when the primary is asked directly; one Date
    from cryptography.hazmat.primitives.asymmetric import rsa

    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = mint(forger, party="ops", officer="mallory", scopes=["feed"],
                  issuer=workers.settings.jwt_issuer, audience=workers.settings.jwt_audience,
                  ttl_s=60)
    for c, address in ((other, "10.9.9.9"), (primary, "10.8.8.8")):
        r = c.post("/v1/tracks", json={"reports": []},
                   headers={"Authorization": f"Bearer {forged}", "X-Forwarded-For": address,
                            "Forwarded": "for=10.7.7.7"})
        assert r.status_code == 401 and r.headers.get_list("date") == [r.headers["date"]]
    items = primary.get("/v1/audit", params={"limit": 1000},
                        headers=workers.auth("ops", "admin")).json()["items"]
    failures = [x["data"]["reason"] for x in items
                if "data" in x and x["data"]["action"] == "auth.failure"]
    assert [f.rsplit(" ", 1)[-1] for f in failures] == ["10.9.9.9)", "10.8.8.8)"], failures

    # only the server's own user can reach the relay socket (it trusts X-Forwarded-For) or
    # ring the bells
    run = workers.data_dir / "workers"
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    assert stat.S_IMODE((run / "bells").stat().st_mode) == 0o700
    assert stat.S_IMODE((run / "primary.sock").stat().st_mode) == 0o600
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (run / "bells").iterdir())

    old = workers.worker_of(primary)["pid"]
    os.kill(old, signal.SIGKILL)
    assert _posted(other, feed, "B3").status_code == 200
    assert workers.worker_of(other)["primary"] is True  # it took over
    tracks = other.get("/v1/tracks", headers=duty).json()["tracks"]
    assert "B3" in {t["id"] for t in tracks}
    # the dead primary is replaced by a new worker, which is not the primary
    deadline = time.monotonic() + 30
    while old in workers.pids() or len(workers.pids()) < 2:
        assert time.monotonic() < deadline, "the supervisor did not replace the worker"
        time.sleep(0.1)
    fresh = workers.connection(primary=False)
    assert _posted(fresh, feed, "B4").status_code == 200


def test_workers_share_one_simulated_clock(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    """``hotline serve --workers`` hands every worker one origin for a simulated clock, so
    workers started at different moments show the same time."""
    from hotline.adapters.clock import OffsetClock
    from hotline.cli.serve import worker_environment

    start = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    env = worker_environment(Settings(data_dir=tmp_path, clock_start=start, workers=2))
    assert env["HOTLINE_WORKERS"] == "2" and env["HOTLINE_DATA_DIR"] == str(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    clocks = []
    for _ in range(2):  # two workers, built 50 ms apart
        s = Settings()
        assert s.clock_start == start
        clocks.append(OffsetClock(s.clock_start, s.clock_start_monotonic))
        time.sleep(0.05)
    a, b = (c.now() for c in clocks)
    assert abs((b - a).total_seconds()) < 0.01
    assert timedelta(seconds=0.05) <= a - start < timedelta(seconds=5)
