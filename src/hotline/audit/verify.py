"""Full-log verification for the operator: find the first bad record of a stored audit log.

Contract: :func:`verify_log` reads the records in stored order and the stored (or party-held)
signed tree heads, and returns a :class:`VerifyReport`. Record ``i`` of a valid log has
``seq == i`` (the Merkle leaf index, counting from 0), ``leaf_hash == SHA-256(0x00 || data)``,
and (by default) ``data`` in RFC 8785 canonical form; every signed head of size ``n`` has the
Merkle root of records ``0..n-1``, and heads never go back in time as the log grows.

``first_bad_seq`` is the *position* at which the stream first departs from a valid log:

- an edited record (data no longer matches its leaf hash, or is not canonical): its seq;
- a deleted record (seq gap), reordered records (a later seq comes early) or an inserted or
  duplicated record (a seq seen before): the position where the sequence breaks;
- a log rewritten *and rehashed* consistently passes those checks, but not the signed heads:
  the first head whose root differs from the recomputed tree fails the log, and
  ``first_bad_seq`` is the size of the last head that matched (the first record no signed head
  vouches for) — the change lies between the two sizes, named in ``reason``;
- a head vouching for more records than exist: the first missing seq (the log was truncated).

Checks run in stream order, a head of size ``n`` right after record ``n - 1``: when a head's
boundary lies between an inserted record and the later duplicate seq that exposes it, the head
fails first and bounds the bad record from below.

A head with a bad signature or inconsistent time fails the log with ``first_bad_seq`` None.
Memory is O(log n) beyond the heads: records are streamed through a :class:`MerkleFrontier`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.audit.canonical import canonical_json
from hotline.audit.merkle import EMPTY_ROOT, leaf_hash
from hotline.audit.merkle_log import MerkleFrontier
from hotline.audit.treehead import TreeHead, verify_tree_head
from hotline.domain.errors import InvalidInput
from hotline.domain.time import format_rfc3339


@dataclass(frozen=True, slots=True)
class Record:
    """One stored audit record: its leaf index, canonical JSON bytes and stored leaf hash."""

    seq: int
    data: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of :func:`verify_log` (see the module contract)."""

    ok: bool
    first_bad_seq: int | None
    reason: str
    #: Records read and found good, in order (the whole log when ``ok``).
    size: int
    #: Merkle root of those ``size`` records.
    root: bytes
    #: Signed tree heads whose root matched the recomputed tree.
    heads_checked: int


def verify_log(
    records: Iterable[Record],
    heads: Iterable[Mapping[str, Any]],
    keys: Mapping[str, Ed25519PublicKey],
    *,
    check_canonical: bool = True,
) -> VerifyReport:
    """Verify a whole log against its signed tree heads; name the first bad record."""
    verified: list[TreeHead] = []
    for j, signed in enumerate(heads):
        try:
            verified.append(verify_tree_head(signed, keys))
        except InvalidInput as exc:
            return VerifyReport(False, None, f"tree head #{j}: {exc.message}", 0, EMPTY_ROOT, 0)
    verified.sort(key=lambda h: (h.size, h.timestamp))
    for earlier, later in pairwise(verified):
        if earlier.size < later.size and earlier.timestamp > later.timestamp:
            reason = (
                f"tree heads go back in time: {later.describe()} is signed before the "
                f"smaller {earlier.describe()}"
            )
            return VerifyReport(False, None, reason, 0, EMPTY_ROOT, 0)

    frontier = MerkleFrontier()
    pending = iter(verified)
    head = next(pending, None)
    vouched, vouched_root = 0, EMPTY_ROOT  # the last head that matched
    checked = 0

    def fail(seq: int | None, reason: str) -> VerifyReport:
        return VerifyReport(False, seq, reason, len(frontier), frontier.root(), checked)

    while head is not None and head.size == 0:  # size 0 always has the empty root
        checked += 1
        head = next(pending, None)
    stream = iter(records)
    for rec in stream:
        pos = len(frontier)
        if rec.seq != pos:
            return fail(pos, _sequence_break(pos, rec.seq, stream))
        if leaf_hash(rec.data) != rec.leaf_hash:
            return fail(pos, f"record #{pos} was edited: its data does not match its leaf hash")
        if check_canonical and not _is_canonical(rec.data):
            return fail(pos, f"record #{pos} was edited: its data is not canonical JSON")
        frontier.append(rec.leaf_hash)
        if head is None or head.size != pos + 1:
            continue
        current = frontier.root()
        agreeing: TreeHead | None = None
        wrong: TreeHead | None = None
        while head is not None and head.size == pos + 1:
            if head.root == current:
                agreeing = agreeing or head
                checked += 1
            else:
                wrong = wrong or head
            head = next(pending, None)
        if wrong is not None:
            reason = _rewritten(vouched, pos, wrong, agreeing)
            return VerifyReport(False, vouched, reason, vouched, vouched_root, checked)
        vouched, vouched_root = pos + 1, current
    if head is not None:
        n = len(frontier)
        return fail(
            n,
            f"log truncated: the {head.describe()} vouches for {head.size} records but only "
            f"{n} are stored (records from #{n} on were deleted)",
        )
    n = len(frontier)
    last = f"; newest head signed {format_rfc3339(verified[-1].timestamp)}" if verified else ""
    return VerifyReport(
        True,
        None,
        f"{n} records and {checked} tree heads verify{last}",
        n,
        frontier.root(),
        checked,
    )


def _rewritten(vouched: int, last: int, wrong: TreeHead, agreeing: TreeHead | None) -> str:
    span = f"#{vouched}" if vouched == last else f"#{vouched}..#{last}"
    text = (
        f"log rewritten: records {span} do not match the {wrong.describe()}; a record there "
        "was edited, inserted, deleted or reordered and the log rehashed"
    )
    if vouched:
        text += f" (records before #{vouched} match the tree head of size {vouched})"
    if agreeing is not None:
        text += f"; the {agreeing.describe()} does match them: two different logs were signed"
    return text


def _sequence_break(pos: int, seq: int, rest: Iterator[Record]) -> str:
    if seq < pos:
        return f"record #{seq} appears again at position {pos}: a record was inserted or duplicated"
    if any(r.seq == pos for r in rest):
        return f"records out of order: position {pos} holds #{seq}, and #{pos} comes later"
    return f"record #{pos} is missing (deleted): position {pos} holds #{seq}"


def _is_canonical(data: bytes) -> bool:
    try:
        return canonical_json(json.loads(data)) == data
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, InvalidInput
        return False
