"""Closing a conflict: by amending a notice so it no longer conflicts (its alerts closed as
``resolved``, both parties told; the pair conflicting again reopens the same alerts), by
withdrawing it, or by both parties recording it as coordinated (each acknowledges with
``coordinated``, citing the messages that agreed it; closed only when both have)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from builders import box_json
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import key_ring
from hotline.relay.receipts import check_receipt
from test_api_alerts import _notice, _setup
from test_api_audit import _all_records

Headers = dict[str, str]


def _alerts(client: TestClient, h: Headers) -> list[dict[str, Any]]:
    r = client.get("/v1/alerts", headers=h)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _events(client: TestClient, h: Headers) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/events", params={"limit": 1000},
                                             headers=h).json()["items"]
    return items


def _actions(client: TestClient, h: Headers) -> list[str]:
    return [r["data"]["action"] for r in _all_records(client, h) if "data" in r]


def test_amending_away_closes_and_conflicting_again_reopens(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    (blue0,), (red0,) = _alerts(client, who["blue"]), _alerts(client, who["red"])
    assert blue0["closed"] is None and blue0["reopened"] == 0
    clock.advance(60)
    # red moves its notice away: no conflict left, both alerts closed, both parties told
    moved = {**_notice(clock, 40.0, 119), "version": 1}
    r = client.put("/v1/notices/r1", json=moved, headers=who["red"])
    assert r.status_code == 200 and r.json()["conflicts"] == [], r.text
    for party, alert in (("blue", blue0), ("red", red0)):
        (now,) = _alerts(client, who[party])
        assert now["id"] == alert["id"]
        assert now["closed"] == {"at": "2026-11-24T12:01:00Z", "reason": "resolved"}
        last = _events(client, who[party])[-1]
        assert (last["kind"], last["item_id"]) == ("closed", alert["id"])
        assert last["item"]["reason"] == "resolved" and last["item"]["item"]["closed"]
        assert _actions(client, who[party])[-1] == "alert.close"
    # a closed alert does not escalate, however long it stays unacknowledged
    size = len(_all_records(client, who["blue"]))
    clock.advance(3600)  # 13:01, past both ack deadlines
    client.app.state.escalation.run_once()  # type: ignore[attr-defined]
    assert len(_all_records(client, who["blue"])) == size

    # red moves back into conflict: the same alerts reopen (no second alert for the pair)
    back = {**_notice(clock, 35.02, 59), "version": 2}  # 14:00 again
    assert client.put("/v1/notices/r1", json=back, headers=who["red"]).status_code == 200
    for party, alert in (("blue", blue0), ("red", red0)):
        (now,) = _alerts(client, who[party])
        assert now["id"] == alert["id"] and now["closed"] is None
        assert now["reopened"] == 1 and now["ack"] is None
        last = _events(client, who[party])[-1]
        assert (last["kind"], last["item_id"]) == ("alert", alert["id"])
        assert last["item"]["reopened"] == 1
    # while open, conflicting again (red re-files once more) raises and reopens nothing
    events = {p: len(_events(client, who[p])) for p in ("blue", "red")}
    again = {**_notice(clock, 35.021, 60), "version": 3}
    assert client.put("/v1/notices/r1", json=again, headers=who["red"]).status_code == 200
    assert [a["reopened"] for a in _alerts(client, who["blue"])] == [1]
    assert {p: len(_events(client, who[p])) for p in ("blue", "red")} == events
    # withdrawing blue's notice closes the pair too
    assert client.delete("/v1/notices/b1", headers=who["blue"]).status_code in (200, 204)
    assert [a["closed"]["reason"] for a in _alerts(client, who["red"])] == ["resolved"]
    admin = who["blue-admin"]
    assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True


def test_coordinated_by_both_parties_closes(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    (blue_alert,), (red_alert,) = _alerts(client, who["blue"]), _alerts(client, who["red"])
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    ask = client.post("/v1/messages", json={"to": "red", "text": "we stay below 500 m"},
                      headers=who["blue"]).json()
    ok = client.post("/v1/messages", json={"to": "blue", "text": "agreed, we stay above",
                                           "in_reply_to": ask["id"]},
                     headers=who["red"]).json()
    civil = client.post("/v1/messages", json={"to": "red", "text": "unrelated"},
                        headers=who["civil"]).json()

    # bad coordinations change nothing
    size = len(_all_records(client, who["blue"]))
    url = f"/v1/alerts/{blue_alert['id']}/ack"
    for bad, where in (({"coordinated": True, "messages": [civil["id"]]}, "messages"),
                       ({"coordinated": True, "messages": ["not-an-id"]}, "messages"),
                       ({"messages": [ask["id"]]}, "messages"),
                       ({"coordinated": True, "extra": 1}, "")):
        r = client.post(url, json=bad, headers=who["blue"])
        assert r.status_code in (400, 422), (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert where in r.text
    assert len(_all_records(client, who["blue"])) == size
    assert _alerts(client, who["blue"])[0]["ack"] is None
    # red cannot coordinate blue's alert (not found, as if it did not exist)
    assert client.post(url, json={"coordinated": True}, headers=who["red"]).status_code == 404

    # blue coordinates (its first ack): acknowledged + coordinated, not closed yet
    clock.advance(30)
    r = client.post(url, json={"coordinated": True, "messages": [ask["id"], ok["id"]]},
                    headers=who["blue"])
    assert r.status_code == 200, r.text
    blue_receipt = r.json()
    assert blue_receipt["event"] == "acknowledged"
    assert blue_receipt["coordinated"] == {"messages": [ask["id"], ok["id"]]}
    assert all(c.ok for c in check_receipt(blue_receipt, keys))
    assert client.post(url, json={"coordinated": True}, headers=who["blue"]).json() == \
        blue_receipt  # a retry: the same receipt, nothing new
    (b,) = _alerts(client, who["blue"])
    assert b["closed"] is None and b["coordinated"]["messages"] == [ask["id"], ok["id"]]
    assert b["ack"]["receipt"] == blue_receipt
    assert _alerts(client, who["red"])[0]["closed"] is None

    # red had acknowledged plainly; its coordination closes the pair for both
    red_url = f"/v1/alerts/{red_alert['id']}/ack"
    plain = client.post(red_url, headers=who["red"]).json()
    assert "coordinated" not in plain
    clock.advance(30)
    r = client.post(red_url, json={"coordinated": True, "messages": [ok["id"]]},
                    headers=who["red"])
    red_receipt = r.json()
    assert red_receipt["event"] == "coordinated" and red_receipt["audit"]["record"][
        "action"] == "alert.coordinate"
    assert all(c.ok for c in check_receipt(red_receipt, keys))
    for party in ("blue", "red"):
        (a,) = _alerts(client, who[party])
        assert a["closed"] == {"at": "2026-11-24T12:01:00Z", "reason": "coordinated"}
        last = _events(client, who[party])[-1]
        assert last["kind"] == "closed" and last["item"]["reason"] == "coordinated"
    assert _alerts(client, who["red"])[0]["ack"]["receipt"] == plain  # ack kept
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_only_a_conflict_is_coordinated(tmp_path: Path, clock: ManualClock) -> None:
    """A late notice alert is acknowledged, not coordinated: the pair's conflict alert is."""
    client, who = _setup(tmp_path, clock)
    # civil files late (starting in 5 minutes) over blue's notice: a late_notice to blue
    soon = {"volumes": [box_json(35.0, 37.0, 5, clock.now() + timedelta(minutes=5), hours=3)]}
    r = client.put("/v1/notices/c1", json=soon, headers=who["civil"])
    assert r.status_code == 201, r.text
    late = [a for a in _alerts(client, who["blue"]) if a["kind"] == "late_notice"]
    assert late, _alerts(client, who["blue"])
    r = client.post(f"/v1/alerts/{late[0]['id']}/ack", json={"coordinated": True},
                    headers=who["blue"])
    assert r.status_code == 400 and "only a conflict" in r.json()["detail"]
