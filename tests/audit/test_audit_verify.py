"""Full-log verification names the first bad record after any edit, deletion, insertion or
reordering, and catches a rewritten-and-rehashed log with the signed (or party-held) heads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.audit.canonical import canonical_json
from hotline.audit.merkle import EMPTY_ROOT, leaf_hash
from hotline.audit.merkle_log import MerkleLog
from hotline.audit.signing import Signer
from hotline.audit.treehead import TreeHead, sign_tree_head
from hotline.audit.verify import Record, VerifyReport, verify_log

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SIGNER = Signer.from_private_bytes(bytes(range(2, 34)))
KEYS = {SIGNER.key_id: SIGNER.public_key}
N = 50
HEAD_SIZES = (0, 10, 25, 50)


def data(i: int, text: str = "") -> bytes:
    return canonical_json({"type": "alert", "seq": i, "to": "red", "text": text or f"a{i}"})


def records_of(datas: list[bytes]) -> list[Record]:
    return [Record(i, d, leaf_hash(d)) for i, d in enumerate(datas)]


def heads_of(records: list[Record], sizes: tuple[int, ...] = HEAD_SIZES) -> list[dict[str, Any]]:
    log = MerkleLog(r.leaf_hash for r in records)
    return [
        sign_tree_head(SIGNER, TreeHead(n, log.root(n), T0 + timedelta(minutes=n))) for n in sizes
    ]


RECORDS = records_of([data(i) for i in range(N)])
HEADS = heads_of(RECORDS)


def test_an_intact_log_verifies() -> None:
    report = verify_log(RECORDS, HEADS, KEYS)
    assert report == VerifyReport(
        ok=True,
        first_bad_seq=None,
        reason="50 records and 4 tree heads verify; newest head signed 2026-11-24T12:50:00Z",
        size=50,
        root=MerkleLog(r.leaf_hash for r in RECORDS).root(),
        heads_checked=4,
    )
    assert verify_log([], [], KEYS) == VerifyReport(
        True, None, "0 records and 0 tree heads verify", 0, EMPTY_ROOT, 0
    )
    assert verify_log(iter(RECORDS), reversed(HEADS), KEYS).ok  # any iterables, heads any order


def check(records: list[Record], bad: int | None, reason: str, heads: Any = None) -> None:
    report = verify_log(records, HEADS if heads is None else heads, KEYS)
    assert not report.ok
    assert report.first_bad_seq == bad
    assert reason in report.reason, report.reason


def test_edited_record() -> None:
    edited = list(RECORDS)
    edited[17] = replace(edited[17], data=data(17, "edited"))
    check(edited, 17, "record #17 was edited: its data does not match its leaf hash")


def test_non_canonical_record() -> None:
    recs = list(RECORDS)
    loose = b'{"seq": 17}'
    recs[17] = Record(17, loose, leaf_hash(loose))
    check(recs, 17, "record #17 was edited: its data is not canonical JSON")
    assert verify_log(recs, [], KEYS, check_canonical=False).ok


def test_deleted_record() -> None:
    check(RECORDS[:17] + RECORDS[18:], 17, "record #17 is missing (deleted): position 17 holds #18")


def test_reordered_records() -> None:
    swapped = [*RECORDS[:17], RECORDS[18], RECORDS[17], *RECORDS[19:]]
    check(swapped, 17, "records out of order: position 17 holds #18, and #17 comes later")


def test_inserted_or_duplicated_record() -> None:
    forged = Record(17, data(17, "inserted"), leaf_hash(data(17, "inserted")))
    check([*RECORDS[:17], forged, *RECORDS[17:]], 18, "record #17 appears again at position 18")
    check([*RECORDS[:30], RECORDS[3], *RECORDS[30:]], 30, "record #3 appears again at position 30")


def test_truncated_log() -> None:
    check(
        RECORDS[:40],
        40,
        "log truncated: the tree head of size 50 at 2026-11-24T12:50:00Z vouches for 50 "
        "records but only 40 are stored (records from #40 on were deleted)",
    )


def rehashed(datas: list[bytes]) -> list[Record]:
    return records_of(datas)  # seqs renumbered, every leaf hash recomputed


def test_rewritten_and_rehashed_log_is_caught_by_the_signed_heads() -> None:
    datas = [data(i) for i in range(N)]
    datas[17] = data(17, "edited")
    report = verify_log(rehashed(datas), HEADS, KEYS)
    assert not report.ok and report.first_bad_seq == 10 and report.size == 10
    assert report.reason.startswith(
        "log rewritten: records #10..#24 do not match the tree head of size 25 at "
        "2026-11-24T12:25:00Z"
    )
    assert report.reason.endswith("(records before #10 match the tree head of size 10)")
    assert report.root == MerkleLog(r.leaf_hash for r in RECORDS).root(10)
    # deletion with renumbering: heads catch it too
    deleted = [data(i) for i in range(N) if i != 3]
    check(rehashed([*deleted, data(99)]), 0, "records #0..#9 do not match the tree head of size 10")


def test_operator_who_re_signs_every_head_is_caught_by_a_party_held_head() -> None:
    datas = [data(i) for i in range(N)]
    datas[17] = data(17, "edited")
    forged = rehashed(datas)
    forged_heads = heads_of(forged)
    assert verify_log(forged, forged_heads, KEYS).ok  # the operator's own heads agree
    party_kept = HEADS[2]  # size 25, kept by a party from before the rewrite
    check(forged, 10, "do not match the tree head of size 25", [*forged_heads, party_kept])
    check(forged, 10, "two different logs were signed", [*forged_heads, party_kept])


def test_bad_heads() -> None:
    tampered = {**HEADS[1], "tree_size": 11}
    check(RECORDS, None, "tree head #1: signature by key", [HEADS[0], tampered])
    foreign = Signer.from_private_bytes(bytes(32))
    alien = sign_tree_head(foreign, TreeHead(1, RECORDS[0].leaf_hash, T0))
    check(RECORDS, None, "tree head #0: signature key id", [alien])
    late_small = sign_tree_head(SIGNER, TreeHead(10, _root(10), T0 + timedelta(hours=9)))
    check(RECORDS, None, "tree heads go back in time", [late_small, HEADS[2]])


def _root(n: int) -> bytes:
    return MerkleLog(r.leaf_hash for r in RECORDS[:n]).root()


TAMPERS = ("edit", "delete", "swap", "duplicate", "insert")


@given(st.sampled_from(TAMPERS), st.integers(0, N - 2))
@settings(max_examples=80, deadline=None)
def test_any_tamper_names_the_first_bad_record(kind: str, at: int) -> None:
    recs = list(RECORDS)
    if kind == "edit":
        recs[at] = replace(recs[at], data=data(at, "tampered"))
        want = at
    elif kind == "delete":
        del recs[at]
        want = at
    elif kind == "swap":
        recs[at], recs[at + 1] = recs[at + 1], recs[at]
        want = at
    elif kind == "duplicate":
        recs.insert(at + 1, recs[at])
        want = at + 1
    else:
        extra = data(at, "inserted")
        recs.insert(at, Record(at, extra, leaf_hash(extra)))
        want = at + 1  # where seq `at` appears a second time
    for heads in (HEADS, []):  # found from the records alone, heads or not
        report = verify_log(recs, heads, KEYS)
        assert not report.ok
        if kind == "insert" and heads and at + 1 in HEAD_SIZES:
            # the head of size at+1 is checked before the duplicate seq is read: it bounds
            # the bad record from below by the previous head
            assert report.first_bad_seq == max(n for n in HEAD_SIZES if n <= at)
            assert "do not match the tree head" in report.reason
        else:
            assert report.first_bad_seq == want
            assert report.size == want


@given(st.integers(0, N - 1))
@settings(max_examples=30, deadline=None)
def test_any_rehashed_edit_is_bounded_by_the_heads(at: int) -> None:
    datas = [data(i) for i in range(N)]
    datas[at] = data(at, "tampered")
    report = verify_log(rehashed(datas), HEADS, KEYS)
    assert not report.ok
    assert report.first_bad_seq is not None
    lower = max(n for n in HEAD_SIZES if n <= at)
    assert report.first_bad_seq == lower  # the edit lies in [lower, next head size)


@pytest.mark.parametrize("size", [1, 2, 3, 64, 65])
def test_head_at_every_size(size: int) -> None:
    recs = records_of([data(i) for i in range(size)])
    heads = heads_of(recs, tuple(range(size + 1)))
    report = verify_log(recs, heads, KEYS)
    assert report.ok and report.heads_checked == size + 1
    # with a head after every record the rehashed edit is pinned exactly
    datas = [data(i) for i in range(size)]
    datas[size // 2] = data(size // 2, "x")
    assert verify_log(rehashed(datas), heads, KEYS).first_bad_seq == size // 2
