"""``hotline receipt verify FILE (--keys JWKS.json | --url URL)``: check a receipt offline.

A receipt is a statement signed by the service's Ed25519 key (``hotline.receipt.v1``). The
trusted keys come from a saved copy of ``GET /v1/keys`` (``--keys``), or are fetched from a
server (``--url``, e.g. ``http://127.0.0.1:8000/v1/keys``). Prints what the receipt attests
and exits 0, or says what is wrong and exits 1 (2: cannot read the inputs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hotline.domain.errors import HotlineError

RECEIPT_TYPE = "hotline.receipt.v1"


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
    from hotline.audit.signing import key_ring, verify_signed

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        receipt = json.loads(text)
        ring = key_ring(_load_keys(args))
    except (OSError, ValueError, HotlineError) as exc:
        print(f"hotline receipt verify: cannot read inputs: {exc}", file=sys.stderr)
        return 2
    if not ring:
        print("hotline receipt verify: no Ed25519 keys in the key set", file=sys.stderr)
        return 2
    try:
        body = verify_signed(receipt, ring, expected_type=RECEIPT_TYPE)
    except HotlineError as exc:
        print(f"INVALID: {exc.message}")
        return 1
    item = body.get("item", {})
    print(f"OK: {item.get('type')} {item.get('id')} {body.get('event')} by "
          f"{body.get('officer')} of {body.get('party')} at {body.get('at')} "
          f"(audit record {body.get('audit_seq')}, content sha256 {item.get('content_hash')})"
          + (" [simulated clock]" if body.get("clock") == "simulated" else ""))
    return 0
