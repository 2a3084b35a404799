"""RFC 9162 §2.1 Merkle trees: reference test vectors, a literal transcription of the RFC's
recursive definitions as the oracle, exhaustive and property tests of proofs and verifiers,
and the O(log n) cost of the incremental tree."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    from_hex,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from hotline.audit.merkle_log import MerkleFrontier, MerkleLog
from hotline.domain.errors import InvalidInput

# --- golden vectors ----------------------------------------------------------------------
# The RFC 6962 test tree used by Certificate Transparency implementations
# (transparency-dev/merkle proof/verify_test.go; google/certificate-transparency).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [  # root of the first n leaves, n = 1..8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 1, []),
]  # fmt: skip
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHES = [leaf_hash(d) for d in LEAVES]


def test_empty_tree_hash() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT == MerkleLog().root() == MerkleFrontier().root()


@pytest.mark.parametrize("n", range(1, 9))
def test_golden_roots(n: int) -> None:
    assert root(HASHES[:n]).hex() == ROOTS[n - 1]
    assert MerkleLog(HASHES).root(n).hex() == ROOTS[n - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_golden_inclusion(index: int, size: int, proof: list[str]) -> None:
    want = [bytes.fromhex(p) for p in proof]
    assert inclusion_proof(HASHES[:size], index) == want
    assert MerkleLog(HASHES).inclusion_proof(index, size) == want
    assert verify_inclusion(HASHES[index], index, size, want, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_golden_consistency(old: int, new: int, proof: list[str]) -> None:
    want = [bytes.fromhex(p) for p in proof]
    assert consistency_proof(HASHES[:new], old) == want
    assert MerkleLog(HASHES).consistency_proof(old, new) == want
    old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    assert verify_consistency(old, new, old_root, new_root, want)


# --- the RFC's recursive definitions, transcribed literally as the oracle ---------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def data(n: int, salt: int = 0) -> list[bytes]:
    return [f"record {i} / {salt}".encode() for i in range(n)]


@given(st.integers(0, 300), st.integers(0, 2**32), st.data())
@settings(max_examples=60, deadline=None)
def test_list_functions_and_log_match_the_rfc_definitions(
    n: int, salt: int, draw: st.DataObject
) -> None:
    d = data(n, salt)
    hashes = [leaf_hash(x) for x in d]
    log = MerkleLog(hashes)
    frontier = MerkleFrontier()
    for h in hashes:
        frontier.append(h)
    assert root(hashes) == log.root() == frontier.root() == ref_mth(d)
    if n == 0:
        return
    i = draw.draw(st.integers(0, n - 1), label="index")
    assert inclusion_proof(hashes, i) == log.inclusion_proof(i) == ref_path(i, d)
    m = draw.draw(st.integers(1, n), label="old size")
    want = ref_subproof(m, d, True)
    assert consistency_proof(hashes, m) == log.consistency_proof(m) == want


def test_log_agrees_with_the_definitions_at_every_size() -> None:
    d = data(70)
    log = MerkleLog(leaf_hash(x) for x in d)
    for n in range(71):
        assert log.root(n) == ref_mth(d[:n])
        for i in range(n):
            assert log.inclusion_proof(i, n) == ref_path(i, d[:n])
        for m in range(1, n + 1):
            assert log.consistency_proof(m, n) == ref_subproof(m, d[:n], True)


# --- every proof verifies; every corruption fails ----------------------------------------

BIG = MerkleLog(leaf_hash(x) for x in data(300, salt=7))


def test_every_inclusion_and_consistency_proof_verifies_up_to_300() -> None:
    roots = [BIG.root(n) for n in range(301)]
    for n in range(1, 301):
        for i in range(n):
            assert verify_inclusion(BIG.leaf(i), i, n, BIG.inclusion_proof(i, n), roots[n])
        for m in range(0, n + 1):
            assert verify_consistency(m, n, roots[m], roots[n], BIG.consistency_proof(m, n))


def flipped(h: bytes, at: int) -> bytes:
    return h[:at] + bytes([h[at] ^ 0x01]) + h[at + 1 :]


@given(st.integers(1, 300), st.data())
@settings(max_examples=150, deadline=None)
def test_corrupted_inclusion_fails(n: int, draw: st.DataObject) -> None:
    i = draw.draw(st.integers(0, n - 1), label="index")
    leaf, proof, r = BIG.leaf(i), BIG.inclusion_proof(i, n), BIG.root(n)
    assert verify_inclusion(leaf, i, n, proof, r)
    at = draw.draw(st.integers(0, 31), label="byte")
    assert not verify_inclusion(flipped(leaf, at), i, n, proof, r)
    assert not verify_inclusion(leaf, i, n, proof, flipped(r, at))
    for k in range(len(proof)):
        bad = [*proof[:k], flipped(proof[k], at), *proof[k + 1 :]]
        assert not verify_inclusion(leaf, i, n, bad, r)
    for j in range(n):  # every other index
        if j != i:
            assert not verify_inclusion(leaf, j, n, proof, r)
    for size in (2 * n, n // 2):
        assert not verify_inclusion(leaf, i, size, proof, r)
    assert not verify_inclusion(leaf, i, n, [*proof, r], r)
    assert not verify_inclusion(leaf, i, n, [r, *proof], r)
    if proof:
        assert not verify_inclusion(leaf, i, n, proof[:-1], r)
        assert not verify_inclusion(leaf, i, n, [*proof[:-1], proof[-1][:31]], r)


@given(st.integers(2, 300), st.data())
@settings(max_examples=150, deadline=None)
def test_corrupted_consistency_fails(n: int, draw: st.DataObject) -> None:
    m = draw.draw(st.integers(1, n - 1), label="old size")
    old, new, proof = BIG.root(m), BIG.root(n), BIG.consistency_proof(m, n)
    assert verify_consistency(m, n, old, new, proof)
    at = draw.draw(st.integers(0, 31), label="byte")
    assert not verify_consistency(m, n, flipped(old, at), new, proof)
    assert not verify_consistency(m, n, old, flipped(new, at), proof)
    assert not verify_consistency(m, n, new, old, proof)
    for k in range(len(proof)):
        bad = [*proof[:k], flipped(proof[k], at), *proof[k + 1 :]]
        assert not verify_consistency(m, n, old, new, bad)
    for m2 in (m - 1, m + 1, m ^ 2, 0):
        if m2 != m and 0 <= m2 <= n:
            assert not verify_consistency(m2, n, old, new, proof)
    for n2 in (2 * n, n // 2):
        if n2 != n:
            assert not verify_consistency(m, n2, old, new, proof)
    assert not verify_consistency(m, n, old, new, [])
    assert not verify_consistency(m, n, old, new, proof[:-1])
    assert not verify_consistency(m, n, old, new, [*proof, old])
    assert not verify_consistency(m, n, old, new, [old, *proof])
    assert not verify_consistency(n, m, new, old, proof)


def test_trivial_consistency_cases() -> None:
    r1, r5 = BIG.root(1), BIG.root(5)
    assert verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    assert not verify_consistency(0, 5, r1, r5, [])  # size 0 has one root
    assert not verify_consistency(0, 5, EMPTY_ROOT, r5, [EMPTY_ROOT])
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(5, 5, r5, r1, [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    assert not verify_consistency(5, 4, r5, r1, [])


def test_tree_size_is_bound_by_the_signed_head_not_by_the_proof() -> None:
    # Documented RFC behaviour: the leftmost leaf has the same path shape in trees of 7 and
    # 8 leaves, so the bare verifier cannot tell which size a root belongs to. A signed tree
    # head binds (size, root) together, which is why receipts carry one.
    proof, r8 = BIG.inclusion_proof(0, 8), BIG.root(8)
    assert verify_inclusion(BIG.leaf(0), 0, 7, proof, r8)
    assert not verify_inclusion(BIG.leaf(0), 0, 7, proof, BIG.root(7))


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInput, match="outside a tree of size 3"):
        inclusion_proof(HASHES[:3], 3)
    with pytest.raises(InvalidInput, match=r"outside 0\.\.3"):
        consistency_proof(HASHES[:3], 4)
    with pytest.raises(InvalidInput, match=r"outside 0\.\.300"):
        BIG.root(301)
    with pytest.raises(InvalidInput, match="32 bytes"):
        MerkleLog().append(b"short")
    with pytest.raises(InvalidInput, match="the tree is empty"):
        MerkleLog().inclusion_proof(0)
    assert not verify_inclusion(HASHES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(HASHES[0], -1, 8, [], EMPTY_ROOT)
    assert from_hex(ROOTS[0]) == bytes.fromhex(ROOTS[0])
    for bad in (ROOTS[0].upper(), ROOTS[0][:-2], ROOTS[0][:-2] + " 1", 5):
        with pytest.raises(InvalidInput, match="not a SHA-256 hash"):
            from_hex(bad)


# --- cost: O(log n) hashes per operation --------------------------------------------------


def test_incremental_costs_are_logarithmic() -> None:
    n = 100_003
    log = MerkleLog()
    worst_append = 0
    for i in range(n):
        before = log.hash_count
        log.append(i.to_bytes(32, "big"))
        worst_append = max(worst_append, log.hash_count - before)
    assert log.hash_count == n - bin(n).count("1")  # one hash per completed node
    depth = n.bit_length()  # 17
    assert worst_append <= depth
    for size in (n, 65_536, 99_999, 77_777):
        for i in (0, size // 3, size - 1):
            before = log.hash_count
            proof = log.inclusion_proof(i, size)
            assert log.hash_count - before <= depth
            assert verify_inclusion(log.leaf(i), i, size, proof, log.root(size))
        before = log.hash_count
        proof = log.consistency_proof(size // 7 + 1, size)
        assert log.hash_count - before <= 2 * depth
    before = log.hash_count
    log.root()
    assert log.hash_count - before <= depth


def test_node_hash_domain_separation() -> None:
    # a leaf can never pass for an interior node (the 0x00 / 0x01 prefixes, RFC 9162 §2.1.1)
    a, b = HASHES[1], HASHES[2]
    assert leaf_hash(a + b) != node_hash(a, b)
    assert root([a, b]) == node_hash(a, b)
