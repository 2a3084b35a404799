"""The Ed25519 key that signs the audit log's tree heads, kept in the data directory.

Contract: ``<data_dir>/keys/audit-ed25519.key`` holds the private key as unencrypted PKCS#8
PEM, mode 0600, created atomically on first use (two processes starting together end up with
the same key). Under a simulated clock the signer marks receipts ``"clock": "simulated"``.
:func:`load_audit_public_key` only reads: operator tools never create a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from hotline.adapters.tokens import create_secret_file
from hotline.audit.signing import Signer
from hotline.domain.errors import InvalidInput
from hotline.relay.receipts import RECEIPT_TYPE


def audit_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "audit-ed25519.key"


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 private key",
                           hint="move it away; a new key is created on the next start")
    return key


class SimulatedTimeSigner(Signer):
    """A signer whose receipts say that their times come from a simulated clock: it adds
    ``"clock": "simulated"`` to every ``hotline.receipt.v1`` statement it signs (other
    statements, e.g. tree heads, are signed unchanged)."""

    __slots__ = ()

    def sign(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        if statement.get("type") == RECEIPT_TYPE:
            statement = {**statement, "clock": "simulated"}
        return super().sign(statement)


def load_or_create_audit_signer(data_dir: Path, *, simulated: bool = False) -> Signer:
    """The audit signer (key created on first use); ``simulated``: a
    :class:`SimulatedTimeSigner`, for a service running on a simulated clock."""
    path = audit_key_path(data_dir)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        create_secret_file(path, pem)
    return (SimulatedTimeSigner if simulated else Signer)(_load(path))


def load_audit_public_key(data_dir: Path) -> Ed25519PublicKey | None:
    path = audit_key_path(data_dir)
    return _load(path).public_key() if path.exists() else None
