"""No loss across crashes: a real ``hotline serve`` (real socket, SQLite file or PostgreSQL)
is killed with SIGKILL again and again while client threads send messages (each retried
with its ``Idempotency-Key`` until answered), acknowledge the messages they receive, and read
their party's server-sent events, resuming with ``Last-Event-ID`` after every drop.

Afterwards: every message answered 201 exists exactly once (and no message exists that was
never asked for twice), every acknowledgment answered 200 is recorded once with the receipt
that was answered, each SSE consumer saw its party's events 1..n with no gap and no
duplicate, exactly as stored, ``hotline audit verify`` passes, and the durability settings
the server reports are the ones the design requires (SQLite: WAL, synchronous=FULL;
PostgreSQL: fsync and synchronous_commit on).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotline.settings import Settings
from live_server import ServeProcess
from test_api_alerts import _notice
from test_api_audit import _auth

PARTIES = ("blue", "red")
PER_SENDER = 20
KILLS = 3
def _retry(call: Any, deadline: float) -> httpx.Response:
    """Call until the server answers something other than 5xx (it may be down)."""
    while time.monotonic() < deadline:
        try:
            r: httpx.Response = call()
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if r.status_code < 500:
            return r
        time.sleep(0.05)
    raise AssertionError("no answer before the deadline")


class Clients:
    """The client threads and what each was answered."""

    def __init__(self, url: str, who: dict[str, dict[str, str]]) -> None:
        self.url, self.who = url, who
        self.deadline = time.monotonic() + 120
        self.sent: dict[str, dict[str, str]] = {p: {} for p in PARTIES}  # key -> message id
        self.acked: dict[str, dict[str, Any]] = {}  # message id -> receipt answered
        self.seen: dict[str, list[int]] = {p: [] for p in PARTIES}  # SSE seqs, in order
        self.reconnects = Counter[str]()
        self.senders_done = threading.Event()
        self.stop = threading.Event()
        self.errors: list[str] = []

    def send(self, party: str) -> None:
        to = "red" if party == "blue" else "blue"
        with httpx.Client(base_url=self.url, timeout=5) as c:
            for i in range(PER_SENDER):
                key = f"{party}-{i}"
                r = _retry(lambda key=key, i=i: c.post(  # type: ignore[misc]
                    "/v1/messages", json={"to": to, "text": f"{party} #{i}"},
                    headers={**self.who[party], "Idempotency-Key": key}), self.deadline)
                if r.status_code != 201:
                    self.errors.append(f"send {key}: {r.status_code} {r.text}")
                    return
                self.sent[party][key] = r.json()["id"]

    def ack(self, party: str) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as c:
            while not self.stop.is_set():
                try:
                    inbox = c.get("/v1/messages", params={"box": "in", "limit": 1000},
                                  headers=self.who[party])
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if inbox.status_code != 200:
                    time.sleep(0.05)
                    continue
                todo = [m["id"] for m in inbox.json()["items"] if m["id"] not in self.acked]
                for mid in todo:
                    r = _retry(lambda mid=mid: c.post(  # type: ignore[misc]
                        f"/v1/messages/{mid}/ack", headers=self.who[party]), self.deadline)
                    if r.status_code != 200:
                        self.errors.append(f"ack {mid}: {r.status_code} {r.text}")
                        return
                    self.acked[mid] = r.json()
                if not todo:
                    if self.senders_done.is_set():
                        return
                    time.sleep(0.05)

    def listen(self, party: str, until: dict[str, int]) -> None:
        last = 0
        while not (party in until and last >= until[party]):
            if time.monotonic() > self.deadline:
                self.errors.append(f"{party}'s stream stopped at {last}")
                return
            headers = {**self.who[party], "Accept": "text/event-stream"}
            if last:
                headers["Last-Event-ID"] = str(last)
            try:
                with httpx.stream("GET", f"{self.url}/v1/events", headers=headers,
                                  timeout=httpx.Timeout(5, read=1)) as r:
                    if r.status_code != 200:
                        time.sleep(0.05)
                        continue
                    for line in r.iter_lines():
                        if line.startswith("id: "):
                            last = int(line[4:])
                            self.seen[party].append(last)
                        if party in until and last >= until[party]:
                            return
            except httpx.HTTPError:
                pass
            self.reconnects[party] += 1
            time.sleep(0.02)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_sigkill_loses_nothing(engine: str, tmp_path: Path, request: pytest.FixtureRequest,
                               clock: Any) -> None:
    if engine == "sqlite":
        db = f"sqlite:///{tmp_path / 'hotline.db'}"
        durable = {"journal_mode": "wal", "synchronous": "2"}  # 2: FULL
    else:
        from conftest import _reset_pg

        db = request.getfixturevalue("pg_dsn")
        _reset_pg(db)
        durable = {"synchronous_commit": "on", "fsync": "on"}
    settings = Settings(data_dir=tmp_path, db=db)
    who = {p: _auth(settings, p) for p in PARTIES}
    admin = _auth(settings, "blue", "admin")
    server = ServeProcess(tmp_path, db)
    server.start()
    try:
        health = httpx.get(f"{server.url}/healthz").json()
        assert health["durability"] == durable
        # both parties become known (and conflict, so each has an alert event first)
        for party, lat in (("blue", 35.0), ("red", 35.02)):
            r = httpx.put(f"{server.url}/v1/notices/{party}1", headers=who[party],
                          json=_notice(clock, lat, minutes=60 * 24 * 30))
            assert r.status_code == 201, r.text

        clients = Clients(server.url, who)
        until: dict[str, int] = {}
        threads = [threading.Thread(target=clients.send, args=(p,)) for p in PARTIES]
        ackers = [threading.Thread(target=clients.ack, args=(p,)) for p in PARTIES]
        listeners = [threading.Thread(target=clients.listen, args=(p, until))
                     for p in PARTIES]
        for t in (*threads, *ackers, *listeners):
            t.daemon = True
            t.start()
        rng = random.Random(7)
        kills = 0
        while kills < KILLS or any(t.is_alive() for t in threads):
            time.sleep(rng.uniform(0.3, 0.9))
            if kills < KILLS:
                server.kill()
                kills += 1
                server.start()
            assert time.monotonic() < clients.deadline, clients.errors
        for t in threads:
            t.join()
        clients.senders_done.set()
        for t in ackers:
            t.join(timeout=60)
        clients.stop.set()
        assert not clients.errors, clients.errors
        # the streams must now reach each party's last event
        stored = {}
        for p in PARTIES:
            items = httpx.get(f"{server.url}/v1/events", params={"limit": 1000},
                              headers=who[p]).json()["items"]
            stored[p] = items
            until[p] = items[-1]["seq"]
        for t in listeners:
            t.join(timeout=60)
        assert not clients.errors, clients.errors
    finally:
        server.stop()
    server = ServeProcess(tmp_path, db)
    server.start()  # a clean start for the checks
    try:
        for p in PARTIES:
            out = httpx.get(f"{server.url}/v1/messages", params={"box": "out", "limit": 1000},
                            headers=who[p]).json()["items"]
            texts = Counter(m["body"]["text"] for m in out)
            # every message answered 201 exists exactly once; nothing else was created
            assert texts == Counter(f"{p} #{i}" for i in range(PER_SENDER)), texts
            assert {m["id"] for m in out} == set(clients.sent[p].values())
            inbox = httpx.get(f"{server.url}/v1/messages", params={"box": "in", "limit": 1000},
                              headers=who[p]).json()["items"]
            for m in inbox:  # every acknowledgment answered is recorded, with that receipt
                assert m["ack"] is not None and m["ack"]["receipt"] == clients.acked[m["id"]]
            records = [x["data"] for x in httpx.get(
                f"{server.url}/v1/audit", params={"limit": 1000},
                headers=who[p]).json()["items"] if "data" in x]
            acks = Counter(r["message"]["id"] for r in records if r["action"] == "message.ack")
            assert set(acks) == {m["id"] for m in inbox} and set(acks.values()) == {1}
            sends = Counter(r["message"]["id"] for r in records
                            if r["action"] == "message.send")
            assert set(sends.values()) == {1} and len(sends) == PER_SENDER
            # each SSE consumer saw 1..n, no gap, no duplicate, as stored
            assert clients.seen[p] == list(range(1, until[p] + 1)), clients.seen[p]
            assert [e["seq"] for e in stored[p]] == clients.seen[p]
        assert sum(clients.reconnects.values()) >= KILLS  # the streams really were cut
        assert httpx.get(f"{server.url}/v1/audit/verify", headers=admin).json()["ok"] is True
    finally:
        server.stop()
    done = subprocess.run([sys.executable, "-m", "hotline.cli.main", "audit", "verify",
                           "--data-dir", str(tmp_path), "--db", db],
                          env=server.env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
