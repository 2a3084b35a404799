"""Incremental Merkle trees for the server and for verifiers (RFC 9162 §2.1, SHA-256).

Contract:

- :class:`MerkleLog` holds every leaf hash and every *completed perfect subtree* hash, stored by
  (level, index) as it completes: node (h, i) covers leaves ``[i * 2**h, (i + 1) * 2**h)``. A
  perfect subtree never changes once complete, so nothing is ever recomputed. ``append`` costs
  amortised one hash (at most log2 n); the root, an inclusion proof or a consistency proof for
  *any* tree size up to the current one costs O(log n) hashes, because every subtree those need
  is a cached perfect node except along one right spine. Memory: about 64 bytes per leaf
  (2n hashes of 32 bytes in one ``bytearray`` per level).
- :class:`MerkleFrontier` keeps only the O(log n) roots of the perfect subtrees that make up
  the current tree (its "frontier"): it computes roots of a growing log in constant memory, for
  a verifier that streams a whole log once.
- Both give exactly the values of :mod:`hotline.audit.merkle`'s recursive definitions.
"""

from __future__ import annotations

from collections.abc import Iterable

from hotline.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    node_hash,
    path,
    split_point,
    subproof,
)
from hotline.domain.errors import InvalidInput


def _check_leaf(leaf: bytes) -> None:
    if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
        raise InvalidInput(
            "a leaf hash must be 32 bytes", hint="append leaf_hash(data), not the data itself"
        )


class MerkleLog:
    """An append-only Merkle tree with cached subtrees (see the module contract)."""

    __slots__ = ("_levels", "_size", "hash_count")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        #: Interior-node hashes computed so far (for cost accounting and tests).
        self.hash_count = 0
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> int:
        """Add one leaf hash; return its index."""
        _check_leaf(leaf)
        index = self._size
        levels = self._levels
        levels[0] += leaf
        self._size += 1
        i, height, acc = index, 0, leaf
        while i & 1:  # this leaf completes a perfect subtree at each odd step up
            acc = node_hash(self._node(height, i - 1), acc)
            self.hash_count += 1
            height += 1
            i >>= 1
            if len(levels) == height:
                levels.append(bytearray())
            levels[height] += acc
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for leaf in leaf_hashes:
            self.append(leaf)

    def truncate(self, size: int) -> None:
        """Forget every leaf from ``size`` on (and the subtrees they completed): for a caller
        that appended leaves it then could not keep (an uncommitted transaction's)."""
        self._size_or_all(size)
        for height, level in enumerate(self._levels):
            del level[(size >> height) * HASH_SIZE:]
        self._size = size

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        self._check_index(index, self._size)
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The Merkle Tree Hash of the first ``size`` leaves (default: all)."""
        n = self._size_or_all(size)
        return EMPTY_ROOT if n == 0 else self._range_hash(0, n)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]): proof that leaf ``index`` is in the tree of ``size``."""
        n = self._size_or_all(size)
        self._check_index(index, n)
        return path(index, 0, n, self._range_hash)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:new_size]): the tree of ``old_size`` is a prefix of ``new_size``."""
        n = self._size_or_all(new_size)
        if not 0 <= old_size <= n:
            raise InvalidInput(
                f"old tree size {old_size} is outside 0..{n}",
                hint="ask for a consistency proof from a smaller size to a larger one",
            )
        if old_size in (0, n):
            return []
        return subproof(old_size, 0, n, self._range_hash)

    # -- internals -------------------------------------------------------------------------

    def _node(self, height: int, i: int) -> bytes:
        start = i * HASH_SIZE
        return bytes(self._levels[height][start : start + HASH_SIZE])

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC recursion produces: ``start`` is a multiple
        of the smallest power of two >= ``end - start``, so the left part is a cached node."""
        n = end - start
        if n & (n - 1) == 0:
            height = n.bit_length() - 1
            assert start & (n - 1) == 0, "unaligned subtree"
            return self._node(height, start >> height)
        k = split_point(n)
        acc = node_hash(self._range_hash(start, start + k), self._range_hash(start + k, end))
        self.hash_count += 1
        return acc

    def _size_or_all(self, size: int | None) -> int:
        if size is None:
            return self._size
        if not 0 <= size <= self._size:
            raise InvalidInput(
                f"tree size {size} is outside 0..{self._size}",
                hint="ask about a size the log has reached",
            )
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise InvalidInput(
                f"leaf index {index} is outside a tree of size {size}",
                hint=f"use an index from 0 to {size - 1}" if size else "the tree is empty",
            )


class MerkleFrontier:
    """The root of a growing log in O(log n) memory (see the module contract)."""

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._stack: list[bytes] = []  # perfect subtree roots, largest (leftmost) first
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        _check_leaf(leaf)
        acc, i = leaf, self._size
        while i & 1:
            acc = node_hash(self._stack.pop(), acc)
            i >>= 1
        self._stack.append(acc)
        self._size += 1

    def root(self) -> bytes:
        """The Merkle Tree Hash of all leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            acc = node_hash(left, acc)
        return acc
