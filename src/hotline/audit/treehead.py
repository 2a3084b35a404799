"""Signed tree heads, and the checks a party runs with the tree heads and receipts it kept.

Contract:

- :class:`TreeHead` is (size, root, timestamp): the log had ``size`` records whose Merkle Tree
  Hash is ``root`` (32 bytes; the empty-tree hash for size 0) at ``timestamp`` (timezone-aware,
  normalised to UTC).
- Its signed statement is ``{"type": "hotline.tree-head.v1", "tree_size": int,
  "root_hash": 64 hex digits, "timestamp": RFC 3339 with Z}`` plus the ``signature`` member of
  :mod:`hotline.audit.signing`; :func:`verify_tree_head` accepts exactly those members.
- :func:`check_history` is the operator-proof check: given two signed heads (in either order)
  and a consistency proof, the smaller must be a prefix of the larger and must not be signed
  later than it; otherwise :class:`~hotline.audit.errors.HistoryRewritten` says exactly which
  heads disagree. :func:`check_inclusion` proves one record is in a signed head's tree.
- Nothing here reads a clock or does I/O; signatures fail with the errors of ``signing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.audit.errors import HistoryRewritten, VerificationFailed
from hotline.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    from_hex,
    to_hex,
    verify_consistency,
    verify_inclusion,
)
from hotline.audit.signing import Signer, verify_signed
from hotline.domain.errors import InvalidInput
from hotline.domain.time import format_rfc3339, parse_rfc3339, require_utc

TREE_HEAD_TYPE = "hotline.tree-head.v1"
_MEMBERS = {"type", "tree_size", "root_hash", "timestamp"}


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The state of the log at one moment (see the module contract)."""

    size: int
    root: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInput(f"tree size {self.size!r} is not a non-negative integer")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise InvalidInput("a tree head's root must be a 32-byte SHA-256 hash")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise InvalidInput("a tree head of size 0 must have the empty-tree root")
        object.__setattr__(self, "timestamp", require_utc(self.timestamp, "tree head timestamp"))

    def describe(self) -> str:
        """``tree head of size 17 at 2026-11-24T12:00:00Z`` (for error messages)."""
        return f"tree head of size {self.size} at {format_rfc3339(self.timestamp)}"


def tree_head_statement(head: TreeHead) -> dict[str, Any]:
    """The unsigned statement for ``head``."""
    return {
        "type": TREE_HEAD_TYPE,
        "tree_size": head.size,
        "root_hash": to_hex(head.root),
        "timestamp": format_rfc3339(head.timestamp),
    }


def tree_head_from_statement(statement: Mapping[str, Any]) -> TreeHead:
    """Parse an unsigned tree-head statement (strict: exactly the four members)."""
    if set(statement) != _MEMBERS or statement["type"] != TREE_HEAD_TYPE:
        raise InvalidInput(
            f"not a tree head statement: members {sorted(statement)}",
            hint=f"a tree head has exactly {sorted(_MEMBERS)} with type {TREE_HEAD_TYPE!r}",
        )
    size, stamp = statement["tree_size"], statement["timestamp"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidInput(f"tree_size {size!r} is not an integer")
    if not isinstance(stamp, str):
        raise InvalidInput(f"timestamp {stamp!r} is not an RFC 3339 string")
    root = from_hex(statement["root_hash"], "root_hash")
    return TreeHead(size, root, parse_rfc3339(stamp, "tree head timestamp"))


def sign_tree_head(signer: Signer, head: TreeHead) -> dict[str, Any]:
    """The signed statement for ``head``."""
    return signer.sign(tree_head_statement(head))


def verify_tree_head(signed: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> TreeHead:
    """Check a signed tree head's signature and shape; return the head it vouches for."""
    return tree_head_from_statement(verify_signed(signed, keys, expected_type=TREE_HEAD_TYPE))


def check_consistent(a: TreeHead, b: TreeHead, proof: Sequence[bytes]) -> None:
    """Raise :class:`HistoryRewritten` unless the smaller of two (verified) heads is a prefix
    of the larger, proven by ``proof``, and was not signed later than it."""
    old, new = (a, b) if a.size <= b.size else (b, a)
    if old.size == new.size:
        if old.root != new.root:
            raise HistoryRewritten(
                f"log rewritten: {old.describe()} and {new.describe()} have different roots",
                hint="one log cannot have two different trees of the same size",
            )
        return
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise HistoryRewritten(
            f"log rewritten: {old.describe()} is not a prefix of {new.describe()} "
            "(consistency proof fails)",
            hint="keep both signed tree heads: together they prove the log was changed",
        )
    if old.timestamp > new.timestamp:
        raise HistoryRewritten(
            f"log rewritten: {new.describe()} is signed before the smaller {old.describe()}",
            hint="a log's tree heads must grow with time",
        )


def check_history(
    old_signed_head: Mapping[str, Any],
    new_signed_head: Mapping[str, Any],
    consistency_proof: Sequence[bytes],
    keys: Mapping[str, Ed25519PublicKey],
) -> None:
    """Verify both signed heads, then that the log only grew between them (either order).

    ``consistency_proof`` goes from the smaller size to the larger, as the log serves it.
    Raises :class:`~hotline.audit.errors.BadSignature` / ``UnknownKey`` for a bad head,
    :class:`HistoryRewritten` when the heads cannot both be true of one append-only log.
    """
    check_consistent(
        verify_tree_head(old_signed_head, keys),
        verify_tree_head(new_signed_head, keys),
        consistency_proof,
    )


def check_inclusion(
    leaf: bytes,
    index: int,
    inclusion_proof: Sequence[bytes],
    signed_head: Mapping[str, Any],
    keys: Mapping[str, Ed25519PublicKey],
) -> TreeHead:
    """Verify ``signed_head`` and that leaf hash ``leaf`` is record ``index`` of its tree.

    Returns the head. Raises :class:`VerificationFailed` when the head does not cover
    ``index`` yet, :class:`HistoryRewritten` when the proof fails.
    """
    head = verify_tree_head(signed_head, keys)
    if not 0 <= index < head.size:
        raise VerificationFailed(
            f"record #{index} is not covered by the {head.describe()}",
            hint="ask for a tree head and proof from after the record was appended",
        )
    if not verify_inclusion(leaf, index, head.size, inclusion_proof, head.root):
        raise HistoryRewritten(
            f"record #{index} (leaf {to_hex(leaf)[:16]}…) is not in the {head.describe()} "
            "(inclusion proof fails)",
            hint="the record was changed or removed, or the proof is for another tree",
        )
    return head
