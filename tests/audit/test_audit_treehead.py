"""Signed tree heads and the operator-proof checks: a party that kept a tree head or a receipt
catches a log whose history was rewritten and consistently rehashed and re-signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.audit.canonical import canonical_json
from hotline.audit.errors import BadSignature, HistoryRewritten, UnknownKey, VerificationFailed
from hotline.audit.merkle import EMPTY_ROOT, leaf_hash
from hotline.audit.merkle_log import MerkleLog
from hotline.audit.signing import Signer
from hotline.audit.treehead import (
    TreeHead,
    check_history,
    check_inclusion,
    sign_tree_head,
    tree_head_from_statement,
    tree_head_statement,
    verify_tree_head,
)
from hotline.domain.errors import InvalidInput

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SIGNER = Signer.from_private_bytes(bytes(range(1, 33)))
KEYS = {SIGNER.key_id: SIGNER.public_key}


def record(i: int, text: str = "") -> bytes:
    return canonical_json({"type": "message", "seq": i, "from": "blue", "text": text or f"m{i}"})


def build(datas: list[bytes]) -> MerkleLog:
    return MerkleLog(leaf_hash(d) for d in datas)


def signed_head(log: MerkleLog, size: int, minute: float) -> dict[str, Any]:
    return sign_tree_head(SIGNER, TreeHead(size, log.root(size), T0 + timedelta(minutes=minute)))


HONEST = [record(i) for i in range(40)]
LOG = build(HONEST)


def test_statement_shape_and_round_trip() -> None:
    head = TreeHead(17, LOG.root(17), T0 + timedelta(seconds=61, microseconds=250))
    assert tree_head_statement(head) == {
        "type": "hotline.tree-head.v1",
        "tree_size": 17,
        "root_hash": LOG.root(17).hex(),
        "timestamp": "2026-11-24T12:01:01.000250Z",
    }
    signed = sign_tree_head(SIGNER, head)
    assert verify_tree_head(json.loads(json.dumps(signed, indent=1)), KEYS) == head
    assert tree_head_from_statement(tree_head_statement(head)) == head


def test_tree_head_validation() -> None:
    local = datetime(2026, 11, 24, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert TreeHead(1, LOG.root(1), local).timestamp == T0
    assert (
        tree_head_statement(TreeHead(0, EMPTY_ROOT, local))["timestamp"] == "2026-11-24T12:00:00Z"
    )
    with pytest.raises(InvalidInput, match="no timezone"):
        TreeHead(1, LOG.root(1), datetime(2026, 11, 24, 12, 0))  # noqa: DTZ001
    with pytest.raises(InvalidInput, match="size 0 must have the empty-tree root"):
        TreeHead(0, LOG.root(1), T0)
    for size in (-1, True, 1.0):
        with pytest.raises(InvalidInput, match="not a non-negative integer"):
            TreeHead(size, LOG.root(1), T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="32-byte"):
        TreeHead(1, LOG.root(1)[:31], T0)


def test_statement_parsing_is_strict() -> None:
    good = tree_head_statement(TreeHead(3, LOG.root(3), T0))
    bad: list[tuple[dict[str, Any], str]] = [
        ({**good, "extra": 1}, "not a tree head statement"),
        ({k: v for k, v in good.items() if k != "timestamp"}, "not a tree head statement"),
        ({**good, "type": "hotline.receipt.v1"}, "not a tree head statement"),
        ({**good, "tree_size": "3"}, "not an integer"),
        ({**good, "root_hash": good["root_hash"].upper()}, "not a SHA-256 hash"),
        ({**good, "timestamp": "2026-11-24T12:00:00"}, "no timezone"),
        ({**good, "timestamp": 5}, "not an RFC 3339 string"),
    ]
    for statement, match in bad:
        with pytest.raises(InvalidInput, match=match):
            tree_head_from_statement(statement)
    # signed by the right key but not a tree head: rejected by type, not trusted
    with pytest.raises(BadSignature, match=r"expected 'hotline\.tree-head\.v1'"):
        verify_tree_head(SIGNER.sign({**good, "type": "hotline.receipt.v1"}), KEYS)
    with pytest.raises(InvalidInput, match="not an integer"):
        verify_tree_head(SIGNER.sign({**good, "tree_size": "3"}), KEYS)


def test_tampered_or_foreign_heads_are_rejected() -> None:
    signed = signed_head(LOG, 17, 1)
    for field, value in (("tree_size", 18), ("root_hash", LOG.root(18).hex())):
        with pytest.raises(BadSignature):
            verify_tree_head({**signed, field: value}, KEYS)
    other = Signer.from_private_bytes(bytes(32))
    with pytest.raises(UnknownKey):
        verify_tree_head(sign_tree_head(other, TreeHead(17, LOG.root(17), T0)), KEYS)


def test_honest_history_passes_in_either_order() -> None:
    kept, now = signed_head(LOG, 17, 1), signed_head(LOG, 40, 5)
    proof = LOG.consistency_proof(17, 40)
    check_history(kept, now, proof, KEYS)
    check_history(now, kept, proof, KEYS)
    check_history(kept, signed_head(LOG, 17, 9), [], KEYS)  # same tree re-signed later
    check_history(signed_head(LOG, 0, 0), now, [], KEYS)


def rewritten(edit_at: int) -> MerkleLog:
    """The operator edits one record and recomputes the whole log from scratch."""
    datas = list(HONEST)
    datas[edit_at] = record(edit_at, "this message was never sent")
    return build(datas)


def test_operator_rewrite_is_exposed_by_a_kept_tree_head() -> None:
    kept = signed_head(LOG, 17, 1)
    forged_log = rewritten(5)
    forged_now = signed_head(forged_log, 40, 5)  # validly signed: the operator holds the key
    verify_tree_head(forged_now, KEYS)
    expected = (
        "log rewritten: tree head of size 17 at 2026-11-24T12:01:00Z is not a prefix of "
        "tree head of size 40 at 2026-11-24T12:05:00Z (consistency proof fails)"
    )
    for proof in (forged_log.consistency_proof(17, 40), LOG.consistency_proof(17, 40), []):
        with pytest.raises(HistoryRewritten) as info:
            check_history(kept, forged_now, proof, KEYS)
        assert info.value.detail == expected
    # the operator cannot re-sign the old size either without contradicting the kept head
    with pytest.raises(HistoryRewritten, match="have different roots"):
        check_history(kept, signed_head(forged_log, 17, 1), [], KEYS)


def test_operator_rewrite_is_exposed_by_a_kept_receipt() -> None:
    # A receipt carries the record's leaf hash, its index, a signed head and a proof.
    receipt_head = signed_head(LOG, 17, 1)
    proof = LOG.inclusion_proof(5, 17)
    assert check_inclusion(leaf_hash(HONEST[5]), 5, proof, receipt_head, KEYS).size == 17
    forged_log = rewritten(5)
    forged_now = signed_head(forged_log, 40, 5)
    with pytest.raises(HistoryRewritten, match=r"record #5 \(leaf [0-9a-f]{16}…\) is not in"):
        check_inclusion(
            leaf_hash(HONEST[5]), 5, forged_log.inclusion_proof(5, 40), forged_now, KEYS
        )
    # ... while the receipt itself stays valid evidence
    check_inclusion(leaf_hash(HONEST[5]), 5, proof, receipt_head, KEYS)


def test_deleting_a_later_record_is_invisible_to_an_earlier_head_only() -> None:
    datas = HONEST[:30] + HONEST[31:]  # record 30 deleted, the rest renumbered and rehashed
    forged_log = build(datas)
    forged_now = signed_head(forged_log, 39, 5)
    check_history(signed_head(LOG, 17, 1), forged_now, forged_log.consistency_proof(17, 39), KEYS)
    with pytest.raises(HistoryRewritten, match=r"size 35 at .* is not a prefix of .* size 39"):
        check_history(
            signed_head(LOG, 35, 4), forged_now, forged_log.consistency_proof(35, 39), KEYS
        )


def test_two_trees_of_one_size_and_time_travel_are_rejected() -> None:
    forged_log = build(HONEST[:20])
    with pytest.raises(HistoryRewritten, match="have different roots"):
        check_history(signed_head(LOG, 20, 1), signed_head(build(HONEST[1:21]), 20, 2), [], KEYS)
    # a smaller head signed after a larger one cannot come from one growing log
    with pytest.raises(HistoryRewritten, match="signed before the smaller"):
        check_history(
            signed_head(LOG, 40, 5),
            signed_head(forged_log, 20, 6),
            LOG.consistency_proof(20, 40),
            KEYS,
        )


def test_head_must_cover_the_record() -> None:
    with pytest.raises(VerificationFailed, match="not covered by the tree head of size 17"):
        check_inclusion(LOG.leaf(20), 20, [], signed_head(LOG, 17, 1), KEYS)


@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 39))
@settings(max_examples=60, deadline=None)
def test_a_kept_head_catches_exactly_the_edits_it_covers(a: int, b: int, edit: int) -> None:
    old, new = min(a, b), max(a, b)
    if edit >= new:
        edit = new - 1
    forged_log = rewritten(edit)
    kept = signed_head(LOG, old, 1)
    now = signed_head(forged_log, new, 2)
    proof = forged_log.consistency_proof(old, new)
    if edit < old:
        with pytest.raises(HistoryRewritten):
            check_history(kept, now, proof, KEYS)
    else:
        check_history(kept, now, proof, KEYS)
