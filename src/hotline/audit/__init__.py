"""The tamper-evident audit log's pure core, in the style of RFC 9162 (Certificate Transparency).

Contract: no I/O, no clock, standard library and ``cryptography`` only. Records are RFC 8785
canonical JSON (:mod:`.canonical`); each is a leaf of an RFC 9162 §2.1 SHA-256 Merkle tree
(:mod:`.merkle` for the definitions, proofs and verifiers, :mod:`.merkle_log` for the O(log n)
incremental tree); the server signs statements with Ed25519 (:mod:`.signing`), among them tree
heads (:mod:`.treehead`), which let any party check that the log only ever grew; the operator
verifies a whole stored log with :mod:`.verify`. Failures raise :mod:`.errors`' classes.
"""

from hotline.audit.canonical import canonical_json
from hotline.audit.errors import BadSignature, HistoryRewritten, UnknownKey, VerificationFailed
from hotline.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from hotline.audit.merkle_log import MerkleFrontier, MerkleLog
from hotline.audit.signing import Signer, key_from_jwk, key_id, key_ring, public_jwk, verify_signed
from hotline.audit.treehead import (
    TreeHead,
    check_history,
    check_inclusion,
    sign_tree_head,
    verify_tree_head,
)
from hotline.audit.verify import Record, VerifyReport, verify_log

__all__ = [
    "EMPTY_ROOT",
    "BadSignature",
    "HistoryRewritten",
    "MerkleFrontier",
    "MerkleLog",
    "Record",
    "Signer",
    "TreeHead",
    "UnknownKey",
    "VerificationFailed",
    "VerifyReport",
    "canonical_json",
    "check_history",
    "check_inclusion",
    "consistency_proof",
    "inclusion_proof",
    "key_from_jwk",
    "key_id",
    "key_ring",
    "leaf_hash",
    "public_jwk",
    "root",
    "sign_tree_head",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_signed",
    "verify_tree_head",
]
