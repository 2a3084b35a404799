"""Use cases of the audit log: read records by need to know, sign tree heads, serve proofs,
record authentication failures, verify the whole stored log.

Contract: records are appended by the writing use cases (:mod:`hotline.service`) in their own
transactions; this module adds only ``auth.failure`` records (one small write transaction each)
and ``auth.failure.summary`` records (the count of failures a flood had suppressed; see
:mod:`hotline.api.authlog`). :meth:`AuditTrail.seal` signs a tree head over records a
transaction has just appended and proves them included, for the receipts that embed both.
A party sees its own records in full, every other record as its seq and leaf hash only.
Roots and proofs come from an in-memory :class:`~hotline.audit.merkle_log.MerkleLog` per
:class:`AuditTrail` that catches up from the store (leaf hashes past what it holds), so several
processes on one database stay correct. A tree head is signed only for the log's *current*
size, under the store's audit lock, with a timestamp no earlier than the last stored head's:
heads therefore never go back in time as the log grows. The head handed out is stored
(``audit_heads``, one per size). Proofs for an older size come with the stored head of that
size, or none: an old size is never signed afresh.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.audit.merkle import to_hex
from hotline.audit.merkle_log import MerkleLog
from hotline.audit.signing import Signer
from hotline.audit.treehead import TreeHead, sign_tree_head
from hotline.audit.verify import Record, VerifyReport, verify_log
from hotline.domain.errors import HotlineError, InvalidInput
from hotline.domain.time import format_rfc3339, parse_rfc3339
from hotline.ports import AuditEntry, AuditRow, Clock, LockScope, Store, StoreTx

AUTH_FAILURE = "auth.failure"
AUTH_SUMMARY = "auth.failure.summary"
UNKNOWN = "unknown"
MAX_REASON_CHARS = 500
_PAGE = 5000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuditItem:
    """One record as a party may see it: ``data`` only for its own records."""

    seq: int
    leaf_hash: bytes
    data: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Proof:
    """An inclusion or consistency proof, with the signed head of ``tree_size`` if there is
    one (always for the current size)."""

    tree_size: int
    proof: list[bytes]
    head: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Seal:
    """A signed tree head covering records just appended in a transaction, with each one's
    row and inclusion proof: the evidence a receipt embeds (:meth:`evidence`)."""

    head: dict[str, Any]
    rows: dict[int, AuditRow]
    proofs: dict[int, list[bytes]]

    def evidence(self, seq: int) -> dict[str, Any]:
        """The ``audit`` member of a receipt naming record ``seq``: the record itself, its
        leaf hash, the signed tree head and the inclusion proof (hex, leaves up)."""
        row = self.rows[seq]
        return {"record": json.loads(row.data), "leaf_hash": row.leaf_hash.hex(),
                "tree_head": self.head, "inclusion_proof": [h.hex() for h in self.proofs[seq]]}


class AuditTrail:
    def __init__(self, store: Store, clock: Clock, signer: Signer) -> None:
        self.store = store
        self.clock = clock
        self.signer = signer
        self._log = MerkleLog()
        self._lock = threading.Lock()
        self._epoch = self._store_epoch()

    def _store_epoch(self) -> int:
        """How many group commits the store saw fail (0 for stores that cannot)."""
        return int(getattr(self.store, "failed_commits", 0))

    def _fresh_log(self) -> None:
        """Forget the in-memory log if a group commit failed since it was built: it may hold
        leaves of writes that never reached the database (called under ``_lock``)."""
        epoch = self._store_epoch()
        if epoch != self._epoch:
            self._log, self._epoch = MerkleLog(), epoch

    @property
    def keys(self) -> dict[str, Ed25519PublicKey]:
        return {self.signer.key_id: self.signer.public_key}

    # ------------------------------------------------------------------ writes
    def record_auth_failure(self, party: str, officer: str, reason: str) -> int:
        """Append an ``auth.failure`` record in its own transaction; return its seq."""
        entry = AuditEntry(self.clock.now(), party[:100] or UNKNOWN, officer[:200] or UNKNOWN,
                           AUTH_FAILURE, None, {"reason": reason[:MAX_REASON_CHARS]})
        with self.store.write(LockScope()) as tx:
            return tx.append_audit(entry)

    def record_auth_summary(self, source: str, suppressed: int, first: datetime,
                            last: datetime, burst: int) -> int:
        """Append an ``auth.failure.summary`` record: ``suppressed`` failures from ``source``
        between ``first`` and ``last`` were counted, not recorded one by one (after the
        first ``burst`` of a window were)."""
        entry = AuditEntry(self.clock.now(), UNKNOWN, UNKNOWN, AUTH_SUMMARY, None, {
            "source": source[:200], "suppressed": suppressed, "burst": burst,
            "from": format_rfc3339(first), "until": format_rfc3339(last)})
        with self.store.write(LockScope()) as tx:
            return tx.append_audit(entry)

    def head(self) -> dict[str, Any]:
        """A freshly signed tree head of the current log (also stored)."""
        with self.store.write(LockScope()) as tx:
            size = tx.lock_audit()
            root = self._with_log(tx, size, lambda log: log.root(size))
            return self._sign_head(tx, size, root)

    def _sign_head(self, tx: StoreTx, size: int, root: bytes) -> dict[str, Any]:
        """Sign the tree head (``size``, ``root``), timestamped now but never before the latest
        stored head, and store it in ``tx``."""
        stamp = self.clock.now()
        latest = tx.latest_tree_head()
        # (a damaged stored head is ignored here: 'hotline audit verify' reports it)
        with contextlib.suppress(ValueError, KeyError, TypeError):
            if latest is not None:
                stamp = max(stamp, parse_rfc3339(json.loads(latest)["timestamp"]))
        signed = sign_tree_head(self.signer, TreeHead(size, root, stamp))
        tx.put_tree_head(size, json.dumps(signed, separators=(",", ":")))
        return signed

    def seal(self, tx: StoreTx, committed: int, seqs: Sequence[int]) -> Seal:
        """Sign (and store) a tree head of the log as ``tx`` sees it — including the records
        it appended, ``seqs`` among them — and prove each of ``seqs`` included. ``tx`` must
        hold the audit lock since before its first append; ``committed`` is the log's size
        then (what :meth:`StoreTx.lock_audit` answered). The uncommitted leaves never stay in
        the shared in-memory log: should the transaction roll back, the head goes with it."""
        size = tx.audit_size()
        first, last = min(seqs), max(seqs)
        rows = {r.seq: r for r in tx.audit_records(first - 1, last - first + 1)}
        with self._lock:
            self._fresh_log()
            have = len(self._log)
            if have > committed:
                raise HotlineError(f"the audit log shrank from {have} to {committed} records",
                                   hint="the database was changed behind the service: run "
                                   "'hotline audit verify'")
            self._log.extend(tx.audit_leaves(have, committed))
            try:
                self._log.extend(tx.audit_leaves(committed, size))
                root = self._log.root(size)
                proofs = {s: self._log.inclusion_proof(s, size) for s in seqs}
            finally:
                self._log.truncate(committed)
        signed = self._sign_head(tx, size, root)
        return Seal(signed, {s: rows[s] for s in seqs}, proofs)

    # ------------------------------------------------------------------ reads
    def records(self, party: str, after: int = -1, limit: int = 100) -> list[AuditItem]:
        """Records with ``seq > after`` in order: ``party``'s in full, others as hashes."""
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"limit {limit} is out of range", hint="use 1..1000")
        with self.store.read() as tx:
            rows = tx.audit_records(after, limit)
        return [
            AuditItem(r.seq, r.leaf_hash, json.loads(r.data) if r.party == party else None)
            for r in rows
        ]

    def inclusion(self, seq: int, size: int | None = None) -> tuple[bytes, Proof]:
        """The leaf hash of record ``seq`` and its inclusion proof in the tree of ``size``."""
        if size is None:
            head = self.head()
            size = int(head["tree_size"])
            leaf, path = self._read(size, lambda log: (log.leaf(seq),
                                                      log.inclusion_proof(seq, size)))
            return leaf, Proof(size, path, head)
        leaf, path = self._read(size, lambda log: (log.leaf(seq), log.inclusion_proof(seq, size)))
        return leaf, Proof(size, path, self._stored_head(size))

    def consistency(self, old: int, new: int | None = None) -> Proof:
        """The proof that the tree of ``old`` is a prefix of the tree of ``new``."""
        if new is None:
            head = self.head()
            new = int(head["tree_size"])
        else:
            head = None
        if not 0 <= old <= new:
            raise InvalidInput(f"old size {old} is not within 0..{new}",
                               hint="ask from a smaller tree size to a larger one")
        size = new
        path = self._read(size, lambda log: log.consistency_proof(old, size))
        return Proof(size, path, head if head is not None else self._stored_head(size))

    def verify(self) -> VerifyReport:
        return verify_store(self.store, self.keys)

    # ------------------------------------------------------------------ internals
    def _stored_head(self, size: int) -> dict[str, Any] | None:
        with self.store.read() as tx:
            text = tx.tree_head(size)
        return None if text is None else dict(json.loads(text))

    def _read(self, size: int, use: Callable[[MerkleLog], T]) -> T:
        with self.store.read() as tx:
            current = tx.audit_size()
            if not 0 <= size <= current:
                raise InvalidInput(f"tree size {size} is outside 0..{current}",
                                   hint="ask about a size the log has reached")
            return self._with_log(tx, current, use)

    def _with_log(self, tx: StoreTx, size: int, use: Callable[[MerkleLog], T]) -> T:
        """Run ``use(log)`` on the in-memory log, first caught up to ``size`` records."""
        with self._lock:
            self._fresh_log()
            # The in-memory log may be ahead of a read snapshot (writes of a group commit not
            # yet visible to readers): every root and proof of a smaller size still holds.
            have = len(self._log)
            if have < size:
                self._log.extend(tx.audit_leaves(have, size))
            return use(self._log)


