"""``/v1/messages`` and ``/v1/templates`` against ``create_app()`` with real storage: send,
list, reply and acknowledge (receipt verified with the key from ``/v1/keys``, audited);
bad input refused with a clear problem and nothing created; idempotent retries (also
concurrent, on both engines); and party isolation for listing and acknowledging."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hotline.adapters.audit_key import load_or_create_audit_signer
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.audit import BadSignature, canonical_json, key_ring, leaf_hash, verify_signed
from hotline.relay.messages import MessageDraft
from hotline.relay.receipts import content_hash
from hotline.relaying import MessageDesk
from hotline.service import Actor
from test_api_alerts import _notice
from test_api_audit import _all_records, _auth, _settings

HOLD = {"callsign": "RCH123", "position": "VESAN", "until": "2026-11-24T14:30:00Z",
        "reason": "tanker track active"}


def _setup(tmp_path: Path, clock: ManualClock, store: SqlStore | None = None) -> tuple[
        TestClient, dict[str, dict[str, str]]]:
    from hotline.api import create_app

    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock, store=store))
    who = {p: _auth(settings, p) for p in ("blue", "red", "civil", "ghost")}
    who |= {f"{p}-admin": _auth(settings, p, "admin") for p in ("blue", "red")}
    who |= {"blue-feed": _auth(settings, "blue", "feed")}
    # blue, red and civil are known to the hotline (they declared something); ghost is not
    for party, lat in (("blue", 10.0), ("red", 20.0), ("civil", 30.0)):
        assert client.put(f"/v1/notices/{party}1", json=_notice(clock, lat),
                          headers=who[party]).status_code == 201
    return client, who


def _state(client: TestClient, who: dict[str, dict[str, str]]) -> tuple[Any, ...]:
    """Every party's in and out boxes and the audit log's size: what must not change."""
    boxes = tuple(client.get("/v1/messages", params={"box": box}, headers=who[p]).json()
                  for p in ("blue", "red", "civil", "ghost") for box in ("in", "out"))
    return boxes, len(_all_records(client, who["blue-admin"]))


def test_send_reply_ack_receipt_and_audit(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    r = client.post("/v1/messages", json={"to": "red", "text": "Blue 1 climbing to FL300"},
                    headers=who["blue"])
    assert r.status_code == 201, r.text
    sent = r.json()
    assert r.headers["location"] == f"/v1/messages/{sent['id']}"
    assert sent["from"] == "blue" and sent["to"] == "red" and sent["officer"] == "blue-officer"
    assert sent["body"] == {"text": "Blue 1 climbing to FL300"} and sent["ack"] is None
    assert client.get("/v1/messages", params={"box": "out"},
                      headers=who["blue"]).json()["items"] == [sent]
    assert client.get("/v1/messages", headers=who["red"]).json()["items"] == [sent]
    # red answers with a template
    clock.advance(5)
    r = client.post("/v1/messages", json={"to": "blue", "template": "request_hold",
                                          "fields": HOLD, "in_reply_to": sent["id"]},
                    headers=who["red"])
    assert r.status_code == 201, r.text
    reply = r.json()
    assert reply["template"] == "request_hold" and reply["in_reply_to"] == sent["id"]
    assert reply["body"] == {"template": "request_hold", "fields": HOLD}
    # red acknowledges blue's message; a retry gives the same receipt
    clock.advance(37)
    r = client.post(f"/v1/messages/{sent['id']}/ack", headers=who["red"])
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert client.post(f"/v1/messages/{sent['id']}/ack", headers=who["red"]).json() == receipt
    keys = key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")
    statement = verify_signed(receipt, keys, expected_type="hotline.receipt.v1")
    content = {k: sent[k] for k in ("id", "from", "officer", "to", "body", "in_reply_to",
                                    "created_at")}
    assert statement["item"] == {"type": "message", "id": sent["id"],
                                 "content_hash": content_hash(content)}
    assert content_hash(content) == sent["content_hash"]
    assert statement["party"] == "red" and statement["officer"] == "red-officer"
    assert statement["event"] == "acknowledged" and statement["at"] == "2026-11-24T12:00:42Z"
    with pytest.raises(BadSignature):
        verify_signed({**receipt, "party": "civil"}, keys)
    # both sides see the acknowledgment
    for p, box in (("blue", "out"), ("red", "in")):
        (listed,) = client.get("/v1/messages", params={"box": box}, headers=who[p]).json()[
            "items"][:1]
        assert listed["ack"] == {"at": "2026-11-24T12:00:42Z", "by": "red-officer",
                                 "receipt": receipt}
    # audited: blue's send, red's reply and red's ack, at the seq the receipt names
    red = {r["seq"]: r["data"] for r in _all_records(client, who["red"]) if "data" in r}
    ack = red[statement["audit_seq"]]
    assert ack["action"] == "message.ack" and ack["message"] == {
        "id": sent["id"], "from": "blue", "content_hash": sent["content_hash"]}
    send = next(d for d in red.values() if d["action"] == "message.send")
    assert send["message"]["in_reply_to"] == sent["id"]
    blue = [r["data"] for r in _all_records(client, who["blue"]) if "data" in r]
    assert blue[-1]["action"] == "message.send" and blue[-1]["message"] == {
        "id": sent["id"], "to": "red", "template": None, "in_reply_to": None,
        "content_hash": sent["content_hash"]}
    assert leaf_hash(canonical_json(ack)).hex() in {
        r["leaf_hash"] for r in _all_records(client, who["red"])}
    assert client.get("/v1/audit/verify", headers=who["blue-admin"]).json()["ok"] is True


def test_templates_listed_for_duty_and_admin(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    r = client.get("/v1/templates", headers=who["blue"])
    assert r.status_code == 200
    assert [t["name"] for t in r.json()["items"]] == [
        "aircraft_in_distress", "confirm_clear", "intent_to_enter", "request_hold"]
    assert client.get("/v1/templates", headers=who["red-admin"]).status_code == 200
    assert client.get("/v1/templates", headers=who["blue-feed"]).status_code == 403
    assert client.get("/v1/templates").status_code == 401


def test_bad_input_is_refused_clearly_and_changes_nothing(
    tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock)
    red_msg = client.post("/v1/messages", json={"to": "civil", "text": "hello"},
                          headers=who["red"]).json()["id"]
    before = _state(client, who)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"to": "red", "template": "free_text", "fields": {}}, 400, "template",
         "unknown template"),
        ({"to": "red", "template": "request_hold", "fields": {"callsign": "X"}}, 400,
         "fields.position", "missing"),
        ({"to": "red", "template": "request_hold"}, 400, "fields.callsign", "missing"),
        ({"to": "red", "template": "request_hold", "fields": {**HOLD, "until": "noon"}}, 400,
         "fields.until", "RFC 3339"),
        ({"to": "red", "text": "x" * 4001}, 400, "text", "4001 characters"),
        ({"to": "red", "text": "  "}, 400, "text", "blank"),
        ({"to": "red"}, 400, "text", "no text and no template"),
        ({"to": "red", "text": "hi", "template": "confirm_clear"}, 400, "text", "not both"),
        ({"to": "blue", "text": "hi"}, 400, "to", "your own party"),
        ({"to": "ghost", "text": "hi"}, 400, "to", "not known"),
        ({"to": "Red Force", "text": "hi"}, 400, "to", "not a valid party name"),
        ({"to": "red", "text": "hi", "in_reply_to": red_msg}, 400, "in_reply_to",
         "not one you sent or received"),
        ({"to": "red", "text": "hi", "in_reply_to": "msg-" + "0" * 32}, 400, "in_reply_to",
         "not one you sent or received"),
        ({"to": "red", "text": "hi", "in_reply_to": "b1"}, 400, "in_reply_to",
         "not a message id"),
        ({"to": "red", "text": "hi", "colour": "red"}, 400, "body.colour", "Extra inputs"),
        ({"text": "hi"}, 400, "body.to", "Field required"),
        ({"to": "red", "template": "request_hold", "fields": ["a"]}, 400, "body.fields",
         "dictionary"),
    ]
    failures = []
    for body, status, loc, says in cases:
        r = client.post("/v1/messages", json=body, headers={**who["blue"],
                                                            "Idempotency-Key": "k1"})
        problem = r.json()
        if (r.status_code != status
                or not r.headers["content-type"].startswith("application/problem+json")
                or problem["errors"][0]["loc"] != loc or says not in problem["detail"]
                or not problem["errors"][0]["hint"]):
            failures.append(f"{body}: {r.status_code} {r.text}")
    for key in ("x" * 129, "spaced key", ""):
        r = client.post("/v1/messages", json={"to": "red", "text": "hi"},
                        headers={**who["blue"], "Idempotency-Key": key})
        if r.status_code != 400 or "Idempotency-Key" not in r.json()["detail"]:
            failures.append(f"key {key!r}: {r.status_code} {r.text}")
    # a feed token may not send, and no token at all is 401 (which is audited: checked last)
    assert client.post("/v1/messages", json={"to": "red", "text": "hi"},
                       headers=who["blue-feed"]).status_code == 403
    assert client.post("/v1/messages", json={"to": "red", "text": "hi"},
                       headers=who["blue-admin"]).status_code == 403
    assert not failures, "\n".join(failures)
    assert _state(client, who) == before
    # the key of all those refused requests is still free
    r = client.post("/v1/messages", json={"to": "red", "text": "hi"},
                    headers={**who["blue"], "Idempotency-Key": "k1"})
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


def test_idempotent_retries_create_nothing_twice(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    client, who = _setup(tmp_path, clock, store)
    body = {"to": "red", "template": "aircraft_in_distress",
            "fields": {"callsign": "SYR42", "position": {"lat": 35.1, "lng": 36.0},
                       "nature": "engine failure"}}
    key = {"Idempotency-Key": "4f1c2b9e-retry"}
    first = client.post("/v1/messages", json=body, headers={**who["blue"], **key})
    assert first.status_code == 201, first.text
    audit_size = len(_all_records(client, who["blue-admin"]))
    clock.advance(3)
    again = client.post("/v1/messages", json=body, headers={**who["blue"], **key})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    # the same request with its fields in another order (and position as integers) is the
    # same request
    same = {**body, "fields": {"nature": "engine failure", "callsign": "SYR42",
                               "position": {"lng": 36, "lat": 35.1}}}
    assert client.post("/v1/messages", json=same,
                       headers={**who["blue"], **key}).json()["id"] == first.json()["id"]
    # the key reused for another request is refused and changes nothing
    other = client.post("/v1/messages", json={**body, "to": "civil"},
                        headers={**who["blue"], **key})
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "different request" in other.json()["detail"]
    assert [m["id"] for m in client.get("/v1/messages", params={"box": "out"},
                                        headers=who["blue"]).json()["items"]] == [
        first.json()["id"]]
    assert len(_all_records(client, who["blue-admin"])) == audit_size
    # keys are per party: red's same key is its own
    red = client.post("/v1/messages", json={"to": "blue", "text": "copy"},
                      headers={**who["red"], **key})
    assert red.status_code == 201 and red.json()["id"] != first.json()["id"]
    # without a key, each POST is a new message
    for _ in range(2):
        assert client.post("/v1/messages", json=body, headers=who["blue"]).status_code == 201
    assert len(client.get("/v1/messages", headers=who["red"]).json()["items"]) == 3


def test_concurrent_retries_store_one_message(
    store: SqlStore, tmp_path: Path, clock: ManualClock
) -> None:
    desk = MessageDesk(store, clock, load_or_create_audit_signer(tmp_path))
    _, _ = _setup(tmp_path, clock, store)  # makes red known
    results: list[str] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            sent = desk.send(Actor("blue", "b-1"), MessageDraft("red", "on my way"), "same")
            results.append(sent.body["id"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8 and len(set(results)) == 1
    assert [m.id for m in desk.list(Actor("red", "r-1"))] == results[:1]


def test_party_isolation_matrix(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    to_red = client.post("/v1/messages", json={"to": "red", "text": "for red"},
                         headers=who["blue"]).json()["id"]
    to_blue = client.post("/v1/messages", json={"to": "blue", "text": "for blue"},
                          headers=who["red"]).json()["id"]
    failures = []
    sees = {"blue": {"in": [to_blue], "out": [to_red]}, "red": {"in": [to_red], "out": [to_blue]},
            "civil": {"in": [], "out": []}, "ghost": {"in": [], "out": []}}
    for caller in ("blue", "red", "civil", "ghost", "blue-admin", "red-admin", "blue-feed"):
        party = caller.split("-")[0]
        for box in ("in", "out"):
            r = client.get("/v1/messages", params={"box": box}, headers=who[caller])
            if caller == "blue-feed":
                if r.status_code != 403:
                    failures.append(f"{caller} list {box}: {r.status_code}")
                continue
            got = [m["id"] for m in r.json()["items"]]
            if r.status_code != 200 or got != sees[party][box]:
                failures.append(f"{caller} list {box}: {r.status_code} {got}")
        for msg, recipient in ((to_red, "red"), (to_blue, "blue")):
            r = client.post(f"/v1/messages/{msg}/ack", headers=who[caller])
            want = 403 if "-" in caller else (200 if party == recipient else 404)
            if r.status_code != want:
                failures.append(f"{caller} ack {msg}: {r.status_code} (want {want}) {r.text}")
            elif want >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
    # a cursor from another party's box, or another box, is refused
    r = client.get("/v1/messages", params={"after": to_red, "box": "in"}, headers=who["blue"])
    assert r.status_code == 400 and "cursor" in r.json()["detail"]
    assert client.get("/v1/messages", params={"box": "all"},
                      headers=who["blue"]).status_code == 400
    assert client.get("/v1/messages", params={"limit": 0}, headers=who["blue"]).status_code == 400
    assert client.post("/v1/messages/msg-nosuch/ack", headers=who["blue"]).status_code == 404
    assert client.get("/v1/messages").status_code == 401
    assert not failures, "\n".join(failures)
    # only the recipients' acks were recorded
    acks = [(r["data"]["party"], r["data"]["message"]["id"])
            for p in ("blue", "red", "civil")
            for r in _all_records(client, who[p])
            if "data" in r and r["data"]["action"] == "message.ack"]
    assert sorted(acks) == sorted([("red", to_red), ("blue", to_blue)])
