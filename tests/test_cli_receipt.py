"""``hotline receipt verify`` checks a real receipt offline against a saved key set, and
refuses a changed one or an unknown key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
