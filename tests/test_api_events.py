"""``/v1/events`` (polling) and ``/v1/events/ack`` against ``create_app()`` with real storage:
each party's stream holds exactly its alerts and received messages, numbered 1..n; a
confirmation yields one signed delivery receipt (verified with the key from ``/v1/keys``) and
one ``event.delivered`` audit record per event, once; bad input changes nothing; no party
reads or confirms another's events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import BadSignature, canonical_json, key_ring, leaf_hash, verify_signed
from hotline.relay.alerts import content_hash
from hotline.settings import Settings
from test_api_alerts import _notice
from test_api_audit import _all_records, _auth, _settings


def _cast(client: TestClient, settings: Settings, clock: ManualClock
          ) -> dict[str, dict[str, str]]:
    """Tokens of the cast (blue, red, civil duty officers; blue and red admins; a blue track
    feed), and one notice each: blue's and red's conflict, civil's is far away."""
    who = {p: _auth(settings, p) for p in ("blue", "red", "civil")}
    who |= {f"{p}-admin": _auth(settings, p, "admin") for p in ("blue", "red")}
    who |= {"blue-feed": _auth(settings, "blue", "feed")}
    for party, lat in (("blue", 35.0), ("red", 35.02), ("civil", 10.0)):
        assert client.put(f"/v1/notices/{party}1", json=_notice(clock, lat),
                          headers=who[party]).status_code == 201
    return who


def _setup(tmp_path: Path, clock: ManualClock, store: SqlStore | None = None) -> tuple[
        TestClient, dict[str, dict[str, str]]]:
    """blue and red conflict (one alert each); red sends blue two messages, blue one to red."""
    from hotline.api import create_app

    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock, store=store))
    who = _cast(client, settings, clock)
    for sender, to, text in (("red", "blue", "one"), ("blue", "red", "two"),
                             ("red", "blue", "three")):
        clock.advance(1)
        r = client.post("/v1/messages", json={"to": to, "text": text}, headers=who[sender])
        assert r.status_code == 201, r.text
    return client, who


