"""``/healthz`` and ``/v1/keys``: liveness and the public keys that sign tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    store = request.app.state.store
    with store.read() as tx:
        tx.get  # noqa: B018 - opening a read transaction proves the database answers
    return {"status": "ok", "engine": store.engine}


@router.get("/v1/keys")
def keys(request: Request) -> dict[str, Any]:
    """The JWKS of the dev issuer (empty when tokens come from an external issuer)."""
    return {"keys": request.app.state.jwks}
