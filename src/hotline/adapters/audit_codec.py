"""The JSON layout of an audit record (the bytes that become a Merkle leaf).

Contract: a record is the RFC 8785 canonical JSON of one object with ``seq`` (its leaf index),
``at`` (server time, RFC 3339 with ``Z``), ``party``, ``officer`` and ``action``; for a write or
withdrawal also ``subject`` ``{kind, id, version}`` and ``content_hash`` (hex SHA-256 of the
canonical JSON of the declaration as :func:`~hotline.adapters.codec.declaration_to_json` writes
it); plus the entry's ``details`` (e.g. ``conflicts``: ``[{kind, id, owner}]``, ``reason``).
The leaf hash is ``SHA-256(0x00 || record)``. Details may not redefine the members above.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hotline.adapters.codec import Json, declaration_to_json
from hotline.audit.canonical import canonical_json
from hotline.audit.merkle import leaf_hash
from hotline.domain.errors import InvalidInput
from hotline.domain.notice import Declaration
from hotline.domain.time import format_rfc3339
from hotline.ports import AuditEntry

_CORE = frozenset({"seq", "at", "party", "officer", "action", "subject", "content_hash"})


def content_hash(body: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``body``."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def audit_record(seq: int, entry: AuditEntry, subject_json: Json | None = None) -> Json:
    """The record object for ``entry`` at ``seq`` (``subject_json``: the subject's JSON, if
    the caller has it already)."""
    clash = _CORE & set(entry.details)
    if clash:
        raise InvalidInput(f"audit details may not redefine {sorted(clash)}")
    record: Json = {
        **entry.details,
        "seq": seq,
        "at": format_rfc3339(entry.at),
        "party": entry.party,
        "officer": entry.officer,
        "action": entry.action,
    }
    d: Declaration | None = entry.subject
    if d is not None:
        body = subject_json if subject_json is not None else declaration_to_json(d)
        record["subject"] = {"kind": d.kind.value, "id": d.id, "version": d.version}
        record["content_hash"] = content_hash(body)
    return record


def encode_record(record: Json) -> tuple[bytes, bytes]:
    """The record's canonical bytes and their leaf hash."""
    data = canonical_json(record)
    return data, leaf_hash(data)
