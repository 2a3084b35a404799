"""``/healthz`` and ``/v1/keys``: liveness, and the public keys that sign tokens (RS256, the
dev issuer only) and audit tree heads (Ed25519, ``"alg": "EdDSA"``).

In a server of several workers ``/healthz`` also says which worker answered (its pid, and
whether it is the primary), so that an operator can tell them apart.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request

from hotline.audit.signing import public_jwk

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    store = request.app.state.store
    with store.read() as tx:
        tx.get  # noqa: B018 - opening a read transaction proves the database answers
    # the durability settings in force, so they can be asserted rather than assumed
    answer: dict[str, Any] = {"status": "ok", "engine": store.engine,
                              "durability": store.settings()}
    election = getattr(request.app.state, "election", None)
    if election is not None:
        answer["worker"] = {"pid": os.getpid(), "primary": election.primary}
    return answer


@router.get("/v1/keys")
def keys(request: Request) -> dict[str, Any]:
    """The dev issuer's key (none when tokens come from an external issuer) and the audit
    signing key, as a JWK set."""
    return {"keys": [*request.app.state.jwks,
                     public_jwk(request.app.state.audit.signer.public_key)]}
