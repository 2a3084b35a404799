"""RFC 9162 §2.1 Merkle Tree Hash (SHA-256): roots, inclusion and consistency proofs.

Contract (all hashes are 32-byte SHA-256 digests, leaf indices and tree sizes count from 0):

- ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``; the tree
  over ``n`` leaves splits at ``k``, the largest power of two below ``n`` (§2.1.1); the empty
  tree's hash is ``SHA-256("")``.
- :func:`inclusion_proof` is PATH (§2.1.3.1), :func:`consistency_proof` is PROOF/SUBPROOF
  (§2.1.4.1), both listed from the leaves up, exactly as Certificate Transparency logs serve
  them; :func:`verify_inclusion` and :func:`verify_consistency` are the verifier algorithms of
  §2.1.3.2 and §2.1.4.2 and return ``False`` (never raise) on any mismatch, including bad sizes
  and proof elements that are not 32 bytes long.
- The list-based functions take every leaf hash and cost O(n) hashing; the proofs they build
  come from the same recursion that :class:`hotline.audit.merkle_log.MerkleLog` runs over its
  cached subtrees in O(log n).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from hotline.domain.errors import InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_HEX64 = re.compile(r"[0-9a-f]{64}")

#: ``mth(start, end)``: the Merkle Tree Hash of leaves ``[start, end)``.
RangeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly less than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of leaf hashes (O(n) hashing, O(log n) extra memory).

    Pairing neighbours level by level and lifting an unpaired last node unchanged builds the
    same left-balanced tree as the recursive definition of §2.1.1.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    # Stack of (height, hash) of completed perfect subtrees: a running "frontier".
    stack: list[tuple[int, bytes]] = []
    for h in leaf_hashes:
        height, acc = 0, h
        while stack and stack[-1][0] == height:
            acc = node_hash(stack.pop()[1], acc)
            height += 1
        stack.append((height, acc))
    acc = stack.pop()[1]
    while stack:
        acc = node_hash(stack.pop()[1], acc)
    return acc


def _list_range_hash(leaf_hashes: Sequence[bytes]) -> RangeHash:
    return lambda start, end: root(leaf_hashes[start:end])


def path(index: int, start: int, end: int, mth: RangeHash) -> list[bytes]:
    """PATH(index, D[start:end]) of §2.1.3.1 with subtree hashes from ``mth``, leaves up."""
    out: list[bytes] = []
    while end - start > 1:
        k = split_point(end - start)
        if index < k:
            out.append(mth(start + k, end))
            end = start + k
        else:
            out.append(mth(start, start + k))
            start += k
            index -= k
    out.reverse()
    return out


def subproof(old_size: int, start: int, end: int, mth: RangeHash) -> list[bytes]:
    """SUBPROOF(old_size, D[start:end], true) of §2.1.4.1 with subtree hashes from ``mth``."""
    out: list[bytes] = []
    m, complete = old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append(mth(start, end))
            break
        k = split_point(n)
        if m <= k:
            out.append(mth(start + k, end))
            end = start + k
        else:
            out.append(mth(start, start + k))
            start += k
            m -= k
            complete = False
    out.reverse()
    return out


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path proving leaf ``index`` is in the tree over ``leaf_hashes``."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise InvalidInput(
            f"leaf index {index} is outside a tree of size {n}",
            hint=f"use an index from 0 to {n - 1}" if n else "the tree is empty",
        )
    return path(index, 0, n, _list_range_hash(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The proof that the tree of size ``old_size`` is a prefix of the tree over all leaves.

    Empty for ``old_size`` 0 or equal to the current size (nothing to prove).
    """
    n = len(leaf_hashes)
    if not 0 <= old_size <= n:
        raise InvalidInput(
            f"old tree size {old_size} is outside 0..{n}",
            hint="ask for a consistency proof from a size the log has reached",
        )
    if old_size in (0, n):
        return []
    return subproof(old_size, 0, n, _list_range_hash(leaf_hashes))


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion_proof(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes | None:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (§2.1.3.2), or ``None`` when
    the proof has the wrong shape for that index and size."""
    if not 0 <= index < tree_size or not _well_formed(leaf, *proof):
        return None
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree with ``root_hash``."""
    got = root_from_inclusion_proof(leaf, index, tree_size, proof)
    return got is not None and got == root_hash


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    Follows §2.1.4.2 for 0 < old_size < new_size. Equal sizes need equal roots and an empty
    proof; size 0 needs the empty-tree root and an empty proof.
    """
    if not 0 <= old_size <= new_size or not _well_formed(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path_ = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path_.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path_[0]
    for c in path_[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def to_hex(h: bytes) -> str:
    """A hash as 64 lower-case hex digits (the form used in signed statements)."""
    return h.hex()


def from_hex(text: object, what: str = "hash") -> bytes:
    """Parse 64 hex digits into a 32-byte hash; raise :class:`InvalidInput` otherwise."""
    if isinstance(text, str) and _HEX64.fullmatch(text):
        return bytes.fromhex(text)
    raise InvalidInput(
        f"{what} {text!r} is not a SHA-256 hash", hint="give 64 lower-case hexadecimal digits"
    )
