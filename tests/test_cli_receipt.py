"""``hotline receipt verify`` checks a real receipt offline against a saved key set, and
refuses a changed one or an unknown key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hotline.adapters.clock import ManualClock
from test_api_alerts import _setup

HOTLINE = [sys.executable, "-m", "hotline.cli.main"]


def verify(receipt: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOTLINE, "receipt", "verify", str(receipt), "--keys", str(keys)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_receipt_verify_offline(tmp_path: Path, clock: ManualClock) -> None:
    client, who = _setup(tmp_path, clock)
    (alert,) = client.get("/v1/alerts", headers=who["red"]).json()["items"]
    receipt = client.post(f"/v1/alerts/{alert['id']}/ack", headers=who["red"]).json()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(client.get("/v1/keys").json()))
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt))

    done = verify(good, keys)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"OK: alert {alert['id']} acknowledged by red-officer of red" in done.stdout

    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({**receipt, "party": "blue"}))
    done = verify(changed, keys)
    assert done.returncode == 1 and "INVALID" in done.stdout and "does not match" in done.stdout

    other = tmp_path / "other-keys.json"
    # another service's key (RFC 8037 A.1's public key): the receipt's key id is unknown
    rfc8037 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    other.write_text(json.dumps({"keys": [rfc8037]}))
    done = verify(good, other)
    assert done.returncode == 1 and "not a trusted key" in done.stdout


def _checks(done: subprocess.CompletedProcess[str]) -> dict[str, bool]:
    """The per-check lines the verifier prints: name -> passed."""
    out = {}
    for line in done.stdout.splitlines():
        if line.startswith(("ok   ", "FAIL ")):
            out[line[5:].split(":", 1)[0]] = line.startswith("ok")
    return out


ALL = ("receipt signature", "tree head signature", "audit record", "inclusion proof")


def test_receipts_embed_tree_head_and_inclusion_proof(tmp_path: Path,
                                                      clock: ManualClock) -> None:
    """Ack and delivery receipts carry their audit record, a signed tree head and the
    record's inclusion proof; the verifier checks all four offline, and a receipt tampered
    in any one part fails exactly that check (the tampered ones are re-signed with the
    service's own key, as a dishonest operator could: only the embedded evidence exposes
    them)."""
    from hotline.adapters.audit_key import load_or_create_audit_signer

    client, who = _setup(tmp_path, clock)
    (alert,) = client.get("/v1/alerts", headers=who["red"]).json()["items"]
    clock.advance(5)
    delivered = client.post("/v1/events/ack", json={"through": 1},
                            headers=who["red"]).json()["receipts"][0]
    clock.advance(5)
    acked = client.post(f"/v1/alerts/{alert['id']}/ack", headers=who["red"]).json()
    # more records after the receipts: the tree heads they embed stay what they were
    client.post("/v1/messages", json={"to": "blue", "text": "seen"}, headers=who["red"])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(client.get("/v1/keys").json()))
    for receipt, event in ((delivered, "delivered"), (acked, "acknowledged")):
        audit = receipt["audit"]
        assert audit["record"]["seq"] == receipt["audit_seq"]
        assert audit["tree_head"]["tree_size"] == receipt["audit_seq"] + 1
        path = tmp_path / f"{event}.json"
        path.write_text(json.dumps(receipt))
        done = verify(path, keys)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _checks(done) == dict.fromkeys(ALL, True)
        assert f"{event} by red-officer of red" in done.stdout
    assert "before the activity" in verify(tmp_path / "delivered.json", keys).stdout
    # the record the receipt embeds is the one the audit log holds, by leaf hash
    listed = client.get("/v1/audit", params={"after": acked["audit_seq"] - 1, "limit": 1},
                        headers=who["red"]).json()["items"][0]
    assert listed["leaf_hash"] == acked["audit"]["leaf_hash"]
    assert listed["data"] == acked["audit"]["record"]

    signer = load_or_create_audit_signer(tmp_path)

    def resigned(r: dict[str, Any]) -> dict[str, Any]:
        return signer.sign({k: v for k, v in r.items() if k != "signature"})

    head = acked["audit"]["tree_head"]
    proof = acked["audit"]["inclusion_proof"]
    flipped = ("1" if head["root_hash"][0] == "0" else "0") + head["root_hash"][1:]
    sig = acked["signature"]
    forged = ("B" if sig["value"][0] == "A" else "A") + sig["value"][1:]
    other_record = {**acked["audit"]["record"], "officer": "someone-else"}
    tampered = {
        # a forged signature (its first character changed)
        "receipt signature": {**acked, "signature": {**sig, "value": forged}},
        # the head's root changed: its own signature no longer matches
        "tree head signature": resigned({**acked, "audit": {
            **acked["audit"], "tree_head": {**head, "root_hash": flipped}}}),
        # the embedded record edited (and its leaf hash left as it was)
        "audit record": resigned({**acked, "audit": {**acked["audit"],
                                                     "record": other_record}}),
        # the proof does not lead from the leaf to the head's root
        "inclusion proof": resigned({**acked, "audit": {
            **acked["audit"], "inclusion_proof": [*proof[1:], proof[0]] if len(proof) > 1
            else ["00" * 32]}}),
    }
    for check, bad in tampered.items():
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        done = verify(path, keys)
        assert done.returncode == 1, (check, done.stdout)
        assert "INVALID" in done.stdout
        results = _checks(done)
        assert results[check] is False, (check, done.stdout)
        if check != "tree head signature":  # a bad head also fails the proof against it
            assert [c for c, ok in results.items() if not ok] == [check], done.stdout
    # a receipt without the evidence (as before this format) fails the three checks
    bare = resigned({k: v for k, v in acked.items() if k != "audit"})
    path.write_text(json.dumps(bare))
    done = verify(path, keys)
    assert done.returncode == 1
    assert _checks(done) == {"receipt signature": True, "tree head signature": False,
                             "audit record": False, "inclusion proof": False}
