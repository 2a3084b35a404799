"""Authorization over every relay endpoint (party x role x endpoint): no party reads,
acknowledges or is delivered another party's items; bad tokens (none, garbage, expired, forged,
wrong issuer, wrong audience) are 401 everywhere and audited; a flood of 401s from one source
grows the audit log by a bounded number of records (the excess counted in a summary)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hotline.adapters.clock import ManualClock
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.api import create_app
from hotline.settings import Settings
from test_api_audit import _all_records, _auth
from test_api_events import _cast

CALLERS = ("blue", "blue-admin", "blue-feed", "red", "red-admin", "civil")


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'h.db'}", **kw)


def _world(tmp_path: Path, clock: ManualClock, **kw: Any) -> tuple[
        TestClient, Settings, dict[str, dict[str, str]], dict[str, str]]:
    """blue and red conflict; red sends blue a message; blue registers a webhook."""
    settings = _settings(tmp_path, **kw)
    client = TestClient(create_app(settings, clock=clock))
    who = _cast(client, settings, clock)
    msg = client.post("/v1/messages", json={"to": "blue", "text": "hold"}, headers=who["red"])
    assert msg.status_code == 201
    hook = client.put("/v1/webhooks/wh1", headers=who["blue"],
                      json={"url": "http://127.0.0.1:9/hook", "secret": "s" * 16})
    assert hook.status_code == 201, hook.text
    ids = {"alert": client.get("/v1/alerts", headers=who["blue"]).json()["items"][0]["id"],
           "message": msg.json()["id"]}
    return client, settings, who, ids


def _endpoints(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any] | None, dict[
        str, int]]]:
    """(method, url, body, expected status per caller) for every relay endpoint, about
    blue's items where there is an item."""
    read = {"blue": 200, "blue-admin": 200, "blue-feed": 403, "red": 200, "red-admin": 200,
            "civil": 200}
    blue_only = {"blue": 200, "blue-admin": 403, "blue-feed": 403, "red": 404,
                 "red-admin": 403, "civil": 404}  # duty acts; others' items do not exist
    duty = {"blue": 200, "blue-admin": 403, "blue-feed": 403, "red": 200, "red-admin": 403,
            "civil": 200}
    hook = {"blue": 200, "blue-admin": 200, "blue-feed": 403, "red": 404, "red-admin": 404,
            "civil": 404}
    admin = {c: (200 if c.endswith("admin") else 403) for c in CALLERS}
    return [
        ("GET", "/v1/alerts", None, read),
        ("POST", f"/v1/alerts/{ids['alert']}/ack", None, blue_only),
        ("POST", f"/v1/alerts/{ids['alert']}/ack", {"coordinated": True}, blue_only),
        ("GET", "/v1/templates", None, read),
        ("POST", "/v1/messages", {"to": "red", "text": "x"},
         {**duty, "blue": 201, "red": 400, "civil": 201}),  # red: not to itself
        ("GET", "/v1/messages?box=in", None, read),
        ("GET", "/v1/messages?box=out", None, read),
        ("POST", f"/v1/messages/{ids['message']}/ack", None, blue_only),
        ("GET", "/v1/events", None, read),
        ("POST", "/v1/events/ack", {"through": 1},
         {**duty, "civil": 400}),  # civil has no event 1 of its own to confirm
        ("GET", "/v1/webhooks", None, read),
        ("GET", "/v1/webhooks/wh1", None, hook),
        ("GET", "/v1/audit", None, read),
        ("GET", "/v1/audit/head", None, read),
        ("GET", "/v1/audit/proof/0", None, read),
        ("GET", "/v1/audit/consistency?old=1", None, read),
        ("GET", "/v1/audit/verify", None, admin),
    ]


def _addressee(event: dict[str, Any]) -> set[str]:
    """The party an event may go to: the item's addressee, or, for an ``acknowledged``
    event, the side that sent the message or whose declaration the alert is about."""
    item = event["item"]["item"] if "step" in event["item"] else event["item"]
    if event["kind"] == "acknowledged":
        return {item["from"]} if "from" in item else {item["body"]["with"]["owner"]}
    return {item["party"]} if "party" in item else {item["to"]}


def test_party_role_endpoint_matrix(tmp_path: Path, clock: ManualClock) -> None:
    client, _, who, ids = _world(tmp_path, clock)
    failures = []
    for method, url, body, want in _endpoints(ids):
        for caller in CALLERS:
            r = client.request(method, url, json=body, headers=who[caller])
            if r.status_code != want[caller]:
                failures.append(f"{caller} {method} {url}: {r.status_code}, want "
                                f"{want[caller]}: {r.text[:200]}")
            elif r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
    assert not failures, "\n".join(failures)
    # what each party reads is its own, and nothing of another's was acknowledged for it
    for caller in ("blue", "red", "civil", "blue-admin", "red-admin"):
        party = caller.split("-")[0]
        h = who[caller]
        assert {a["party"] for a in client.get("/v1/alerts", headers=h).json()["items"]} <= {
            party}
        inbox = client.get("/v1/messages", params={"box": "in"}, headers=h).json()["items"]
        out = client.get("/v1/messages", params={"box": "out"}, headers=h).json()["items"]
        assert {m["to"] for m in inbox} <= {party} and {m["from"] for m in out} <= {party}
        events = client.get("/v1/events", params={"limit": 1000}, headers=h).json()["items"]
        for e in events:  # delivered to a party only what is addressed to it
            assert _addressee(e) == {party}, e
            if e["delivery"] is not None:
                assert e["delivery"]["receipt"]["party"] == party
        hooks = client.get("/v1/webhooks", headers=h).json()["items"]
        assert [w["id"] for w in hooks] == (["wh1"] if party == "blue" else [])
        for rec in _all_records(client, h):
            assert "data" not in rec or rec["data"]["party"] == party
    # blue's alert and message were acknowledged by blue only, blue's webhook is intact
    (alert,) = client.get("/v1/alerts", headers=who["blue"]).json()["items"]
    assert alert["ack"]["by"] == "blue-officer"
    assert client.get("/v1/alerts", headers=who["red"]).json()["items"][0]["ack"] is None
    # others cannot replace or remove blue's webhook: PUT makes their own, DELETE is 404
    assert client.delete("/v1/webhooks/wh1", headers=who["red"]).status_code == 404
    assert client.put("/v1/webhooks/wh1", headers=who["red"], json={
        "url": "http://127.0.0.1:9/red", "secret": "r" * 16}).status_code == 201
    assert client.get("/v1/webhooks/wh1", headers=who["blue"]).json()["url"] == \
        "http://127.0.0.1:9/hook"
    assert client.delete("/v1/webhooks/wh1", headers=who["blue-feed"]).status_code == 403
    assert client.delete("/v1/webhooks/wh1", headers=who["blue"]).status_code == 204


