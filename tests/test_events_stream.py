"""``GET /v1/events/stream`` over a real socket: the app runs under uvicorn on 127.0.0.1 (a
free port, in a thread); a client reads server-sent events with httpx, drops the
connection, events keep coming, it reconnects with ``Last-Event-ID`` — also after the server
is restarted on the same SQLite file — and receives every event exactly once, in order, and
only its own party's."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotline.adapters.clock import ManualClock
from hotline.api import create_app
from hotline.settings import Settings
from live_server import serve
from test_api_alerts import _notice
from test_api_audit import _auth, _settings

TIMEOUT = httpx.Timeout(5.0)


@contextmanager
def _serve(settings: Settings, clock: ManualClock) -> Iterator[str]:
    """A fresh app (its own store on the settings' database) under uvicorn; yields its URL."""
    with serve(create_app(settings, clock=clock)) as url:
        yield url


def _read(client: httpx.Client, url: str, headers: dict[str, str], n: int,
          path: str = "/v1/events/stream", **params: Any) -> list[dict[str, Any]]:
    """Connect, read ``n`` events, then drop the connection."""
    got: list[dict[str, Any]] = []
    if path == "/v1/events":  # DESIGN.md's contract: SSE on /v1/events by content negotiation
        headers = {**headers, "Accept": "text/event-stream"}
    with client.stream("GET", f"{url}{path}", headers=headers, params=params,
                       timeout=TIMEOUT) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields:
                data = json.loads(fields["data"])
                assert fields["id"] == str(data["seq"]) and fields["event"] == data["kind"]
                got.append(data)
                if len(got) == n:
                    return got
            fields = {}
    raise AssertionError(f"stream ended after {len(got)} of {n} events")


def _send(client: httpx.Client, url: str, who: dict[str, dict[str, str]], text: str) -> str:
    r = client.post(f"{url}/v1/messages", json={"to": "blue", "text": text},
                    headers=who["red"])
    assert r.status_code == 201, r.text
    msg_id: str = r.json()["id"]
    return msg_id


def test_resume_across_dropped_connections_and_restarts(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = _settings(tmp_path)
    who = {p: _auth(settings, p) for p in ("blue", "red")}
    received: list[dict[str, Any]] = []
    sent: list[str] = []
    with httpx.Client() as client:
        with _serve(settings, clock) as url:
            for party, lat in (("blue", 35.0), ("red", 35.02)):  # one conflict alert each
                r = client.put(f"{url}/v1/notices/{party}1", json=_notice(clock, lat),
                               headers=who[party])
                assert r.status_code == 201, r.text
            sent += [_send(client, url, who, f"m{i}") for i in range(2)]
            received += _read(client, url, who["blue"], 3, "/v1/events")  # alert, m0, m1
            # dropped; two more arrive while blue is away; blue resumes after the last it has
            sent += [_send(client, url, who, f"m{i}") for i in range(2, 4)]
            received += _read(client, url,
                              {**who["blue"], "Last-Event-ID": str(received[-1]["seq"])}, 2)
            # a live subscriber gets an event raised while it is connected
            done: list[dict[str, Any]] = []
            reader = threading.Thread(target=lambda: done.extend(_read(
                client, url, who["blue"], 1, after=received[-1]["seq"])))
            reader.start()
            time.sleep(0.3)
            sent.append(_send(client, url, who, "m4"))
            reader.join(timeout=5)
            received += done
            # red's stream: only its own alert
            (red_alert,) = _read(client, url, who["red"], 1)
            assert red_alert["kind"] == "alert" and red_alert["item"]["party"] == "red"
        # the server restarts on the same database: the cursor still holds
        with _serve(settings, clock) as url:
            sent.append(_send(client, url, who, "m5"))
            received += _read(client, url, {**who["blue"],
                                             "Last-Event-ID": str(received[-1]["seq"])}, 1)
            sent.append(_send(client, url, who, "m6"))  # and ?after= works as the cursor
            received += _read(client, url, who["blue"], 1, after=received[-1]["seq"])
            replay = _read(client, url, who["blue"], 8)  # from the start: the same stream
    assert [e["seq"] for e in received] == list(range(1, 9))  # no gap, no duplicate
    assert received[0]["kind"] == "alert" and received[0]["item"]["party"] == "blue"
    assert [e["item_id"] for e in received[1:]] == sent
    assert [e["item"]["body"]["text"] for e in received[1:]] == [f"m{i}" for i in range(7)]
    assert all(e["delivery"] is None for e in received)  # written to a socket ≠ delivered
    assert replay == received


def test_quiet_stream_sends_keep_alives(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.api.routes import events

    monkeypatch.setattr(events, "KEEPALIVE_S", 0.2)
    settings = _settings(tmp_path)
    blue = _auth(settings, "blue")
    with httpx.Client() as client, _serve(settings, clock) as url, client.stream(
            "GET", f"{url}/v1/events/stream", headers=blue, timeout=TIMEOUT) as r:
        lines = r.iter_lines()
        assert next(lines) == "retry: 1000"
        comments = [line for line in (next(lines) for _ in range(4)) if line]
        assert comments == [": keep-alive", ": keep-alive"]
