"""``/v1/alerts`` against ``create_app()``: each party sees and acknowledges only its own
alerts (party by endpoint by scope), acks are idempotent and audited, and the receipt verifies
offline with the key published at ``/v1/keys`` (and fails once changed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from builders import box_json
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import BadSignature, canonical_json, key_ring, leaf_hash, verify_signed
from hotline.relay.alerts import content_hash
from test_api_audit import _all_records, _auth, _settings


def _notice(clock: ManualClock, lat: float, minutes: float = 120) -> dict[str, Any]:
    return {"volumes": [box_json(lat, 37.0, 5, clock.now() + timedelta(minutes=minutes))]}


def _setup(tmp_path: Path, clock: ManualClock, store: SqlStore | None = None) -> tuple[
        TestClient, dict[str, dict[str, str]]]:
    from hotline.api import create_app

    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock, store=store))
    who = {p: _auth(settings, p) for p in ("blue", "red", "civil")}
    who |= {f"{p}-admin": _auth(settings, p, "admin") for p in ("blue", "red")}
    who |= {"blue-feed": _auth(settings, "blue", "feed")}
    assert client.put("/v1/notices/b1", json=_notice(clock, 35.0),
                      headers=who["blue"]).status_code == 201
    assert client.put("/v1/notices/r1", json=_notice(clock, 35.02),
                      headers=who["red"]).status_code == 201
    return client, who


def test_party_isolation_matrix(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    ids = {p: client.get("/v1/alerts", headers=who[p]).json()["items"][0]["id"]
           for p in ("blue", "red")}
    failures = []

    def expect(caller: str, method: str, url: str, want: int) -> None:
        r = client.request(method, url, headers=who[caller])
        if r.status_code != want:
            failures.append(f"{caller} {method} {url}: {r.status_code} (want {want}) {r.text}")
        elif want >= 400:
            assert r.headers["content-type"].startswith("application/problem+json")

    for caller in ("blue", "red", "civil", "blue-admin", "red-admin", "blue-feed"):
        party = caller.split("-")[0]
        # list: only one's own party's alerts
        r = client.get("/v1/alerts", headers=who[caller])
        if caller == "blue-feed":
            assert r.status_code == 403
        else:
            assert r.status_code == 200
            assert {a["party"] for a in r.json()["items"]} <= {party}
            assert [a["id"] for a in r.json()["items"]] == ([ids[party]] if party in ids else [])
        for owner, alert_id in ids.items():
            url = f"/v1/alerts/{alert_id}/ack"
            if caller in ("blue-admin", "red-admin", "blue-feed"):
                expect(caller, "POST", url, 403)  # ack is a duty officer's act
            elif party != owner:
                expect(caller, "POST", url, 404)  # as if it did not exist
            # (own acks are tested below)
    expect("blue", "POST", "/v1/alerts/al-nosuchalert/ack", 404)
    assert client.get("/v1/alerts").status_code == 401
    assert client.post(f"/v1/alerts/{ids['blue']}/ack").status_code == 401
    assert not failures, "\n".join(failures)
    # nothing was acknowledged by all that
    for p in ("blue", "red"):
        assert client.get("/v1/alerts", params={"unacked": "true"},
                          headers=who[p]).json()["items"][0]["ack"] is None


def test_ack_receipt_verifies_with_published_key(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    (alert,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]
    assert alert["kind"] == "conflict" and alert["subject"] == {"kind": "notice", "id": "b1"}
    clock.advance(42)
    r = client.post(f"/v1/alerts/{alert['id']}/ack", headers=who["blue"])
    assert r.status_code == 200, r.text
    receipt = r.json()
    again = client.post(f"/v1/alerts/{alert['id']}/ack", headers=who["blue"])
    assert again.status_code == 200 and again.json() == receipt
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    statement = verify_signed(receipt, keys, expected_type="hotline.receipt.v1")
    assert statement["item"] == {"type": "alert", "id": alert["id"],
                                 "content_hash": content_hash(alert["body"])}
    assert statement["party"] == "blue" and statement["officer"] == "blue-officer"
    assert statement["event"] == "acknowledged" and statement["at"] == "2026-11-24T12:00:42Z"
    # a changed receipt (one byte: a digit of the time) fails
    forged = {**receipt, "at": "2026-11-24T12:00:41Z"}
    with pytest.raises(BadSignature):
        verify_signed(forged, keys)
    # the ack is in the audit log, in full for blue, at the seq the receipt names
    records = {r["seq"]: r for r in _all_records(client, who["blue"])}
    ack = records[statement["audit_seq"]]
    assert ack["data"]["action"] == "alert.ack" and ack["data"]["alert"]["id"] == alert["id"]
    assert leaf_hash(canonical_json(ack["data"])).hex() == ack["leaf_hash"]
    assert [r["data"]["action"] for r in records.values() if "data" in r] == [
        "notice.put", "alert.create", "alert.ack"]
    listed = client.get("/v1/alerts", headers=who["blue"]).json()["items"][0]["ack"]
    assert listed == {"at": "2026-11-24T12:00:42Z", "by": "blue-officer", "receipt": receipt}
    assert client.get("/v1/alerts", params={"unacked": "true"},
                      headers=who["blue"]).json()["items"] == []
    # red's alert is untouched
    assert client.get("/v1/alerts", params={"unacked": "true"},
                      headers=who["red"]).json()["items"][0]["ack"] is None
    admin = _auth(_settings(tmp_path), "blue", "admin")
    assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True


def test_bad_cursor_and_limit(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    red_id = client.get("/v1/alerts", headers=who["red"]).json()["items"][0]["id"]
    r = client.get("/v1/alerts", params={"after": red_id}, headers=who["blue"])
    assert r.status_code == 400 and "cursor" in r.json()["detail"]  # red's id is no cursor
    assert client.get("/v1/alerts", params={"limit": 0}, headers=who["blue"]).status_code == 400