def _bad_tokens(settings: Settings, tmp_path: Path) -> dict[str, dict[str, str]]:
    key = load_or_create_issuer_key(settings.data_dir)
    other = load_or_create_issuer_key(tmp_path / "elsewhere")

    def tok(k: Any, **kw: Any) -> dict[str, str]:
        claims: dict[str, Any] = {"party": "red", "officer": "red-officer", "scopes": ["duty"],
                                  "issuer": settings.jwt_issuer,
                                  "audience": settings.jwt_audience, "ttl_s": 3600} | kw
        return {"Authorization": f"Bearer {mint(k, **claims)}"}

    return {
        "none": {},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "expired": tok(key, now=time.time() - 7200, ttl_s=60),
        "forged": tok(other),
        "wrong-issuer": tok(key, issuer="someone-else"),
        "wrong-audience": tok(key, audience="another-service"),
    }


def test_bad_tokens_are_401_everywhere_and_audited(tmp_path: Path, clock: ManualClock) -> None:
    client, settings, who, ids = _world(tmp_path, clock, auth_audit_burst=10_000)
    admin = who["red-admin"]
    before = len(_all_records(client, admin))
    endpoints = [*_endpoints(ids), ("GET", "/v1/events/stream", None, {}),
                 ("PUT", "/v1/webhooks/wh2", {"url": "http://127.0.0.1:9/x",
                                              "secret": "s" * 16}, {}),
                 ("DELETE", "/v1/webhooks/wh1", None, {})]
    attempts = 0
    for name, headers in _bad_tokens(settings, tmp_path).items():
        for method, url, body, _ in endpoints:
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == 401, (name, method, url, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.headers["content-type"].startswith("application/problem+json")
            attempts += 1
    records = _all_records(client, admin)
    assert len(records) == before + attempts  # one record per 401, nothing else
    # red sees in full the failures of tokens claiming to be red (all but none/garbage)
    mine = [r["data"] for r in records[before:] if "data" in r]
    assert len(mine) == 4 * len(endpoints)
    assert {d["action"] for d in mine} == {"auth.failure"}
    reasons = " ".join(d["reason"] for d in mine)
    for why in ("expired", "signature", "issuer", "audience"):
        assert why in reasons, why
    assert "(from testclient)" in mine[0]["reason"]
    assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True


def test_a_flood_of_401s_is_counted_not_recorded_one_by_one(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = _settings(tmp_path, auth_audit_burst=5, auth_audit_window_s=60)
    admin = _auth(settings, "blue", "admin")
    with TestClient(create_app(settings, clock=clock)) as client:
        for _ in range(200):
            assert client.get("/v1/alerts", headers={"Authorization": "Bearer x"}
                              ).status_code == 401
        actions = [r["data"]["action"] for r in _audit_as_operator(client, admin)]
        assert actions == ["auth.failure"] * 5  # the burst, then only counted
        clock.advance(61)  # the window has passed: the next failure brings the summary
        assert client.get("/v1/alerts").status_code == 401
        data = _audit_as_operator(client, admin)
        assert [d["data"]["action"] for d in data] == ["auth.failure"] * 5 + [
            "auth.failure.summary", "auth.failure"]
        summary = data[5]["data"]
        assert summary["suppressed"] == 195 and summary["source"] == "testclient"
        assert summary["from"] == "2026-11-24T12:00:00Z" and summary["burst"] == 5
        for _ in range(10):  # 4 more in this window's burst, 6 counted ...
            client.get("/v1/alerts")
    # ... and summarised when the server stops: nothing is lost
    with TestClient(create_app(settings, clock=clock)) as client:
        data = _audit_as_operator(client, admin)
        assert [d["data"]["action"] for d in data[7:]] == ["auth.failure"] * 4 + [
            "auth.failure.summary"]
        assert data[-1]["data"]["suppressed"] == 6
        assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True


def _audit_as_operator(client: TestClient, h: dict[str, str]) -> list[dict[str, Any]]:
    """Every record, with data (auth failures without a claimed party are 'unknown''s:
    read them from the store's JSON through the admin's full listing of hashes + data)."""
    app = client.app
    rows = app.state.audit.records("unknown", -1, 1000)  # type: ignore[attr-defined]
    return [{"seq": r.seq, "data": r.data} for r in rows if r.data is not None]