def _events(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get("/v1/events", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_stream_holds_alerts_and_received_messages_in_order(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    blue = _events(client, who["blue"])
    assert [e["seq"] for e in blue["items"]] == [1, 2, 3]
    assert [e["kind"] for e in blue["items"]] == ["alert", "message", "message"]
    assert [e["item"]["body"].get("text") for e in blue["items"][1:]] == ["one", "three"]
    assert blue["cursor"] == 3 and blue["next"] is None
    # the alert event carries the alert as GET /v1/alerts shows it (not yet acknowledged)
    (alert,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]
    assert blue["items"][0]["item"] == alert and blue["items"][0]["item_id"] == alert["id"]
    inbox = client.get("/v1/messages", headers=who["blue"]).json()["items"]
    assert [e["item"] for e in blue["items"][1:]] == inbox
    assert all(e["delivery"] is None for e in blue["items"])
    # paging with the cursor
    page = _events(client, who["blue"], after=1, limit=1)
    assert [e["seq"] for e in page["items"]] == [2] and page["next"] == 2
    assert _events(client, who["blue"], after=3)["items"] == []
    assert _events(client, who["blue"], after=3)["cursor"] == 3
    # red: its alert and blue's message; civil: nothing (no conflict, no message)
    red = _events(client, who["red"])["items"]
    assert [(e["seq"], e["kind"]) for e in red] == [(1, "alert"), (2, "message")]
    assert red[1]["item"]["body"] == {"text": "two"}
    assert _events(client, who["civil"])["items"] == []
    # admins read their party's stream too
    assert _events(client, who["red-admin"])["items"] == red


def test_ack_gives_delivery_receipts_once(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    items = _events(client, who["blue"])["items"]
    clock.advance(60)
    r = client.post("/v1/events/ack", json={"through": 2}, headers=who["blue"])
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["through"] == 2 and len(answer["receipts"]) == 2
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    statements = [verify_signed(x, keys, expected_type="hotline.receipt.v1")
                  for x in answer["receipts"]]
    alert, message = items[0]["item"], items[1]["item"]
    assert statements[0]["item"] == {"type": "alert", "id": alert["id"],
                                     "content_hash": content_hash(alert["body"])}
    assert statements[1]["item"] == {"type": "message", "id": message["id"],
                                     "content_hash": message["content_hash"]}
    for s in statements:
        assert s["event"] == "delivered" and s["party"] == "blue"
        assert s["officer"] == "blue-officer" and s["at"] == "2026-11-24T12:01:03Z"
    with pytest.raises(BadSignature):
        verify_signed({**answer["receipts"][0], "event": "acknowledged"}, keys)
    # one event.delivered audit record per event, at the seq its receipt names
    records = {r["seq"]: r for r in _all_records(client, who["blue"])}
    for s, e in zip(statements, items, strict=False):
        data = records[s["audit_seq"]]["data"]
        assert data["action"] == "event.delivered" and data["officer"] == "blue-officer"
        lead = {"lead_time": s["lead_time"]} if e["kind"] == "alert" else {}
        assert data["event"] == {"seq": e["seq"], "kind": e["kind"], "item_id": e["item_id"],
                                 "content_hash": s["item"]["content_hash"], **lead}
        assert leaf_hash(canonical_json(data)).hex() == records[s["audit_seq"]]["leaf_hash"]
    size = len(records)
    # the events now show their delivery; the third does not
    after = _events(client, who["blue"])["items"]
    assert [e["delivery"] and e["delivery"]["receipt"] for e in after] == [
        *answer["receipts"], None]
    assert after[0]["delivery"]["by"] == "blue-officer"
    # idempotent: again (and any through already covered) confirms nothing, records nothing
    for through in (2, 1):
        again = client.post("/v1/events/ack", json={"through": through}, headers=who["blue"])
        assert again.status_code == 200 and again.json() == {"through": through,
                                                              "receipts": []}
    assert len(_all_records(client, who["blue"])) == size
    assert _events(client, who["blue"])["items"] == after
    # through 3 confirms only the third
    third = client.post("/v1/events/ack", json={"through": 3}, headers=who["blue"]).json()
    assert len(third["receipts"]) == 1
    assert verify_signed(third["receipts"][0], keys)["item"]["id"] == after[2]["item_id"]
    # red's events are untouched by blue's confirmations
    assert all(e["delivery"] is None for e in _events(client, who["red"])["items"])
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_party_isolation_and_roles(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    # blue has 3 events, red 2: red cannot confirm "through 3" by pointing at blue's stream
    r = client.post("/v1/events/ack", json={"through": 3}, headers=who["red"])
    assert r.status_code == 400 and "beyond your party's last event (2)" in r.json()["detail"]
    r = client.post("/v1/events/ack", json={"through": 1}, headers=who["civil"])
    assert r.status_code == 400  # civil has no events at all
    for caller in ("blue-admin", "red-admin", "blue-feed"):  # confirming is a duty officer's
        r = client.post("/v1/events/ack", json={"through": 1}, headers=who[caller])
        assert r.status_code == 403, (caller, r.text)
    assert client.get("/v1/events", headers=who["blue-feed"]).status_code == 403
    assert client.get("/v1/events/stream", headers=who["blue-feed"]).status_code == 403
    assert client.get("/v1/events").status_code == 401
    assert client.post("/v1/events/ack", json={"through": 1}).status_code == 401
    # red confirming its own events does not touch blue's
    assert len(client.post("/v1/events/ack", json={"through": 2},
                           headers=who["red"]).json()["receipts"]) == 2
    assert all(e["delivery"] is None for e in _events(client, who["blue"])["items"])
    seen = {e["item"]["id"] for e in _events(client, who["red"])["items"]}
    assert seen.isdisjoint(e["item"]["id"] for e in _events(client, who["blue"])["items"])


BAD_ACKS: list[tuple[dict[str, Any], str]] = [
    ({"through": -1}, "not an event seq"),
    ({"through": 0}, "not an event seq"),
    ({"through": 4}, "beyond your party's last event (3)"),
    ({"through": 10**12}, "beyond"),
    ({"through": "2"}, "integer"),
    ({"through": 2.5}, "integer"),
    ({"through": 2.0}, "integer"),
    ({"through": True}, "integer"),
    ({"through": None}, "integer"),
    ({}, "through"),
    ({"through": 1, "extra": 1}, "extra"),
]


def test_bad_ack_is_400_and_changes_nothing(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    before = (_events(client, who["blue"]), len(_all_records(client, who["blue-admin"])))
    for body, says in BAD_ACKS:
        r = client.post("/v1/events/ack", json=body, headers=who["blue"])
        assert r.status_code == 400, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert says in r.text, (body, r.text)
    assert (_events(client, who["blue"]),
            len(_all_records(client, who["blue-admin"]))) == before


def test_bad_cursors(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    for params in ({"after": -1}, {"after": "x"}, {"limit": 0}, {"limit": 1001}):
        r = client.get("/v1/events", params=params, headers=who["blue"])
        assert r.status_code == 400, (params, r.text)
    r = client.get("/v1/events/stream", headers={**who["blue"], "Last-Event-ID": "-3"})
    assert r.status_code == 400 and "Last-Event-ID" in r.json()["detail"]
