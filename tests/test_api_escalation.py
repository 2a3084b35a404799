"""Ack deadlines and escalation against ``create_app()`` on both engines, driven by a
ManualClock and the escalator's single pass (``app.state.escalation.run_once()``), never by
sleeping: an unacknowledged alert or message escalates at its deadline exactly (not a
microsecond before), reaching the addressee's and the originator's event streams; an ack
before the deadline prevents it; the second deadline records it unacknowledged; an ack after
that still answers a receipt; every step is audited and the audit log verifies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.api import create_app
from hotline.audit import key_ring, verify_signed
from hotline.relay.alerts import content_hash
from hotline.relaying import EscalationDesk
from hotline.settings import Settings
from test_api_alerts import _notice
from test_api_audit import _all_records, _auth

US = 1e-6
WARNING_S = 900.0  # the default ack deadline of a warning alert
MESSAGE_S = 600.0


def _app(tmp_path: Path, clock: ManualClock, store: SqlStore, **extra: Any) -> tuple[
        TestClient, dict[str, dict[str, str]]]:
    """The app without its lifespan (so no escalator thread: the tests run the pass)."""
    settings = Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}", **extra)
    client = TestClient(create_app(settings, clock=clock, store=store))
    who = {p: _auth(settings, p) for p in ("blue", "red")}
    who |= {f"{p}-admin": _auth(settings, p, "admin") for p in ("blue", "red")}
    return client, who


def _conflict(client: TestClient, who: dict[str, dict[str, str]], clock: ManualClock) -> None:
    """blue then red file conflicting notices: a (warning) conflict alert to each, found by
    red's write."""
    for party, lat in (("blue", 35.0), ("red", 35.02)):
        r = client.put(f"/v1/notices/{party}1", json=_notice(clock, lat), headers=who[party])
        assert r.status_code == 201, r.text


def _pass(client: TestClient) -> int:
    desk: EscalationDesk = client.app.state.escalation  # type: ignore[attr-defined]
    return desk.run_once()


def _alert(client: TestClient, who: dict[str, dict[str, str]], party: str) -> dict[str, Any]:
    (alert,) = client.get("/v1/alerts", headers=who[party]).json()["items"]
    found: dict[str, Any] = alert
    return found


