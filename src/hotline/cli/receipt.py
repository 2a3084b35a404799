"""``hotline receipt verify FILE (--keys JWKS.json | --url URL)``: check a receipt offline.

A receipt is a statement signed by the service's Ed25519 key (``hotline.receipt.v1``) that
embeds its audit record, a signed tree head and the record's inclusion proof. The trusted keys
come from a saved copy of ``GET /v1/keys`` (``--keys``), or are fetched from a server
(``--url``, e.g. ``http://127.0.0.1:8000/v1/keys``). Runs the four checks of
:func:`hotline.relay.receipts.check_receipt` (receipt signature, tree head signature, audit
record, inclusion proof), prints each, then what the receipt attests and exits 0, or says what
is wrong and exits 1 (2: cannot read the inputs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hotline.domain.errors import HotlineError


def register(verbs: Any) -> None:
    p = verbs.add_parser("receipt", help="verify signed receipts offline")
    actions = p.add_subparsers(dest="receipt_action", required=True, metavar="ACTION")
    v = actions.add_parser("verify", help="check a receipt's signature against published keys")
    v.add_argument("file", help="the receipt (JSON), or - for standard input")
    source = v.add_mutually_exclusive_group(required=True)
    source.add_argument("--keys", help="a saved copy of GET /v1/keys (a JWK set)")
    source.add_argument("--url", help="fetch the JWK set from this URL")
    v.set_defaults(run=run_verify)


def _load_keys(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.keys:
        doc = json.loads(Path(args.keys).read_text())
    else:
        import httpx

        doc = httpx.get(args.url, timeout=10).raise_for_status().json()
    keys = doc.get("keys", []) if isinstance(doc, dict) else []
    return [k for k in keys if isinstance(k, dict) and k.get("kty") == "OKP"]


def run_verify(args: argparse.Namespace) -> int:
    from hotline.audit.signing import key_ring
    from hotline.relay.receipts import check_receipt

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        receipt = json.loads(text)
        if not isinstance(receipt, dict):
            raise ValueError("a receipt is a JSON object")
        ring = key_ring(_load_keys(args))
    except (OSError, ValueError, HotlineError) as exc:
        print(f"hotline receipt verify: cannot read inputs: {exc}", file=sys.stderr)
        return 2
    if not ring:
        print("hotline receipt verify: no Ed25519 keys in the key set", file=sys.stderr)
        return 2
    checks = check_receipt(receipt, ring)
    for c in checks:
        print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"INVALID: {failed[0].name}: {failed[0].detail}")
        return 1
    item = receipt.get("item", {})
    lead = receipt.get("lead_time")
    told = "" if not isinstance(lead, dict) else (
        f", {lead.get('at_delivery_s')} s before the activity"
        f"{' (LATE)' if lead.get('late') else ''}")
    print(f"OK: {item.get('type')} {item.get('id')} {receipt.get('event')} by "
          f"{receipt.get('officer')} of {receipt.get('party')} at {receipt.get('at')}{told} "
          f"(audit record {receipt.get('audit_seq')}, content sha256 {item.get('content_hash')})"
          + (" [simulated clock]" if receipt.get("clock") == "simulated" else ""))
    return 0
