"""``/v1/audit`` against ``create_app()`` with real storage: need to know, proofs a party checks
with :mod:`hotline.audit` alone, audited 401s, and the operator-proof property — a history
rewritten and rehashed consistently is exposed by a tree head the party kept (both engines)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from builders import box_json
from hotline.adapters.clock import ManualClock
from hotline.adapters.storage.sql import SqlStore
from hotline.adapters.tokens import load_or_create_issuer_key, mint
from hotline.api import create_app
from hotline.audit import (
    HistoryRewritten,
    canonical_json,
    check_history,
    check_inclusion,
    key_ring,
    leaf_hash,
    verify_inclusion,
    verify_tree_head,
)
from hotline.settings import Settings
from test_audit_store import raw_sql


def _settings(tmp_path: Path, db: str = "") -> Settings:
    return Settings(data_dir=tmp_path, db=db or f"sqlite:///{tmp_path / 'h.db'}")


def _auth(settings: Settings, party: str, *scopes: str) -> dict[str, str]:
    key = load_or_create_issuer_key(settings.data_dir)
    tok = mint(key, party=party, officer=f"{party}-officer", scopes=list(scopes or ["duty"]),
               issuer=settings.jwt_issuer, audience=settings.jwt_audience, ttl_s=3600)
    return {"Authorization": f"Bearer {tok}"}


def _notice(clock: ManualClock, lat: float) -> dict[str, Any]:
    return {"volumes": [box_json(lat, 37.0, 5, clock.now() + timedelta(hours=1))]}


def _hexes(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in items]


def _keys(client: TestClient) -> dict[str, Any]:
    return key_ring(k for k in client.get("/v1/keys").json()["keys"] if k["kty"] == "OKP")


def _all_records(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = -1
    while True:
        page = client.get("/v1/audit", params={"after": after, "limit": 2},
                          headers=headers).json()
        out += page["items"]
        if page["next"] is None:
            return out
        after = page["next"]


def test_party_sees_its_records_in_full_and_others_as_hashes(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock))
    blue, red = _auth(settings, "blue"), _auth(settings, "red")
    assert client.put("/v1/notices/b1", json=_notice(clock, 35.0), headers=blue).status_code == 201
    assert client.put("/v1/notices/r1", json=_notice(clock, 35.02), headers=red).status_code == 201
    assert client.delete("/v1/notices/b1", headers=blue).status_code == 200

    items = _all_records(client, blue)
    # blue's put, red's put, the conflict alert to red, the one to blue, blue's withdrawal,
    # which closed both alerts (one alert.close each, blue's readable by blue only)
    assert [i["seq"] for i in items] == [0, 1, 2, 3, 4, 5, 6]
    mine, theirs, their_alert, my_alert, withdrawn, *closes = items
    assert [c["data"]["action"] for c in closes if "data" in c] == ["alert.close"]
    assert set(theirs) == {"seq", "leaf_hash"} and set(their_alert) == {"seq", "leaf_hash"}
    assert mine["data"]["action"] == "notice.put" and withdrawn["data"]["action"] == "notice.delete"
    assert my_alert["data"]["action"] == "alert.create" and my_alert["data"]["party"] == "blue"
    for it in (mine, my_alert, withdrawn):  # the party can recompute its records' leaf hashes
        assert leaf_hash(canonical_json(it["data"])).hex() == it["leaf_hash"]
    red_view = _all_records(client, red)
    assert "data" not in red_view[0] and red_view[1]["data"]["conflicts"] == [
        {"kind": "notice", "id": "b1", "owner": "blue"}]
    assert red_view[2]["data"]["action"] == "alert.create" and "data" not in red_view[3]
    assert [i["leaf_hash"] for i in red_view] == [i["leaf_hash"] for i in items]
    # admins read too (their own party's records); verify is for admins only
    admin = _auth(settings, "blue", "admin")
    assert client.get("/v1/audit", headers=admin).json()["items"][0]["data"]["party"] == "blue"
    assert client.get("/v1/audit/verify", headers=blue).status_code == 403
    assert client.get("/v1/audit", headers=_auth(settings, "blue", "feed")).status_code == 403
    report = client.get("/v1/audit/verify", headers=admin).json()
    assert report["ok"] is True and report["size"] == 7 and report["first_bad_seq"] is None


def test_proofs_verify_against_signed_heads(tmp_path: Path, clock: ManualClock) -> None:
    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock))
    blue = _auth(settings, "blue")
    for i in range(5):
        client.put(f"/v1/notices/b{i}", json=_notice(clock, 30 + i), headers=blue)
    keys = _keys(client)
    kept = client.get("/v1/audit/head", headers=blue).json()
    head = verify_tree_head(kept, keys)
    assert head.size == 5
    records = _all_records(client, blue)
    for rec in records:
        p = client.get(f"/v1/audit/proof/{rec['seq']}", params={"size": 5}, headers=blue).json()
        assert p["head"] == kept  # the stored head of that size comes with the proof
        leaf = bytes.fromhex(rec["leaf_hash"])
        check_inclusion(leaf, rec["seq"], _hexes(p["proof"]), kept, keys)
        assert verify_inclusion(leaf, rec["seq"], 5, _hexes(p["proof"]), head.root)
    clock.advance(60)
    for i in range(5, 12):
        client.put(f"/v1/notices/b{i}", json=_notice(clock, 30 + i), headers=blue)
    # without a size: the current tree, with a freshly signed head
    p = client.get("/v1/audit/proof/3", headers=blue).json()
    assert p["tree_size"] == 12 and verify_tree_head(p["head"], keys).size == 12
    check_inclusion(bytes.fromhex(records[3]["leaf_hash"]), 3, _hexes(p["proof"]), p["head"],
                    keys)
    newer = client.get("/v1/audit/head", headers=blue).json()
    c = client.get("/v1/audit/consistency", params={"old": 5, "new": 12}, headers=blue).json()
    assert c["head"] == newer and c["old_size"] == 5
    check_history(kept, newer, _hexes(c["proof"]), keys)
    # an old size is never signed afresh: no stored head of size 7, so none comes back
    c7 = client.get("/v1/audit/consistency", params={"old": 5, "new": 7}, headers=blue).json()
    assert c7["head"] is None and c7["tree_size"] == 7
    # bad sizes are a clear 400
    for url, params in (("/v1/audit/proof/12", {}), ("/v1/audit/proof/0", {"size": 99}),
                        ("/v1/audit/consistency", {"old": 9, "new": 7})):
        r = client.get(url, params=params, headers=blue)
        assert r.status_code == 400 and r.json()["detail"], (url, r.text)


def test_each_401_is_audited_once(tmp_path: Path, clock: ManualClock) -> None:
    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock))
    other = _settings(tmp_path / "other")
    forged = _auth(other, "red")  # signed by a key this server does not trust
    attempts = [({}, "GET", "/v1/notices"),
                ({"Authorization": "Bearer not.a.jwt"}, "GET", "/v1/audit"),
                (forged, "PUT", "/v1/notices/x")]
    for headers, method, url in attempts:
        r = client.request(method, url, headers=headers, json={} if method == "PUT" else None)
        assert r.status_code == 401
    admin = _auth(settings, "red", "admin")
    verify = client.get("/v1/audit/verify", headers=admin).json()
    assert verify["ok"] and verify["size"] == 3
    red = _all_records(client, admin)
    assert [("data" in r) for r in red] == [False, False, True]  # only the forged one is red's
    failure = red[2]["data"]
    assert failure["action"] == "auth.failure" and failure["officer"] == "red-officer"
    assert "PUT /v1/notices/x" in failure["reason"] and "signature" in failure["reason"]


def test_a_failure_to_audit_does_not_turn_a_401_into_a_500(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock))
    with sqlite3.connect(tmp_path / "h.db") as conn:  # the audit table is gone
        conn.execute("DROP TABLE audit_records")
    r = client.get("/v1/notices", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401 and r.json()["status"] == 401
    assert "could not record an authentication failure" in caplog.text  # tried, and said so


def test_rewritten_history_is_exposed_by_a_kept_head(
    store: SqlStore, clock: ManualClock, tmp_path: Path
) -> None:
    """The operator edits a record and recomputes every leaf hash consistently, drops the
    stored heads and restarts: the new log is self-consistent and freshly signed, yet the head
    the party kept proves it is not the log the party was shown."""
    settings = _settings(tmp_path)
    client = TestClient(create_app(settings, clock=clock, store=store))
    blue, red = _auth(settings, "blue"), _auth(settings, "red")
    for i in range(4):
        client.put(f"/v1/notices/b{i}", json=_notice(clock, 30 + i), headers=blue)
        client.put(f"/v1/notices/r{i}", json=_notice(clock, 40 + i), headers=red)
    keys = _keys(client)
    kept = client.get("/v1/audit/head", headers=blue).json()
    mine = [r for r in _all_records(client, blue) if "data" in r]
    assert [r["seq"] for r in mine] == [0, 2, 4, 6]
    clock.advance(60)
    client.put("/v1/notices/b9", json=_notice(clock, 50), headers=blue)
    # all is well before the rewrite
    c = client.get("/v1/audit/consistency", params={"old": kept["tree_size"]}, headers=blue)
    check_history(kept, c.json()["head"], _hexes(c.json()["proof"]), keys)

    # the operator rewrites blue's record #2 (as if b1 had been filed later), rehashes all
    with store.read() as tx:
        rows = tx.audit_records(-1, 1000)
    for row in rows:
        data = json.loads(row.data)
        if row.seq == 2:
            data["at"] = "2026-11-24T13:00:00Z"
        text = canonical_json(data)
        raw_sql(store, "UPDATE audit_records SET data = ?, leaf_hash = ? WHERE seq = ?",
                (text.decode(), leaf_hash(text).hex(), row.seq))
    raw_sql(store, "DELETE FROM audit_heads")
    store2 = type(store).from_url(_url(store)) if store.engine == "sqlite" else _pg(store)
    try:
        restarted = TestClient(create_app(settings, clock=clock, store=store2))
        admin = _auth(settings, "blue", "admin")
        assert restarted.get("/v1/audit/verify", headers=admin).json()["ok"]  # self-consistent
        c = restarted.get("/v1/audit/consistency", params={"old": kept["tree_size"]},
                          headers=blue).json()
        assert verify_tree_head(c["head"], keys).size == 9  # validly signed, same key
        with pytest.raises(HistoryRewritten):
            check_history(kept, c["head"], _hexes(c["proof"]), keys)
        # inclusion against the kept head fails too: for the edited record as now served ...
        now_served = restarted.get("/v1/audit/proof/2", params={"size": kept["tree_size"]},
                                   headers=blue).json()
        with pytest.raises(HistoryRewritten):
            check_inclusion(bytes.fromhex(now_served["leaf_hash"]), 2,
                            _hexes(now_served["proof"]), kept, keys)
        # ... and for blue's untouched records, whose proofs now pass through the edit
        for rec in (mine[0], mine[2], mine[3]):
            p = restarted.get(f"/v1/audit/proof/{rec['seq']}",
                              params={"size": kept["tree_size"]}, headers=blue).json()
            with pytest.raises(HistoryRewritten):
                check_inclusion(bytes.fromhex(rec["leaf_hash"]), rec["seq"],
                                _hexes(p["proof"]), kept, keys)
    finally:
        store2.close()


def _url(store: SqlStore) -> str:
    return f"sqlite:///{store.path}"  # type: ignore[attr-defined]


def _pg(store: SqlStore) -> SqlStore:
    from hotline.adapters.storage.postgres import PostgresStore

    return PostgresStore(store.dsn)  # type: ignore[attr-defined]