def _events(client: TestClient, who: dict[str, dict[str, str]],
            party: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/v1/events", headers=who[party]).json()["items"]
    return found


def _actions(client: TestClient, who: dict[str, dict[str, str]]) -> list[str]:
    """The actions of blue's audit records (in full to blue), then red's."""
    return [r["data"]["action"] for p in ("blue", "red")
            for r in _all_records(client, who[f"{p}-admin"]) if "data" in r]


def test_alert_escalates_at_deadline_then_recorded_unacknowledged(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _app(tmp_path, clock, store)
    _conflict(client, who, clock)
    created = clock.now()
    blue = _alert(client, who, "blue")
    assert blue["severity"] == "warning" and blue["escalation_level"] == 0
    assert blue["deadline_at"] == "2026-11-24T12:15:00Z"
    assert blue["escalated_at"] is None and blue["unacked_at"] is None
    assert blue["body"]["found_by"]["owner"] == "red"
    assert [e["kind"] for e in _events(client, who, "blue")] == ["alert"]

    clock.advance(WARNING_S - US)  # one microsecond before the deadline: nothing
    assert _pass(client) == 0
    assert _alert(client, who, "blue")["escalation_level"] == 0
    clock.advance(US)  # at the deadline exactly: both alerts escalate
    assert clock.now() == created + timedelta(seconds=WARNING_S)
    assert _pass(client) == 2
    assert _pass(client) == 0  # once only
    for party in ("blue", "red"):
        a = _alert(client, who, party)
        assert a["severity"] == "urgent" and a["escalation_level"] == 1
        assert a["escalated_at"] == "2026-11-24T12:15:00Z" and a["unacked_at"] is None
        assert a["ack"] is None
    blue_alert, red_alert = _alert(client, who, "blue")["id"], _alert(client, who, "red")["id"]
    # each party's stream: its own alert re-sent raised, and the other's shown on its side
    # (blue's alert was found by red's write; red's, found by red itself, goes to blue)
    for party, own, other in (("blue", blue_alert, red_alert), ("red", red_alert, blue_alert)):
        events = _events(client, who, party)
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        escalations = [e for e in events if e["kind"] == "escalation"]
        assert sorted(e["item_id"] for e in escalations) == sorted([own, other])
        for e in escalations:
            assert e["item"]["type"] == "alert" and e["item"]["step"] == "escalate"
            assert e["item"]["item"]["severity"] == "urgent"
            assert e["item"]["item"]["escalation_level"] == 1

    clock.advance(WARNING_S - US)  # a microsecond before the second deadline: nothing
    assert _pass(client) == 0
    clock.advance(US)
    assert _pass(client) == 2
    assert _pass(client) == 0
    a = _alert(client, who, "blue")
    assert a["unacked_at"] == "2026-11-24T12:30:00Z" and a["ack"] is None
    unacked = [e for e in _events(client, who, "red") if e["kind"] == "unacknowledged"]
    assert sorted(e["item_id"] for e in unacked) == sorted([blue_alert, red_alert])

    # acknowledging still works and answers a receipt that verifies
    clock.advance(5)
    r = client.post(f"/v1/alerts/{blue_alert}/ack", headers=who["blue"])
    assert r.status_code == 200, r.text
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    statement = verify_signed(r.json(), keys, expected_type="hotline.receipt.v1")
    assert statement["item"] == {"type": "alert", "id": blue_alert,
                                 "content_hash": content_hash(a["body"])}
    assert _alert(client, who, "blue")["ack"]["receipt"] == r.json()
    assert _pass(client) == 0

    # escalation events are confirmed like any other: receipts name the item
    last = _events(client, who, "red")[-1]["seq"]
    done = client.post("/v1/events/ack", json={"through": last}, headers=who["red"])
    assert done.status_code == 200, done.text
    types = {verify_signed(x, keys)["item"]["type"] for x in done.json()["receipts"]}
    assert types == {"alert"}

    actions = _actions(client, who)
    assert actions.count("alert.escalate") == 2
    assert actions.count("alert.unacknowledged") == 2
    assert actions.index("alert.escalate") < actions.index("alert.unacknowledged")
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_ack_before_deadline_prevents_escalation(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _app(tmp_path, clock, store)
    _conflict(client, who, clock)
    clock.advance(WARNING_S - US)
    blue_alert = _alert(client, who, "blue")["id"]
    assert client.post(f"/v1/alerts/{blue_alert}/ack", headers=who["blue"]).status_code == 200
    clock.advance(3 * WARNING_S)
    assert _pass(client) == 2  # red's: escalated, then recorded unacknowledged; blue's: none
    blue = _alert(client, who, "blue")
    assert blue["escalation_level"] == 0 and blue["severity"] == "warning"
    assert blue["unacked_at"] is None and blue["ack"] is not None
    red = _alert(client, who, "red")
    assert red["escalation_level"] == 1 and red["unacked_at"] is not None
    assert {e["item_id"] for e in _events(client, who, "blue")
            if e["kind"] in ("escalation", "unacknowledged")} == {red["id"]}
    actions = _actions(client, who)
    assert actions.count("alert.escalate") == 1 and actions.count("alert.unacknowledged") == 1
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_message_escalates_to_both_sides(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _app(tmp_path, clock, store, ack_deadline_message_s=MESSAGE_S,
                       unacked_after_s=60.0)
    _conflict(client, who, clock)  # so both parties are known
    sent = client.post("/v1/messages", json={"to": "blue", "text": "hold at FL100"},
                       headers=who["red"])
    assert sent.status_code == 201, sent.text
    msg = sent.json()
    assert msg["escalation_level"] == 0 and msg["unacked_at"] is None
    assert msg["deadline_at"] == "2026-11-24T12:10:00Z"
    clock.advance(MESSAGE_S - US)
    assert _pass(client) == 0
    clock.advance(US)
    assert _pass(client) == 1  # the message only (alerts are due at 900 s)

    def inbox() -> dict[str, Any]:
        (m,) = client.get("/v1/messages", params={"box": "in"}, headers=who["blue"]).json()[
            "items"]
        found: dict[str, Any] = m
        return found

    m = inbox()
    assert m["escalation_level"] == 1 and m["escalated_at"] == "2026-11-24T12:10:00Z"
    assert m["content_hash"] == msg["content_hash"]  # the content is unchanged
    for party in ("blue", "red"):  # the recipient and the sender
        (e,) = [e for e in _events(client, who, party) if e["kind"] == "escalation"]
        assert e["item_id"] == msg["id"] and e["item"]["type"] == "message"
        assert e["item"]["item"]["escalation_level"] == 1
    clock.advance(60 - US)
    assert _pass(client) == 0
    clock.advance(US)
    assert _pass(client) == 1
    assert inbox()["unacked_at"] == "2026-11-24T12:11:00Z"
    for party in ("blue", "red"):
        assert [e["item_id"] for e in _events(client, who, party)
                if e["kind"] == "unacknowledged"] == [msg["id"]]
    r = client.post(f"/v1/messages/{msg['id']}/ack", headers=who["blue"])
    assert r.status_code == 200 and r.json()["event"] == "acknowledged"
    records = [r["data"] for r in _all_records(client, who["blue-admin"]) if "data" in r]
    escalate = [d for d in records if d["action"] == "message.escalate"]
    assert len(escalate) == 1 and escalate[0]["message"]["from"] == "red"
    assert [d["action"] for d in records].count("message.unacknowledged") == 1
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_one_pass_catches_up_and_settings_apply(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _app(tmp_path, clock, store, ack_deadline_warning_s=30.0)
    _conflict(client, who, clock)
    assert _alert(client, who, "blue")["deadline_at"] == "2026-11-24T12:00:30Z"
    clock.advance(3600)  # long past both deadlines (say the server was down)
    assert _pass(client) == 4  # per alert: escalate, then record unacknowledged
    a = _alert(client, who, "blue")
    assert a["escalation_level"] == 1 and a["unacked_at"] == a["escalated_at"]
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_escalator_thread_runs_in_lifespan(tmp_path: Path, clock: ManualClock) -> None:
    settings = Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}",
                        escalation_poll_s=0.01)
    with TestClient(create_app(settings, clock=clock)) as client:
        assert client.app.state.escalator._thread is not None  # type: ignore[attr-defined]
    assert client.app.state.escalator._thread is None  # type: ignore[attr-defined]
