"""Bad input anywhere on the relay gets a clear 4xx problem+json (what was wrong, where, how to
fix it) and changes nothing: the same rows in every relay table and the same audit log.
(Messages' and webhooks' own bad bodies are covered in test_api_messages / test_webhooks;
this sweeps the rest: acknowledgments, coordination, events, cursors, oversized bodies.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hotline.adapters.clock import ManualClock
from test_api_events import _setup

TABLES = ("alerts", "messages", "events", "webhooks", "idempotency", "audit_records",
          "audit_heads")


def _counts(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        counts: dict[str, Any] = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                                  for t in TABLES}
        counts["acks"] = conn.execute(
            "SELECT COUNT(*) FROM alerts WHERE ack_at IS NOT NULL").fetchone()[0]
        counts["delivered"] = conn.execute(
            "SELECT COUNT(*) FROM events WHERE delivered_at IS NOT NULL").fetchone()[0]
        return counts


def test_relay_bad_input_is_4xx_and_changes_nothing(tmp_path: Path,
                                                    clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    blue = who["blue"]
    alert = client.get("/v1/alerts", headers=blue).json()["items"][0]["id"]
    msg = client.get("/v1/messages", params={"box": "in"}, headers=blue).json()["items"][0]
    before = _counts(tmp_path / "h.db")
    a_url, m_url = f"/v1/alerts/{alert}/ack", f"/v1/messages/{msg['id']}/ack"
    cases: list[tuple[str, str, dict[str, Any], Any, int, str]] = [
        ("POST", a_url, {}, {"coordinated": "yes"}, 400, "coordinated"),
        ("POST", a_url, {}, {"coordinated": True, "messages": "msg-1"}, 400, "messages"),
        ("POST", a_url, {}, {"coordinated": True, "messages": ["msg-x"] * 21}, 400,
         "messages"),
        ("POST", a_url, {}, {"coordinated": True, "messages": ["b1"]}, 400,
         "not a message id"),
        ("POST", a_url, {}, {"coordinated": True, "messages": ["msg-" + "0" * 32]}, 400,
         "not one between your party"),
        ("POST", a_url, {}, {"messages": [msg["id"]]}, 400, "only when recording"),
        ("POST", a_url, {}, [1, 2], 400, "body"),
        ("POST", "/v1/alerts/al-nosuch/ack", {}, None, 404, "does not exist"),
        ("POST", "/v1/messages/msg-nosuch/ack", {}, None, 404, "does not exist"),
        ("POST", m_url, {}, {"coordinated": True}, 400, "coordinated"),
        ("POST", "/v1/events/ack", {}, {"through": 0}, 400, "through"),
        ("POST", "/v1/events/ack", {}, {"through": "2"}, 400, "through"),
        ("POST", "/v1/events/ack", {}, {"through": 99}, 400, "beyond your party's last"),
        ("POST", "/v1/events/ack", {}, {}, 400, "through"),
        ("GET", "/v1/events/stream", {"Last-Event-ID": "three"}, None, 400, "Last-Event-ID"),
        ("GET", "/v1/events", {"Accept": "text/event-stream", "Last-Event-ID": "-1"}, None,
         400, "Last-Event-ID"),
        ("GET", "/v1/events?after=-1", {}, None, 400, "after"),
        ("GET", "/v1/events?limit=1001", {}, None, 400, "limit"),
        ("GET", "/v1/alerts?after=al-nosuch", {}, None, 400, "cursor"),
        ("GET", "/v1/messages?box=sideways", {}, None, 400, "box"),
        ("GET", "/v1/messages?after=msg-nosuch", {}, None, 400, "cursor"),
        ("PUT", "/v1/webhooks/h1", {}, {"url": "ftp://example.com/", "secret": "s" * 16},
         400, "url"),
        ("PUT", "/v1/webhooks/h1", {}, {"url": "https://example.com/", "secret": "short"},
         400, "secret"),
    ]
    failures = []
    for method, url, headers, body, status, says in cases:
        r = client.request(method, url, json=body, headers={**blue, **headers})
        if (r.status_code != status
                or not r.headers["content-type"].startswith("application/problem+json")
                or says not in r.text):
            failures.append(f"{method} {url} {body!r}: {r.status_code} {r.text[:300]}")
    # an oversized message body is refused before it is parsed
    big = {"to": "red", "text": "x" * (9 * 1024 * 1024)}
    r = client.post("/v1/messages", json=big, headers=blue)
    if r.status_code != 413 or not r.headers["content-type"].startswith(
            "application/problem+json"):
        failures.append(f"oversized: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert _counts(tmp_path / "h.db") == before
