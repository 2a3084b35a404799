"""The event stream's delivery path on both engines: events read as their wire JSON are what
``event_json`` gives (the same JSON value; byte for byte where the body was stored by
``json.dumps``, as a message's is), undelivered and confirmed, non-ASCII text, any window of
the stream; and a live stream (a real socket, uvicorn) still delivers while a long
write holds the store and enough writes queue behind it to occupy every worker thread (and,
on PostgreSQL, every connection of the writers' pool)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.ports import LockScope
from hotline.relay.events import event_json
from live_server import serve
from test_api_alerts import _notice
from test_api_audit import _auth, _settings
from test_api_events import _setup

#: More writes than the worker threads sync endpoints share (anyio's default: 40).
QUEUED_WRITES = 48


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def test_event_data_is_event_json(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    clock.advance(1.123456)  # a created_at with a fraction of a second
    r = client.post("/v1/messages", json={"to": "blue", "text": 'Überflug ✈ "FL350"\n\\'},
                    headers=who["red"])
    assert r.status_code == 201, r.text
    clock.set(clock.now().replace(microsecond=0) + timedelta(seconds=1))  # and one without
    assert client.post("/v1/messages", json={"to": "blue", "text": "round"},
                       headers=who["red"]).status_code == 201
    r = client.post("/v1/events/ack", json={"through": 2}, headers=who["blue"])
    assert r.status_code == 200 and len(r.json()["receipts"]) == 2, r.text
    for party in ("blue", "red", "civil"):
        with store.read() as tx:
            events = tx.events_for(party, limit=1000)
            for after, limit in ((0, 1000), (1, 2), (3, 1000), (len(events), 5)):
                got = tx.event_data_for(party, after=after, limit=limit)
                want = [e for e in events if e.seq > after][:limit]
                assert [(d.party, d.seq, d.kind) for d in got] == [
                    (e.party, e.seq, e.kind) for e in want]
                assert [json.loads(d.data) for d in got] == [event_json(e) for e in want]
                assert [d.data for d in got if d.kind == "message"] == [
                    _compact(event_json(e)) for e in want if e.kind == "message"]
    with store.read() as tx:
        blue_events = tx.events_for("blue", limit=1000)
    assert len(blue_events) == 5  # the cases above covered confirmed and unconfirmed events
    assert [e.delivered_at is not None for e in blue_events] == [True, True, False, False, False]
    assert [e.created_at.microsecond for e in blue_events[3:]] == [123456, 0]


@contextmanager
def _serve(store: SqlStore, tmp_path: Path, clock: ManualClock) -> Iterator[str]:
    from hotline.api import create_app

    with serve(create_app(_settings(tmp_path), clock=clock, store=store)) as url:
        yield url


def _first_events(url: str, headers: dict[str, str], n: int, within_s: float) -> list[Any]:
    """Open blue's stream and read ``n`` events, failing if they take over ``within_s``."""
    got: list[Any] = []
    timeout = httpx.Timeout(within_s)
    with httpx.stream("GET", f"{url}/v1/events", timeout=timeout,
                      headers={**headers, "Accept": "text/event-stream"}) as r:
        assert r.status_code == 200
        deadline = time.monotonic() + within_s
        for line in r.iter_lines():
            assert time.monotonic() < deadline, f"only {len(got)} of {n} events in {within_s} s"
            if line.startswith("data: "):
                got.append(json.loads(line.removeprefix("data: ")))
                if len(got) == n:
                    return got
    raise AssertionError(f"stream ended after {len(got)} of {n} events")


def test_stream_delivers_while_queued_writes_hold_every_worker_thread(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    settings = _settings(tmp_path)
    who = {p: _auth(settings, p) for p in ("blue", "red")}
    with _serve(store, tmp_path, clock) as url, httpx.Client(
            base_url=url, timeout=60.0, limits=httpx.Limits(max_connections=64)) as http:
        for party, lat in (("blue", 35.0), ("red", 35.02)):  # one conflict alert each
            assert http.put(f"/v1/notices/{party}1", json=_notice(clock, lat),
                            headers=who[party]).status_code == 201
        for i in range(3):
            assert http.post("/v1/messages", json={"to": "blue", "text": f"m{i}"},
                             headers=who["red"]).status_code == 201
        with ThreadPoolExecutor(QUEUED_WRITES) as pool:
            with store.write(LockScope(everything=True)):  # a long write: all others queue
                queued = [pool.submit(http.put, f"/v1/notices/q{i}",
                                      json=_notice(clock, 40.0 + i / 2), headers=who["red"])
                          for i in range(QUEUED_WRITES)]
                time.sleep(1.0)
                assert not any(f.done() for f in queued), "the writes did not queue"
                events = _first_events(url, who["blue"], 4, within_s=5.0)
                assert not any(f.done() for f in queued), "the long write ended early"
            answers = [f.result() for f in queued]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["kind"] for e in events] == ["alert", "message", "message", "message"]
    assert [a.status_code for a in answers] == [201] * QUEUED_WRITES
