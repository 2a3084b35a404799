"""Outbound webhooks (``/v1/webhooks`` and the deliverer) against ``create_app()`` with real
storage and a REAL HTTP receiver (``http.server`` on 127.0.0.1, a free port, in a thread):
each party's events arrive in seq order, signed with HMAC-SHA256 of the raw body; a 2xx
answer counts as delivery (signed receipt verifying with ``/v1/keys``, one ``event.delivered``
audit record, officer ``webhook:<id>``); failures are retried with backoff without gaps or
duplicate delivery records; bad URLs are refused and store nothing; no party sees, changes or
removes another's webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.api import create_app
from hotline.audit import key_ring, verify_signed
from hotline.relay.webhooks import backoff
from hotline.settings import Settings
from test_api_alerts import _notice
from test_api_audit import _all_records, _auth

SECRET = "s3cret-s3cret-s3cret"


@dataclass
class Receiver:
    """What the receiver got (headers, raw body), and the statuses it answers in turn (then
    200 for ever, or ``always`` if set)."""

    url: str = ""
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    always: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seqs(self) -> list[int]:
        with self.lock:
            return [int(h["hotline-event-id"]) for h, _ in self.got]


@contextmanager
def _receiver(script: list[int] | None = None, always: int | None = None) -> Iterator[Receiver]:
    rec = Receiver(script=list(script or []), always=always)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with rec.lock:
                rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = rec.always or (rec.script.pop(0) if rec.script else 200)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}",
                    webhook_poll_s=0.02, webhook_backoff_s=0.05, webhook_backoff_max_s=0.2,
                    webhook_timeout_s=2.0)


@contextmanager
def _app(tmp_path: Path, clock: ManualClock, store: SqlStore | None = None) -> Iterator[
        tuple[TestClient, dict[str, dict[str, str]]]]:
    """The app with its lifespan running (so the deliverer runs), and headers per caller."""
    settings = _settings(tmp_path)
    with TestClient(create_app(settings, clock=clock, store=store)) as client:
        who = {p: _auth(settings, p) for p in ("blue", "red")}
        who |= {f"{p}-admin": _auth(settings, p, "admin") for p in ("blue", "red")}
        who["blue-feed"] = _auth(settings, "blue", "feed")
        yield client, who


def _events(client: TestClient, who: dict[str, dict[str, str]]) -> None:
    """blue and red conflict (an alert each); red sends blue two messages: blue has 3 events."""
    for party, lat in (("blue", 35.0), ("red", 35.02)):
        r = client.put(f"/v1/notices/{party}1", json=_notice(clock_of(client), lat),
                       headers=who[party])
        assert r.status_code == 201, r.text
    for text in ("one", "two"):
        r = client.post("/v1/messages", json={"to": "blue", "text": text}, headers=who["red"])
        assert r.status_code == 201, r.text


def clock_of(client: TestClient) -> ManualClock:
    found: ManualClock = client.app.state.service.clock  # type: ignore[attr-defined]
    return found


def _wait(what: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _hook(client: TestClient, headers: dict[str, str], id: str = "h1") -> dict[str, Any]:
    r = client.get(f"/v1/webhooks/{id}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _stream(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/events", headers=headers).json()["items"]
    return items


def test_events_arrive_in_order_signed_and_count_as_delivery(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    with _receiver() as rec, _app(tmp_path, clock, store) as (client, who):
        r = client.put("/v1/webhooks/h1", json={"url": rec.url, "secret": SECRET},
                       headers=who["blue"])
        assert r.status_code == 201, r.text
        assert r.json()["url"] == rec.url and "secret" not in r.text
        _events(client, who)
        _wait(lambda: _hook(client, who["blue"])["delivery"]["cursor"] == 3)
        assert rec.seqs() == [1, 2, 3]
        sent = _stream(client, who["blue"])
        for (headers, body), event in zip(rec.got, sent, strict=True):
            expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert headers["hotline-signature"] == f"sha256={expected}"
            assert headers["hotline-timestamp"] == "2026-11-24T12:00:00Z"
            assert headers["content-type"] == "application/json"
            # the body is the event as GET /v1/events showed it when it was sent
            assert json.loads(body) == {**event, "delivery": None}
        # each 2xx counted as delivery: signed receipt naming the webhook, one audit record
        keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
        records = {x["seq"]: x["data"] for x in _all_records(client, who["blue"]) if "data" in x}
        for event in sent:
            assert event["delivery"]["by"] == "webhook:h1"
            statement = verify_signed(event["delivery"]["receipt"], keys,
                                      expected_type="hotline.receipt.v1")
            assert statement["event"] == "delivered" and statement["party"] == "blue"
            assert statement["officer"] == "webhook:h1"
            assert statement["item"]["id"] == event["item_id"]
            record = records[statement["audit_seq"]]
            assert record["action"] == "event.delivered" and record["officer"] == "webhook:h1"
            assert record["event"]["seq"] == event["seq"]
        assert [r["event"]["seq"] for r in records.values()
                if r["action"] == "event.delivered"] == [1, 2, 3]
        # a client confirming afterwards finds nothing new to confirm
        again = client.post("/v1/events/ack", json={"through": 3}, headers=who["blue"])
        assert again.json()["receipts"] == []
        # a new event follows; red (no webhook) got nothing delivered
        client.post("/v1/messages", json={"to": "blue", "text": "three"}, headers=who["red"])
        _wait(lambda: rec.seqs() == [1, 2, 3, 4])
        assert all(e["delivery"] is None for e in _stream(client, who["red"]))
        assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True
    # the lifespan stopped the deliverer
    assert not [t for t in threading.enumerate() if t.name == "hotline-webhooks"]


def test_retries_until_2xx_without_gap_or_duplicate_records(
    tmp_path: Path, clock: ManualClock
) -> None:
    with _receiver(script=[500, 500]) as rec, _app(tmp_path, clock) as (client, who):
        _events(client, who)  # registered after the events: it still gets the whole stream
        r = client.put("/v1/webhooks/h1", json={"url": rec.url, "secret": SECRET},
                       headers=who["blue-admin"])
        assert r.status_code == 201, r.text
        _wait(lambda: _hook(client, who["blue"])["delivery"]["cursor"] == 3)
        assert rec.seqs() == [1, 1, 1, 2, 3]
        bodies = [body for _, body in rec.got]
        assert bodies[0] == bodies[1] == bodies[2]  # the same event, byte for byte
        state = _hook(client, who["blue"])["delivery"]
        assert state == {"cursor": 3, "attempts": 0, "next_attempt_at": None,
                         "last_error": None}
        delivered = [x["data"]["event"]["seq"] for x in _all_records(client, who["blue"])
                     if "data" in x and x["data"]["action"] == "event.delivered"]
        assert delivered == [1, 2, 3]
        time.sleep(0.2)  # nothing more goes out
        assert rec.seqs() == [1, 1, 1, 2, 3]


def test_failing_webhook_backs_off_and_does_not_block_another(
    tmp_path: Path, clock: ManualClock
) -> None:
    with (_receiver(always=503) as bad, _receiver() as good,
          _app(tmp_path, clock) as (client, who)):
        for id, rec in (("bad", bad), ("good", good)):
            r = client.put(f"/v1/webhooks/{id}", json={"url": rec.url, "secret": SECRET},
                           headers=who["blue"])
            assert r.status_code == 201, r.text
        _events(client, who)
        _wait(lambda: good.seqs() == [1, 2, 3])
        _wait(lambda: _hook(client, who["blue"], "bad")["delivery"]["attempts"] >= 3)
        state = _hook(client, who["blue"], "bad")["delivery"]
        assert state["cursor"] == 0 and state["last_error"] == "HTTP 503"
        assert state["next_attempt_at"] is not None
        assert set(bad.seqs()) == {1}  # never skips ahead
        # the events were delivered once, by the good webhook
        assert {e["delivery"]["by"] for e in _stream(client, who["blue"])} == {"webhook:good"}
        # deleting the failing webhook stops its attempts
        assert client.delete("/v1/webhooks/bad", headers=who["blue"]).status_code == 204
        time.sleep(0.1)
        tried = len(bad.seqs())
        time.sleep(0.4)
        assert len(bad.seqs()) == tried


def test_backoff_doubles_capped_and_jittered() -> None:
    assert [backoff(n, 0.5, 60, 0.999999) for n in (1, 2, 3)] == pytest.approx([0.5, 1, 2])
    assert backoff(30, 0.5, 60, 0.999999) == pytest.approx(60)
    assert backoff(10**6, 0.5, 60, 0.0) == 30
    assert backoff(1, 0.5, 60, 0.0) == 0.25


BAD: list[tuple[dict[str, Any], str]] = [
    ({"url": "ftp://example.com/x", "secret": SECRET}, "url"),
    ({"url": "file:///etc/passwd", "secret": SECRET}, "url"),
    ({"url": "example.com/hook", "secret": SECRET}, "url"),
    ({"url": "https:///path", "secret": SECRET}, "url"),
    ({"url": "https://user:pw@example.com/", "secret": SECRET}, "url"),
    ({"url": "https://user@example.com/", "secret": SECRET}, "url"),
    ({"url": "https://example.com/" + "a" * 2000, "secret": SECRET}, "url"),
    ({"url": "https://exa mple.com/", "secret": SECRET}, "url"),
    ({"url": "https://example.com:99999/", "secret": SECRET}, "url"),
    ({"url": "", "secret": SECRET}, "url"),
    ({"url": 5, "secret": SECRET}, "url"),
    ({"secret": SECRET}, "url"),
    ({"url": "https://example.com/", "secret": "short"}, "secret"),
    ({"url": "https://example.com/", "secret": "x" * 257}, "secret"),
    ({"url": "https://example.com/"}, "secret"),
    ({"url": "https://example.com/", "secret": SECRET, "extra": 1}, "extra"),
]


def test_bad_input_is_400_and_stores_nothing(tmp_path: Path, clock: ManualClock) -> None:
    with _app(tmp_path, clock) as (client, who):
        before = len(_all_records(client, who["blue-admin"]))
        for body, says in BAD:
            r = client.put("/v1/webhooks/h1", json=body, headers=who["blue"])
            assert r.status_code == 400, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert says in r.json()["detail"], (body, r.text)
        r = client.put("/v1/webhooks/bad id!", json={"url": "https://example.com/",
                                                     "secret": SECRET}, headers=who["blue"])
        assert r.status_code == 400
        assert client.get("/v1/webhooks", headers=who["blue"]).json() == {"items": []}
        assert client.get("/v1/webhooks/h1", headers=who["blue"]).status_code == 404
        assert len(_all_records(client, who["blue-admin"])) == before
        # the longest acceptable URL is fine
        ok = "https://example.com/" + "a" * (2000 - len("https://example.com/"))
        r = client.put("/v1/webhooks/h1", json={"url": ok, "secret": SECRET},
                       headers=who["blue"])
        assert r.status_code == 201, r.text


def test_party_isolation_and_roles(tmp_path: Path, clock: ManualClock) -> None:
    with _app(tmp_path, clock) as (client, who):
        blue = {"url": "https://blue.example/hook", "secret": SECRET}
        assert client.put("/v1/webhooks/h1", json=blue, headers=who["blue"]).status_code == 201
        # red cannot see, list or delete blue's webhook
        assert client.get("/v1/webhooks/h1", headers=who["red"]).status_code == 404
        assert client.delete("/v1/webhooks/h1", headers=who["red"]).status_code == 404
        assert client.delete("/v1/webhooks/h1",
                             headers=who["red-admin"]).status_code == 404
        assert client.get("/v1/webhooks", headers=who["red"]).json() == {"items": []}
        # red's webhook of the same id is its own, and leaves blue's alone
        red = {"url": "https://red.example/hook", "secret": "r" * 16}
        assert client.put("/v1/webhooks/h1", json=red, headers=who["red"]).status_code == 201
        assert _hook(client, who["blue"])["url"] == blue["url"]
        assert _hook(client, who["red-admin"])["url"] == red["url"]
        # replacing keeps the delivery state, answers 200; an admin may manage webhooks
        moved = {"url": "https://blue.example/v2", "secret": SECRET}
        r = client.put("/v1/webhooks/h1", json=moved, headers=who["blue-admin"])
        assert r.status_code == 200 and r.json()["url"] == moved["url"]
        listed = client.get("/v1/webhooks", headers=who["blue"]).json()["items"]
        assert [w["url"] for w in listed] == [moved["url"]]
        assert SECRET not in client.get("/v1/webhooks", headers=who["blue"]).text
        # track feeds and anonymous callers may not
        assert client.get("/v1/webhooks", headers=who["blue-feed"]).status_code == 403
        assert client.put("/v1/webhooks/h2", json=blue,
                          headers=who["blue-feed"]).status_code == 403
        assert client.get("/v1/webhooks/h1").status_code == 401
        assert client.delete("/v1/webhooks/h1").status_code == 401
        # blue deletes its own; red's stays
        assert client.delete("/v1/webhooks/h1", headers=who["blue"]).status_code == 204
        assert client.get("/v1/webhooks/h1", headers=who["blue"]).status_code == 404
        assert _hook(client, who["red"])["url"] == red["url"]
        actions = [x["data"]["action"] for x in _all_records(client, who["blue"])
                   if "data" in x]
        assert actions.count("webhook.put") == 2 and actions.count("webhook.delete") == 1
