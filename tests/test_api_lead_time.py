"""Lead time is measured twice: at filing (in the alert body) and at delivery to each party —
when its client confirmed the alert's event (or its webhook answered 2xx). The delivery lead
time is signed into the delivery receipt, audited, and shown on the alert to both parties."""

from __future__ import annotations

from pathlib import Path

from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import key_ring, verify_signed
from test_api_alerts import _setup
from test_api_audit import _all_records


def test_lead_time_at_delivery_to_each_party(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    # both notices start at 14:00 (filed at 12:00, 2 h ahead); required lead time 900 s
    client, who = _setup(tmp_path, clock, store)
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    (blue_alert,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]
    assert blue_alert["body"]["window"]["start"] == "2026-11-24T14:00:00Z"
    assert blue_alert["body"]["lead_time"]["measured_s"] == 7200.0  # at filing
    assert blue_alert["delivery"] is None and blue_alert["counterparty_delivery"] is None

    # red's console confirms its alert's event at 12:30: 90 minutes ahead, in time
    clock.advance(30 * 60)
    r = client.post("/v1/events/ack", json={"through": 1}, headers=who["red"])
    assert r.status_code == 200, r.text
    red_receipt = verify_signed(r.json()["receipts"][0], keys)
    assert red_receipt["lead_time"] == {"at_filing_s": 7200.0, "at_delivery_s": 5400.0,
                                        "required_s": 900.0, "late": False}
    # blue's only confirms at 13:50: ten minutes ahead, late against the 900 s agreed
    clock.advance(80 * 60)
    r = client.post("/v1/events/ack", json={"through": 1}, headers=who["blue"])
    blue_receipt = verify_signed(r.json()["receipts"][0], keys)
    assert blue_receipt["item"]["id"] == blue_alert["id"]
    assert blue_receipt["lead_time"]["at_delivery_s"] == 600.0
    assert blue_receipt["lead_time"]["late"] is True

    # each party sees on its alert when it was told, and when the other side was
    blue_now = client.get("/v1/alerts", headers=who["blue"]).json()["items"][0]
    red_now = client.get("/v1/alerts", headers=who["red"]).json()["items"][0]
    blue_told = {"party": "blue", "at": "2026-11-24T13:50:00Z", "by": "blue-officer",
                 "lead_time_s": 600.0, "required_s": 900.0, "late": True}
    red_told = {"party": "red", "at": "2026-11-24T12:30:00Z", "by": "red-officer",
                "lead_time_s": 5400.0, "required_s": 900.0, "late": False}
    assert blue_now["delivery"] == blue_told and blue_now["counterparty_delivery"] == red_told
    assert red_now["delivery"] == red_told and red_now["counterparty_delivery"] == blue_told
    # civil is party to nothing and sees nothing
    assert client.get("/v1/alerts", headers=who["civil"]).json()["items"] == []

    # the delivery lead time is in the (blue-readable) audit record the receipt names
    records = {x["seq"]: x for x in _all_records(client, who["blue"])}
    data = records[blue_receipt["audit_seq"]]["data"]
    assert data["action"] == "event.delivered"
    assert data["event"]["lead_time"] == blue_receipt["lead_time"]
    # a second confirmation does not move the recorded delivery
    clock.advance(60)
    assert client.post("/v1/events/ack", json={"through": 1},
                       headers=who["blue"]).json()["receipts"] == []
    assert client.get("/v1/alerts", headers=who["blue"]).json()["items"][0][
        "delivery"] == blue_told
