"""The ``hotline.receipt.v1`` statement shared by every relayed item (alerts, messages).

Contract: pure functions, no I/O and no clock. An item's content hash is the hex SHA-256 of
the RFC 8785 canonical JSON of its content. A receipt statement names the item (type, id,
content hash), the party and officer who acted, the event, the time (RFC 3339, ``Z``) and the
audit record that recorded it; the caller signs it (:class:`hotline.audit.signing.Signer`).
The service embeds, under ``audit``, that record itself, its leaf hash, a signed tree head of
the log including it and the record's inclusion proof, so that :func:`check_receipt` verifies
a receipt offline with nothing but the published keys (``GET /v1/keys``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.audit.canonical import canonical_json
from hotline.audit.merkle import from_hex, leaf_hash
from hotline.audit.signing import verify_signed
from hotline.audit.treehead import check_inclusion, verify_tree_head
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.time import format_rfc3339

RECEIPT_TYPE = "hotline.receipt.v1"


def content_hash(content: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of an item's content."""
    return hashlib.sha256(canonical_json(dict(content))).hexdigest()


def receipt(item_type: str, item_id: str, item_hash: str, party: str, officer: str,
            event: str, at: datetime, audit_seq: int,
            **extra: Any) -> dict[str, Any]:
    """The unsigned receipt statement: ``officer`` of ``party`` did ``event`` to the item at
    ``at``, recorded as audit record ``audit_seq``; ``extra`` members (plain JSON) are added
    as given (e.g. ``lead_time`` of a delivered alert, ``coordinated``)."""
    return {
        **extra,
        "type": RECEIPT_TYPE,
        "item": {"type": item_type, "id": item_id, "content_hash": item_hash},
        "party": party,
        "officer": officer,
        "event": event,
        "at": format_rfc3339(at),
        "audit_seq": audit_seq,
    }


#: The audit record action each receipt event is recorded under (``{type}`` the item type).
_ACTIONS = {"acknowledged": "{type}.ack", "delivered": "event.delivered",
            "coordinated": "{type}.coordinate"}


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    """One check of a receipt: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def check_receipt(signed: Mapping[str, Any],
                  keys: Mapping[str, Ed25519PublicKey]) -> list[ReceiptCheck]:
    """Check a receipt offline, with the service's published keys only. Four checks, each
    reported whatever the others found: the receipt's signature; the signature of the tree
    head it embeds (``audit.tree_head``); that the embedded audit record hashes to the leaf
    hash, is record ``audit_seq`` and says what the receipt says (party, officer, time,
    action, item); and that the inclusion proof puts that leaf at ``audit_seq`` in the tree
    the head vouches for. A receipt is valid when all four pass."""
    out = []
    body = {k: v for k, v in signed.items() if k != "signature"}
    try:
        verify_signed(signed, keys, expected_type=RECEIPT_TYPE)
        out.append(ReceiptCheck("receipt signature", True, "signed by the service's key"))
    except HotlineError as exc:
        out.append(ReceiptCheck("receipt signature", False, exc.message))
    audit = body.get("audit")
    if not isinstance(audit, Mapping):
        missing = "the receipt embeds no audit evidence (tree head, record, proof)"
        return [*out, *(ReceiptCheck(n, False, missing) for n in
                        ("tree head signature", "audit record", "inclusion proof"))]
    head = audit.get("tree_head")
    try:
        th = verify_tree_head(head if isinstance(head, Mapping) else {}, keys)
        out.append(ReceiptCheck("tree head signature", True, f"{th.describe()}, signed"))
    except HotlineError as exc:
        out.append(ReceiptCheck("tree head signature", False, exc.message))
    out.append(_check_record(body, audit))
    try:
        leaf = from_hex(audit.get("leaf_hash"), "leaf_hash")
        proof = [from_hex(h, "inclusion proof element") for h in audit.get("inclusion_proof")
                 or []]
        seq = body.get("audit_seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise InvalidInput(f"audit_seq {seq!r} is not a record number")
        th = check_inclusion(leaf, seq, proof, head if isinstance(head, Mapping) else {}, keys)
        out.append(ReceiptCheck("inclusion proof", True,
                                f"record #{seq} is in the {th.describe()}"))
    except HotlineError as exc:
        out.append(ReceiptCheck("inclusion proof", False, exc.message))
    return out


def _check_record(body: Mapping[str, Any], audit: Mapping[str, Any]) -> ReceiptCheck:
    name = "audit record"
    record = audit.get("record")
    if not isinstance(record, Mapping):
        return ReceiptCheck(name, False, "the receipt embeds no audit record")
    try:
        leaf = leaf_hash(canonical_json(dict(record))).hex()
    except (HotlineError, ValueError, TypeError) as exc:
        return ReceiptCheck(name, False, f"the record is not canonical JSON: {exc}")
    if leaf != audit.get("leaf_hash"):
        return ReceiptCheck(name, False, f"the record hashes to leaf {leaf[:16]}…, not to the "
                            "leaf hash the receipt names: the record was changed")
    item = body.get("item") if isinstance(body.get("item"), Mapping) else {}
    assert isinstance(item, Mapping)
    action = _ACTIONS.get(str(body.get("event")), "?").format(type=item.get("type"))
    said = record.get("event") if action == "event.delivered" else record.get(
        str(item.get("type")))
    said = said if isinstance(said, Mapping) else {}
    expected = {"seq": body.get("audit_seq"), "party": body.get("party"),
                "officer": body.get("officer"), "at": body.get("at"), "action": action}
    for k, want in expected.items():
        if record.get(k) != want:
            return ReceiptCheck(name, False, f"the record's {k} is {record.get(k)!r}, the "
                                f"receipt says {want!r}")
    item_id = said.get("item_id") if action == "event.delivered" else said.get("id")
    if item_id != item.get("id") or said.get("content_hash") != item.get("content_hash"):
        return ReceiptCheck(name, False, "the record names another item or content hash "
                            "than the receipt")
    return ReceiptCheck(name, True, f"record #{record.get('seq')} ({action}) matches")
