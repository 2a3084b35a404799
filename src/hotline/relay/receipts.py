"""The ``hotline.receipt.v1`` statement shared by every relayed item (alerts, messages).

Contract: pure functions, no I/O and no clock. An item's content hash is the hex SHA-256 of
the RFC 8785 canonical JSON of its content. A receipt statement names the item (type, id,
content hash), the party and officer who acted, the event, the time (RFC 3339, ``Z``) and the
audit record that recorded it; the caller signs it (:class:`hotline.audit.signing.Signer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hotline.audit.canonical import canonical_json
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