def verify_store(store: Store, keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
    """Verify the whole stored log and its stored tree heads (one consistent snapshot)."""
    with store.read() as tx:
        heads = [json.loads(h) for h in tx.tree_heads()]
        mismatch: list[tuple[int, str]] = []

        def records() -> Iterator[Record]:
            after = -1
            while True:
                page = tx.audit_records(after, _PAGE)
                for row in page:
                    if not mismatch:
                        problem = _column_mismatch(row.seq, row.party, row.data)
                        if problem:
                            mismatch.append((row.seq, problem))
                    yield Record(row.seq, row.data, row.leaf_hash)
                if len(page) < _PAGE:
                    return
                after = page[-1].seq

        report = verify_log(records(), heads, keys)
    if mismatch and (report.ok or (report.first_bad_seq or 0) > mismatch[0][0]):
        seq, problem = mismatch[0]
        return VerifyReport(False, seq, problem, report.size, report.root, report.heads_checked)
    return report


def _column_mismatch(seq: int, party: str, data: bytes) -> str | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None  # verify_log reports data that is not JSON
    if not isinstance(body, dict) or body.get("seq") != seq or body.get("party") != party:
        return (f"record #{seq} was edited: its columns (seq, party) do not match its data "
                f"(data says seq {body.get('seq') if isinstance(body, dict) else '?'})")
    return None


def report_json(report: VerifyReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "first_bad_seq": report.first_bad_seq,
        "reason": report.reason,
        "size": report.size,
        "root": to_hex(report.root),
        "heads_checked": report.heads_checked,
    }
