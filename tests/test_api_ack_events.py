"""Acknowledgments reach the other side: acknowledging an alert or a message appends an
``acknowledged`` event (the item as acknowledged, wrapped like an escalation) to the
originator's stream, once, in the same transaction; the originator confirming that event gets
a delivery receipt naming the item but does not count as the item's delivery to its
addressee; the addressee's own stream gets nothing new."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import key_ring, verify_signed
from test_api_alerts import _notice
from test_api_audit import _auth, _settings


def _events(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get("/v1/events", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_alert_and_message_acks_reach_the_originator(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    from hotline.api import create_app

    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock, store=store))
    who = {p: _auth(settings, p) for p in ("blue", "red")}
    assert client.put("/v1/notices/b1", json=_notice(clock, 35.0),
                      headers=who["blue"]).status_code == 201
    assert client.put("/v1/notices/r1", json=_notice(clock, 35.02),
                      headers=who["red"]).status_code == 201
    sent = client.post("/v1/messages", json={"to": "blue", "text": "hold"}, headers=who["red"])
    assert sent.status_code == 201
    blue_before, red_before = _events(client, who["blue"]), _events(client, who["red"])
    (alert,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]

    clock.advance(30)
    for _ in range(2):  # a retried ack tells the other side once
        assert client.post(f"/v1/alerts/{alert['id']}/ack", headers=who["blue"]).status_code == 200
        assert client.post(f"/v1/messages/{sent.json()['id']}/ack",
                           headers=who["blue"]).status_code == 200
    told = _events(client, who["red"])[len(red_before):]
    assert [e["kind"] for e in told] == ["acknowledged", "acknowledged"]
    a, m = (e["item"] for e in told)
    assert a["type"] == "alert" and a["step"] == "acknowledged"
    assert a["item"]["id"] == alert["id"] and a["item"]["party"] == "blue"
    assert a["item"]["ack"]["by"] == "blue-officer"
    assert a["item"]["ack"]["at"] == "2026-11-24T12:00:30Z"
    assert m["type"] == "message" and m["item"]["id"] == sent.json()["id"]
    assert m["item"]["ack"]["by"] == "blue-officer"
    assert _events(client, who["blue"]) == blue_before  # nothing new for the acknowledger

    # red confirms: receipts name the items; blue's alert is not thereby delivered to blue
    through = told[-1]["seq"]
    receipts = client.post("/v1/events/ack", json={"through": through},
                           headers=who["red"]).json()["receipts"]
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    named = {verify_signed(r, keys)["item"]["id"] for r in receipts}
    assert {alert["id"], sent.json()["id"]} <= named
    (after,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]
    assert after.get("delivery") is None, after["delivery"]
